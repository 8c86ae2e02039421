"""A limit on how deeply a query nests fields (Phoenix allows 20), checked before it runs."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)
from graphql.validation import ValidationRule

MAX_QUERY_DEPTH = 20


def selection_depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visited: frozenset[str] = frozenset(),
) -> int:
    """How many fields deep ``selection_set`` nests, through fragments (a cycle counts once)."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            depth = 1 + selection_depth(selection.selection_set, fragments, visited)
        elif isinstance(selection, InlineFragmentNode):
            depth = selection_depth(selection.selection_set, fragments, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visited:
                continue
            depth = selection_depth(fragment.selection_set, fragments, visited | {name})
        else:
            continue
        deepest = max(deepest, depth)
    return deepest


class DepthLimitRule(ValidationRule):
    """Refuses an operation that nests fields deeper than ``MAX_QUERY_DEPTH``."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        """Measure the operation and report it if it is too deep."""
        depth = selection_depth(node.selection_set, self.fragments)
        if depth > MAX_QUERY_DEPTH:
            name = f" '{node.name.value}'" if node.name else ""
            self.report_error(
                GraphQLError(
                    f"Query{name} is {depth} fields deep; the maximum depth is {MAX_QUERY_DEPTH}",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )
            )
