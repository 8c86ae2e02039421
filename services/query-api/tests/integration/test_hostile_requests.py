"""The catalogue of hostile requests: each one, the exact status and message it gets.

Every case here was a 500 (or an ``Internal error``) once, or guards a rule of
``spyglass_core.storable``: NUL characters, names past ``MAX_NAME_LENGTH``, numbers outside
``bigint`` / ``integer`` or not finite, JSON nested past ``MAX_JSON_DEPTH``, GlobalIDs that are
not ASCII digits within ``bigint``, time ranges past what a span can hold, and GraphQL requests
that would cost the database more than the cost limit.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient

BIGINT_RANGE = "between -9223372036854775808 and 9223372036854775807"


def global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def nested(depth: int) -> dict[str, Any]:
    """An object ``depth`` levels deep: ``{"k": {"k": ... {"k": 1}}}``."""
    value: dict[str, Any] = {"k": 1}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def detail(response: httpx.Response) -> tuple[int, list[str], str]:
    """(status, loc, msg) of a 422 in FastAPI's shape."""
    [item] = response.json()["detail"]
    return response.status_code, item["loc"], item["msg"]


async def post_json(api: Client, url: str, body: Any) -> httpx.Response:
    """POST a body as JSON text (httpx's ``json=`` would refuse NaN, and so do clients)."""
    return await api.post(
        url, content=json.dumps(body), headers={"content-type": "application/json"}
    )


def span_annotation(**fields: Any) -> dict[str, Any]:
    return {"data": [{"name": "quality", "annotator_kind": "HUMAN", "span_id": "a000000000000001",
                      **fields}]}  # fmt: skip


# --- NUL characters: refused wherever they are, naming the parameter or field ----------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/v1/projects?name_contains=a%00b", "name_contains"),
        ("/v1/projects/support/spans?name=a%00b", "name"),
        ("/v1/projects/support/spans?attribute=tier%3Agold%00", "attribute"),
        ("/v1/projects/support/span_annotations?span_ids=a%00", "span_ids"),
        ("/v1/projects/support/span_annotations?span_ids=a&identifier=x%00", "identifier"),
        ("/v1/projects/support/traces?session_identifier=chat%00", "session_identifier"),
    ],
)
async def test_nul_in_a_query_parameter_is_refused(
    api: Client, support_project: str, url: str, parameter: str
) -> None:
    response = await api.get(url)

    assert detail(response) == (
        422, ["query", parameter], f"`{parameter}` must not contain NUL characters"
    )  # fmt: skip


async def test_nul_in_a_delete_filter_is_refused(api: Client, support_project: str) -> None:
    response = await api.delete("/v1/projects/support/span_annotations?name=a%00&delete_all=true")

    assert detail(response) == (422, ["query", "name"], "`name` must not contain NUL characters")


@pytest.mark.parametrize(
    "url",
    ["/v1/projects/a%00b", "/v1/sessions/a%00b", "/v1/projects/a%00b/spans"],
)
async def test_nul_in_a_path_parameter_is_refused(api: Client, url: str) -> None:
    response = await api.get(url)

    status, loc, message = detail(response)
    assert status == 422
    assert loc[0] == "path"
    assert message == f"`{loc[1]}` must not contain NUL characters"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/v1/projects", {"name": "a\x00b"}, "name"),
        ("/v1/projects", {"name": "ok", "description": "a\x00b"}, "description"),
        ("/v1/span_annotations?sync=true", span_annotation(name="a\x00"), "data.0.name"),
        ("/v1/span_annotations?sync=true", span_annotation(result={"label": "x\x00"}),
         "data.0.result.label"),
        ("/v1/span_annotations?sync=true", span_annotation(metadata={"k": ["x\x00"]}),
         "data.0.metadata.k.0"),
        ("/v1/span_notes", {"data": {"span_id": "a000000000000001", "note": "a\x00b"}},
         "data.note"),
        ("/v1/sessions/delete", {"session_identifiers": ["chat\x00"]}, "session_identifiers.0"),
        ("/v1/annotation_configs", {"type": "FREEFORM", "name": "x\x00"}, "name"),
    ],
)  # fmt: skip
async def test_nul_in_a_body_field_is_refused(
    api: Client, support_project: str, url: str, body: Any, field: str
) -> None:
    response = await post_json(api, url, body)

    assert detail(response) == (
        422, ["body", *field.split(".")], f"`{field}` must not contain NUL characters"
    )  # fmt: skip


