"""GraphQL: the projects list and lookups, project stats and time series."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

pytestmark = pytest.mark.slow

STATS = """query ($name: String, $range: TimeRange) { project(name: $name) {
  stats(timeRange: $range) {
  traceCount spanCount latencyMsP50 latencyMsP99 tokenCountPrompt tokenCountCompletion
  tokenCountTotal costTotal errorRate } } }"""

SERIES = """query ($range: TimeRange!, $interval: Int!) { project(name: "support") {
  timeSeries(timeRange: $range, interval: $interval) { timestamp traceCount errorCount
    latencyMsP50 latencyMsP90 latencyMsP99 tokenCountTotal costTotal } } }"""


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_projects_page_by_page_with_rest_ids(graphql_api: Any, support_project: str) -> None:
    query = """query ($after: String) { projects(first: 2, after: $after) {
      edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""

    first = (await graphql_api.query(query))["data"]["projects"]
    second = (await graphql_api.query(query, after=first["pageInfo"]["endCursor"]))["data"][
        "projects"
    ]

    assert [edge["node"]["name"] for edge in first["edges"]] == ["other", "support"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["name"] for edge in second["edges"]] == ["default"]
    assert second["pageInfo"]["hasNextPage"] is False
    rest = (await graphql_api.client.get("/v1/projects")).json()["data"]
    assert {p["name"]: p["id"] for p in rest} == {
        edge["node"]["name"]: edge["node"]["id"] for edge in first["edges"] + second["edges"]
    }


async def test_experiments_projects_are_listed_only_when_asked_for(graphql_api: Any) -> None:
    client = graphql_api.client
    upload = await client.post(
        "/v1/datasets/upload?sync=true",
        json={"action": "create", "name": "qa", "inputs": [{"q": "hi"}]},
    )
    dataset = upload.json()["data"]["dataset_id"]
    experiment = (await client.post(f"/v1/datasets/{dataset}/experiments", json={})).json()
    project_name = experiment["data"]["project_name"]
    query = """query ($all: Boolean) { projects(includeExperimentProjects: $all) {
      edges { node { name } } } }"""

    default = (await graphql_api.query(query))["data"]["projects"]["edges"]
    everything = (await graphql_api.query(query, all=True))["data"]["projects"]["edges"]

    assert project_name not in [edge["node"]["name"] for edge in default]
    assert project_name in [edge["node"]["name"] for edge in everything]


async def test_project_by_id_or_name_and_unknown_ones_are_null(
    graphql_api: Any, support_project: str
) -> None:
    query = "query ($id: ID, $name: String) { project(id: $id, name: $name) { id name } }"
    by_name = (await graphql_api.query(query, name="support"))["data"]["project"]

    by_id = (await graphql_api.query(query, id=by_name["id"]))["data"]["project"]

    assert by_id == by_name == {"id": by_name["id"], "name": "support"}
    assert (await graphql_api.query(query, name="nope"))["data"]["project"] is None
    assert (await graphql_api.query(query, id="UHJvamVjdDo5OTk="))["data"]["project"] is None
    assert (await graphql_api.query(query, id="not-a-global-id"))["data"]["project"] is None


async def test_project_needs_exactly_one_identifier(graphql_api: Any) -> None:
    query = "query ($id: ID, $name: String) { project(id: $id, name: $name) { id } }"
    for variables in ({}, {"id": "UHJvamVjdDox", "name": "default"}):
        error = _error(await graphql_api.query(query, **variables))
        assert error["message"] == "Give exactly one of id or name"
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id or name"}


async def test_first_is_capped_and_negative_first_is_refused(
    graphql_api: Any, database_url: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO projects (name) SELECT 'bulk-' || n FROM generate_series(1, 1001) n"
        )
    finally:
        await connection.close()
    query = (
        "query ($first: Int) { projects(first: $first) {"
        " edges { cursor } pageInfo { hasNextPage } } }"
    )

    capped = (await graphql_api.query(query, first=1_000_000))["data"]["projects"]
    negative = _error(await graphql_api.query(query, first=-1))

    assert len(capped["edges"]) == 1000
    assert capped["pageInfo"]["hasNextPage"] is True
    assert negative["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    assert "-1" in negative["message"]


async def test_garbage_cursor_names_after(graphql_api: Any) -> None:
    for cursor in ("garbage", "WyJpZCJd", "eyJhIjogMX0="):
        error = _error(
            await graphql_api.query(f'{{ projects(after: "{cursor}") {{ edges {{ cursor }} }} }}')
        )
        assert error["extensions"]["argument"] == "after"
        assert "cursor" in error["message"]


async def test_stats_of_a_project(graphql_api: Any, support_project: str) -> None:
    stats = (await graphql_api.query(STATS, name="support"))["data"]["project"]["stats"]

    assert stats == {
        "traceCount": 3,
        "spanCount": 5,
        "latencyMsP50": 2000.0,
        "latencyMsP99": pytest.approx(2980.0),
        "tokenCountPrompt": 110.0,
        "tokenCountCompletion": 25.0,
        "tokenCountTotal": 135.0,
        "costTotal": pytest.approx(0.6),
        "errorRate": pytest.approx(1 / 3),
    }


async def test_stats_within_a_time_range(graphql_api: Any, support_project: str) -> None:
    later = {"start": "2026-11-01T12:00:30Z", "end": "2026-11-01T13:00:00Z"}
    empty = {"start": "2026-10-01T00:00:00Z", "end": "2026-10-02T00:00:00Z"}

    stats = (await graphql_api.query(STATS, name="support", range=later))["data"]["project"]
    nothing = (await graphql_api.query(STATS, name="support", range=empty))["data"]["project"]

    assert stats["stats"]["traceCount"] == 2
    assert stats["stats"]["tokenCountTotal"] == 15.0
    assert stats["stats"]["costTotal"] == pytest.approx(0.1)
    assert stats["stats"]["errorRate"] == 0.0
    assert nothing["stats"]["traceCount"] == 0
    assert nothing["stats"]["errorRate"] is None
    assert nothing["stats"]["latencyMsP50"] is None


async def test_time_range_that_ends_before_it_starts(
    graphql_api: Any, support_project: str
) -> None:
    backwards = {"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}

    error = _error(await graphql_api.query(STATS, name="support", range=backwards))

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "timeRange"}
    assert "before timeRange.start" in error["message"]


async def test_malformed_datetime_is_refused(graphql_api: Any) -> None:
    error = _error(await graphql_api.query(STATS, name="support", range={"start": "yesterday"}))

    assert "yesterday" in error["message"]
    assert "ISO 8601" in error["message"]


async def test_time_series_buckets_empty_ones_included(
    graphql_api: Any, support_project: str
) -> None:
    four_minutes = {"start": "2026-11-01T12:00:00Z", "end": "2026-11-01T12:04:00Z"}

    series = (await graphql_api.query(SERIES, range=four_minutes, interval=60))["data"]
    buckets = series["project"]["timeSeries"]

    assert [bucket["timestamp"] for bucket in buckets] == [
        f"2026-11-01T12:0{minute}:00+00:00" for minute in range(4)
    ]
    assert [bucket["traceCount"] for bucket in buckets] == [1, 1, 1, 0]
    assert [bucket["errorCount"] for bucket in buckets] == [1, 0, 0, 0]
    assert [bucket["tokenCountTotal"] for bucket in buckets] == [120.0, 15.0, 0.0, 0.0]
    assert [bucket["costTotal"] for bucket in buckets] == pytest.approx([0.5, 0.1, 0.0, 0.0])
    assert [bucket["latencyMsP50"] for bucket in buckets] == [3000.0, 2000.0, 1000.0, None]


async def test_time_series_refuses_open_ranges_and_too_many_buckets(
    graphql_api: Any, support_project: str
) -> None:
    day = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"}

    too_many = _error(await graphql_api.query(SERIES, range=day, interval=1))
    open_range = _error(await graphql_api.query(SERIES, range={"start": day["start"]}, interval=60))
    zero = _error(await graphql_api.query(SERIES, range=day, interval=0))

    assert too_many["extensions"]["argument"] == "interval"
    assert "86400 buckets" in too_many["message"]
    assert open_range["extensions"]["argument"] == "timeRange"
    assert zero["extensions"]["argument"] == "interval"


SCORES = """query ($range: TimeRange!, $interval: Int!) { project(name: "support") {
  scoreSeries(timeRange: $range, interval: $interval) { name points { timestamp count scoreMean }
  } } }"""


async def test_score_series_means_each_annotation_name_per_bucket(
    graphql_api: Any, support_project: str
) -> None:
    client = graphql_api.client
    spans = await client.post(
        "/v1/span_annotations?sync=true",
        json={
            "data": [
                {"span_id": span, "name": "correctness", "annotator_kind": "LLM", "result": result}
                for span, result in [
                    ("a000000000000001", {"score": 1.0, "label": "correct"}),
                    ("a000000000000002", {"score": 0.0, "label": "incorrect"}),
                    ("b000000000000001", {"score": 0.0, "label": "incorrect"}),
                    ("c000000000000001", {"label": "unsure"}),
                ]
            ]
        },
    )
    traces = await client.post(
        "/v1/trace_annotations?sync=true",
        json={
            "data": [
                {
                    "trace_id": "b" * 32,
                    "name": "helpful",
                    "annotator_kind": "HUMAN",
                    "result": {"score": 0.5},
                }
            ]
        },
    )
    assert spans.status_code == 200 and traces.status_code == 200
    four_minutes = {"start": "2026-11-01T12:00:00Z", "end": "2026-11-01T12:04:00Z"}

    body = await graphql_api.query(SCORES, range=four_minutes, interval=60)

    series = {item["name"]: item["points"] for item in body["data"]["project"]["scoreSeries"]}
    assert series == {
        "correctness": [
            {"timestamp": "2026-11-01T12:00:00+00:00", "count": 2, "scoreMean": 0.5},
            {"timestamp": "2026-11-01T12:01:00+00:00", "count": 1, "scoreMean": 0.0},
            {"timestamp": "2026-11-01T12:02:00+00:00", "count": 1, "scoreMean": None},
        ],
        "helpful": [{"timestamp": "2026-11-01T12:01:00+00:00", "count": 1, "scoreMean": 0.5}],
    }
    too_many = _error(
        await graphql_api.query(
            SCORES,
            range={"start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"},
            interval=1,
        )
    )
    assert too_many["extensions"]["argument"] == "interval"
