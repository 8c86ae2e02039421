"""structlog configuration, done once per process in ``main()``.

Every line a process writes goes through structlog, including the standard-library loggers of
uvicorn, celery, alembic and grpc, so a log shipper sees one JSON object per line with
``service``, ``level``, ``event`` and ``timestamp``. On a terminal (or with
``SPYGLASS_LOG_FORMAT=console``) the same events are rendered for people.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from spyglass_core.settings import LogSettings

_EXCEPTION_AS_DICT = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False, max_frames=20)
)
"""Exceptions as structured JSON, without the frames' local variables: those can hold
connection strings, credentials and request bodies, and made one line of 26 KB per failed
retry."""


def _json_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def configure_logging(settings: LogSettings, service: str) -> None:
    """Route structlog and standard-library logging to stderr in the configured format.

    Args:
        settings: level and format.
        service: the process name bound to every event (``query-api``, ``ingest-writer``...).
    """
    use_console = settings.format == "console" or (
        settings.format == "auto" and sys.stderr.isatty()
    )

    def add_service(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event.setdefault("service", service)
        return event

    shared: list[structlog.types.Processor] = [
        add_service,
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor
    if use_console:
        renderer = structlog.dev.ConsoleRenderer()
    else:
        shared.append(_EXCEPTION_AS_DICT)
        renderer = structlog.processors.JSONRenderer(serializer=_json_dumps)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    # These libraries log every request or poll at INFO; keep them to warnings.
    logging.captureWarnings(True)
    for noisy in ("uvicorn.access", "uvicorn.error", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger; module code calls this at import time, which is safe."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
