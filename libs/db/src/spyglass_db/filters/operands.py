"""Compiling the value side of a filter: names, attribute paths, annotations, literals and
arithmetic, each into an :class:`Operand` whose SQL binds every value as a parameter."""

from __future__ import annotations

import ast
import math
from datetime import UTC, datetime

from spyglass_db.filters.attributes import attribute_value, typed_read
from spyglass_db.filters.errors import FilterExpressionError, SourcePositions
from spyglass_db.filters.names import (
    ANNOTATION_FIELDS,
    ANNOTATION_TABLES,
    DOTTED_ALIASES,
    SPAN_COLUMNS,
    Kind,
    Operand,
    suggestion,
)

MAX_DEPTH = 100
"""Deeper expressions are refused before Python's own recursion limit is near."""

_KEYLESS = ("parent_span", "events")

_SQL_TYPES = {
    Kind.TEXT: "text",
    Kind.NUMBER: "double precision",
    Kind.BOOLEAN: "boolean",
    Kind.TIME: "timestamptz",
}


class OperandCompiler:
    """Compiles operands for the spans row aliased ``span``, collecting bind parameters."""

    def __init__(self, positions: SourcePositions, span: str, prefix: str) -> None:
        self.positions = positions
        self.span = span
        self.prefix = prefix
        self.parameters: dict[str, object] = {}
        self._path_parameters: dict[tuple[str, ...], str] = {}
        self._aliases = 0
        self.depth = 0

    def error(self, node: ast.AST, reason: str) -> FilterExpressionError:
        """The error to raise: ``node`` is wrong for ``reason``."""
        return self.positions.error(node, reason)

    def parameter(self, value: object) -> str:
        """A new bind parameter holding ``value``; returns its name."""
        name = f"{self.prefix}{len(self.parameters)}"
        self.parameters[name] = value
        return name

    def bind(self, value: object, sql_type: str) -> str:
        """SQL of ``value`` as a typed bind parameter."""
        return f"CAST(:{self.parameter(value)} AS {sql_type})"

    def alias(self, role: str) -> str:
        """A fresh alias for a subquery's table."""
        self._aliases += 1
        return f"{self.prefix}_{role}{self._aliases}"

    def operand(self, node: ast.AST) -> Operand:
        """Compile a value: a literal, a name, an attribute, an annotation field or arithmetic."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(node, "the expression is nested too deeply")
            return self._operand(node)
        finally:
            self.depth -= 1

    def _operand(self, node: ast.AST) -> Operand:
        if isinstance(node, ast.Constant):
            return _literal(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name) and node.value.id in ANNOTATION_TABLES:
                raise self.error(
                    node,
                    f"{ast.unparse(node)} is a condition by itself; to compare a value, use "
                    ".label, .score or .explanation",
                )
            return self._attribute_operand(node, self._path(node))
        if isinstance(node, ast.BinOp):
            return self._arithmetic(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.operand(node.operand)
            number = self.as_number(inner, node)
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return Operand(Kind.NUMBER, node, ast.unparse(node), sql=f"({sign}{number})")
        if isinstance(node, ast.List | ast.Tuple):
            raise self.error(node, "a list is only allowed after 'in' or 'not in'")
        raise self.error(node, f"expected a value, got the condition {ast.unparse(node)[:60]!r}")

    def _name(self, node: ast.Name) -> Operand:
        word = node.id
        column = SPAN_COLUMNS.get(word)
        if column is not None:
            return self.column(word, node)
        if word == "parent_span":
            return Operand(Kind.PARENT, node, word)
        if word == "metadata":
            return self._attribute_operand(node, ("metadata",))
        if word == "attributes":
            raise self.error(node, "attributes needs a key, e.g. attributes['llm.model_name']")
        if word == "events":
            raise self.error(node, "events can't be filtered on")
        if word in ANNOTATION_TABLES:
            raise self.error(node, f"{word} needs a name, e.g. {word}['correctness'].label")
        reason = f"unknown name {word!r}"
        hint = suggestion(word)
        if not hint:
            hint = (
                "; attributes are written as a dotted path such as llm.model_name, "
                f"or as attributes[{word!r}]"
            )
        raise self.error(node, reason + hint)

    def column(self, word: str, node: ast.AST) -> Operand:
        """The span column (or computed value) named ``word``."""
        column = SPAN_COLUMNS[word]
        return Operand(
            column.kind,
            node,
            word,
            sql=column.template.format(
                span=self.span, alias=self.alias("trace") if "{alias}" in column.template else ""
            ),
            integer=column.integer,
            upper=column.upper,
            trace_id=word == "trace_id",
        )

    def _attribute(self, node: ast.Attribute) -> Operand:
        dotted = _dotted(node)
        if dotted is not None and dotted in DOTTED_ALIASES:
            return self.column(DOTTED_ALIASES[dotted], node)
        base = node.value
        if (
            isinstance(base, ast.Subscript)
            and isinstance(base.value, ast.Name)
            and base.value.id in ANNOTATION_TABLES
        ):
            return self._annotation_field(node, base)
        return self._attribute_operand(node, self._path(node))

    def _annotation_field(self, node: ast.Attribute, subscript: ast.Subscript) -> Operand:
        kind = ANNOTATION_FIELDS.get(node.attr)
        if kind is None:
            hint = suggestion(node.attr, tuple(ANNOTATION_FIELDS)) or (
                "; annotations have .label, .score and .explanation"
            )
            raise self.error(node, f"unknown annotation field {node.attr!r}{hint}")
        table, alias, ownership = self.annotation_source(subscript)
        return Operand(
            kind,
            node,
            ast.unparse(node),
            sql=(
                f"(SELECT {alias}.{node.attr} FROM {table} {alias} WHERE {ownership} "
                f"ORDER BY {alias}.updated_at DESC, {alias}.id DESC LIMIT 1)"
            ),
        )

    def annotation_source(self, subscript: ast.Subscript) -> tuple[str, str, str]:
        """For ``annotations['name']``: the table, an alias for it, and the SQL that picks the
        annotations of that name on this span (or its trace)."""
        assert isinstance(subscript.value, ast.Name)
        key = subscript.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise self.error(key, "an annotation is named by text, e.g. annotations['correctness']")
        table, ownership = ANNOTATION_TABLES[subscript.value.id]
        alias = self.alias("annotation")
        owner = ownership.format(span=self.span)
        name = self.bind(key.value, "text")
        return table, alias, f"{alias}.name = {name} AND {alias}.{owner}"

    def _path(self, node: ast.AST) -> tuple[str, ...]:
        if isinstance(node, ast.Name):
            if node.id == "attributes":
                return ()
            if node.id in SPAN_COLUMNS or node.id in ANNOTATION_TABLES or node.id in _KEYLESS:
                raise self.error(node, f"{node.id} has no attributes or keys")
            if node.id in ("context", "cumulative_token_count"):
                prefix = f"{node.id}."
                choices = tuple(alias for alias in DOTTED_ALIASES if alias.startswith(prefix))
                raise self.error(node, f"{node.id} is followed by one of: {', '.join(choices)}")
            return (node.id,)
        if isinstance(node, ast.Attribute):
            return (*self._path(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            return (*self._path(node.value), *self._keys(node))
        raise self.error(node, f"expected an attribute, got {ast.unparse(node)[:60]!r}")

    def _keys(self, node: ast.Subscript) -> tuple[str, ...]:
        key = node.slice
        directly_on_attributes = isinstance(node.value, ast.Name) and node.value.id == "attributes"
        items = key.elts if isinstance(key, ast.List | ast.Tuple) else [key]
        if not items:
            raise self.error(key, "an empty list of keys")
        keys: list[str] = []
        for item in items:
            if not isinstance(item, ast.Constant) or item.value is None:
                raise self.error(item, "keys are text or whole numbers, e.g. metadata['tier']")
            if isinstance(item.value, bool) or not isinstance(item.value, str | int):
                raise self.error(item, "keys are text or whole numbers, e.g. metadata['tier']")
            if isinstance(item.value, str) and directly_on_attributes and len(items) == 1:
                keys.extend(item.value.split("."))  # attributes['llm.model_name']: nested keys
            else:
                keys.append(str(item.value))
        return tuple(keys)

    def _attribute_operand(self, node: ast.AST, path: tuple[str, ...]) -> Operand:
        if not path:
            raise self.error(node, "attributes needs a key, e.g. attributes['llm.model_name']")
        parameter = self._path_parameters.get(path)
        if parameter is None:
            parameter = self.parameter(list(path))
            self._path_parameters[path] = parameter
        sql = attribute_value(self.span, parameter)
        return Operand(Kind.JSON, node, ".".join(path), sql=sql, path=path)

    def _arithmetic(self, node: ast.BinOp) -> Operand:
        left, right = self.operand(node.left), self.operand(node.right)
        label = ast.unparse(node)
        texts = (Kind.TEXT, Kind.JSON)
        if (
            isinstance(node.op, ast.Add)
            and Kind.TEXT in (left.kind, right.kind)
            and left.kind in texts
            and right.kind in texts
        ):
            concatenated = f"({self.as_kind(left, Kind.TEXT)} || {self.as_kind(right, Kind.TEXT)})"
            return Operand(Kind.TEXT, node, label, sql=concatenated)
        left_sql, right_sql = self.as_number(left, node), self.as_number(right, node)
        if isinstance(node.op, ast.Div):
            right_sql = f"NULLIF({right_sql}, 0)"  # x / 0 matches nothing rather than failing
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return Operand(Kind.NUMBER, node, label, sql=f"({left_sql} {symbol} {right_sql})")

    def as_number(self, operand: Operand, context: ast.AST) -> str:
        """SQL of ``operand`` as a double precision number, or an error if it is not one."""
        if operand.kind not in (Kind.NUMBER, Kind.JSON):
            raise self.error(
                context, f"arithmetic needs numbers; {operand.describe()} is not a number"
            )
        sql = self.as_kind(operand, Kind.NUMBER)
        return f"CAST({sql} AS double precision)" if operand.integer else sql

    def as_kind(self, operand: Operand, kind: Kind, *, upper: bool = False) -> str:
        """SQL of ``operand`` read as ``kind``: literals become typed parameters (time text is
        parsed), attributes typed reads; ``upper`` upper-cases a text literal."""
        if operand.constant:
            value = operand.value
            if kind is Kind.TIME:
                value = self.time(operand)
            elif kind is Kind.NUMBER:
                value = self.number(operand)
            elif upper and isinstance(value, str):
                value = value.upper()
            return self.bind(value, _SQL_TYPES[kind])
        if operand.kind is Kind.JSON and kind is not Kind.JSON:
            return typed_read(operand.sql, kind.value)
        return operand.sql

    def number(self, operand: Operand) -> float:
        """A numeric literal as the float PostgreSQL compares in double precision."""
        assert isinstance(operand.value, int | float)
        try:
            number = float(operand.value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.error(operand.node, "the number is too large")
        return number

    def time(self, operand: Operand) -> datetime:
        """A text literal read as an ISO 8601 time (UTC when it names no zone)."""
        assert isinstance(operand.value, str)
        try:
            moment = datetime.fromisoformat(operand.value)
        except ValueError:
            raise self.error(
                operand.node,
                f"{operand.label[:60]} is not an ISO 8601 time such as '2025-01-31T12:00:00Z'",
            ) from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _literal(node: ast.Constant) -> Operand:
    value = node.value
    if value is None:
        kind = Kind.NULL
    elif isinstance(value, bool):
        kind = Kind.BOOLEAN
    elif isinstance(value, int | float):
        kind = Kind.NUMBER
    else:
        kind = Kind.TEXT
    label = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return Operand(kind, node, label, constant=True, value=value)


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
