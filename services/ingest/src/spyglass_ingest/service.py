"""The ingest plane's two processes, as ``spyglass run`` and the configuration reference see them.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds them there and never imports this package by name. The receiver and
the writer are separate processes that scale on their own, so each has its own entry.
"""

from __future__ import annotations

from spyglass_core.services import Address, ServiceSpec
from spyglass_ingest.settings import ReceiverSettings, WriterSettings

RECEIVER = ServiceSpec(
    name="ingest-receiver",
    title="ingest receiver",
    order=20,
    module="spyglass_ingest",
    arguments=("receiver",),
    settings=ReceiverSettings,
    listeners=("http", "grpc"),
    health="http",
    addresses=(Address("OTLP/gRPC", "grpc"), Address("OTLP/HTTP", "http", "/v1/traces")),
)
"""OTLP over gRPC and HTTP in, `DecodedSpanBatch` onto JetStream."""

WRITER = ServiceSpec(
    name="ingest-writer",
    title="ingest writer",
    order=30,
    module="spyglass_ingest",
    arguments=("writer",),
    settings=WriterSettings,
    listeners=("health",),
    health="health",
)
"""JetStream to PostgreSQL; the launcher may start several (``LauncherSettings.ingest_writers``)."""
