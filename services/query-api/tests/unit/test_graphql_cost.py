"""The GraphQL cost limit: what a query costs, and that a costly one is refused before it runs."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, validate

from spyglass_query_api.graphql import executable_schema
from spyglass_query_api.graphql.cost import MAX_QUERY_COST, cost_limit_rule

UI_PROJECT_CARDS = """
query ProjectCards($first: Int, $after: String, $timeRange: TimeRange) {
  projects(first: $first, after: $after) {
    edges { node { id name stats(timeRange: $timeRange) { traceCount latencyMsP50 } } }
  }
}
"""


def errors(document: str, **variables: Any) -> list[dict[str, Any]]:
    found = validate(executable_schema(), parse(document), [cost_limit_rule(variables)])
    return [error.formatted for error in found]


@pytest.mark.parametrize(
    ("document", "variables", "cost"),
    [
        ('{ project(name: "p") { s0: stats { traceCount } s1: stats { traceCount } } }', {}, 21),
        (UI_PROJECT_CARDS, {"first": 24}, 1 + 24 * 10),
        (UI_PROJECT_CARDS, {}, 1 + 50 * 10),  # no `first`: the resolvers' default page
        ("{ projects(first: 100000) { edges { node { stats { traceCount } } } } }", {},
         1 + 1000 * 10),  # capped as the resolver caps it
        ('{ trace(traceId: "t") { spans { trace { outline } } } }', {}, 1 + 1000 * 10),
        (('{ project(name: "p") { traces(first: 10) { edges { node { spans { spanId } '
         "annotations { name } } } } } }"), {}, 1 + 2),  # DataLoader fields cost nothing
        (("fragment F on Project { stats { traceCount } } "
         '{ project(name: "p") { ...F ... on Project { timeSeries(timeRange: {}, interval: 60) '
         "{ traceCount } } } }"), {}, 21),
    ],
)  # fmt: skip
def test_cost_of_a_query(document: str, variables: dict[str, Any], cost: int) -> None:
    found = errors(document, **variables)

    if cost <= MAX_QUERY_COST:
        assert found == []
    else:
        [error] = found
        assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": 1000}


def test_a_refusal_names_the_operation_cost_and_limit() -> None:
    aliases = " ".join(f"s{n}: stats {{ traceCount }}" for n in range(200))

    [error] = errors(f'query Heavy {{ project(name: "p") {{ {aliases} }} }}')

    assert error["message"] == (
        "Query 'Heavy' costs 2001; the limit is 1000 (stats, timeSeries and outline cost 10, "
        "each list page 2, times the page size of every list around them): ask for fewer "
        "aliases or smaller pages"
    )


def test_cyclic_fragments_are_costed_once() -> None:
    document = (
        "fragment A on Project { stats { traceCount } ...B } "
        "fragment B on Project { ...A } "
        '{ project(name: "p") { ...A } }'
    )

    assert errors(document) == []
