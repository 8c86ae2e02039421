"""The receiver's gRPC server as a :class:`BackgroundService`."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from spyglass_core.errors import ConfigurationError
from spyglass_core.lifecycle import BackgroundService
from spyglass_core.settings import ServerSettings, env_name


class GrpcServerService(BackgroundService):
    """Serves the standard gRPC health service (and, from the ingest issue, OTLP) until stopped."""

    def __init__(self, name: str, settings: ServerSettings, drain_seconds: float = 10.0) -> None:
        self.name = name
        self._settings = settings
        self._drain_seconds = drain_seconds
        self.server = grpc.aio.server(
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ]
        )
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
