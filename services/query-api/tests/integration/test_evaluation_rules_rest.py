"""Online evaluation rules over ``/v1``: create (with the dry run of the last hour), read with
live figures, change (a new version when what the rule does changes: the worker then drops the
old version's jobs), pause and resume (parked jobs due again), the jobs audit trail, and why a
span has or has not a score from each rule. Jobs are recorded and claimed with the evaluation
plane's own ledger functions, as the dispatcher and the worker do."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_db.evaluation_jobs import NewJob, claim_job, record_jobs
from spyglass_db.evaluation_rules import is_sampled, sample_draw
from tests.support.trace_rows import create_project, create_span, engine_for

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient

NOW = datetime.now(UTC)
REGEX = {"kind": "BUILTIN", "evaluator": "regex", "config": {"pattern": r"order #\d+"}}
EXACT = {"kind": "BUILTIN", "evaluator": "exact_match"}
TRACES = [f"{index:032x}" for index in range(1, 21)]
"""Twenty traces of one LLM span and one CHAIN span each, in the last hour."""


def rowid(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def gid(type_name: str, row: int) -> str:
    return base64.b64encode(f"{type_name}:{row}".encode()).decode()


def refusal(response: httpx.Response) -> tuple[list[str], str]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    return detail["loc"], detail["msg"]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_for(database_url) as engine:
        yield engine


@pytest.fixture
async def project(database_url: str, api: Client) -> int:
    """Project ``support``: per trace of :data:`TRACES` an LLM span and a CHAIN span (the first
    five traces in session ``chat-1``), one LLM span two hours ago; and evaluators
    ``order-number`` and ``exact``."""
    connection = await asyncpg.connect(database_url)
    try:
        project_id = await create_project(connection, "support")
        for index, trace in enumerate(TRACES):
            at = NOW - timedelta(minutes=30, seconds=index)
            session = "chat-1" if index < 5 else None
            await create_span(
                connection, project_id, trace, f"l{index:015d}", "LLM", at, session=session
            )
            await create_span(
                connection, project_id, trace, f"c{index:015d}", "CHAIN", at, session=session
            )
        await create_span(
            connection, project_id, "f" * 32, "old0000000000000", "LLM", NOW - timedelta(hours=2)
        )
    finally:
        await connection.close()
    for name, definition in [("order-number", REGEX), ("exact", EXACT)]:
        created = await api.post(
            "/v1/evaluators", json={"name": name, "kind": "BUILTIN", "definition": definition}
        )
        assert created.status_code == 201, created.text
    return project_id


def rule_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "llm-orders",
        "evaluator": "order-number",
        "filter": "span_kind == 'LLM'",
        "target": "SPAN",
        "sampling_rate": 1.0,
    }
    body.update(changes)
    return body


async def create_rule(api: Client, **changes: Any) -> dict[str, Any]:
    response = await api.post("/v1/projects/support/evaluation_rules", json=rule_body(**changes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def record(engine: AsyncEngine, rule: dict[str, Any], *jobs: dict[str, Any]) -> None:
    """Jobs of ``rule`` as the dispatcher records them (``state``, ``target_id``, ...)."""
    async with engine.begin() as connection:
        await record_jobs(
            connection,
            [
                NewJob(
                    target_kind=job.get("target_kind", rule["target"]),
                    target_id=job["target_id"],
                    state=job.get("state", "QUEUED"),
                    due_at=job.get("due_at", NOW + timedelta(minutes=5)),
                    project_id=rowid(rule["project_id"]),
                    rule_id=rowid(rule["id"]),
                    rule_version=job.get("rule_version", rule["version"]),
                    reason=job.get("reason"),
                )
                for job in jobs
            ],
        )


async def jobs_of(api: Client, rule: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = await api.get(f"/v1/evaluation_rules/{rule['id']}/jobs", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


# Creating, with the dry run ---------------------------------------------------------------------


async def test_a_rule_is_created_active_at_version_1_with_its_dry_run(
    api: Client, project: int
) -> None:
    rule = await create_rule(api, input_mapping={"output": "attributes.output.value"})

    assert base64.b64decode(rule["id"]).decode().startswith("EvaluationRule:")
    assert (rule["name"], rule["annotation_name"]) == ("llm-orders", "llm-orders")
    assert (rule["status"], rule["status_reason"], rule["version"]) == ("ACTIVE", None, 1)
    assert rule["evaluator"]["name"] == "order-number"
    assert (rule["evaluator_version"], rule["target"], rule["sampling_rate"]) == (None, "SPAN", 1.0)
    assert rule["input_mapping"] == {"output": "attributes.output.value"}
    # 20 LLM spans in the last hour; the one two hours old is outside the dry run's window.
    assert rule["dry_run"]["matched_spans"] == 20
    assert rule["dry_run"]["sampled_spans"] == rule["dry_run"]["targets"] == 20
    assert rule["dry_run"]["truncated"] is False
    figures = rule["figures"]
    assert (figures["matched"], figures["sampled_out"], figures["shed"]) == (0, 0, 0)
    assert figures["jobs"]["queued"] == 0 and figures["oldest_queued_seconds"] is None
    assert figures["window_seconds"] == 86400
    fetched = (await api.get(f"/v1/evaluation_rules/{rule['id']}")).json()["data"]
    assert fetched == {**rule, "dry_run": None}


async def test_the_dry_run_samples_as_the_dispatcher_does(api: Client, project: int) -> None:
    path = "/v1/projects/support/evaluation_rules/dry_run"
    kept = [trace for trace in TRACES if is_sampled(trace, 0.5)]
    assert 0 < len(kept) < len(TRACES)  # the ids draw both ways at this rate

    spans = await api.post(path, json={"filter": "", "target": "SPAN", "sampling_rate": 0.5})
    traces = await api.post(
        path, json={"filter": "span_kind == 'LLM'", "target": "TRACE", "sampling_rate": 0.5}
    )
    sessions = await api.post(path, json={"filter": "span_kind == 'LLM'", "target": "SESSION"})
    nothing = await api.post(path, json={"filter": "name == 'missing'"})

    assert spans.status_code == 200, spans.text
    assert spans.json()["data"]["matched_spans"] == 40
    assert spans.json()["data"]["sampled_spans"] == 2 * len(kept)
    assert spans.json()["data"]["targets"] == 2 * len(kept)
    assert traces.json()["data"]["sampled_spans"] == len(kept)
    assert traces.json()["data"]["targets"] == len(kept)
    # Only the first five traces belong to a session: a SESSION rule skips the rest.
    assert sessions.json()["data"]["matched_spans"] == 5
    assert sessions.json()["data"]["without_session"] == 15
    assert sessions.json()["data"]["targets"] == 1
    assert nothing.json()["data"]["matched_spans"] == 0


async def test_an_invalid_filter_is_422_with_the_languages_position(
    api: Client, project: int
) -> None:
    created = await api.post(
        "/v1/projects/support/evaluation_rules", json=rule_body(filter="span_kind = 'LLM'")
    )
    dry_run = await api.post(
        "/v1/projects/support/evaluation_rules/dry_run", json={"filter": "latency_ms > 'x' and"}
    )
    unknown_name = await api.post(
        "/v1/projects/support/evaluation_rules", json=rule_body(filter="spam_kind == 'LLM'")
    )

    loc, message = refusal(created)
    assert loc == ["body", "filter"]
    assert message.startswith("Invalid filter expression at line 1, column ")
    assert refusal(dry_run)[0] == ["body", "filter"]
    assert "syntax error" in refusal(dry_run)[1]
    assert "spam_kind" in refusal(unknown_name)[1]
    assert (await api.get("/v1/projects/support/evaluation_rules")).json()["data"] == []


@pytest.mark.parametrize(
    ("changes", "loc", "words"),
    [
        ({"sampling_rate": 1.5}, ["body", "sampling_rate"], "less than or equal to 1"),
        ({"sampling_rate": -0.1}, ["body", "sampling_rate"], "greater than or equal to 0"),
        ({"sampling_rate": "0.5"}, ["body", "sampling_rate"], "must be a number, got string"),
        ({"sampling_rate": None}, ["body", "sampling_rate"], "must be a number"),
        ({"target": "SPANS"}, ["body", "target"], "SPAN"),
        ({"delay_seconds": 1e12}, ["body", "delay_seconds"], "less than or equal to 604800"),
        ({"max_tokens_per_day": -1}, ["body", "max_tokens_per_day"], "greater than or equal"),
        ({"max_tokens_per_day": 2**63}, ["body", "max_tokens_per_day"], "between"),
        ({"evaluator": "nothing"}, ["body", "evaluator"], "no evaluator nothing"),
        ({"evaluator_version": 3}, ["body", "evaluator_version"], "has no version 3"),
        ({"input_mapping": {"output": "nowhere"}}, ["body", "input_mapping", "output"], "nowhere"),
        ({"name": ""}, ["body", "name"], "at least 1 character"),
        ({"name": "n" * 10_000}, ["body", "name"], "at most 256 characters"),
        ({"filter": "name == 'a\x00'"}, ["body", "filter"], "NUL"),
        ({"sampling_rte": 0.5}, ["body", "sampling_rte"], "Extra inputs"),
    ],
)
async def test_a_rule_that_cant_be_saved_is_422_naming_the_field(
    api: Client, project: int, changes: dict[str, Any], loc: list[str], words: str
) -> None:
    response = await api.post("/v1/projects/support/evaluation_rules", json=rule_body(**changes))

    got_loc, message = refusal(response)
    assert got_loc == loc
    assert words in message
    assert (await api.get("/v1/projects/support/evaluation_rules")).json()["data"] == []


async def test_nan_deep_nesting_and_unknown_things(api: Client, project: int) -> None:
    nan = await api.post(
        "/v1/projects/support/evaluation_rules",
        content=b'{"name": "n", "evaluator": "exact", "target": "SPAN", "sampling_rate": NaN}',
        headers={"content-type": "application/json"},
    )
    deep: Any = "output"
    for _ in range(600):
        deep = {"a": deep}
    nested = await api.post(
        "/v1/projects/support/evaluation_rules", json=rule_body(input_mapping={"output": deep})
    )
    no_project = await api.post("/v1/projects/nothing/evaluation_rules", json=rule_body())
    not_a_rule = await api.get("/v1/evaluation_rules/llm-orders")
    no_rule = await api.get(f"/v1/evaluation_rules/{gid('EvaluationRule', 999)}")

    assert nan.status_code == 400  # JSON has no NaN: refused by the parser
    assert "nest" in refusal(nested)[1]
    assert (no_project.status_code, no_rule.status_code, not_a_rule.status_code) == (404,) * 3


async def test_a_taken_name_is_409_and_rules_list_newest_first(api: Client, project: int) -> None:
    first = await create_rule(api)
    second = await create_rule(api, name="exactness", evaluator="exact", annotation_name="exact")

    taken = await api.post("/v1/projects/support/evaluation_rules", json=rule_body())
    listed = (await api.get("/v1/projects/support/evaluation_rules")).json()
    page = (await api.get("/v1/projects/support/evaluation_rules", params={"limit": 1})).json()

    assert taken.status_code == 409
    assert taken.text == "Project support already has an evaluation rule named llm-orders"
    assert [rule["id"] for rule in listed["data"]] == [second["id"], first["id"]]
    assert all(rule["dry_run"] is None for rule in listed["data"])
    assert [rule["id"] for rule in page["data"]] == [second["id"]]
    assert page["next_cursor"] == first["id"]


# Changing ---------------------------------------------------------------------------------------


async def test_a_change_to_what_the_rule_does_is_a_new_version_and_drops_old_jobs(
    api: Client, project: int, engine: AsyncEngine
) -> None:
    rule = await create_rule(api)
    await record(engine, rule, {"target_id": "l000000000000000"})
    path = f"/v1/evaluation_rules/{rule['id']}"

    renamed = await api.patch(path, json={"name": "renamed", "max_cost_per_day": 2.5})
    same = await api.patch(path, json={"filter": "span_kind == 'LLM'", "sampling_rate": 1})
    changed = await api.patch(path, json={"sampling_rate": 0.25, "filter": "name == 'step'"})
    async with engine.begin() as connection:  # the worker picks the old version's job up
        job_id = await connection.exec_driver_sql("SELECT id FROM evaluation_jobs")
        claimed = await claim_job(connection, job_id.scalar_one(), NOW, 300)
    jobs = await jobs_of(api, rule)

    assert (renamed.json()["data"]["name"], renamed.json()["data"]["version"]) == ("renamed", 1)
    assert renamed.json()["data"]["max_cost_per_day"] == 2.5
    assert same.json()["data"]["version"] == 1
    data = changed.json()["data"]
    assert (data["version"], data["sampling_rate"], data["filter"]) == (2, 0.25, "name == 'step'")
    assert data["dry_run"]["matched_spans"] == 40  # every span of the hour is named 'step'
    assert claimed.state == "DROPPED"  # type: ignore[union-attr]
    assert [(job["state"], job["rule_version"]) for job in jobs] == [("DROPPED", 1)]
    assert jobs[0]["reason"] == "its rule changed (version 1 to 2) before it ran"


async def test_changing_the_evaluator_or_its_pinned_version(api: Client, project: int) -> None:
    rule = await create_rule(api)
    path = f"/v1/evaluation_rules/{rule['id']}"

    pinned = await api.patch(path, json={"evaluator_version": 1})
    other = await api.patch(path, json={"evaluator": "exact"})
    unpinned = await api.patch(path, json={"evaluator_version": None})
    no_version = await api.patch(path, json={"evaluator_version": 9})
    no_evaluator = await api.patch(path, json={"evaluator": "nothing"})

    assert (pinned.json()["data"]["evaluator_version"], pinned.json()["data"]["version"]) == (1, 2)
    assert other.json()["data"]["evaluator"]["name"] == "exact"
    assert other.json()["data"]["evaluator_version"] == 1
    assert other.json()["data"]["version"] == 3
    assert unpinned.json()["data"]["evaluator_version"] is None
    assert refusal(no_version)[0] == ["body", "evaluator_version"]
    assert refusal(no_evaluator)[0] == ["body", "evaluator"]


async def test_a_refused_change_changes_nothing(api: Client, project: int) -> None:
    rule = await create_rule(api)
    await create_rule(api, name="other")
    path = f"/v1/evaluation_rules/{rule['id']}"

    bad_filter = await api.patch(path, json={"filter": "span_kind =="})
    null_rate = await api.patch(path, json={"sampling_rate": None})
    taken = await api.patch(path, json={"name": "other", "sampling_rate": 0.5})
    after = (await api.get(path)).json()["data"]

    assert refusal(bad_filter)[0] == ["body", "filter"]
    assert refusal(null_rate)[0] == ["body", "sampling_rate"]
    assert taken.status_code == 409
    assert (after["name"], after["sampling_rate"], after["version"]) == ("llm-orders", 1.0, 1)


# Pausing, figures, jobs, deleting ---------------------------------------------------------------


async def test_pause_parks_jobs_and_resume_makes_them_due_now(
    api: Client, project: int, engine: AsyncEngine, database_url: str
) -> None:
    rule = await create_rule(api)
    await record(engine, rule, {"target_id": "l000000000000000"})

    paused = await api.post(
        f"/v1/evaluation_rules/{rule['id']}/pause", json={"reason": "budget review"}
    )
    paused_again = await api.post(f"/v1/evaluation_rules/{rule['id']}/pause")
    async with engine.begin() as connection:  # the worker meets the paused rule's job
        job_id = (await connection.exec_driver_sql("SELECT id FROM evaluation_jobs")).scalar_one()
        await claim_job(connection, job_id, NOW, 300)
    while_paused = (await api.get(f"/v1/evaluation_rules/{rule['id']}")).json()["data"]
    resumed = await api.post(f"/v1/evaluation_rules/{rule['id']}/resume")
    connection = await asyncpg.connect(database_url)
    try:
        due_in = await connection.fetchval(
            "SELECT extract(epoch FROM due_at - now()) FROM evaluation_jobs"
        )
    finally:
        await connection.close()
    by_default = await api.post(f"/v1/evaluation_rules/{rule['id']}/pause")

    assert paused.status_code == 200, paused.text
    data = paused.json()["data"]
    assert (data["status"], data["status_reason"], data["version"]) == (
        "PAUSED",
        "budget review",
        1,
    )
    assert paused_again.json()["data"]["status_reason"] == "budget review"  # kept
    assert while_paused["figures"]["current_version_jobs"]["pending"] == 1
    assert resumed.status_code == 200, resumed.text
    data = resumed.json()["data"]
    assert (data["status"], data["status_reason"], data["resumed_jobs"]) == ("ACTIVE", None, 1)
    assert due_in <= 1  # parked for a day, due again now
    assert by_default.json()["data"]["status_reason"] == "paused by a user"


async def test_figures_count_decisions_jobs_reasons_and_spend(
    api: Client, project: int, engine: AsyncEngine, database_url: str
) -> None:
    rule = await create_rule(api, max_tokens_per_day=1000)
    rule_id = rowid(rule["id"])
    old = NOW - timedelta(minutes=10)
    await record(
        engine,
        rule,
        {"target_id": "a", "state": "QUEUED"},
        {"target_id": "b", "state": "QUEUED"},
        {"target_id": "c", "state": "PENDING", "reason": "waiting 60 s (the rule's delay)"},
        {"target_id": "d", "state": "SHED", "reason": "over the cap"},
        {"target_id": "e", "state": "QUEUED", "rule_version": 0},
    )
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE evaluation_jobs SET created_at = $1 WHERE target_id = 'a'", old
        )
        for target, state, reason in [
            ("f", "RETRYING", "rate limited: slow down"),
            ("g", "RETRYING", "rate limited: slow down"),
            ("h", "RETRYING", "openai did not answer in 60s"),
            ("i", "FAILED", "the code raised KeyError"),
            ("j", "SUCCEEDED", None),
        ]:
            await connection.execute(
                "INSERT INTO evaluation_jobs (rule_id, rule_version, project_id, target_kind, "
                "target_id, state, reason, due_at, finished_at) VALUES ($1, 1, $2, 'SPAN', $3, "
                "$4, $5, now(), CASE WHEN $4 IN ('FAILED', 'SUCCEEDED') THEN now() END)",
                rule_id,
                project,
                target,
                state,
                reason,
            )
        await connection.execute(
            "INSERT INTO evaluation_rule_counts (rule_id, minute, matched, sampled_out, shed) "
            "VALUES ($1, date_trunc('minute', now()), 10, 4, 1), "
            "($1, date_trunc('minute', now()) - interval '2 hours', 5, 1, 0), "
            "($1, date_trunc('minute', now()) - interval '3 days', 100, 100, 100)",
            rule_id,
        )
        await connection.execute(
            "INSERT INTO evaluation_rule_spend (rule_id, day, tokens, cost) VALUES "
            "($1, (now() AT TIME ZONE 'UTC')::date, 420, 0.5), "
            "($1, (now() AT TIME ZONE 'UTC')::date - 1, 9999, 9)",
            rule_id,
        )
    finally:
        await connection.close()

    figures = (await api.get(f"/v1/evaluation_rules/{rule['id']}")).json()["data"]["figures"]

    assert (figures["matched"], figures["sampled_out"], figures["shed"]) == (15, 5, 1)
    assert figures["jobs"] == {
        "pending": 1,
        "queued": 3,
        "running": 0,
        "retrying": 3,
        "succeeded": 1,
        "failed": 1,
        "shed": 1,
        "dropped": 0,
    }
    assert figures["current_version_jobs"]["queued"] == 2  # one is of an older version
    assert 590 <= figures["oldest_queued_seconds"] < 3600
    assert figures["retrying_reasons"] == [
        {"reason": "rate limited: slow down", "jobs": 2},
        {"reason": "openai did not answer in 60s", "jobs": 1},
    ]
    assert figures["failure_reasons"] == [{"reason": "the code raised KeyError", "jobs": 1}]
    assert figures["spend"] == {
        "tokens_today": 420,
        "cost_today": 0.5,
        "max_tokens_per_day": 1000,
        "max_cost_per_day": None,
    }


async def test_the_jobs_audit_trail_pages_and_filters_by_state(
    api: Client, project: int, engine: AsyncEngine
) -> None:
    rule = await create_rule(api)
    await record(
        engine,
        rule,
        *({"target_id": f"s{index}"} for index in range(3)),
        {"target_id": "p", "state": "PENDING", "reason": "waiting 60 s (the rule's delay)"},
    )

    everything = await jobs_of(api, rule)
    pending = await jobs_of(api, rule, state="PENDING")
    first = await api.get(f"/v1/evaluation_rules/{rule['id']}/jobs", params={"limit": 2})
    rest = await jobs_of(api, rule, cursor=first.json()["next_cursor"])
    bad_state = await api.get(f"/v1/evaluation_rules/{rule['id']}/jobs", params={"state": "DONE"})

    assert len(everything) == 4
    assert [(job["target_id"], job["reason"]) for job in pending] == [
        ("p", "waiting 60 s (the rule's delay)")
    ]
    job = pending[0]
    assert (job["target_kind"], job["attempts"], job["rule_version"]) == ("SPAN", 0, 1)
    assert job["finished_at"] is None and job["tokens"] is None
    assert [job["id"] for job in first.json()["data"] + rest] == [job["id"] for job in everything]
    loc, message = refusal(bad_state)
    assert loc == ["query", "state"]
    assert message == (
        "`state` must be one of PENDING, QUEUED, RUNNING, RETRYING, SUCCEEDED, FAILED, SHED, "
        "DROPPED, got 'DONE'"
    )


async def test_a_deleted_rule_is_gone_with_its_jobs(
    api: Client, project: int, engine: AsyncEngine
) -> None:
    rule = await create_rule(api)
    await record(engine, rule, {"target_id": "s1"})

    deleted = await api.delete(f"/v1/evaluation_rules/{rule['id']}")
    again = await api.delete(f"/v1/evaluation_rules/{rule['id']}")
    jobs = await api.get(f"/v1/evaluation_rules/{rule['id']}/jobs")

    assert (deleted.status_code, again.status_code, jobs.status_code) == (204, 404, 404)


# Why a span has, or has not, a score ------------------------------------------------------------


async def test_each_rules_decision_about_a_span_is_explained(
    api: Client, project: int, engine: AsyncEngine
) -> None:
    trace, span = TRACES[0], "l000000000000000"  # an LLM span of session chat-1
    draw = sample_draw(trace)
    below, above = draw / 2, (1 + draw) / 2  # rates that leave it out and keep it
    await create_rule(api, name="llm")
    await create_rule(api, name="chains", filter="span_kind == 'CHAIN'")
    await create_rule(api, name="sampled-out", sampling_rate=below)
    traces = await create_rule(api, name="traces", target="TRACE", sampling_rate=above)
    failed = await create_rule(api, name="failed")
    paused = await create_rule(api, name="paused")
    await api.post(f"/v1/evaluation_rules/{paused['id']}/pause", json={"reason": "too costly"})
    changed = await create_rule(api, name="changed")
    await record(engine, traces, {"target_id": trace, "state": "SUCCEEDED"})
    await record(
        engine, failed, {"target_id": span, "state": "FAILED", "reason": "raised KeyError"}
    )
    await record(engine, changed, {"target_id": span, "state": "QUEUED"})
    await api.patch(f"/v1/evaluation_rules/{changed['id']}", json={"sampling_rate": 0.999999})

    response = await api.get(f"/v1/projects/support/spans/{span}/evaluations")

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["span_id"], data["trace_id"], data["session_id"]) == (span, trace, "chat-1")
    decisions = {item["rule"]["name"]: item for item in data["rules"]}
    assert list(decisions) == [
        "llm", "chains", "sampled-out", "traces", "failed", "paused", "changed"
    ]  # fmt: skip
    assert (decisions["llm"]["decision"], decisions["llm"]["matched"]) == ("not_decided", True)
    assert decisions["llm"]["sampling"] == {
        "key_kind": "trace",
        "key": trace,
        "draw": draw,
        "rate": 1.0,
        "sampled": True,
    }
    assert decisions["chains"]["decision"] == "not_matched"
    assert decisions["chains"]["reason"] == "the rule's filter does not match this span"
    out = decisions["sampled-out"]
    assert (out["decision"], out["sampling"]["sampled"]) == ("sampled_out", False)
    assert f"({draw:.6f}) is not below the rule's sampling rate" in out["reason"]
    by_trace = decisions["traces"]
    assert (by_trace["decision"], by_trace["target_kind"], by_trace["target_id"]) == (
        "scored",
        "TRACE",
        trace,
    )
    assert by_trace["reason"] == "its trace was scored as 'traces'"
    assert by_trace["job"]["state"] == "SUCCEEDED"
    assert decisions["failed"]["decision"] == "failed"
    assert decisions["failed"]["reason"] == "scoring the span failed: raised KeyError"
    assert decisions["paused"]["decision"] == "paused"
    assert "too costly" in decisions["paused"]["reason"]
    assert decisions["changed"]["decision"] == "not_decided"
    assert decisions["changed"]["job"] is None
    assert [job["rule_version"] for job in decisions["changed"]["earlier_jobs"]] == [1]
    assert "version 1: QUEUED" in decisions["changed"]["reason"]


async def test_a_session_rule_explains_a_span_without_a_session(api: Client, project: int) -> None:
    await create_rule(api, name="sessions", target="SESSION")

    response = await api.get("/v1/projects/support/spans/l000000000000010/evaluations")
    unknown = await api.get("/v1/projects/support/spans/nothing/evaluations")
    elsewhere = await api.get("/v1/projects/nothing/spans/l000000000000010/evaluations")

    (decision,) = response.json()["data"]["rules"]
    assert (decision["decision"], decision["target_id"], decision["sampling"]) == (
        "no_session",
        None,
        None,
    )
    assert unknown.status_code == 404 and "nothing" in unknown.text
    assert elsewhere.status_code == 404
