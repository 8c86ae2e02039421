"""Parked annotations (``pending_annotations``, migration 0006): written, claimed, settled.

Annotations posted with ``sync=false`` whose target isn't stored yet wait here;
``annotations/pending.py`` runs the loop that claims the due ones (``FOR UPDATE SKIP LOCKED``,
so replicas share the work), stores those whose target arrived and drops the expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger

from spyglass_db.annotations import AnnotationWrite, TargetKind

_IDS = bindparam("ids", type_=ARRAY(BigInteger))

_PARK = text(
    "INSERT INTO pending_annotations (target_kind, target_id, document_position, name, "
    "label, score, explanation, metadata, annotator_kind, identifier, source, user_id, "
    "received_at, expires_at, next_attempt_at) "
    "SELECT :kind, target_id, document_position, name, label, score, explanation, "
    "COALESCE(metadata, '{}'), annotator_kind, identifier, source, user_id, now(), "
    "now() + make_interval(secs => :deadline), now() "
    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(target_id text, "
    "document_position int, name text, label text, score float8, explanation text, "
    "metadata jsonb, annotator_kind text, identifier text, source text, user_id bigint)"
)
_CLAIM = text(
    "SELECT id, target_kind, target_id, document_position, name, label, score, "
    "explanation, metadata, annotator_kind, identifier, source, user_id, received_at, "
    "expires_at <= now() AS expired FROM pending_annotations "
    "WHERE next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT :batch "
    "FOR UPDATE SKIP LOCKED"
)
_SETTLE = text("DELETE FROM pending_annotations WHERE id = ANY(:ids)").bindparams(_IDS)
_RETRY = text(
    "UPDATE pending_annotations SET attempts = attempts + 1, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE id = ANY(:ids)"
).bindparams(_IDS)


@dataclass(frozen=True)
class PendingAnnotationRow:
    """A parked annotation; ``expired``: its deadline has passed."""

    id: int
    target_kind: str
    target_id: str
    document_position: int | None
    name: str
    label: str | None
    score: float | None
    explanation: str | None
    metadata: dict[str, Any]
    annotator_kind: str
    identifier: str
    source: str
    user_id: int | None
    received_at: datetime
    expired: bool

    def write(self) -> AnnotationWrite:
        """The annotation as it was written, to store it now."""
        return AnnotationWrite(
            target_id=self.target_id,
            name=self.name,
            annotator_kind=self.annotator_kind,
            label=self.label,
            score=self.score,
            explanation=self.explanation,
            metadata=self.metadata,
            identifier=self.identifier,
            source=self.source,
            user_id=self.user_id,
            document_position=self.document_position,
            received_at=self.received_at,
        )


async def create_pending_annotations(
    connection: AsyncConnection,
    kind: TargetKind,
    writes: Sequence[AnnotationWrite],
    deadline: timedelta,
) -> None:
    """Park ``writes`` (one statement), due at once and kept for at most ``deadline``."""
    rows = [
        {
            "target_id": write.target_id,
            "document_position": write.document_position,
            "name": write.name,
            "label": write.label,
            "score": write.score,
            "explanation": write.explanation,
            "metadata": write.metadata or {},
            "annotator_kind": write.annotator_kind,
            "identifier": write.identifier,
            "source": write.source,
            "user_id": write.user_id,
        }
        for write in writes
    ]
    await connection.execute(
        _PARK,
        {
            "kind": kind.value,
            "rows": orjson.dumps(rows).decode(),
            "deadline": deadline.total_seconds(),
        },
    )


async def claim_pending_annotations(
    connection: AsyncConnection, batch_size: int
) -> list[PendingAnnotationRow]:
    """Up to ``batch_size`` due parked annotations, locked until the transaction ends; rows
    another transaction holds are skipped, not waited for."""
    result = await connection.execute(_CLAIM, {"batch": batch_size})
    return [PendingAnnotationRow(*row) for row in result]


async def delete_pending_annotations(
    connection: AsyncConnection, pending_rowids: Sequence[int]
) -> None:
    """Remove settled parked annotations."""
    await connection.execute(_SETTLE, {"ids": list(pending_rowids)})


async def retry_pending_annotations(
    connection: AsyncConnection, pending_rowids: Sequence[int], delay: timedelta
) -> None:
    """Count an attempt of each and make it due again after ``delay``."""
    await connection.execute(_RETRY, {"ids": list(pending_rowids), "delay": delay.total_seconds()})
