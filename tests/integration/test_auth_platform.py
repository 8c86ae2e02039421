"""The whole platform with auth on, as `make run` starts it: sign in, change the first password,
give a collector an ingest key, send spans with it over OTLP (HTTP through the gateway, gRPC to
the receiver), see them, revoke the key; and no process ever logs a password, key or secret.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from spyglass_launcher.platform import port_variables
from spyglass_launcher.ports import free_port
from tests.support.processes import SpawnService, service_environment
from tests.support.waiting import assert_eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SECRET = "the-platform-signing-secret-0123456789abcdef"
ADMIN_SECRET = "the-platform-admin-bearer-9876543210fedcba"
FIRST_PASSWORD = "first-password-4f9a1c"
NEW_PASSWORD = "a-new-password-7d2e8b"
CACHE_SECONDS = "0.5"


def _send(exporter: SpanExporter, project: str, name: str) -> None:
    provider = TracerProvider(resource=Resource({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("auth-test").start_as_current_span(name):
        pass
    provider.shutdown()


def test_a_collector_with_an_ingest_key_and_a_signed_in_admin(
    spawn_service: SpawnService, server_home: Path
) -> None:
    ports = {variable: free_port() for variable in port_variables()}
    launcher = spawn_service(
        "launcher",
        ("spyglass_launcher", "run"),
        service_environment(
            SPYGLASS_HOME=str(server_home / "home"),
            SPYGLASS_LAUNCHER_BUILD_UI="false",
            SPYGLASS_LAUNCHER_STARTUP_TIMEOUT_SECONDS="120",
            SPYGLASS_LOG_LEVEL="DEBUG",
            PHOENIX_ENABLE_AUTH="true",
            PHOENIX_SECRET=SECRET,
            PHOENIX_ADMIN_SECRET=ADMIN_SECRET,
            PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD=FIRST_PASSWORD,
            SPYGLASS_AUTH_CACHE_SECONDS=CACHE_SECONDS,
            **{variable: str(port) for variable, port in ports.items()},
        ),
    )

    def started() -> None:
        assert launcher.process.poll() is None, launcher.output()
        assert "Press Ctrl-C to stop." in launcher.output()

    assert_eventually(started, timeout=150, interval=0.5)
    gateway = f"http://127.0.0.1:{ports['SPYGLASS_GATEWAY_PORT']}"
    grpc_endpoint = f"127.0.0.1:{ports['SPYGLASS_RECEIVER_GRPC_PORT']}"
    secrets = [SECRET, ADMIN_SECRET, FIRST_PASSWORD, NEW_PASSWORD]

    with httpx.Client(base_url=gateway, timeout=30) as admin:
        assert admin.get("/v1/projects").status_code == 401
        signed_in = admin.post(
            "/auth/login", json={"email": "admin@localhost", "password": FIRST_PASSWORD}
        )
        assert signed_in.status_code == 204, signed_in.text
        secrets += [cookie.value for cookie in admin.cookies.jar if cookie.value]
        me = admin.get("/v1/user").json()["data"]
        assert (me["email"], me["role"], me["password_needs_reset"]) == (
            "admin@localhost",
            "ADMIN",
            True,
        )
        changed = admin.patch(
            "/v1/user",
            json={"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        made = admin.post(
            "/v1/ingest_keys", json={"data": {"name": "collector", "project_name": "shop"}}
        )
        assert made.status_code == 201, made.text
        ingest_key = made.json()["data"]["key"]
        key_id = made.json()["data"]["id"]
        secrets.append(ingest_key)
        headers = {"authorization": f"Bearer {ingest_key}"}

        _send(HttpSpanExporter(endpoint=f"{gateway}/v1/traces", headers=headers), "shop", "http")
        _send(
            GrpcSpanExporter(endpoint=grpc_endpoint, insecure=True, headers=headers),
            "shop",
            "grpc",
        )
        # Another project: the receiver refuses the whole request.
        refused = HttpSpanExporter(endpoint=f"{gateway}/v1/traces", headers=headers)
        _send(refused, "billing", "elsewhere")

        def stored() -> None:
            answer = admin.get("/v1/projects/shop/spans")
            assert answer.status_code == 200, answer.text
            assert {span["name"] for span in answer.json()["data"]} == {"http", "grpc"}

        assert_eventually(stored, timeout=60, interval=0.5)
        assert admin.get("/v1/projects/billing").status_code == 404

        # A viewer reads but can't write; the admin secret acts as the system user.
        viewer = admin.post(
            "/v1/users",
            json={
                "user": {
                    "email": "viewer@example.com",
                    "username": "viewer",
                    "role": "VIEWER",
                    "auth_method": "LOCAL",
                    "password": "viewer-password-1",
                }
            },
        )
        assert viewer.status_code == 201, viewer.text
        secrets.append("viewer-password-1")
        with httpx.Client(base_url=gateway, timeout=30) as as_viewer:
            assert (
                as_viewer.post(
                    "/auth/login",
                    json={"email": "viewer@example.com", "password": "viewer-password-1"},
                ).status_code
                == 204
            )
            assert as_viewer.get("/v1/projects").status_code == 200
            denied = as_viewer.post("/v1/projects", json={"name": "viewers-project"})
            assert (denied.status_code, denied.text) == (403, "Viewers cannot perform this action")
        by_secret = httpx.get(
            f"{gateway}/v1/users", headers={"authorization": f"Bearer {ADMIN_SECRET}"}
        )
        assert by_secret.status_code == 200

        assert admin.delete(f"/v1/ingest_keys/{key_id}").status_code == 204
        time.sleep(float(CACHE_SECONDS) * 2)
        answer = httpx.post(
            f"{gateway}/v1/traces",
            content=b"",
            headers={**headers, "content-type": "application/x-protobuf"},
        )
        assert answer.status_code == 401

    output = launcher.output()
    leaked = [secret for secret in secrets if secret in output]
    assert leaked == [], "a secret, password, key or cookie is in the logs"
    names = {line.split("|")[0].strip() for line in output.splitlines() if " | " in line}
    assert {"query-api", "gateway", "ingest-receiver"} <= names  # their logs were read
