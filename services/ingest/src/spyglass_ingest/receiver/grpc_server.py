"""OTLP/gRPC: ``TraceService/Export``, plus the standard gRPC health service.

Errors map to the status codes OTLP exporters understand: ``INVALID_ARGUMENT``,
``UNAUTHENTICATED`` and ``PERMISSION_DENIED`` (never retried; with auth on, the API key is read
from the ``authorization`` or ``api_key`` metadata, see ``receiver/auth.py``),
``RESOURCE_EXHAUSTED`` (too large, or the bus is full) and ``UNAVAILABLE`` (retried with
back-off). Concurrency is capped, so memory stays bounded: past the cap, gRPC itself answers
``RESOURCE_EXHAUSTED``.
"""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from spyglass_auth import Principal
from spyglass_core.errors import (
    ConfigurationError,
    InvalidArgumentError,
    SpyglassError,
)
from spyglass_core.lifecycle import BackgroundService
from spyglass_core.settings import ServerSettings, env_name
from spyglass_ingest.receiver import metrics
from spyglass_ingest.receiver.auth import CREDENTIAL_KEYS, IngestGuard
from spyglass_ingest.receiver.export import ExportService, project_override
from spyglass_ingest.receiver.refusals import ReceiverFaultError, refusal

PROJECT_METADATA_KEY = "x-project-name"


EXPORT_METHOD = "Export"
TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"


def trace_service_handler(
    exporter: ExportService, guard: IngestGuard | None = None
) -> grpc.GenericRpcHandler:
    """``TraceService/Export``, taking the request as bytes; ``guard`` checks the API key of
    each request (None: auth is off).

    Parsing the bytes here, rather than in gRPC's deserializer, lets the credential be checked
    and the memory budget be taken first, and a malformed request get ``INVALID_ARGUMENT`` with
    the reason (gRPC's own deserializer would answer a bare ``INTERNAL``).
    """

    async def export(body: bytes, context: grpc.aio.ServicerContext) -> ExportTraceServiceResponse:
        principal: Principal | None = None
        try:
            if guard is not None:
                principal = await guard.admit(_credential_metadata(context))
            project = _project(context)
            with exporter.budget.reserve(len(body)):
                metrics.REQUEST_BYTES.observe(len(body))
                try:
                    request = ExportTraceServiceRequest.FromString(body)
                except DecodeError as error:
                    raise InvalidArgumentError(
                        f"the request is not a valid protobuf ExportTraceServiceRequest ({error})"
                    ) from None
                del body
                outcome = await exporter.export(request, project, "grpc", principal)
        except SpyglassError as error:
            await context.abort(refusal(error, "grpc").grpc_code, error.message)
        except Exception as error:
            # Never gRPC's own UNKNOWN: INTERNAL, logged with its exception.
            fault = ReceiverFaultError(error)
            await context.abort(refusal(fault, "grpc").grpc_code, fault.message)
        return outcome.response()

    method = grpc.unary_unary_rpc_method_handler(
        export, response_serializer=ExportTraceServiceResponse.SerializeToString
    )
    return grpc.method_handlers_generic_handler(TRACE_SERVICE, {EXPORT_METHOD: method})


def _project(context: grpc.aio.ServicerContext) -> str | None:
    """The project the ``x-project-name`` metadata names.

    Raises:
        InvalidArgumentError: the name is too long or holds a NUL.
    """
    for key, value in context.invocation_metadata() or ():
        if key == PROJECT_METADATA_KEY and isinstance(value, str) and value.strip():
            return project_override(value, f"`{PROJECT_METADATA_KEY}` metadata")
    return None


def _credential_metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    """The metadata that may carry a credential (gRPC gives keys in lower case)."""
    return {
        key: value
        for key, value in context.invocation_metadata() or ()
        if key in CREDENTIAL_KEYS and isinstance(value, str)
    }


class GrpcServerService(BackgroundService):
    """Serves OTLP ``TraceService`` and gRPC health until stopped."""

    def __init__(
        self,
        name: str,
        settings: ServerSettings,
        exporter: ExportService,
        max_message_bytes: int,
        max_concurrent_rpcs: int = 16,
        drain_seconds: float = 10.0,
        guard: IngestGuard | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._drain_seconds = drain_seconds
        self.server = grpc.aio.server(
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", max_message_bytes),
            ],
            maximum_concurrent_rpcs=max_concurrent_rpcs,
        )
        self.server.add_generic_rpc_handlers((trace_service_handler(exporter, guard),))
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = settings.port

    async def start(self) -> None:
        address = f"{self._settings.host}:{self._settings.port}"
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError as error:
            self.port = 0
            reason = str(error)
        else:
            reason = "address in use or not available"
        if self.port == 0:
            raise ConfigurationError(
                f"cannot listen on {address} for OTLP/gRPC ({reason}); "
                f"set {env_name(type(self._settings), 'port')} to a free port"
            )
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def wait(self) -> None:
        # Shielded: cancelling this wait must not cancel the server's own shutdown future,
        # which stop() awaits afterwards.
        await asyncio.shield(self.server.wait_for_termination())
        raise RuntimeError("the gRPC server stopped")

    async def stop(self) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace=self._drain_seconds)
