"""The receiver with auth on: who may send spans, to which projects, over both transports.

Every credential a sender may hold (none, garbage, forged, expired, revoked, a viewer's, a
member's, a system key, an ingest key, a login's access token, the admin secret) against both
doors, with what each answer is and what reached the span bus; stock OTLP exporters with a key;
a database outage while a key is checked; the logs, which hold no key; and auth off, which
needs no key and no database.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ResourceMessage
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from spyglass_auth import TokenCodec, TokenKind
from spyglass_bus import BusNames
from spyglass_db import auth as store
from spyglass_db.migrate import upgrade
from spyglass_db.models.auth import SYSTEM_USER_ID
from spyglass_launcher.ports import free_port
from spyglass_launcher.servers import EmbeddedPostgres
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpanBatch
from tests.support.ingest import IngestPlane, StartIngest, with_nats
from tests.support.loop import LoopThread
from tests.support.processes import ServiceProcess, SpawnService, service_environment
from tests.support.stack import Stack
from tests.support.trace_rows import engine_for
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

SECRET = "receiver-auth-tests-secret-0123456789-abc"
ADMIN_SECRET = "receiver-auth-tests-admin-9876543210-xyz"
OTHER_SECRET = "another-deployments-secret-0123456789-q"
PROTOBUF = {"content-type": "application/x-protobuf"}
NOW = 1_790_000_000_000_000_000
GRPC_CODES = {
    200: grpc.StatusCode.OK,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def _auth_on(cache_seconds: float = 0.5, **settings: str) -> dict[str, str]:
    return {
        "SPYGLASS_ENABLE_AUTH": "true",
        "SPYGLASS_SECRET": SECRET,
        "SPYGLASS_ADMIN_SECRET": ADMIN_SECRET,
        "SPYGLASS_AUTH_CACHE_SECONDS": str(cache_seconds),
        "SPYGLASS_LOG_LEVEL": "DEBUG",  # the most the receiver ever logs
        **settings,
    }


def _receiver_on(
    spawn_service: SpawnService,
    stack: Stack,
    nats_namespace: str,
    database_url: str,
    **settings: str,
) -> IngestPlane:
    """A receiver alone, on a database other than the test's own (``start_ingest`` always
    gives that one)."""
    http_port, grpc_port = free_port(), free_port()
    environment = service_environment(
        SPYGLASS_DB_URL=database_url,
        SPYGLASS_NATS_URL=stack.nats_url,
        SPYGLASS_NATS_NAMESPACE=nats_namespace,
        SPYGLASS_RECEIVER_HTTP_PORT=str(http_port),
        SPYGLASS_RECEIVER_GRPC_PORT=str(grpc_port),
        **settings,
    )
    plane = IngestPlane(spawn_service, database_url, environment, http_port, grpc_port)
    plane.start_receiver()
    return plane


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """Credentials of a test database's users, as their holders send them."""

    viewer: str
    member: str
    member_key_id: int
    member_id: int
    member_session: str
    system: str
    ingest_a: str
    ingest_a_key_id: int
    expired_row: str
    expired_token: str
    forged: str

    def all(self) -> list[str]:
        return [
            self.viewer,
            self.member,
            self.member_session,
            self.system,
            self.ingest_a,
            self.expired_row,
            self.expired_token,
            self.forged,
        ]


