"""Connecting to NATS and declaring the span bus's streams."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from spyglass_bus.names import BusNames
from spyglass_core.errors import DependencyUnavailableError
from spyglass_core.logging import get_logger
from spyglass_core.settings import NatsSettings, env_name, redact_url

log = get_logger(__name__)


async def connect(settings: NatsSettings, client_name: str) -> NatsClient:
    """Connect to NATS once; after that the client reconnects by itself for ever.

    Raises:
        DependencyUnavailableError: the first connection failed; the message names the setting.
    """
    client = NatsClient()

    async def on_disconnected() -> None:
        log.warning("nats_disconnected", url=settings.url)

    async def on_reconnected() -> None:
        log.info("nats_reconnected", url=settings.url)

    async def on_error(error: Exception) -> None:
        log.warning("nats_error", error=str(error))

    try:
        await client.connect(
            servers=[settings.url],
            name=client_name,
            connect_timeout=max(1, round(settings.connect_timeout_seconds)),
            # nats-py retries a refused first connection for ever unless a limit is set:
            # one retry, a second apart, then NoServersError.
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=1,
            disconnected_cb=on_disconnected,
            reconnected_cb=on_reconnected,
            error_cb=on_error,
        )
    except Exception as error:
        raise DependencyUnavailableError(
            f"cannot connect to NATS at {redact_url(settings.url)} "
            f"({error or type(error).__name__}); check {env_name(NatsSettings, 'url')}"
        ) from None
    # Reconnect for ever once the first connection proved the address right.
    client.options["allow_reconnect"] = True
    client.options["max_reconnect_attempts"] = -1
    client.options["reconnect_time_wait"] = 2
    return client


async def ensure_streams(
    jetstream: JetStreamContext, names: BusNames, spans_max_bytes: int
) -> None:
    """Create the span bus's streams, or update their limits, so every process agrees on them.

    The SPANS stream is a work queue with ``discard=new``: once it holds ``spans_max_bytes`` of
    unwritten batches, publishing fails and the receiver answers with back-pressure instead of
    growing without bound.
    """
    configs = [
        StreamConfig(
            name=names.spans_stream,
            subjects=[names.spans_subject],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            discard=DiscardPolicy.NEW,
            max_bytes=spans_max_bytes,
            duplicate_window=120.0,
        ),
        StreamConfig(
            name=names.spans_stored_stream,
            subjects=[names.spans_stored_subject],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=24 * 3600.0,
            max_bytes=spans_max_bytes,
        ),
        StreamConfig(
            name=names.dead_letter_stream,
            subjects=[names.dead_letter_subject],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=14 * 24 * 3600.0,
        ),
    ]
    for config in configs:
        try:
            await jetstream.add_stream(config)
        except BadRequestError:
            # The stream exists with other limits: bring it to this configuration.
            await jetstream.update_stream(config)
        log.debug("stream_ready", stream=config.name)


async def close(client: NatsClient) -> None:
    """Flush what ``client`` still has to send (acks are fire-and-forget), then close it.

    Not a drain: draining waits for subscriptions' pending pull requests, which can take the
    whole shutdown deadline; every message a subscriber left unacked is redelivered anyway.
    """
    try:
        await client.flush(timeout=2)
    except Exception as error:  # reconnecting or already closed: nothing can be flushed
        log.info("nats_closed_without_flush", reason=repr(error))
    await client.close()


def nats_readiness(client: NatsClient) -> Callable[[], Awaitable[None]]:
    """A readiness check that fails while ``client`` is not connected."""

    async def connected() -> None:
        if not client.is_connected:
            raise RuntimeError("not connected to NATS")

    return connected
