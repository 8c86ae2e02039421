"""Runs and evaluations posted together are written together (one statement for the rows that
arrive while another is written), and each request still gets its own answer: its id, or the
refusal its own row earns, whatever the rows beside it."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import asyncpg
import httpx

Client = httpx.AsyncClient


def _gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


async def _experiment(api: Client, examples: int, name: str = "burst") -> tuple[str, list[str]]:
    uploaded = await api.post(
        "/v1/datasets/upload?sync=true",
        json={
            "action": "create",
            "name": name,
            "inputs": [{"question": f"q{index}"} for index in range(examples)],
        },
    )
    assert uploaded.status_code == 200, uploaded.text
    dataset_id = uploaded.json()["data"]["dataset_id"]
    created = await api.post(f"/v1/datasets/{dataset_id}/experiments", json={"name": "exp"})
    assert created.status_code == 200, created.text
    listed = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]["examples"]
    return created.json()["data"]["id"], [example["id"] for example in listed]


def _run(example_id: str, answer: str, **fields: Any) -> dict[str, Any]:
    return {
        "dataset_example_id": example_id,
        "output": {"answer": answer},
        "repetition_number": 1,
        "start_time": "2026-11-01T12:00:00Z",
        "end_time": "2026-11-01T12:00:01Z",
        **fields,
    }


def _evaluation(run_id: str, name: str, score: float) -> dict[str, Any]:
    return {
        "experiment_run_id": run_id,
        "name": name,
        "annotator_kind": "CODE",
        "start_time": "2026-11-01T12:00:02Z",
        "end_time": "2026-11-01T12:00:03Z",
        "result": {"score": score, "label": "yes"},
    }


async def test_a_burst_of_runs_each_answered_with_its_own_id_or_refusal(
    api: Client, database_url: str
) -> None:
    experiment_id, examples = await _experiment(api, 60)
    _, foreign = await _experiment(api, 1, name="other")
    runs = f"/v1/experiments/{experiment_id}/runs"
    bodies = [_run(example, f"answer {index}") for index, example in enumerate(examples)]
    bodies.append(_run(examples[0], "the same run again"))  # a duplicate within the burst
    bodies.append(_run(foreign[0], "not this experiment's example"))
    bodies.append(_run(examples[1], "a repetition too many", repetition_number=2))

    answers = await asyncio.gather(*(api.post(runs, json=body) for body in bodies))

    statuses = [answer.status_code for answer in answers]
    assert statuses[:60] == [200] * 60, [answer.text for answer in answers[:60]]
    assert statuses[60:] == [409, 422, 422], [answer.text for answer in answers[60:]]
    assert "already exists" in answers[60].text
    ids = [answer.json()["data"]["id"] for answer in answers[:60]]
    assert len(set(ids)) == 60
    connection = await asyncpg.connect(database_url)
    try:
        stored = {
            row["id"]: (row["dataset_example_id"], row["answer"])
            for row in await connection.fetch(
                "SELECT id, dataset_example_id, output -> 'task_output' ->> 'answer' AS answer "
                "FROM experiment_runs"
            )
        }
    finally:
        await connection.close()
    assert len(stored) == 60  # nothing from the refused three
    for index, (example, run_id) in enumerate(zip(examples, ids, strict=True)):
        rowid = int(base64.b64decode(run_id).decode().split(":")[1])
        # each id names the run of its own request's example, with its own output
        assert stored[rowid] == (
            int(base64.b64decode(example).decode().split(":")[1]),
            f"answer {index}",
        )


async def test_a_burst_of_evaluations_each_answered_with_its_own_id_or_404(
    api: Client, database_url: str
) -> None:
    experiment_id, examples = await _experiment(api, 20)
    runs = f"/v1/experiments/{experiment_id}/runs"
    posted = [await api.post(runs, json=_run(example, "a")) for example in examples]
    run_ids = [answer.json()["data"]["id"] for answer in posted]
    bodies = [
        _evaluation(run_id, name, index / 100)
        for index, run_id in enumerate(run_ids)
        for name in ("correct", "relevant")
    ]
    bodies.append(_evaluation(_gid("ExperimentRun", 10**12), "correct", 0.5))
    bodies.append(_evaluation(run_ids[0], "correct", 0.99))  # replaces, in a later statement

    answers = await asyncio.gather(
        *(api.post("/v1/experiment_evaluations", json=body) for body in bodies)
    )

    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 40 + [404, 200], [answer.text for answer in answers]
    assert "does not exist" in answers[40].text
    assert len({answer.json()["data"]["id"] for answer in answers[:40]}) == 40
    assert answers[41].json()["data"]["id"] == answers[0].json()["data"]["id"]
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT experiment_run_id, name, score FROM experiment_run_annotations"
        )
    finally:
        await connection.close()
    assert len(rows) == 40
    scores = {(row["experiment_run_id"], row["name"]): row["score"] for row in rows}
    first_run = int(base64.b64decode(run_ids[0]).decode().split(":")[1])
    assert scores[(first_run, "correct")] == 0.99
    last_run = int(base64.b64decode(run_ids[19]).decode().split(":")[1])
    assert scores[(last_run, "relevant")] == 0.19