def _make_keys(database_url: str) -> Keys:
    """Users (a viewer, a member) and their keys, made as the API makes them."""
    codec = TokenCodec(SECRET)

    async def make() -> Keys:
        async with engine_for(database_url) as engine, engine.begin() as connection:
            users = {}
            for role in ("VIEWER", "MEMBER"):
                user = await store.create_user(
                    connection,
                    email=f"{role.lower()}@example.com",
                    username=role.lower(),
                    role=role,
                    password_hash=None,
                    password_needs_reset=False,
                )
                users[role] = user.id

            async def key(
                user_id: int, kind: str, project: str | None = None, expires: datetime | None = None
            ) -> store.KeyRow:
                return await store.create_key(
                    connection,
                    user_id=user_id,
                    kind=kind,
                    name=f"{kind.lower()} key",
                    description=None,
                    project_name=project,
                    expires_at=expires,
                )

            past = datetime.now(UTC) - timedelta(minutes=5)
            viewer = await key(users["VIEWER"], "USER")
            member = await key(users["MEMBER"], "USER")
            system = await key(SYSTEM_USER_ID, "SYSTEM")
            ingest = await key(users["MEMBER"], "INGEST", project="project-a")
            expired = await key(users["MEMBER"], "USER", expires=past)
            session = await store.create_session(
                connection, users["MEMBER"], datetime.now(UTC) + timedelta(hours=1)
            )
        return Keys(
            viewer=codec.issue(TokenKind.API_KEY, viewer.id),
            member=codec.issue(TokenKind.API_KEY, member.id),
            member_key_id=member.id,
            member_id=users["MEMBER"],
            member_session=codec.issue(TokenKind.ACCESS, session),
            system=codec.issue(TokenKind.API_KEY, system.id),
            ingest_a=codec.issue(TokenKind.API_KEY, ingest.id),
            ingest_a_key_id=ingest.id,
            expired_row=codec.issue(TokenKind.API_KEY, expired.id),
            expired_token=codec.issue(TokenKind.API_KEY, member.id, expires_at=past),
            forged=TokenCodec(OTHER_SECRET).issue(TokenKind.API_KEY, member.id),
        )

    return asyncio.run(make())


def _revoke(database_url: str, key_id: int, user_id: int) -> None:
    async def revoke() -> None:
        async with engine_for(database_url) as engine, engine.begin() as connection:
            assert await store.delete_key(connection, key_id, ["USER"], user_id)

    asyncio.run(revoke())


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --- requests and what reached the bus ---------------------------------------------------------


def _span(number: int) -> Span:
    return Span(
        trace_id=number.to_bytes(16, "big"),
        span_id=number.to_bytes(8, "big"),
        name="step",
        start_time_unix_nano=NOW,
        end_time_unix_nano=NOW + 5,
    )


def _request(*resources: tuple[str | None, int]) -> ExportTraceServiceRequest:
    """One resource per ``(project, span number)``; a project of None names none (default)."""
    request = ExportTraceServiceRequest()
    for project, number in resources:
        attributes = (
            [KeyValue(key="openinference.project.name", value=AnyValue(string_value=project))]
            if project is not None
            else []
        )
        request.resource_spans.append(
            ResourceSpans(
                resource=ResourceMessage(attributes=attributes),
                scope_spans=[ScopeSpans(spans=[_span(number)])],
            )
        )
    return request


def _published(plane: IngestPlane) -> set[tuple[str, str]]:
    """(project, span id) of every span on the SPANS stream (no writer takes them off)."""
    names = BusNames(plane.environment["SPYGLASS_NATS_NAMESPACE"])

    async def read(client: Any) -> set[tuple[str, str]]:
        jetstream = client.jetstream()
        state = (await jetstream.stream_info(names.spans_stream)).state
        found: set[tuple[str, str]] = set()
        if not state.messages:
            return found
        for sequence in range(state.first_seq, state.last_seq + 1):
            batch = DecodedSpanBatch.FromString(
                (await jetstream.get_msg(names.spans_stream, sequence)).data
            )
            found |= {(batch.project_name, span.span_id) for span in batch.spans}
        return found

    return with_nats(plane.environment["SPYGLASS_NATS_URL"], read)


@dataclass(frozen=True)
class Answer:
    status: int
    message: str
    challenge: str | None = None
    retry_after: str | None = None


class Sender:
    """Sends an export request over one transport, answering in HTTP terms."""

    def __init__(self, plane: IngestPlane, transport: str) -> None:
        self.plane = plane
        self.transport = transport
        self._channel = grpc.insecure_channel(plane.grpc_target)
        self._stub = trace_service_pb2_grpc.TraceServiceStub(self._channel)

    def send(self, request: ExportTraceServiceRequest, headers: dict[str, str]) -> Answer:
        if self.transport == "http":
            response = httpx.post(
                f"{self.plane.http_url}/v1/traces",
                content=request.SerializeToString(),
                headers={**PROTOBUF, **headers},
                timeout=30,
            )
            message = (
                status_pb2.Status.FromString(response.content).message
                if response.status_code != 200
                else ""
            )
            return Answer(
                response.status_code,
                message,
                response.headers.get("www-authenticate"),
                response.headers.get("retry-after"),
            )
        try:
            self._stub.Export(request, metadata=list(headers.items()), timeout=30)
        except grpc.RpcError as error:
            status = {code: status for status, code in GRPC_CODES.items()}.get(error.code(), 500)
            return Answer(status, error.details() or "")
        return Answer(200, "")

    def close(self) -> None:
        self._channel.close()


