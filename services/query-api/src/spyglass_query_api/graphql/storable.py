"""Arguments PostgreSQL can't hold are refused before a query runs, naming the argument.

A NUL character in any string an argument carries (written in the query or passed in a
variable, at any depth of an input object or list) is refused with ``BAD_USER_INPUT`` and
``extensions.argument``: "`nameContains` must not contain NUL characters". Checking every
argument here, rather than in each resolver, covers fields added later too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from graphql.validation import ValidationRule

from spyglass_core.storable import has_nul, walk_json


def _holds_nul(value: Any) -> bool:
    """Whether a variable's value holds a NUL in any string or key."""
    return any(
        any(has_nul(key) for key in item if isinstance(key, str))
        if isinstance(item, dict)
        else isinstance(item, str) and has_nul(item)
        for _, item, _ in walk_json(value)
    )


def _node_holds_nul(node: ValueNode, variables: Mapping[str, Any]) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, StringValueNode):
            if has_nul(item.value):
                return True
        elif isinstance(item, VariableNode):
            if _holds_nul(variables.get(item.name.value)):
                return True
        elif isinstance(item, ListValueNode):
            stack.extend(item.values)
        elif isinstance(item, ObjectValueNode):
            stack.extend(field.value for field in item.fields)
    return False


def storable_arguments_rule(variables: Mapping[str, Any]) -> type[ASTValidationRule]:
    """A validation rule refusing arguments that hold NUL characters."""

    class StorableArgumentsRule(ValidationRule):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if _node_holds_nul(node.value, variables):
                name = node.name.value
                self.report_error(
                    GraphQLError(
                        f"`{name}` must not contain NUL characters",
                        node,
                        extensions={"code": "BAD_USER_INPUT", "argument": name},
                    )
                )

    return StorableArgumentsRule
