"""Datasets and experiments against real PostgreSQL: versions that read as they were, one run per
(example, repetition), deletions that leave nothing behind, and examples that outlive their span."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest

from spyglass_db.datasets import ExampleAtVersion, list_examples_at_version
from spyglass_db.deletion import delete_spans
from tests.support.trace_rows import create_project, create_trace, engine_for

NOW = datetime.now(UTC)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def _dataset(connection: asyncpg.Connection, name: str) -> int:
    dataset_id: int = await connection.fetchval(
        "INSERT INTO datasets (name) VALUES ($1) RETURNING id", name
    )
    return dataset_id


async def _version(connection: asyncpg.Connection, dataset_id: int) -> int:
    version_id: int = await connection.fetchval(
        "INSERT INTO dataset_versions (dataset_id) VALUES ($1) RETURNING id", dataset_id
    )
    return version_id


async def _example(connection: asyncpg.Connection, dataset_id: int, external_id: str) -> int:
    example_id: int = await connection.fetchval(
        "INSERT INTO dataset_examples (dataset_id, external_id) VALUES ($1, $2) RETURNING id",
        dataset_id,
        external_id,
    )
    return example_id


async def _revise(
    connection: asyncpg.Connection,
    example_id: int,
    version_id: int,
    kind: str,
    question: str = "",
) -> None:
    await connection.execute(
        "INSERT INTO dataset_example_revisions "
        "(dataset_example_id, dataset_version_id, input, revision_kind) "
        "VALUES ($1, $2, $3::jsonb, $4)",
        example_id,
        version_id,
        orjson.dumps({"question": question}).decode(),
        kind,
    )


async def _experiment(
    connection: asyncpg.Connection, dataset_id: int, version_id: int, repetitions: int = 1
) -> int:
    experiment_id: int = await connection.fetchval(
        "INSERT INTO experiments (dataset_id, dataset_version_id, name, repetitions, "
        "project_name) VALUES ($1, $2, 'e', $3, 'Experiment-' || md5(random()::text)) "
        "RETURNING id",
        dataset_id,
        version_id,
        repetitions,
    )
    return experiment_id


async def _run(
    connection: asyncpg.Connection, experiment_id: int, example_id: int, repetition: int = 1
) -> int:
    run_id: int = await connection.fetchval(
        "INSERT INTO experiment_runs (experiment_id, dataset_example_id, repetition_number, "
        "output, start_time, end_time) VALUES ($1, $2, $3, '{\"task_output\": 1}', $4, $5) "
        "RETURNING id",
        experiment_id,
        example_id,
        repetition,
        NOW,
        NOW + timedelta(seconds=1),
    )
    return run_id


async def _read(
    database_url: str, dataset_id: int, version_id: int, **page: int
) -> list[ExampleAtVersion]:
    async with engine_for(database_url) as engine, engine.connect() as sql:
        return await list_examples_at_version(sql, dataset_id, version_id, **page)


def _questions(examples: list[ExampleAtVersion]) -> dict[str | None, str]:
    return {example.external_id: example.input["question"] for example in examples}


async def test_a_version_reads_as_it_was_after_later_patches_and_deletes(
    database_url: str, connection: asyncpg.Connection
) -> None:
    dataset = await _dataset(connection, "qa")
    first = await _version(connection, dataset)
    a, b, c = [await _example(connection, dataset, name) for name in ("a", "b", "c")]
    for example, question in ((a, "1+1"), (b, "2+2"), (c, "3+3")):
        await _revise(connection, example, first, "CREATE", question)
    second = await _version(connection, dataset)
    await _revise(connection, b, second, "PATCH", "2*2")
    third = await _version(connection, dataset)
    await _revise(connection, c, third, "DELETE")
    d = await _example(connection, dataset, "d")
    await _revise(connection, d, third, "CREATE", "4+4")

    assert _questions(await _read(database_url, dataset, first)) == {
        "a": "1+1",
        "b": "2+2",
        "c": "3+3",
    }
    assert _questions(await _read(database_url, dataset, second)) == {
        "a": "1+1",
        "b": "2*2",
        "c": "3+3",
    }
    assert _questions(await _read(database_url, dataset, third)) == {
        "a": "1+1",
        "b": "2*2",
        "d": "4+4",
    }


async def test_a_version_reads_in_keyset_pages_of_example_ids(
    database_url: str, connection: asyncpg.Connection
) -> None:
    dataset = await _dataset(connection, "paged")
    version = await _version(connection, dataset)
    examples = [await _example(connection, dataset, f"x{i}") for i in range(5)]
    for example in examples:
        await _revise(connection, example, version, "CREATE", str(example))
    later = await _version(connection, dataset)
    await _revise(connection, examples[1], later, "DELETE")

    pages, after = [], 0
    while page := await _read(database_url, dataset, later, after_id=after, limit=2):
        pages.append([example.id for example in page])
        after = page[-1].id

    assert pages == [[examples[0], examples[2]], [examples[3], examples[4]]]


async def test_a_second_run_for_the_same_example_and_repetition_is_refused(
    connection: asyncpg.Connection,
) -> None:
    dataset = await _dataset(connection, "runs")
    version = await _version(connection, dataset)
    example = await _example(connection, dataset, "a")
    await _revise(connection, example, version, "CREATE", "q")
    experiment = await _experiment(connection, dataset, version, repetitions=2)
    await _run(connection, experiment, example, repetition=1)

    with pytest.raises(asyncpg.UniqueViolationError):
        await _run(connection, experiment, example, repetition=1)
    await _run(connection, experiment, example, repetition=2)
    with pytest.raises(asyncpg.CheckViolationError):
        await _run(connection, experiment, example, repetition=0)

    assert await connection.fetchval("SELECT count(*) FROM experiment_runs") == 2


async def test_an_evaluation_is_one_per_run_and_name(connection: asyncpg.Connection) -> None:
    dataset = await _dataset(connection, "evals")
    version = await _version(connection, dataset)
    example = await _example(connection, dataset, "a")
    run = await _run(connection, await _experiment(connection, dataset, version), example)
    upsert = (
        "INSERT INTO experiment_run_annotations (experiment_run_id, name, annotator_kind, "
        "score, start_time, end_time) VALUES ($1, 'correct', 'CODE', $2, now(), now()) "
        "ON CONFLICT (experiment_run_id, name) DO UPDATE SET score = EXCLUDED.score"
    )

    await connection.execute(upsert, run, 0.0)
    await connection.execute(upsert, run, 1.0)

    rows = await connection.fetch("SELECT name, score FROM experiment_run_annotations")
    assert [tuple(row) for row in rows] == [("correct", 1.0)]
    with pytest.raises(asyncpg.CheckViolationError):
        await connection.execute(
            "INSERT INTO experiment_run_annotations (experiment_run_id, name, annotator_kind, "
            "start_time, end_time) VALUES ($1, 'other', 'ROBOT', now(), now())",
            run,
        )


DATASET_TABLES = (
    "dataset_versions",
    "dataset_examples",
    "dataset_example_revisions",
    "dataset_splits_dataset_examples",
    "datasets_dataset_labels",
    "experiments",
    "experiments_dataset_splits",
    "experiment_tags",
    "experiment_runs",
    "experiment_run_annotations",
)


async def _counts(connection: asyncpg.Connection) -> dict[str, int]:
    return {
        table: await connection.fetchval(f"SELECT count(*) FROM {table}")
        for table in DATASET_TABLES
    }


async def _populate(connection: asyncpg.Connection, name: str, split: int, label: int) -> int:
    """A dataset with two versions, two examples in a split, a label, and an experiment with
    runs, evaluations, a tag and the split; returns its id."""
    dataset = await _dataset(connection, name)
    first = await _version(connection, dataset)
    examples = [await _example(connection, dataset, external) for external in ("a", "b")]
    for example in examples:
        await _revise(connection, example, first, "CREATE", "q")
        await connection.execute(
            "INSERT INTO dataset_splits_dataset_examples VALUES ($1, $2)", split, example
        )
    second = await _version(connection, dataset)
    await _revise(connection, examples[0], second, "PATCH", "q2")
    await connection.execute("INSERT INTO datasets_dataset_labels VALUES ($1, $2)", dataset, label)
    experiment = await _experiment(connection, dataset, second)
    await connection.execute(
        "INSERT INTO experiments_dataset_splits VALUES ($1, $2)", experiment, split
    )
    await connection.execute(
        "INSERT INTO experiment_tags (experiment_id, dataset_id, name) VALUES ($1, $2, 'baseline')",
        experiment,
        dataset,
    )
    for example in examples:
        run = await _run(connection, experiment, example)
        await connection.execute(
            "INSERT INTO experiment_run_annotations (experiment_run_id, name, annotator_kind, "
            "score, start_time, end_time) VALUES ($1, 'correct', 'LLM', 1, now(), now())",
            run,
        )
    return dataset


async def test_deleting_a_dataset_leaves_nothing_of_it_behind(
    connection: asyncpg.Connection,
) -> None:
    split: int = await connection.fetchval(
        "INSERT INTO dataset_splits (name, color) VALUES ('test', '#33c5e8') RETURNING id"
    )
    label: int = await connection.fetchval(
        "INSERT INTO dataset_labels (name, color) VALUES ('gold', '#ffd700') RETURNING id"
    )
    doomed = await _populate(connection, "doomed", split, label)
    await _populate(connection, "kept", split, label)
    before = await _counts(connection)

    await connection.execute("DELETE FROM datasets WHERE id = $1", doomed)

    after = await _counts(connection)
    assert all(count > 0 for count in after.values())
    assert after == {table: count // 2 for table, count in before.items()}
    # Splits and labels are global (as in Phoenix): they stay for the other datasets.
    assert await connection.fetchval("SELECT count(*) FROM dataset_splits") == 1
    assert await connection.fetchval("SELECT count(*) FROM dataset_labels") == 1


async def test_an_example_outlives_the_span_it_was_made_from(
    database_url: str, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "source")
    trace = await create_trace(connection, project, [NOW])
    span = await connection.fetchrow(
        "SELECT id, start_time FROM spans WHERE trace_rowid = $1", trace
    )
    dataset = await _dataset(connection, "from spans")
    version = await _version(connection, dataset)
    example: int = await connection.fetchval(
        "INSERT INTO dataset_examples (dataset_id, span_rowid, span_start_time) "
        "VALUES ($1, $2, $3) RETURNING id",
        dataset,
        span["id"],
        span["start_time"],
    )
    await _revise(connection, example, version, "CREATE", "kept")

    async with engine_for(database_url) as engine, engine.begin() as sql:
        assert await delete_spans(sql, [(span["id"], span["start_time"])]) == 1

    [read] = await _read(database_url, dataset, version)
    assert (read.id, read.input, read.span_rowid) == (example, {"question": "kept"}, span["id"])
    with pytest.raises(asyncpg.CheckViolationError):  # a link names the whole span key
        await connection.execute(
            "INSERT INTO dataset_examples (dataset_id, span_rowid) VALUES ($1, 1)", dataset
        )
