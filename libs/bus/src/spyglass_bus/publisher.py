"""Publishing span batches to the SPANS stream, answering only once JetStream stored them.

A batch larger than the server's ``max_payload`` is split into several messages (each with its
own ``Nats-Msg-Id``, derived from the batch id, so a retried publish is de-duplicated by the
stream). Failures come back as the error tree's retryable errors, which each edge maps to its
back-pressure status:

* the stream is full (``discard=new`` at ``max_bytes``): :class:`OverloadedError`;
* NATS is unreachable, or JetStream does not answer in time: :class:`DependencyUnavailableError`.

A single span larger than a message can never be published: that is a permanent refusal
(:class:`PayloadTooLargeError`, raised before any part is sent), never a retryable error.
Callers that can refuse such spans one by one (the receiver) measure them against
:attr:`SpanBatchPublisher.max_span_bytes` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import APIError

from spyglass_bus.names import BusNames
from spyglass_core.errors import (
    DependencyUnavailableError,
    OverloadedError,
    PayloadTooLargeError,
)
from spyglass_core.logging import get_logger
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpanBatch

log = get_logger(__name__)

_STREAM_FULL_ERROR_CODE = 10077
"""JetStream's error code for a store failure; with ``discard=new`` it means the stream is full."""

_HEADER_ROOM = 1024
"""Bytes of ``max_payload`` left for the message's headers and subject."""

_BATCH_ROOM = 2048
"""Bytes of a message taken by a part's own fields (batch id, project name of up to 256
characters, time) and a span's field tag and length."""


class SpanBatchPublisher:
    """Publishes :class:`DecodedSpanBatch` messages to the SPANS stream of one namespace."""

    def __init__(
        self,
        nats: NatsClient,
        names: BusNames,
        timeout_seconds: float = 10.0,
        retry_after_seconds: float = 2.0,
    ) -> None:
        self._nats = nats
        self._jetstream: JetStreamContext = nats.jetstream()
        self._names = names
        self._timeout_seconds = timeout_seconds
        self._retry_after_seconds = retry_after_seconds

    @property
    def max_message_bytes(self) -> int:
        """The largest message this publisher sends: the server's limit less header room."""
        return max(64 * 1024, self._nats.max_payload - _HEADER_ROOM)

    @property
    def max_span_bytes(self) -> int:
        """The largest serialized ``DecodedSpan`` a message can carry."""
        return self.max_message_bytes - _BATCH_ROOM

    async def publish(self, batch: DecodedSpanBatch, encoded: bytes | None = None) -> int:
        """Publish ``batch`` and wait until JetStream stored every part of it.

        ``encoded``, when given, is ``batch`` serialized already (the receiver measures batches
        by encoding them); it is sent as it is when it fits in one message.

        Returns:
            The number of messages the batch became.

        Raises:
            PayloadTooLargeError: a span is larger than a message (nothing is published).
            OverloadedError: the stream is at its byte limit; retry after a while.
            DependencyUnavailableError: NATS or JetStream can't be reached or did not answer.
        """
        if not self._nats.is_connected:
            raise DependencyUnavailableError("the span bus (NATS) is unreachable; retry later")
        data = batch.SerializeToString() if encoded is None else encoded
        if len(data) <= self.max_message_bytes:
            messages = [(batch.batch_id, data)]
        else:
            parts = split_batch(batch, self.max_message_bytes)
            messages = [(part.batch_id, part.SerializeToString()) for part in parts]
        results = await asyncio.gather(
            *(self._publish_one(*message) for message in messages), return_exceptions=True
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise self._translate(errors[0], batch) from errors[0]
        return len(messages)

    async def _publish_one(self, message_id: str, data: bytes) -> None:
        await self._jetstream.publish(
            self._names.spans_subject,
            data,
            timeout=self._timeout_seconds,
            stream=self._names.spans_stream,
            headers={"Nats-Msg-Id": message_id},
        )

    def _translate(self, error: BaseException, batch: DecodedSpanBatch) -> Exception:
        if isinstance(error, APIError) and (
            error.err_code == _STREAM_FULL_ERROR_CODE or "maximum" in (error.description or "")
        ):
            log.warning(
                "span_bus_full",
                spans=len(batch.spans),
                project=batch.project_name,
                retry_after_seconds=self._retry_after_seconds,
            )
            return OverloadedError(
                "the span bus is full (writers are behind); retry later",
                retry_after_seconds=self._retry_after_seconds,
            )
        if isinstance(error, APIError | nats.errors.Error | asyncio.TimeoutError | OSError):
            log.warning("span_publish_failed", spans=len(batch.spans), error=repr(error))
            return DependencyUnavailableError(
                f"the span bus (NATS JetStream) did not store the spans ({type(error).__name__}); "
                "retry later"
            )
        return RuntimeError(f"publishing spans failed: {error!r}")


def split_batch(batch: DecodedSpanBatch, max_bytes: int) -> Iterator[DecodedSpanBatch]:
    """``batch`` itself if it fits in ``max_bytes``, else parts that each fit.

    Parts are named ``<batch_id>.<n>``.

    Raises:
        PayloadTooLargeError: a single span does not fit in ``max_bytes``.
    """
    if batch.ByteSize() <= max_bytes:
        yield batch
        return
    number = 0
    part = _empty_part(batch, number)
    size = part.ByteSize()
    for span in batch.spans:
        span_bytes = span.ByteSize()
        if span_bytes > max_bytes - _BATCH_ROOM:
            raise PayloadTooLargeError(
                f"span {span.span_id} is {span_bytes} bytes, more than the span bus takes in one "
                f"message ({max_bytes - _BATCH_ROOM} bytes)"
            )
        span_size = span_bytes + 8  # field tag and length prefix
        if part.spans and size + span_size > max_bytes:
            yield part
            number += 1
            part = _empty_part(batch, number)
            size = part.ByteSize()
        part.spans.append(span)
        size += span_size
    if part.spans:
        yield part


def _empty_part(batch: DecodedSpanBatch, number: int) -> DecodedSpanBatch:
    return DecodedSpanBatch(
        batch_id=f"{batch.batch_id}.{number}",
        project_name=batch.project_name,
        received_at_unix_nano=batch.received_at_unix_nano,
    )
