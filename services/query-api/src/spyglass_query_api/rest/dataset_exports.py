"""Dataset exports (Phoenix's): a version's examples as CSV, JSONL, OpenAI fine-tuning JSONL
and OpenAI evals JSONL files, ``/v1/datasets/{id}/csv|jsonl|jsonl/openai_ft|jsonl/openai_evals``.

Each answer is streamed from a server-side cursor (``queries/dataset_exports.py``), so memory
stays bounded whatever the dataset's size; the file is named after the dataset as Phoenix names
it (``attachment; filename*=UTF-8''<name, percent-encoded>.csv``).

The CSV has Phoenix's columns: ``id``, ``node_id``, then ``input.<key>``, ``output.<key>`` and
``metadata.<key>`` with nested objects flattened into dotted keys and lists written as JSON, in
the order each first appears, and ``splits`` (a JSON list) when any example is in a split.
Knowing the columns before the first row takes a first pass over the version (kept to the column
names); the rows are the second. A version never changes once written, so both read the same
examples. Cells are the values themselves (``True``, ``1.5``, empty for null), where Phoenix's
pandas would write an integer column with gaps as floats.

Refusals (Phoenix's 422): an id that is not a dataset's GlobalID, a ``version_id`` that is not
one of its versions, a dataset that does not exist.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Annotated, Any, TypeAlias

from litestar import Controller, get
from litestar.params import Parameter, PathParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import dataset_exports as queries
from spyglass_query_api.queries import datasets as dataset_queries
from spyglass_query_api.queries.dataset_exports import JsonlFormat
from spyglass_query_api.queries.ids import rowid_of
from spyglass_query_api.rest.errors import UnprocessableParameterError

DatasetId: TypeAlias = Annotated[str, PathParameter(description="The ID of the dataset")]
VersionId: TypeAlias = Annotated[
    str | None,
    Parameter(
        description="The ID of the dataset version (if omitted, returns data from the latest "
        "version)"
    ),
]
JSONL_MEDIA_TYPE = "text/plain"
"""What Phoenix answers its JSONL exports with (its plain-text response; litestar adds the
charset, utf-8)."""


async def _export_of(
    connection: AsyncConnection, id: str, version_id: str | None
) -> tuple[str, int, int | None]:
    """The dataset's name, its row id and the version to export (None: it has none).

    Raises:
        UnprocessableParameterError: ``id`` or ``version_id`` names no dataset or version of it.
    """
    dataset_rowid = rowid_of(id, "Dataset")
    if dataset_rowid is None:
        raise UnprocessableParameterError("id", f"Invalid dataset ID format: {id}", "path")
    dataset = await dataset_queries.get_dataset_by_rowid(connection, dataset_rowid)
    if dataset is None:
        raise UnprocessableParameterError("id", "Dataset does not exist.", "path")
    if not version_id:
        return (
            dataset.name,
            dataset_rowid,
            await dataset_queries.get_latest_version(connection, dataset_rowid),
        )
    version_rowid = rowid_of(version_id, "DatasetVersion")
    if version_rowid is None:
        raise UnprocessableParameterError(
            "version_id", f"Invalid dataset version ID format: {version_id}"
        )
    if not await dataset_queries.is_version_of(connection, dataset_rowid, version_rowid):
        raise UnprocessableParameterError(
            "version_id", f"Dataset version {version_id} is not a version of dataset {id}"
        )
    return dataset.name, dataset_rowid, version_rowid


def _attachment(name: str, extension: str) -> dict[str, str]:
    """The file's name: the dataset's, percent-encoded, as Phoenix writes it."""
    filename = f"{urllib.parse.quote(name)}.{extension}"
    return {"content-disposition": f"attachment; filename*=UTF-8''{filename}"}


def _flattened(value: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """``value``'s leaves as ``(prefix.key.subkey, value)``; lists as JSON text (Phoenix's)."""
    for key, item in value.items():
        column = f"{prefix}.{key}"
        if isinstance(item, dict):
            yield from _flattened(item, column)
        elif isinstance(item, list):
            yield column, json.dumps(item, ensure_ascii=False)
        else:
            yield column, item


def _record(row: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": row.id, "node_id": row.node_id}
    for prefix, content in (("input", row.input), ("output", row.output)):
        record.update(_flattened(content, prefix))
    record.update(_flattened(row.metadata, "metadata"))
    return record


async def _csv_columns(
    connection: AsyncConnection, dataset_rowid: int, version_id: int
) -> list[str]:
    """The CSV's header: every column in the order it first appears (the first pass).

    Every record has ``splits`` last when any example is in a split, so that column follows
    the first record's.
    """
    columns: dict[str, None] = {"id": None, "node_id": None}
    first_record_width: int | None = None
    any_splits = False
    async for batch in queries.stream_example_contents(connection, dataset_rowid, version_id):
        for row in batch:
            columns.update(dict.fromkeys(_record(row)))
            if first_record_width is None:
                first_record_width = len(columns)
            any_splits = any_splits or bool(row.splits)
    names = list(columns)
    if any_splits and first_record_width is not None:
        names.insert(first_record_width, "splits")
    return names


def _csv_chunks(
    engine: AsyncEngine, dataset_rowid: int, version_id: int | None, columns: list[str]
) -> AsyncIterator[str]:
    async def chunks() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        with_splits = "splits" in columns
        if version_id is not None:
            async with engine.connect() as reader:
                rows = queries.stream_example_contents(reader, dataset_rowid, version_id)
                async for batch in rows:
                    for row in batch:
                        record = _record(row)
                        if with_splits:
                            record["splits"] = json.dumps(row.splits, ensure_ascii=False)
                        writer.writerow(record)
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        yield out.getvalue()

    return chunks()


def _jsonl_chunks(
    engine: AsyncEngine, dataset_rowid: int, version_id: int | None, export_format: JsonlFormat
) -> AsyncIterator[str]:
    async def chunks() -> AsyncIterator[str]:
        if version_id is None:
            return
        async with engine.connect() as reader:
            lines = queries.stream_jsonl_lines(reader, dataset_rowid, version_id, export_format)
            async for batch in lines:
                yield "".join(f"{line}\n" for line in batch)

    return chunks()


async def _jsonl_export(
    connection: AsyncConnection, id: str, version_id: str | None, export_format: JsonlFormat
) -> Stream:
    name, dataset_rowid, version_rowid = await _export_of(connection, id, version_id)
    chunks = _jsonl_chunks(connection.engine, dataset_rowid, version_rowid, export_format)
    return Stream(chunks, media_type=JSONL_MEDIA_TYPE, headers=_attachment(name, "jsonl"))


class DatasetExportController(Controller):
    path = "/v1/datasets/{id:str}"
    tags = ["datasets"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get("/csv", summary="Download dataset examples as CSV file", media_type="text/csv")
    async def get_dataset_csv(
        self,
        connection: Db,
        id: DatasetId,
        version_id: VersionId = None,
    ) -> Stream:
        """A version's examples (the latest by default) as CSV, streamed."""
        name, dataset_rowid, version_rowid = await _export_of(connection, id, version_id)
        columns = ["id", "node_id"]
        if version_rowid is not None:
            columns = await _csv_columns(connection, dataset_rowid, version_rowid)
        chunks = _csv_chunks(connection.engine, dataset_rowid, version_rowid, columns)
        return Stream(chunks, media_type="text/csv", headers=_attachment(name, "csv"))

    @get("/jsonl", summary="Download dataset examples as JSONL file", media_type=JSONL_MEDIA_TYPE)
    async def get_dataset_jsonl(
        self, connection: Db, id: DatasetId, version_id: VersionId = None
    ) -> Stream:
        """A version's examples as Phoenix's JSONL (``id``, ``node_id``, ``input``,
        ``output``, ``metadata``, ``splits``), streamed."""
        return await _jsonl_export(connection, id, version_id, JsonlFormat.EXAMPLES)

    @get(
        "/jsonl/openai_ft",
        summary="Download dataset examples as OpenAI fine-tuning JSONL file",
        media_type=JSONL_MEDIA_TYPE,
    )
    async def get_dataset_jsonl_openai_ft(
        self, connection: Db, id: DatasetId, version_id: VersionId = None
    ) -> Stream:
        """A version's examples as OpenAI fine-tuning lines (``messages``, ``tools``)."""
        return await _jsonl_export(connection, id, version_id, JsonlFormat.OPENAI_FINE_TUNING)

    @get(
        "/jsonl/openai_evals",
        summary="Download dataset examples as OpenAI evals JSONL file",
        media_type=JSONL_MEDIA_TYPE,
    )
    async def get_dataset_jsonl_openai_evals(
        self, connection: Db, id: DatasetId, version_id: VersionId = None
    ) -> Stream:
        """A version's examples as OpenAI evals lines (``messages``, ``ideal``)."""
        return await _jsonl_export(connection, id, version_id, JsonlFormat.OPENAI_EVALS)
