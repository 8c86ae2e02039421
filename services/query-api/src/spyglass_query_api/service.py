"""The query API's process, as ``spyglass run`` and the configuration reference see it.

Declared under the ``spyglass.services`` entry points in this package's ``pyproject.toml``; the
launcher (a library) finds it there and never imports this package by name.
"""

from __future__ import annotations

from spyglass_core.services import ServiceSpec
from spyglass_query_api.settings import QueryApiSettings

SERVICE = ServiceSpec(
    name="query-api",
    title="query-api",
    order=10,
    module="spyglass_query_api",
    settings=QueryApiSettings,
    listeners=("server",),
    health="server",
)
"""REST `/v1/*` and GraphQL; internal, behind the gateway."""
