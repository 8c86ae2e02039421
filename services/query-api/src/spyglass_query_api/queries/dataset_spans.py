"""From traces to datasets: stored spans become a dataset's examples, in one new version.

Each span gives one example whose input, output and metadata are taken from it as Phoenix's
``addSpansToDataset`` takes them (``span_examples.py``), and which keeps its link to the span
(``span_rowid`` / ``span_start_time``, shown as the example's ``source``). Spans are named by
OTel span id (the REST upload's ``span_ids``) or by row id (GraphQL's ``Span`` GlobalIDs); an
OTel id stored more than once (two projects, say) names its earliest span, as the upload's links
do. Every span must exist: :class:`UnknownSpansError` names those that don't, and the caller's
transaction (a savepoint here) leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Text

from spyglass_core.errors import NotFoundError
from spyglass_query_api.queries import datasets
from spyglass_query_api.queries.datasets import NewExample
from spyglass_query_api.queries.span_examples import (
    example_input,
    example_metadata,
    example_output,
)
from spyglass_query_api.queries.tables import ROWIDS

MAX_SPANS = 10_000
"""Spans one request may add (each is read whole, attributes and annotations)."""

_SPAN_COLUMNS_SQL = """
    s.id, s.span_id, s.span_kind, s.attributes,
    COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
            'name', a.name, 'label', a.label, 'score', a.score, 'explanation', a.explanation,
            'metadata', a.metadata, 'annotator_kind', a.annotator_kind) ORDER BY a.name, a.id)
        FROM span_annotations AS a
        WHERE a.span_rowid = s.id AND a.span_start_time = s.start_time
    ), '[]') AS annotations
"""
_SPANS_BY_ID = text(
    f"""
    SELECT DISTINCT ON (s.span_id) {_SPAN_COLUMNS_SQL}
    FROM spans AS s WHERE s.span_id = ANY(:span_ids)
    ORDER BY s.span_id, s.start_time
    """
).bindparams(bindparam("span_ids", type_=ARRAY(Text)))
_SPANS_BY_ROWID = text(
    f"SELECT {_SPAN_COLUMNS_SQL} FROM spans AS s WHERE s.id = ANY(:span_rowids)"
).bindparams(bindparam("span_rowids", type_=ROWIDS))
_LOCK = text("UPDATE datasets SET updated_at = now() WHERE id = :id RETURNING id").bindparams(
    bindparam("id", type_=BigInteger)
)  # the row lock a new version needs, held until commit


class UnknownSpansError(NotFoundError):
    """Spans named that are not stored (``unknown``: their OTel ids or row ids)."""

    def __init__(self, unknown: Sequence[str | int]) -> None:
        self.unknown = list(unknown)
        shown = ", ".join(str(span) for span in self.unknown[:10])
        more = f" and {len(self.unknown) - 10} more" if len(self.unknown) > 10 else ""
        super().__init__(f"Some spans could not be found: {shown}{more}")


@dataclass(frozen=True)
class SpansAdded:
    """The version the spans' examples were written in, and how many there are."""

    version_id: int
    example_count: int


def _example(row: Any) -> NewExample:
    return NewExample(
        input=example_input(row.span_kind, row.attributes),
        output=example_output(row.span_kind, row.attributes),
        metadata=example_metadata(row.span_kind, row.attributes, row.annotations),
        span_id=row.span_id,
    )


async def examples_from_spans(
    connection: AsyncConnection,
    *,
    span_ids: Sequence[str] = (),
    span_rowids: Sequence[int] = (),
) -> list[NewExample]:
    """The examples of the spans with OTel ids ``span_ids`` or row ids ``span_rowids``, each
    span once, in the order named.

    Raises:
        UnknownSpansError: some of them are not stored.
    """
    if span_rowids:
        wanted: list[str | int] = list(dict.fromkeys(span_rowids))
        result = await connection.execute(_SPANS_BY_ROWID, {"span_rowids": wanted})
        by_key: dict[str | int, Any] = {row.id: row for row in result}
    else:
        wanted = list(dict.fromkeys(span_ids))
        result = await connection.execute(_SPANS_BY_ID, {"span_ids": wanted})
        by_key = {row.span_id: row for row in result}
    unknown = [key for key in wanted if key not in by_key]
    if unknown:
        raise UnknownSpansError(unknown)
    return [_example(by_key[key]) for key in wanted]


async def add_spans_to_dataset(
    connection: AsyncConnection,
    dataset_id: int,
    *,
    span_ids: Sequence[str] = (),
    span_rowids: Sequence[int] = (),
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> SpansAdded | None:
    """Add the spans (by OTel id or row id) to the dataset as examples of one new version, in a
    savepoint; None if there is no such dataset.

    Raises:
        UnknownSpansError: some spans are not stored (nothing is written).
    """
    async with connection.begin_nested():
        if (await connection.execute(_LOCK, {"id": dataset_id})).scalar() is None:
            return None
        examples = await examples_from_spans(connection, span_ids=span_ids, span_rowids=span_rowids)
        version_id = await datasets.create_version(
            connection, dataset_id, description, metadata or {}
        )
        count = await datasets.write_examples(connection, dataset_id, version_id, examples)
    return SpansAdded(version_id, count)