async def test_nul_in_a_body_sent_without_a_json_content_type_is_refused(
    api: Client, support_project: str
) -> None:
    # litestar reads the body as JSON whatever its content type says; the guard does too
    response = await api.put(
        "/v1/projects/support",
        content=json.dumps({"description": "a\x00"}),
        headers={"content-type": "text/plain"},
    )

    assert detail(response) == (
        422, ["body", "description"], "`description` must not contain NUL characters"
    )  # fmt: skip


async def test_nul_in_a_metadata_key_is_refused(api: Client, support_project: str) -> None:
    body = span_annotation(metadata={"a\x00": 1})

    response = await post_json(api, "/v1/span_annotations?sync=true", body)

    assert detail(response) == (
        422,
        ["body", "data", "0", "metadata", "a\\x00"],
        "`data.0.metadata` must not hold a key with NUL characters",
    )


# --- numbers: finite, and within the column's range ----------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "Infinity"])
async def test_a_float_parameter_must_be_finite(
    api: Client, support_project: str, value: str
) -> None:
    response = await api.get(f"/v1/projects/support/traces?min_latency_ms={value}")

    assert detail(response) == (
        422, ["query", "min_latency_ms"], f"`min_latency_ms` must be a finite number, got {value!r}"
    )  # fmt: skip


async def test_a_latency_bound_past_any_duration_is_refused(
    api: Client, support_project: str
) -> None:
    response = await api.get("/v1/projects/support/traces?max_latency_ms=1e300")

    assert detail(response) == (
        422,
        ["query", "max_latency_ms"],
        "`max_latency_ms` must be at most 86400000000000000, got 1e+300",
    )


async def test_an_integer_parameter_must_fit_a_bigint(api: Client, support_project: str) -> None:
    response = await api.get("/v1/projects?limit=99999999999999999999")

    assert detail(response) == (
        422, ["query", "limit"], f"`limit` must be an integer {BIGINT_RANGE}"
    )  # fmt: skip


async def test_a_document_position_must_fit_an_integer(api: Client, support_project: str) -> None:
    body = {"data": [{"name": "relevance", "annotator_kind": "HUMAN",
                      "span_id": "a000000000000003", "document_position": 2**63}]}  # fmt: skip

    response = await post_json(api, "/v1/document_annotations?sync=true", body)
    smaller = await post_json(
        api, "/v1/document_annotations?sync=true",
        {"data": [{**body["data"][0], "document_position": 2**31}]},
    )  # fmt: skip

    assert detail(response) == (
        422,
        ["body", "data", "0", "document_position"],
        f"`data.0.document_position` must be an integer {BIGINT_RANGE}",
    )
    # litestar drops the body's leading "data" from a model error's loc (it takes it for the
    # handler's ``data`` argument); the message says the rule.
    assert detail(smaller)[0] == 422
    assert "less than or equal to 2147483647" in detail(smaller)[2]


@pytest.mark.parametrize(
    ("value", "message"),
    [(1e999, "must be a finite number"), (10**20, f"must be an integer {BIGINT_RANGE}")],
)
async def test_metadata_numbers_must_be_storable(
    api: Client, support_project: str, value: Any, message: str
) -> None:
    body = json.dumps(span_annotation(metadata={"n": 0})).replace('"n": 0', f'"n": {value}')

    response = await api.post(
        "/v1/span_annotations?sync=true",
        content=body.replace("inf", "1e999"),
        headers={"content-type": "application/json"},
    )

    if value == 1e999:  # JSON's parser refuses a number it can't represent: a plain 400
        assert response.status_code == 400
        assert "Number out of range" in response.text
    else:
        assert detail(response) == (
            422, ["body", "data", "0", "metadata", "n"], f"`data.0.metadata.n` {message}"
        )  # fmt: skip


# --- nesting -------------------------------------------------------------------------------


async def test_metadata_nested_600_deep_is_refused(api: Client, support_project: str) -> None:
    response = await post_json(
        api, "/v1/span_annotations?sync=true", span_annotation(metadata=nested(600))
    )

    assert detail(response) == (
        422,
        ["body", "data", "0", "metadata"],
        "`data.0.metadata` must not nest objects and arrays deeper than 100 levels",
    )


async def test_metadata_nested_within_the_limit_is_stored(
    api: Client, support_project: str
) -> None:
    # The body's own object, the list and the annotation take three of the 100 levels.
    response = await post_json(
        api, "/v1/span_annotations?sync=true", span_annotation(metadata=nested(97))
    )

    assert response.status_code == 200, response.text


