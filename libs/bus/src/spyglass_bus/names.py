"""Every NATS subject, stream and consumer name Spyglass uses, spelled once.

Names hang off a namespace (``SPYGLASS_NATS_NAMESPACE``, default ``spyglass``) so that several
deployments, or several tests, can share one NATS server without seeing each other's spans.
No service spells a subject by hand: it asks a :class:`BusNames`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAMESPACE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class BusNames:
    """The subjects, streams and durable consumers of one Spyglass deployment."""

    namespace: str = "spyglass"

    def __post_init__(self) -> None:
        if not _NAMESPACE.match(self.namespace):
            raise ValueError(
                "a NATS namespace is 1-32 lowercase letters, digits, '-' or '_', "
                f"starting with a letter; got {self.namespace!r}"
            )

    @property
    def _stream_prefix(self) -> str:
        return self.namespace.upper().replace("-", "_")

    @property
    def spans_subject(self) -> str:
        """Where the receiver publishes ``DecodedSpanBatch`` messages."""
        return f"{self.namespace}.spans.decoded"

    @property
    def spans_stream(self) -> str:
        """The durable work queue of decoded span batches awaiting the writer."""
        return f"{self._stream_prefix}_SPANS"

    @property
    def spans_stored_subject(self) -> str:
        """Where the writer announces ``SpansStored`` after each commit."""
        return f"{self.namespace}.spans.stored"

    @property
    def spans_stored_stream(self) -> str:
        """Stored-span announcements kept for the evaluation dispatcher and live views."""
        return f"{self._stream_prefix}_SPANS_STORED"

    @property
    def dead_letter_subject(self) -> str:
        """Where the writer parks batches it can never write, with the reason in a header."""
        return f"{self.namespace}.spans.dead_letter"

    @property
    def dead_letter_stream(self) -> str:
        """Dead-lettered span batches, kept for inspection and replay."""
        return f"{self._stream_prefix}_SPANS_DEAD_LETTER"

    @property
    def writer_consumer(self) -> str:
        """The durable pull consumer every writer shares (competing consumers)."""
        return "span-writer"

    @property
    def eval_dispatcher_consumer(self) -> str:
        """The durable consumer of ``spans.stored`` for online evaluation."""
        return "eval-dispatcher"
