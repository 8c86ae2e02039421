"""The span bus: NATS JetStream names, connection and stream declarations."""

from spyglass_bus.connection import close, connect, ensure_streams, nats_readiness
from spyglass_bus.names import BusNames

__all__ = ["BusNames", "close", "connect", "ensure_streams", "nats_readiness"]