async def test_a_body_deeper_than_the_parser_takes_is_refused(api: Client) -> None:
    response = await api.post(
        "/v1/projects", content=b"[" * 5000 + b"]" * 5000,
        headers={"content-type": "application/json"},
    )  # fmt: skip

    assert detail(response) == (
        422, ["body"], "`body` must not nest objects and arrays deeper than 100 levels"
    )  # fmt: skip


async def test_an_annotation_config_nested_too_deep_is_refused(api: Client) -> None:
    body = {
        "type": "CATEGORICAL",
        "name": "tone",
        "optimization_direction": "NONE",
        "values": [{"label": "x", "score": 1}],
        "extra": nested(200),
    }

    response = await post_json(api, "/v1/annotation_configs", body)

    assert detail(response)[:2] == (422, ["body", "extra", "k", "k"])


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/v1/projects", {"name": "x" * 10_000}, "name"),
        ("/v1/span_annotations?sync=true", span_annotation(name="x" * 10_000), "name"),
        ("/v1/span_annotations?sync=true", span_annotation(identifier="x" * 10_000),
         "identifier"),
        ("/v1/span_notes",
         {"data": {"span_id": "a000000000000001", "note": "n", "identifier": "x" * 10_000}},
         "identifier"),
        ("/v1/annotation_configs", {"type": "FREEFORM", "name": "x" * 10_000}, "name"),
    ],
)  # fmt: skip
async def test_a_name_over_the_limit_is_refused(
    api: Client, support_project: str, url: str, body: Any, field: str
) -> None:
    response = await post_json(api, url, body)

    status, loc, message = detail(response)
    assert (status, loc[0], loc[-1]) == (422, "body", field)
    assert message == f"`{field}` must be at most 256 characters, got 10000"


async def test_a_name_at_the_limit_is_stored(api: Client) -> None:
    response = await post_json(api, "/v1/projects", {"name": "x" * 256})

    assert response.status_code == 200


# --- GlobalIDs and cursors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/projects/{global_id('Project:' + '9' * 19)}",
        f"/v1/sessions/{global_id('ProjectSession:' + '9' * 19)}",
        f"/v1/annotation_configs/{global_id('CategoricalAnnotationConfig:' + '9' * 19)}",
    ],
)
async def test_a_global_id_past_bigint_names_nothing(api: Client, url: str) -> None:
    response = await api.get(url)

    assert response.status_code == 404
    assert url.rsplit("/", 1)[1] in response.text


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/spans/{global_id('Span:' + '9' * 19)}",
        f"/v1/traces/{global_id('Trace:' + '9' * 19)}",
    ],
)
async def test_deleting_by_a_global_id_past_bigint_names_nothing(api: Client, url: str) -> None:
    response = await api.delete(url)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "cursor"),
    [
        ("/v1/projects", global_id("Project:" + "9" * 19)),
        ("/v1/projects/support/traces", global_id("Trace:" + "9" * 19)),
        ("/v1/projects/support/sessions", global_id("ProjectSession:" + "9" * 30)),
    ],
)
async def test_a_cursor_past_bigint_is_refused(
    api: Client, support_project: str, url: str, cursor: str
) -> None:
    response = await api.get(url, params={"cursor": cursor})

    assert detail(response) == (422, ["query", "cursor"], f"Invalid cursor: {cursor!r}")


@pytest.mark.parametrize("decoded", ["Project:1\n", "Project:\u0661", "Project:\uff11"])
async def test_global_ids_are_ascii_digits_only(api: Client, decoded: str) -> None:
    identifier = global_id(decoded)

    response = await api.get(f"/v1/projects/{identifier}")

    assert response.status_code == 404
    assert response.text == f"Project with identifier {identifier} not found"


async def test_a_project_named_like_a_global_id_is_reachable(api: Client) -> None:
    name = global_id("Project:4242")
    await post_json(api, "/v1/projects", {"name": name})

    response = await api.get(f"/v1/projects/{name}")

    assert response.json()["data"]["name"] == name


