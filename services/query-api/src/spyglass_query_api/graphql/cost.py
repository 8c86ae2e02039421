"""A limit on what a query may cost the database, checked before it runs.

Depth alone doesn't bound the work: 1,000 aliases of ``stats`` in a query 3 fields deep held
PostgreSQL for 30 s. The cost of a query is what its statements will do:

* A field that runs a statement of its own each time it resolves (the figures and lists of a
  project, a trace's outline, the root lookups) costs its weight in :data:`FIELD_COSTS`, once
  per alias, times the number of times it resolves: the product of the sizes of the lists
  around it. A connection's size is its ``first`` (default 50, capped at 1,000, as the
  resolvers cap it); any other list counts as :data:`LIST_SIZE` items.
* Every other field reads through DataLoaders (one statement per request however many rows
  ask) or from a row already read, and costs nothing here.

A query costing more than :data:`MAX_QUERY_COST` is refused with ``QUERY_TOO_COSTLY``, naming
its cost and the limit. The UI's heaviest query, 24 project cards with their ``stats``, costs
241.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.validation import ValidationRule

from spyglass_query_api.graphql.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_QUERY_COST = 1000
"""The most a query may cost (:data:`FIELD_COSTS` times list sizes)."""

LIST_SIZE = MAX_PAGE_SIZE
"""How many items a list without ``first`` is counted as (a trace's spans, a session's turns)."""

FIELD_COSTS: dict[tuple[str, str], int] = {
    ("Query", "projects"): 1,
    ("Query", "project"): 1,
    ("Query", "trace"): 1,
    ("Query", "span"): 1,
    ("Query", "session"): 1,
    ("Project", "traces"): 2,
    ("Project", "spans"): 2,
    ("Project", "sessions"): 2,
    ("Project", "stats"): 10,
    ("Project", "timeSeries"): 10,
    ("Trace", "outline"): 10,
    ("Query", "datasets"): 1,
    ("Query", "dataset"): 1,
    ("Dataset", "examples"): 2,
    ("Dataset", "versions"): 2,
    ("Dataset", "example"): 1,
    ("Dataset", "exampleCount"): 1,
    ("DatasetVersionDiff", "changes"): 2,
    ("Dataset", "versionDiff"): 2,
    ("Query", "experiment"): 1,
    ("Query", "experiments"): 1,
    ("Query", "compareExperiments"): 2,
    ("Dataset", "experiments"): 2,
    ("Experiment", "runs"): 2,
    ("Query", "prompts"): 1,
    ("Query", "prompt"): 1,
    ("Query", "promptVersion"): 1,
    ("Prompt", "promptVersions"): 2,
}
"""Weights of the fields that run a statement of their own each time they resolve: aggregates
over a project's time range and a trace's whole outline weigh 10, a page of a list 2, a
lookup 1."""


class _Costing:
    """Adds up the cost of one operation, through its fragments."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        type_of: Callable[[str], GraphQLNamedType | None],
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.type_of = type_of

    def page_size(self, field: FieldNode) -> int:
        """The ``first`` a connection field asks for, as its resolver will read it."""
        argument = next((a for a in field.arguments or () if a.name.value == "first"), None)
        value: Any = None
        if argument is not None:
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_PAGE_SIZE
        return max(0, min(value, MAX_PAGE_SIZE))

    def fanout(self, field: FieldNode, definition: GraphQLField, parent: GraphQLObjectType) -> int:
        """How many items each resolution of ``field`` yields for its sub-selection."""
        if parent.name.endswith("Connection"):
            return 1  # a connection's edges: its page size was counted on the connection
        if "first" in definition.args:
            return self.page_size(field)
        if is_list_type(get_nullable_type(definition.type)):
            return LIST_SIZE
        return 1

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        times: int,
        visited: frozenset[str] = frozenset(),
    ) -> int:
        """The cost of ``selection_set`` on ``parent``, resolved ``times`` times."""
        if selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = parent.fields.get(selection.name.value)
                if definition is None:
                    continue  # unknown (or introspection) fields: validation reports them
                weight = FIELD_COSTS.get((parent.name, selection.name.value), 0)
                total += weight * times
                total += self.cost(
                    selection.selection_set,
                    get_named_type(definition.type),
                    times * self.fanout(selection, definition, parent),
                    visited,
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.type_of(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target, times, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visited:
                    continue
                target = self.type_of(fragment.type_condition.name.value)
                total += self.cost(fragment.selection_set, target, times, visited | {name})
        return total


def query_cost(
    context: ValidationContext, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> int:
    """What ``operation`` would cost the database (see the module's docstring)."""
    fragments = {
        definition.name.value: definition
        for definition in context.document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    costing = _Costing(fragments, variables, context.schema.get_type)
    return costing.cost(operation.selection_set, context.schema.query_type, 1)


def cost_limit_rule(variables: Mapping[str, Any]) -> type[ASTValidationRule]:
    """A validation rule refusing operations that cost more than :data:`MAX_QUERY_COST`."""

    class CostLimitRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = query_cost(self.context, node, variables)
            if cost > MAX_QUERY_COST:
                name = f" '{node.name.value}'" if node.name else ""
                self.report_error(
                    GraphQLError(
                        f"Query{name} costs {cost}; the limit is {MAX_QUERY_COST} (stats, "
                        "timeSeries and outline cost 10, each list page 2, times the page "
                        "size of every list around them): ask for fewer aliases or smaller pages",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost,
                                    "limit": MAX_QUERY_COST},
                    )
                )  # fmt: skip

    return CostLimitRule
