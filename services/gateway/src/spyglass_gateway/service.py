"""The gateway's process, as ``spyglass run`` and the configuration reference see it.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds it there and never imports this package by name. Its upstreams name
the processes it forwards to, so that on one machine the launcher points it wherever their
ports were moved.
"""

from __future__ import annotations

from spyglass_core.services import Address, ServiceSpec, Upstream
from spyglass_gateway.settings import GatewaySettings

SERVICE = ServiceSpec(
    name="gateway",
    title="gateway",
    order=60,
    module="spyglass_gateway",
    settings=GatewaySettings,
    listeners=("server",),
    health="server",
    addresses=(Address("UI", "server"),),
    upstreams=(
        Upstream("server.query_api_url", service="query-api", listener="server"),
        Upstream("server.ingest_url", service="ingest-receiver", listener="http"),
    ),
)
"""The web UI and the one public HTTP address."""
