"""A dataset version's examples as export files: JSONL (Phoenix's, OpenAI fine-tuning, OpenAI
evals) lines written by PostgreSQL, and the rows a CSV is made of.

Every export reads the version's examples through ``EXAMPLES_AT_VERSION`` in example id order,
with the names of each example's splits (sorted, as Phoenix lists them), through a server-side
cursor ``BATCH`` rows at a time: memory stays bounded whatever the dataset's size.

JSONL lines are built as text by PostgreSQL in the layout of Python's ``json.dumps`` (``", "``
and ``": "`` separators, non-ASCII kept): objects' keys in ``jsonb``'s order, as Phoenix reads
them back from PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_db.datasets import EXAMPLES_AT_VERSION

BATCH = 1000
"""Rows read from the cursor at a time."""
_ALL = 2**31 - 1

_EXAMPLES_SQL = f"""
    FROM ({EXAMPLES_AT_VERSION.text}) AS x
    CROSS JOIN LATERAL (
        SELECT encode(convert_to('DatasetExample:' || x.id, 'UTF8'), 'base64') AS node_id
    ) AS g
    CROSS JOIN LATERAL (
        SELECT COALESCE(jsonb_agg(s.name ORDER BY s.name), '[]') AS names
        FROM dataset_splits_dataset_examples AS l
        JOIN dataset_splits AS s ON s.id = l.dataset_split_id
        WHERE l.dataset_example_id = x.id
    ) AS splits
    ORDER BY x.id
"""
"""The version's examples ``x`` with their GlobalID ``g.node_id`` and ``splits.names``."""


def _array_at(value: str) -> str:
    """``value`` (a jsonb expression) if it is an array, else ``[]`` (Phoenix's rule)."""
    return f"(CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} ELSE '[]'::jsonb END)"


def _truthy(value: str) -> str:
    """Whether a jsonb value is true as Python takes it (non-empty, non-zero, true)."""
    return f"""(CASE jsonb_typeof({value})
        WHEN 'array' THEN jsonb_array_length({value}) > 0
        WHEN 'object' THEN {value} <> '{{}}'::jsonb
        WHEN 'string' THEN {value} <> '""'::jsonb
        WHEN 'number' THEN {value} <> '0'::jsonb
        WHEN 'boolean' THEN {value} = 'true'::jsonb
        ELSE false END)"""


_LAST_OUTPUT_MESSAGE = "(x.output -> 'messages' -> -1)"


class JsonlFormat(Enum):
    """The JSONL exports, each one JSON object a line per example."""

    EXAMPLES = """
        '{"id": ' || to_json(COALESCE(x.external_id, g.node_id))::text
        || ', "node_id": ' || to_json(g.node_id)::text
        || ', "input": ' || x.input::text || ', "output": ' || x.output::text
        || ', "metadata": ' || x.metadata::text || ', "splits": ' || splits.names::text || '}'
    """
    """Phoenix's own: ``id`` (the client id, else the GlobalID), ``node_id``, ``input``,
    ``output``, ``metadata``, ``splits``."""

    OPENAI_FINE_TUNING = f"""
        '{{"messages": '
        || ({_array_at("x.input -> 'messages'")} || {_array_at("x.output -> 'messages'")})::text
        || CASE WHEN {_truthy("x.input -> 'tools'")}
                THEN ', "tools": ' || (x.input -> 'tools')::text ELSE '' END
        || '}}'
    """
    """OpenAI's fine-tuning file: the input's ``messages`` then the output's, and the input's
    ``tools`` if it has any."""

    OPENAI_EVALS = f"""
        '{{"messages": ' || {_array_at("x.input -> 'messages'")}::text
        || ', "ideal": ' || CASE
            WHEN jsonb_typeof(x.output -> 'messages') = 'array'
             AND jsonb_typeof({_LAST_OUTPUT_MESSAGE}) = 'object'
             AND jsonb_typeof({_LAST_OUTPUT_MESSAGE} -> 'content') = 'string'
            THEN ({_LAST_OUTPUT_MESSAGE} -> 'content')::text ELSE '""' END
        || '}}'
    """
    """OpenAI's evals file: the input's ``messages``, and as ``ideal`` the text content of the
    output's last message (else "")."""

    @property
    def statement(self) -> TextClause:
        """The statement reading this format's lines (column ``line``)."""
        return _LINE_STATEMENTS[self]


_LINE_STATEMENTS = {
    export_format: text(f"SELECT {export_format.value} AS line {_EXAMPLES_SQL}").bindparams(
        *EXAMPLES_AT_VERSION._bindparams.values()
    )
    for export_format in JsonlFormat
}
_CONTENT_ROWS = text(
    f"""
    SELECT COALESCE(x.external_id, g.node_id) AS id, g.node_id, x.input, x.output, x.metadata,
           splits.names AS splits
    {_EXAMPLES_SQL}
    """
).bindparams(*EXAMPLES_AT_VERSION._bindparams.values())


def _values(dataset_id: int, version_id: int) -> dict[str, Any]:
    return {"dataset_id": dataset_id, "version_id": version_id, "after_id": 0, "limit": _ALL}


async def stream_jsonl_lines(
    connection: AsyncConnection, dataset_id: int, version_id: int, export_format: JsonlFormat
) -> AsyncIterator[list[str]]:
    """The version's examples as lines of ``export_format`` (without their newlines), in
    batches of ``BATCH``, through a server-side cursor (one statement: one snapshot)."""
    result = await connection.stream(export_format.statement, _values(dataset_id, version_id))
    async for batch in result.partitions(BATCH):
        yield [row[0] for row in batch]


async def stream_example_contents(
    connection: AsyncConnection, dataset_id: int, version_id: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The version's examples as rows of ``id``, ``node_id``, ``input``, ``output``,
    ``metadata`` and ``splits`` (a list of names), in batches of ``BATCH``, through a
    server-side cursor."""
    result = await connection.stream(_CONTENT_ROWS, _values(dataset_id, version_id))
    async for batch in result.partitions(BATCH):
        yield batch