async def test_a_project_whose_name_holds_a_slash_is_reachable(api: Client) -> None:
    await post_json(api, "/v1/projects", {"name": "team/search"})

    found = await api.get("/v1/projects/team%2Fsearch")
    spans = await api.get("/v1/projects/team%2Fsearch/spans")
    deleted = await api.delete("/v1/projects/team%2Fsearch")

    assert found.json()["data"]["name"] == "team/search"
    assert spans.status_code == 200
    assert deleted.status_code == 204


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "start_time=0001-01-01T00:00:00Z&end_time=9999-12-31T23:59:59Z",
        "start_time=9999-12-31T23:59:59Z",
        "end_time=0001-01-01T00:00:00Z",
    ],
)
async def test_time_ranges_at_the_ends_of_the_calendar_answer(
    api: Client, support_project: str, query: str
) -> None:
    spans = await api.get(f"/v1/projects/support/spans?{query}")
    traces = await api.get(f"/v1/projects/support/traces?{query}")
    deleted = await api.delete(f"/v1/projects/support/span_annotations?{query}&delete_all=true")

    assert (spans.status_code, traces.status_code, deleted.status_code) == (200, 200, 204)


async def test_a_time_whose_utc_instant_is_before_year_1_is_refused(
    api: Client, support_project: str
) -> None:
    response = await api.get(
        "/v1/projects/support/spans", params={"start_time": "0001-01-01T00:00:00+05:00"}
    )

    assert detail(response) == (
        422,
        ["query", "start_time"],
        "`start_time` must be between years 1 and 9999 in UTC, got '0001-01-01T00:00:00+05:00'",
    )


# --- GraphQL -------------------------------------------------------------------------------


async def graphql(api: Client, document: str, **variables: Any) -> httpx.Response:
    return await api.post("/graphql", json={"query": document, "variables": variables})


def only_error(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    return {"message": error["message"], **error.get("extensions", {})}


@pytest.mark.parametrize(
    ("document", "variables", "argument"),
    [
        ("query($v: String) { projects(nameContains: $v) { edges { cursor } } }", {"v": "a\x00"},
         "nameContains"),
        ("query($v: String) { project(name: $v) { id } }", {"v": "a\x00"}, "name"),
        ("query($v: ID) { span(spanId: $v) { id } }", {"v": "a\x00"}, "spanId"),
        ("query($v: ID) { trace(traceId: $v) { id } }", {"v": "\x00"}, "traceId"),
        ("query($v: ID) { session(sessionId: $v) { id } }", {"v": "\x00"}, "sessionId"),
        ('{ project(name: "a\\u0000b") { id } }', {}, "name"),
        (("query($v: TimeRange) { projects { edges { node { stats(timeRange: $v) "
         "{ traceCount } } } } }"), {"v": {"start": "2026-01-01T00:00:00Z\x00"}}, "timeRange"),
    ],
)  # fmt: skip
async def test_graphql_refuses_a_nul_in_any_argument(
    api: Client, document: str, variables: dict[str, Any], argument: str
) -> None:
    response = await graphql(api, document, **variables)

    assert response.status_code == 400
    assert only_error(response) == {
        "message": f"`{argument}` must not contain NUL characters",
        "code": "BAD_USER_INPUT",
        "argument": argument,
    }


@pytest.mark.parametrize(
    ("field", "type_name"),
    [("project", "Project"), ("trace", "Trace"), ("span", "Span"),
     ("session", "ProjectSession")],
)  # fmt: skip
async def test_graphql_ids_past_bigint_name_nothing(
    api: Client, field: str, type_name: str
) -> None:
    for digits in (19, 25):
        response = await graphql(
            api, f"query($id: ID) {{ {field}(id: $id) {{ id }} }}",
            id=global_id(f"{type_name}:{'9' * digits}"),
        )  # fmt: skip

        assert response.json() == {"data": {field: None}}


async def test_graphql_ids_are_ascii_digits_only(api: Client) -> None:
    for decoded in ("Project:1\n", "Project:\u0661"):
        response = await graphql(
            api, "query($id: ID) { project(id: $id) { name } }", id=global_id(decoded)
        )

        assert response.json() == {"data": {"project": None}}


@pytest.mark.parametrize(
    "cursor",
    [
        ["startTime", "2026-11-01T12:00:00+00:00", 10**19],
        ["startTime", "2026-11-01T12:00:00+00:00", 2**63],
        ["latencyMs", 10**19, 1],
    ],
)
async def test_graphql_cursors_past_bigint_are_refused(
    api: Client, support_project: str, cursor: list[Any]
) -> None:
    after = base64.b64encode(json.dumps(cursor).encode()).decode()
    sort = "{column: latencyMs}" if cursor[0] == "latencyMs" else "null"

    response = await graphql(
        api,
        "query($after: String) { project(name: \"support\") { traces(after: $after, "
        f"sort: {sort}) {{ edges {{ cursor }} }} }} }}",
        after=after,
    )  # fmt: skip

    assert response.status_code == 200
    assert only_error(response) == {
        "message": f"Invalid cursor: {after!r}", "code": "BAD_USER_INPUT", "argument": "after"
    }  # fmt: skip


TIME_SERIES = (
    'query($start: DateTime!, $end: DateTime!, $interval: Int!) { project(name: "support") '
    "{ timeSeries(timeRange: {start: $start, end: $end}, interval: $interval) "
    "{ timestamp traceCount } } }"
)


@pytest.mark.parametrize(
    ("start", "end", "interval", "argument", "message"),
    [
        ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", 2**31 - 1, "timeRange",
         ("timeRange.start must be between 1970-01-01T00:00:00+00:00 and "
         "2262-04-11T23:47:16.854775+00:00 (the times a span can have), "
         "got 0001-01-01T00:00:00+00:00")),
        ("2026-01-01T00:00:00Z", "9999-12-31T00:00:00Z", 2**31 - 1, "timeRange",
         ("timeRange.end must be between 1970-01-01T00:00:00+00:00 and "
         "2262-04-11T23:47:16.854775+00:00 (the times a span can have), "
         "got 9999-12-31T00:00:00+00:00")),
        ("1970-01-01T00:00:00Z", "2262-04-11T00:00:00Z", 1, "interval",
         "timeRange / interval makes 9223286400 buckets; at most 1000 are served"),
    ],
)  # fmt: skip
async def test_graphql_time_series_at_the_ends_of_the_calendar(
    api: Client, support_project: str, start: str, end: str, interval: int, argument: str,
    message: str,
) -> None:  # fmt: skip
    response = await graphql(api, TIME_SERIES, start=start, end=end, interval=interval)

    assert only_error(response) == {
        "message": message, "code": "BAD_USER_INPUT", "argument": argument
    }  # fmt: skip


