"""Compiling the condition side of a filter: ``and``/``or``/``not``, comparisons, membership,
substrings, ``is None``, annotation existence and root spans.

Comparisons are type-checked at compile time (a number with a number, text with text, a time
with a time or an ISO text), and attributes, whose JSON type is only known per span, are read
typed, so no span can make the SQL fail: a span whose attribute is missing or of another type
simply doesn't match. Where a comparison is not under ``not``, equality on an attribute is
written as containment (:func:`attribute_containment`), which the filter index serves.
"""

from __future__ import annotations

import ast

import orjson

from spyglass_db.filters.attributes import (
    JSON_TYPES,
    attribute_containment,
    attribute_document,
    containment_usable,
)
from spyglass_db.filters.names import ANNOTATION_TABLES, Kind, Operand
from spyglass_db.filters.operands import MAX_DEPTH, OperandCompiler

_SYMBOLS: dict[type[ast.cmpop], str] = {
    ast.Eq: "=",
    ast.NotEq: "<>",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_LIST_TYPES = {Kind.TEXT: "text", Kind.NUMBER: "double precision", Kind.TIME: "timestamptz"}
_EXAMPLE = "e.g. span_kind == 'LLM'"


def root_span_condition(span: str = "s", *, orphans_are_roots: bool = False) -> str:
    """SQL true for root spans of ``span``: no parent, or (``orphans_are_roots``) a parent
    that is not stored in the span's trace."""
    if not orphans_are_roots:
        return f"{span}.parent_id IS NULL"
    parent = f"{span}_parent"
    return (
        f"({span}.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM spans {parent} "
        f"WHERE {parent}.span_id = {span}.parent_id AND {parent}.trace_rowid = {span}.trace_rowid))"
    )


def _kind_of(value: object) -> Kind:
    if isinstance(value, bool):
        return Kind.BOOLEAN
    return Kind.NUMBER if isinstance(value, int | float) else Kind.TEXT


class FilterCompiler(OperandCompiler):
    """Compiles a whole filter expression into one boolean SQL expression."""

    def condition(self, node: ast.AST, *, negated: bool = False) -> str:
        """SQL of a condition; ``negated`` says it sits under an odd number of ``not``."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(node, "the expression is nested too deeply")
            return self._condition(node, negated)
        finally:
            self.depth -= 1

    def _condition(self, node: ast.AST, negated: bool) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = " AND " if isinstance(node.op, ast.And) else " OR "
            parts = [self.condition(value, negated=negated) for value in node.values]
            return f"({joiner.join(parts)})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(NOT {self.condition(node.operand, negated=not negated)})"
        if isinstance(node, ast.Compare):
            return self._comparison(node, negated)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in ANNOTATION_TABLES
        ):
            table, alias, ownership = self.annotation_source(node)
            return f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {ownership})"
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise self.error(node, f"expected a comparison, {_EXAMPLE}, not {node.value}")
        raise self.error(node, f"expected a comparison, {_EXAMPLE}; got {ast.unparse(node)[:60]!r}")

    def _comparison(self, node: ast.Compare, negated: bool) -> str:
        parts: list[str] = []
        left = self.operand(node.left)
        for index, (operator, right_node) in enumerate(
            zip(node.ops, node.comparators, strict=True)
        ):
            if isinstance(operator, ast.In | ast.NotIn) and isinstance(
                right_node, ast.List | ast.Tuple
            ):
                if index + 1 < len(node.ops):
                    raise self.error(right_node, "a list can't be compared further")
                negative = isinstance(operator, ast.NotIn)
                parts.append(self._membership(left, right_node, negative=negative, negated=negated))
                break
            right = self.operand(right_node)
            parts.append(self._pair(left, operator, right, node, negated))
            left = right
        return parts[0] if len(parts) == 1 else f"({' AND '.join(parts)})"

    def _pair(
        self, left: Operand, operator: ast.cmpop, right: Operand, node: ast.Compare, negated: bool
    ) -> str:
        kinds = (left.kind, right.kind)
        null_test = isinstance(operator, ast.Is | ast.IsNot | ast.Eq | ast.NotEq)
        negative = isinstance(operator, ast.IsNot | ast.NotEq)
        if Kind.PARENT in kinds:
            if not (null_test and Kind.NULL in kinds):
                raise self.error(
                    node, "parent_span can only be compared with None: parent_span is None"
                )
            roots = root_span_condition(self.span, orphans_are_roots=True)
            return f"(NOT {roots})" if negative else roots
        if isinstance(operator, ast.Is | ast.IsNot) and Kind.NULL not in kinds:
            raise self.error(node, "'is' only compares with None; use == to compare values")
        if Kind.NULL in kinds:
            if not null_test:
                raise self.error(node, "None is compared with 'is None' or 'is not None'")
            return self._null_test(right if left.kind is Kind.NULL else left, negative)
        if isinstance(operator, ast.In | ast.NotIn):
            contained = self._substring(left, right, node)
            return f"(NOT {contained})" if isinstance(operator, ast.NotIn) else contained
        return self._ordering(left, operator, right, node, negated)

    def _null_test(self, operand: Operand, negative: bool) -> str:
        if operand.kind is Kind.NULL:
            return "FALSE" if negative else "TRUE"
        if operand.constant:
            return "TRUE" if negative else "FALSE"
        if operand.kind is Kind.JSON:
            if negative:
                return f"({operand.sql} IS NOT NULL AND jsonb_typeof({operand.sql}) <> 'null')"
            return f"({operand.sql} IS NULL OR jsonb_typeof({operand.sql}) = 'null')"
        return f"({operand.sql} IS {'NOT ' if negative else ''}NULL)"

    def _common_kind(self, left: Operand, right: Operand, node: ast.AST) -> Kind:
        if left.kind is Kind.JSON or right.kind is Kind.JSON:
            other = right if left.kind is Kind.JSON else left
            if other.kind is Kind.TIME:
                raise self.error(node, f"attributes can't be compared with times ({other.label})")
            return other.kind
        if left.kind == right.kind:
            return left.kind
        for time, other in ((left, right), (right, left)):
            if time.kind is Kind.TIME and other.kind is Kind.TEXT and other.constant:
                return Kind.TIME
        culprit = right.node if right.constant or not left.constant else left.node
        raise self.error(culprit, f"can't compare {left.describe()} with {right.describe()}")

    def _ordering(
        self, left: Operand, operator: ast.cmpop, right: Operand, node: ast.Compare, negated: bool
    ) -> str:
        kind = self._common_kind(left, right, node)
        equality = isinstance(operator, ast.Eq | ast.NotEq)
        if kind is Kind.BOOLEAN and not equality:
            raise self.error(node, "True and False are compared with == or != only")
        if kind is Kind.JSON and not equality:
            kind = Kind.NUMBER  # attribute < attribute: both numbers
        attribute, literal = (left, right) if left.kind is Kind.JSON else (right, left)
        if attribute.kind is Kind.JSON and literal.constant and equality:
            return self._attribute_equals(attribute, literal, operator, negated)
        trace, literal = (left, right) if left.trace_id else (right, left)
        if trace.trace_id and literal.constant and isinstance(operator, ast.Eq):
            return self._trace_ids(self.bind(literal.value, "text"))
        upper = left.upper or right.upper
        left_sql = self.as_kind(left, kind, upper=upper)
        right_sql = self.as_kind(right, kind, upper=upper)
        if upper and not left.constant and not left.upper:
            left_sql = f"upper({left_sql})"
        if upper and not right.constant and not right.upper:
            right_sql = f"upper({right_sql})"
        return f"({left_sql} {_SYMBOLS[type(operator)]} {right_sql})"

    def _attribute_equals(
        self, attribute: Operand, literal: Operand, operator: ast.cmpop, negated: bool
    ) -> str:
        value = self.number(literal) if literal.kind is Kind.NUMBER else literal.value
        document = orjson.dumps(value).decode()
        if isinstance(operator, ast.NotEq):
            json_type = JSON_TYPES[literal.kind.value]
            return (
                f"(jsonb_typeof({attribute.sql}) = '{json_type}' AND "
                f"{attribute.sql} <> {self.bind(document, 'jsonb')})"
            )
        if negated or not containment_usable(attribute.path):
            # under 'not' a missing attribute must stay unknown (NULL), as Phoenix's SQL does
            return f"({attribute.sql} = {self.bind(document, 'jsonb')})"
        parameter = self.parameter(attribute_document(attribute.path, value))
        return attribute_containment(self.span, attribute.path, parameter)

    def _trace_ids(self, wanted: str, *, many: bool = False) -> str:
        alias = self.alias("trace")
        test = f"= ANY({wanted})" if many else f"= {wanted}"
        return (
            f"({self.span}.trace_rowid IN (SELECT {alias}.id FROM traces {alias} "
            f"WHERE {alias}.trace_id {test}))"
        )

    def _substring(self, needle: Operand, haystack: Operand, node: ast.Compare) -> str:
        if haystack.kind is Kind.TEXT:
            if needle.kind not in (Kind.TEXT, Kind.JSON):
                raise self.error(node, f"'in' a text needs a text; {needle.describe()} is not")
            upper = haystack.upper
            text = self.as_kind(needle, Kind.TEXT, upper=upper)
            return f"(strpos({haystack.sql}, {text}) > 0)"
        if haystack.kind is not Kind.JSON:
            raise self.error(
                node,
                "'in' needs a list, a text or an attribute on its right; "
                f"{haystack.describe()} is none of them",
            )
        if needle.kind in (Kind.JSON, Kind.TIME):
            raise self.error(
                node, f"'in' an attribute needs a value or text; got {needle.describe()}"
            )
        array = (
            self.bind(orjson.dumps([self._json_value(needle)]).decode(), "jsonb")
            if needle.constant
            else f"jsonb_build_array({needle.sql})"
        )
        branches = f"WHEN 'array' THEN {haystack.sql} @> {array}"
        if needle.kind is Kind.TEXT:
            text = self.as_kind(needle, Kind.TEXT)
            branches = (
                f"WHEN 'string' THEN strpos({haystack.sql} #>> '{{}}', {text}) > 0 {branches}"
            )
        return f"(CASE jsonb_typeof({haystack.sql}) {branches} END)"

    def _json_value(self, literal: Operand) -> object:
        return self.number(literal) if literal.kind is Kind.NUMBER else literal.value

    def _membership(
        self, left: Operand, items: ast.List | ast.Tuple, *, negative: bool, negated: bool
    ) -> str:
        if left.kind in (Kind.NULL, Kind.PARENT) or left.constant:
            raise self.error(
                left.node, "'in' a list needs a span value on its left, e.g. span_kind"
            )
        literals = [self.operand(item) for item in items.elts]
        for literal in literals:
            if not literal.constant or literal.kind is Kind.NULL:
                raise self.error(literal.node, "list items are text, numbers, True or False")
        if not literals:
            return "TRUE" if negative else "FALSE"
        if left.kind is Kind.JSON:
            return self._attribute_membership(left, literals, negative=negative, negated=negated)
        for literal in literals:
            self._common_kind(left, literal, literal.node)
        if left.kind is Kind.BOOLEAN:
            raise self.error(items, "True and False are compared with == or != only")
        values: list[object]
        if left.kind is Kind.TIME:
            values = [self.time(literal) for literal in literals]
        elif left.kind is Kind.NUMBER:
            values = [self.number(literal) for literal in literals]
        else:
            values = [
                str(literal.value).upper() if left.upper else literal.value for literal in literals
            ]
        wanted = self.bind(values, f"{_LIST_TYPES[left.kind]}[]")
        member = (
            self._trace_ids(wanted, many=True) if left.trace_id else f"({left.sql} = ANY({wanted}))"
        )
        return f"(NOT {member})" if negative else member

    def _attribute_membership(
        self, left: Operand, literals: list[Operand], *, negative: bool, negated: bool
    ) -> str:
        values = [self._json_value(literal) for literal in literals]
        if not negative and not negated and containment_usable(left.path):
            documents = [attribute_document(left.path, value) for value in values]
            return attribute_containment(
                self.span, left.path, self.parameter(documents), any_of=True
            )
        wanted = self.bind([orjson.dumps(value).decode() for value in values], "jsonb[]")
        if not negative:
            return f"({left.sql} = ANY({wanted}))"
        # only spans whose attribute has the type of a listed value can be "not in" the list
        types = ", ".join(sorted({f"'{JSON_TYPES[literal.kind.value]}'" for literal in literals}))
        return f"(jsonb_typeof({left.sql}) IN ({types}) AND NOT ({left.sql} = ANY({wanted})))"
