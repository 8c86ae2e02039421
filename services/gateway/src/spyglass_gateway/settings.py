"""Settings of the gateway (`SPYGLASS_GATEWAY_*`), the one public HTTP address, plus Phoenix's
auth switches and, when auth is on, the database that holds users and keys."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator

from spyglass_auth import AuthSettings
from spyglass_core.browser_guard import LOOPBACK_HOSTS, HostPatterns, OriginList
from spyglass_core.settings import DbSettings, Port, ProcessSettings, ServerSettings, group_config


def default_ui_directory() -> Path:
    """The UI that ``make ui`` builds in this checkout: ``services/gateway/ui/dist``."""
    return Path(__file__).resolve().parents[2] / "ui" / "dist"


class GatewayServerSettings(ServerSettings):
    """Where the gateway listens, and the upstreams it routes to."""

    model_config = group_config("SPYGLASS_GATEWAY_")

    port: Port = Field(
        default=6006,
        validation_alias=AliasChoices("SPYGLASS_GATEWAY_PORT", "PHOENIX_PORT"),
        description="The public HTTP port: UI, REST, GraphQL and OTLP/HTTP.",
    )
    query_api_url: str = Field(
        default="http://127.0.0.1:6007", description="Base URL of the query API."
    )
    ingest_url: str = Field(
        default="http://127.0.0.1:4318", description="Base URL of the receiver's OTLP/HTTP port."
    )
    upstream_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long an upstream may take to answer."
    )
    ui_directory: Path = Field(
        default_factory=default_ui_directory,
        description="The built web UI (Vite's `dist/`: `index.html` and `assets/`) the gateway "
        "serves; by default the checkout's `services/gateway/ui/dist`.",
    )
    allowed_hosts: HostPatterns = Field(
        default=LOOPBACK_HOSTS,
        description="Host names the gateway answers to (the `Host` header, any port), "
        "comma-separated: names, IP addresses (IPv6 in brackets), `*.example.com` for its "
        "subdomains, or `*` for any host (only behind a proxy that checks the host). Other "
        "hosts get 400, so a web page can't reach the gateway by rebinding its own name to "
        "this address. Default: the loopback names. `/healthz`, `/readyz` and `/metrics` "
        "answer any host.",
    )
    allowed_origins: OriginList = Field(
        default=(),
        validation_alias=AliasChoices(
            "SPYGLASS_GATEWAY_ALLOWED_ORIGINS", "PHOENIX_CSRF_TRUSTED_ORIGINS"
        ),
        description="Origins besides the gateway's own, comma-separated "
        "(`https://spyglass.example.com`), whose pages may send POST, PUT, PATCH and DELETE "
        "requests: list the public address when a proxy in front changes the `Host` header. "
        "A write from a page of any other origin gets 403; requests without an `Origin` header "
        "(SDKs, scripts) are not checked. Listing an origin grants it no cross-origin reads: "
        "the gateway answers no CORS request.",
    )

    trusted_proxies: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Proxies in front of the gateway (an ingress: 1) whose `X-Forwarded-For` "
        "entries it believes. The gateway tells the query API the client's address (per-address "
        "login limits) as the entry that many places from the end; 0: the address it is "
        "reached from, whatever the client wrote.",
    )

    @field_validator("query_api_url", "ingest_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL; got {value!r}")
        return value.rstrip("/")


class GatewaySettings(ProcessSettings):
    """Everything the gateway reads from the environment."""

    server: GatewayServerSettings = Field(default_factory=GatewayServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    db: DbSettings = Field(default_factory=DbSettings)
    """Read only when auth is on: the gateway checks credentials against their rows there."""
