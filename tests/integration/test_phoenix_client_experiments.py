"""`arize-phoenix-client`'s experiments against Spyglass: run, resume and read back, unchanged.

The dataset is written straight into PostgreSQL (a version with three examples), then read
through the client as a user would (`get_dataset`), so these tests hold the experiment calls
to Phoenix's behaviour whatever the upload path does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from phoenix.client import Client

from tests.support.platform import RunningPlatform

pytestmark = pytest.mark.slow

QUESTIONS = {"2+2": 4, "3+3": 6, "4+4": 8}


@pytest.fixture(scope="module")
def client(platform: RunningPlatform) -> Iterator[Client]:
    """A Phoenix client pointed at Spyglass's public address, and nothing else."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        yield Client(http_client=http)


async def _insert_dataset(database_url: str, name: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            dataset = await connection.fetchval(
                "INSERT INTO datasets (name) VALUES ($1) RETURNING id", name
            )
            version = await connection.fetchval(
                "INSERT INTO dataset_versions (dataset_id) VALUES ($1) RETURNING id", dataset
            )
            for question, answer in QUESTIONS.items():
                example = await connection.fetchval(
                    "INSERT INTO dataset_examples (dataset_id) VALUES ($1) RETURNING id", dataset
                )
                await connection.execute(
                    "INSERT INTO dataset_example_revisions (dataset_example_id, "
                    "dataset_version_id, input, output, revision_kind) "
                    "VALUES ($1, $2, $3::jsonb, $4::jsonb, 'CREATE')",
                    example,
                    version,
                    orjson.dumps({"question": question}).decode(),
                    orjson.dumps({"answer": answer}).decode(),
                )
    finally:
        await connection.close()


def _dataset(platform: RunningPlatform, client: Client) -> Any:
    name = f"compat-experiments-{uuid.uuid4().hex[:8]}"
    asyncio.run(_insert_dataset(platform.database_url, name))
    return client.datasets.get_dataset(dataset=name)


def _solve(input: dict[str, Any]) -> dict[str, Any]:
    left, right = input["question"].split("+")
    return {"answer": int(left) + int(right)}


def correct(output: dict[str, Any], expected: dict[str, Any]) -> bool:
    return bool(output == expected)


def test_run_experiment_with_an_evaluator(platform: RunningPlatform, client: Client) -> None:
    dataset = _dataset(platform, client)

    ran = client.experiments.run_experiment(
        dataset=dataset,
        task=_solve,
        evaluators=[correct],
        experiment_name="compat",
        experiment_metadata={"model": "arithmetic"},
        repetitions=2,
        print_summary=False,
    )
    stored = client.experiments.get(experiment_id=ran["experiment_id"])
    read_back = client.experiments.get_experiment(experiment_id=ran["experiment_id"])
    listed = client.experiments.list(dataset_id=dataset.id)

    assert len(ran["task_runs"]) == 6
    assert all(run["error"] is None for run in ran["task_runs"])
    assert stored["name"] == "compat"
    assert stored["metadata"] == {"model": "arithmetic"}
    assert stored["project_name"] == ran["project_name"]
    assert (stored["example_count"], stored["successful_run_count"]) == (3, 6)
    assert (stored["failed_run_count"], stored["missing_run_count"]) == (0, 0)
    assert sorted(run["output"]["answer"] for run in read_back["task_runs"]) == [4, 4, 6, 6, 8, 8]
    assert len(read_back["evaluation_runs"]) == 6
    assert {evaluation.name for evaluation in read_back["evaluation_runs"]} == {"correct"}
    assert all(
        evaluation.result is not None and evaluation.result["score"] == 1.0
        for evaluation in read_back["evaluation_runs"]
    )
    assert [experiment["id"] for experiment in listed] == [ran["experiment_id"]]


def test_resume_experiment_and_evaluation(platform: RunningPlatform, client: Client) -> None:
    dataset = _dataset(platform, client)

    def flaky(input: dict[str, Any]) -> dict[str, Any]:
        if input["question"] == "3+3":
            raise RuntimeError("the model timed out")
        return _solve(input)

    ran = client.experiments.run_experiment(
        dataset=dataset, task=flaky, print_summary=False, retries=0
    )
    experiment_id = ran["experiment_id"]
    before = client.experiments.get(experiment_id=experiment_id)
    client.experiments.resume_experiment(
        experiment_id=experiment_id, task=_solve, print_summary=False
    )
    after = client.experiments.get(experiment_id=experiment_id)
    client.experiments.resume_evaluation(
        experiment_id=experiment_id, evaluators=[correct], print_summary=False
    )
    read_back = client.experiments.get_experiment(experiment_id=experiment_id)

    assert (before["successful_run_count"], before["failed_run_count"]) == (2, 1)
    assert (after["successful_run_count"], after["failed_run_count"]) == (3, 0)
    assert sorted(run["output"]["answer"] for run in read_back["task_runs"]) == [4, 6, 8]
    assert all(run["error"] is None for run in read_back["task_runs"])
    assert (
        sorted(
            (evaluation.name, evaluation.result and evaluation.result["score"])
            for evaluation in read_back["evaluation_runs"]
        )
        == [("correct", 1.0)] * 3
    )
