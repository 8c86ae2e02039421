"""Parsing a filter expression with ``ast`` and refusing everything outside the language.

The expression is parsed as one Python expression (mode ``"eval"``) and never evaluated. Before
anything is compiled, every node is checked against an allow-list, so that constructs with
effects or hidden behaviour (calls, lambdas, comprehensions, f-strings, walrus assignments,
dunder attributes) are refused with a reason and the position of the offending node.
"""

from __future__ import annotations

import ast

from spyglass_db.filters.errors import SourcePositions

MAX_EXPRESSION_LENGTH = 50_000
"""Longer expressions are refused: they only come from machines, and each value is a bind
parameter (PostgreSQL allows 32,767 a statement)."""

ALLOWED_OPERATORS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}

REFUSED_OPERATORS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
}

_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Call: "calls are not allowed",
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.IfExp: "conditional expressions (x if c else y) are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Starred: "unpacking (*x) is not allowed",
    ast.Slice: "slices are not allowed; use a single key or index",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

_ALLOWED_NODES = (
    ast.BoolOp,
    ast.UnaryOp,
    ast.BinOp,
    ast.Compare,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
)


def parse_expression(expression: str) -> tuple[ast.expr, SourcePositions]:
    """Parse ``expression`` and check every node against the allow-list.

    Returns the expression's root node and the positions helper for errors about it.

    Raises:
        FilterExpressionError: a syntax error, or a construct outside the language.
    """
    source = expression.lstrip()
    positions = SourcePositions(expression, source)
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise positions.at(
            1, 1, f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters"
        )
    if "\x00" in source:
        raise positions.at(1, source.index("\x00") + 1, "null characters are not allowed")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 0
        if column < 1:  # the expression ended too early: point just past its end
            column = len(positions.lines[min(line, len(positions.lines)) - 1]) + 1
        raise positions.at(line, column, f"syntax error: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise positions.at(1, 1, "the expression is nested too deeply") from None
    _check(tree.body, positions)
    return tree.body, positions


def _check(root: ast.expr, positions: SourcePositions) -> None:
    pending: list[ast.AST] = [root]
    while pending:  # breadth first, so the outermost offending node is the one reported
        node = pending.pop(0)
        _check_node(node, positions)
        pending.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.expr_context | ast.boolop | ast.cmpop | ast.unaryop)
            and not isinstance(child, ast.operator)
        )


def _check_node(node: ast.AST, positions: SourcePositions) -> None:
    refused = _REFUSED_NODES.get(type(node))
    if refused is not None:
        raise positions.error(node, refused)
    if not isinstance(node, _ALLOWED_NODES):
        raise positions.error(node, f"{type(node).__name__} expressions are not allowed")
    if isinstance(node, ast.BinOp) and type(node.op) not in ALLOWED_OPERATORS:
        symbol = REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
        raise positions.error(
            node, f"the operator {symbol} is not allowed; arithmetic is +, -, * and /"
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        raise positions.error(node, "the operator ~ is not allowed; use 'not'")
    if isinstance(node, ast.Name | ast.Attribute):
        word = node.id if isinstance(node, ast.Name) else node.attr
        if word.startswith("__"):
            raise positions.error(node, f"names starting with '__' are not allowed: {word!r}")
    if isinstance(node, ast.Constant) and not (
        node.value is None or isinstance(node.value, str | int | float | bool)
    ):
        raise positions.error(
            node, "values are text, numbers, True, False or None; got " + repr(node.value)[:40]
        )