@pytest.fixture(params=["http", "grpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _assert_no_secret_in(receiver: ServiceProcess, secrets: list[str]) -> None:
    output = receiver.output()
    assert output  # it did log (DEBUG), so the absence below means something
    for secret in secrets:
        assert secret not in output, "a credential was logged"
        # A JWT's signature is its last part: not even that may leak on its own.
        assert secret.rsplit(".", 1)[-1] not in output, "part of a credential was logged"


def _log_events(receiver: ServiceProcess, event: str) -> list[dict[str, Any]]:
    events = []
    for line in receiver.output().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == event:
                events.append(record)
    return events


# --- every credential at each door -------------------------------------------------------------


def test_every_credential_at_each_door(
    start_ingest: StartIngest, database_url: str, transport: str
) -> None:
    keys = _make_keys(database_url)
    plane = start_ingest(writer=False, **_auth_on(cache_seconds=0.5))
    sender = Sender(plane, transport)
    a, b = "project-a", "project-b"
    cases: list[tuple[str, dict[str, str], ExportTraceServiceRequest, int, str]] = [
        ("no key", {}, _request((a, 1)), 401, "Authentication required: send an API key"),
        ("garbage", _bearer("not-a-key"), _request((a, 2)), 401, "invalid, expired or revoked"),
        ("oversized", _bearer("k" * 5000), _request((a, 26)), 401, "invalid"),
        ("not bearer", {"authorization": f"Basic {keys.member}"}, _request((a, 3)), 401, ""),
        ("forged", _bearer(keys.forged), _request((a, 4)), 401, "invalid, expired or revoked"),
        ("expired key", _bearer(keys.expired_row), _request((a, 5)), 401, "expired"),
        ("expired token", _bearer(keys.expired_token), _request((a, 6)), 401, "expired"),
        ("viewer", _bearer(keys.viewer), _request((a, 7)), 403, "Viewers cannot perform"),
        ("member", _bearer(keys.member), _request((a, 8), (b, 9)), 200, ""),
        ("member api_key", {"api_key": keys.member}, _request((None, 10)), 200, ""),
        ("member login", _bearer(keys.member_session), _request((b, 11)), 200, ""),
        ("system key", _bearer(keys.system), _request((b, 12)), 200, ""),
        ("admin secret", _bearer(ADMIN_SECRET), _request((b, 13)), 200, ""),
        ("ingest to A", _bearer(keys.ingest_a), _request((a, 14), (a, 15)), 200, ""),
        ("ingest api_key", {"api_key": keys.ingest_a}, _request((a, 16)), 200, ""),
        (
            "ingest to B",
            _bearer(keys.ingest_a),
            _request((b, 17)),
            403,
            "writes to project 'project-a' only, not 'project-b'",
        ),
        (
            "ingest to A and B",
            _bearer(keys.ingest_a),
            _request((a, 18), (b, 19), (a, 20)),
            403,
            "writes to project 'project-a' only, not 'project-b'",
        ),
        (
            "ingest to default",
            _bearer(keys.ingest_a),
            _request((a, 21), (None, 22)),
            403,
            "not 'default'",
        ),
        (
            "ingest, header names B",
            {**_bearer(keys.ingest_a), "x-project-name": b},
            _request((a, 23)),
            403,
            "not 'project-b'",
        ),
        (
            "ingest, unstorable name",
            _bearer(keys.ingest_a),
            _request((a, 24), ("x" * 300, 25)),
            403,
            "only, not to the project named by a resource whose name is too long",
        ),
    ]

    answers = {name: sender.send(request, headers) for name, headers, request, _, _ in cases}

    for name, _, _, status, fragment in cases:
        answer = answers[name]
        assert answer.status == status, (name, answer)
        assert fragment in answer.message, (name, answer)
        if transport == "http":
            expected = 'Bearer realm="Spyglass"' if status == 401 else None
            assert answer.challenge == expected, (name, answer)
    # What was answered 200, and nothing of what was refused, reached the bus.
    assert _published(plane) == {
        (a, f"{8:016x}"),
        (b, f"{9:016x}"),
        ("default", f"{10:016x}"),
        (b, f"{11:016x}"),
        (b, f"{12:016x}"),
        (b, f"{13:016x}"),
        (a, f"{14:016x}"),
        (a, f"{15:016x}"),
        (a, f"{16:016x}"),
    }
    # The refusals of the ingest key are logged with its id, for the operator.
    forbidden = _log_events(plane.processes["receiver"], "export_forbidden")
    assert {event["key_id"] for event in forbidden} >= {keys.ingest_a_key_id}

    # A revoked key works until the receiver's memory of it (cache_seconds) runs out, then 401.
    _revoke(database_url, keys.member_key_id, keys.member_id)
    number = iter(range(100, 10_000))

    def refused() -> None:
        answer = sender.send(_request((a, next(number))), _bearer(keys.member))
        assert (answer.status, "revoked" in answer.message) == (401, True), answer

    assert_eventually(refused, timeout=15, interval=0.2)
    sender.close()
    _assert_no_secret_in(plane.processes["receiver"], [*keys.all(), ADMIN_SECRET, SECRET])


# --- stock exporters ---------------------------------------------------------------------------


def _trace(exporter: SpanExporter, project: str) -> None:
    """An agent root with a child, sent through ``exporter``."""
    provider = TracerProvider(
        resource=Resource.create({"openinference.project.name": project}),
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("agent"), tracer.start_as_current_span("llm"):
        pass
    provider.shutdown()


def test_stock_exporters_get_through_with_a_key(
    start_ingest: StartIngest, database_url: str
) -> None:
    keys = _make_keys(database_url)
    # Phoenix's names for the switches.
    plane = start_ingest(PHOENIX_ENABLE_AUTH="true", PHOENIX_SECRET=SECRET)
    traces = f"{plane.http_url}/v1/traces"

    _trace(HttpExporter(endpoint=traces), "no-key")  # refused (401), not retried
    _trace(GrpcExporter(endpoint=plane.grpc_target, insecure=True), "no-key")
    _trace(HttpExporter(endpoint=traces, headers=_bearer(keys.ingest_a)), "project-a")
    _trace(HttpExporter(endpoint=traces, headers={"api_key": keys.member}), "http-api-key")
    _trace(
        GrpcExporter(endpoint=plane.grpc_target, insecure=True, headers=_bearer(keys.ingest_a)),
        "project-a",
    )
    _trace(
        GrpcExporter(endpoint=plane.grpc_target, insecure=True, headers={"api_key": keys.member}),
        "grpc-api-key",
    )

    def stored() -> dict[str, int]:
        counts: dict[str, int] = {}
        for span in plane.spans():
            counts[span["project"]] = counts.get(span["project"], 0) + 1
        assert counts == {"project-a": 4, "http-api-key": 2, "grpc-api-key": 2}
        return counts

    assert_eventually(stored, timeout=30, interval=0.25)


# --- the database goes away --------------------------------------------------------------------


@pytest.fixture
def own_postgres(server_home: Path, background_loop: LoopThread) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of this test's own, migrated, so stopping it harms no other test."""
    server = EmbeddedPostgres(server_home / "postgres")
    background_loop.run(server.start())
    upgrade(server.url)
    yield server
    background_loop.run(server.stop())


def test_a_database_outage_is_retried_and_keys_checked_before_still_work(
    spawn_service: SpawnService,
    stack: Stack,
    nats_namespace: str,
    own_postgres: EmbeddedPostgres,
    background_loop: LoopThread,
) -> None:
    keys = _make_keys(own_postgres.url)
    plane = _receiver_on(
        spawn_service,
        stack,
        nats_namespace,
        own_postgres.url,
        SPYGLASS_DB_CONNECT_TIMEOUT_SECONDS="2",
        **_auth_on(cache_seconds=60),
    )
    http, grpc_sender = Sender(plane, "http"), Sender(plane, "grpc")
    assert http.send(_request(("project-a", 1)), _bearer(keys.member)).status == 200

    background_loop.run(own_postgres.stop())
    try:
        remembered = http.send(_request(("project-a", 2)), _bearer(keys.member))
        over_http = http.send(_request(("project-a", 3)), _bearer(keys.ingest_a))
        over_grpc = grpc_sender.send(_request(("project-a", 4)), _bearer(keys.ingest_a))
        garbage = http.send(_request(("project-a", 5)), _bearer("not-a-key"))
    finally:
        background_loop.run(own_postgres.start())

    assert remembered.status == 200  # checked a moment ago: no query needed
    assert over_http.status == 503, over_http
    assert over_http.retry_after is not None and int(over_http.retry_after) >= 1
    assert "database is unavailable" in over_http.message
    assert over_grpc.status == 503, over_grpc  # UNAVAILABLE: exporters retry
    assert garbage.status == 401  # a token that isn't ours needs no database to refuse
    numbers = iter(range(100, 10_000))

    def accepted() -> None:
        answer = http.send(_request(("project-a", next(numbers))), _bearer(keys.ingest_a))
        assert answer.status == 200, answer

    assert_eventually(accepted, timeout=30, interval=0.5)
    assert {span for _, span in _published(plane)} >= {f"{1:016x}", f"{2:016x}"}
    assert f"{3:016x}" not in {span for _, span in _published(plane)}
    http.close()
    grpc_sender.close()
    receiver = plane.processes["receiver"]
    assert _log_events(receiver, "export_failed")  # the 503s, logged once each
    _assert_no_secret_in(receiver, [*keys.all(), ADMIN_SECRET, SECRET])


# --- auth off ----------------------------------------------------------------------------------


def test_auth_off_needs_no_key_and_no_database(
    spawn_service: SpawnService, stack: Stack, nats_namespace: str, transport: str
) -> None:
    # No PostgreSQL listens there: with auth off, the receiver never connects to it.
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    plane = _receiver_on(spawn_service, stack, nats_namespace, nowhere)
    sender = Sender(plane, transport)

    without = sender.send(_request(("open", 1)), {})
    with_garbage = sender.send(_request(("open", 2)), _bearer("not-a-key"))
    sender.close()

    assert (without.status, with_garbage.status) == (200, 200)
    assert _published(plane) == {("open", f"{1:016x}"), ("open", f"{2:016x}")}


# --- start-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "code", "named"),
    [
        ({"PHOENIX_ENABLE_AUTH": "true"}, 2, "SPYGLASS_SECRET (or PHOENIX_SECRET)"),
        ({"SPYGLASS_ENABLE_AUTH": "true", "SPYGLASS_SECRET": "short1"}, 2, "SPYGLASS_SECRET"),
        ({"SPYGLASS_ENABLE_AUTH": "true", "SPYGLASS_SECRET": SECRET}, 3, "SPYGLASS_DB_URL"),
        ({}, 0, ""),  # auth off: the database is none of its business
    ],
    ids=["no-secret", "short-secret", "no-database", "auth-off"],
)
def test_a_receiver_that_cannot_check_keys_does_not_start(
    stack: Stack, nats_namespace: str, settings: dict[str, str], code: int, named: str
) -> None:
    environment = service_environment(
        SPYGLASS_DB_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        SPYGLASS_DB_CONNECT_TIMEOUT_SECONDS="2",
        SPYGLASS_NATS_URL=stack.nats_url,
        SPYGLASS_NATS_NAMESPACE=nats_namespace,
        **settings,
    )

    checked = subprocess.run(
        [sys.executable, "-m", "spyglass_ingest", "receiver", "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = checked.stderr + checked.stdout
    assert checked.returncode == code, output
    assert named in output
    assert settings.get("SPYGLASS_SECRET", "\x00") not in output  # named, never shown