async def test_graphql_time_series_over_every_span_time_answers(
    api: Client, support_project: str
) -> None:
    response = await graphql(
        api, TIME_SERIES, start="1970-01-01T00:00:00Z", end="2262-04-11T00:00:00Z",
        interval=2**31 - 1,
    )  # fmt: skip

    buckets = response.json()["data"]["project"]["timeSeries"]
    assert len(buckets) == 5  # 292 years in buckets of 68
    assert sum(bucket["traceCount"] for bucket in buckets) == 3


async def test_graphql_stats_and_lists_take_any_calendar_range(
    api: Client, support_project: str
) -> None:
    response = await graphql(
        api,
        "query($range: TimeRange) { project(name: \"support\") { stats(timeRange: $range) "
        "{ traceCount } traces(timeRange: $range) { edges { cursor } } } }",
        range={"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"},
    )  # fmt: skip

    project = response.json()["data"]["project"]
    assert project["stats"]["traceCount"] == 3
    assert len(project["traces"]["edges"]) == 3


async def test_graphql_a_time_whose_utc_instant_is_past_year_9999_is_refused(
    api: Client, support_project: str
) -> None:
    response = await graphql(
        api,
        'query($range: TimeRange) { project(name: "support") { stats(timeRange: $range) '
        "{ traceCount } } }",
        range={"end": "9999-12-31T23:00:00-05:00"},
    )

    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"].startswith("Variable '$range' has invalid value at .end")
    assert (
        "DateTime must fall between years 1 and 9999 in UTC, got '9999-12-31T23:00:00-05:00'"
        in error["message"]
    )


async def test_graphql_a_thousand_aliases_of_stats_are_refused_before_running(
    api: Client, support_project: str
) -> None:
    aliases = " ".join(f"s{n}: stats {{ traceCount }}" for n in range(1000))

    response = await graphql(api, f'{{ project(name: "support") {{ {aliases} }} }}')

    assert response.status_code == 400
    assert only_error(response) == {
        "message": "Query costs 10001; the limit is 1000 (stats, timeSeries and outline cost "
        "10, each list page 2, times the page size of every list around them): ask for fewer "
        "aliases or smaller pages",
        "code": "QUERY_TOO_COSTLY",
        "cost": 10001,
        "limit": 1000,
    }


async def test_graphql_stats_of_a_full_page_of_projects_are_refused(api: Client) -> None:
    document = (
        "query($first: Int) { projects(first: $first) { edges { node { stats { traceCount } } } } }"
    )

    refused = await graphql(api, document, first=1000)
    served = await graphql(api, document, first=24)

    assert only_error(refused)["cost"] == 1 + 1000 * 10
    assert served.status_code == 200
    assert "errors" not in served.json()
