"""With auth on, an API request without a valid credential stops at the gateway.

The gateway runs as a real process with auth on, checking credentials against a migrated
database of the test's own; keys, sessions and revocations are made there through
``spyglass_db.auth``, as the query API makes them. The query API and the ingest receiver are
plain HTTP servers of the test's own that record what reached them, so a test can tell a
refusal at the edge (nothing recorded) from an answer of the upstream.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from spyglass_auth import ACCESS_COOKIE, TokenCodec, TokenKind, hash_password
from spyglass_core.cli import EXIT_DEPENDENCY
from spyglass_db import auth as store
from spyglass_launcher.ports import free_port
from tests.support.loop import LoopThread
from tests.support.processes import (
    ServiceProcess,
    SpawnService,
    service_environment,
    wait_for_exit,
    wait_healthy,
)
from tests.support.trace_rows import engine_for
from tests.support.waiting import assert_eventually

SECRET = "gateway-test-secret-0123456789-abcdefgh"
OTHER_SECRET = "some-other-deployment-secret-9876543210x"
ADMIN_SECRET = "gateway-admin-secret-0123456789-zyxwvut"
CACHE_SECONDS = 1.0
UNAUTHENTICATED = "Authentication required: sign in, or send an API key"
INDEX = "<!doctype html><html><head><title>Spyglass</title></head><body>app</body></html>"
SCRIPT_PATH = "/assets/index-5d1e2a7c.js"


@dataclass
class _Recorder:
    """What reached the fake upstreams: (upstream, method, path, headers) per request."""

    requests: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [path for _, _, path, _ in self.requests]


class _Upstream(BaseHTTPRequestHandler):
    recorder: _Recorder
    name: str

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer()

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        if path != "/healthz":
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.recorder.requests.append((self.name, self.command, path, headers))
        body = json.dumps({"upstream": self.name, "path": path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # What a careless upstream might say: the gateway must never pass it on.
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def recorder() -> _Recorder:
    return _Recorder()


def _serve(recorder: _Recorder, name: str) -> ThreadingHTTPServer:
    handler = type("Upstream", (_Upstream,), {"recorder": recorder, "name": name})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def upstreams(recorder: _Recorder) -> Iterator[dict[str, str]]:
    """A fake query API and a fake ingest receiver: the gateway's settings naming them."""
    query_api, ingest = _serve(recorder, "query-api"), _serve(recorder, "ingest")
    yield {
        "SPYGLASS_GATEWAY_QUERY_API_URL": f"http://127.0.0.1:{query_api.server_address[1]}",
        "SPYGLASS_GATEWAY_INGEST_URL": f"http://127.0.0.1:{ingest.server_address[1]}",
    }
    for server in (query_api, ingest):
        server.shutdown()
        server.server_close()


@pytest.fixture
def built_ui(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / SCRIPT_PATH.lstrip("/")).write_text("console.log('spyglass');\n")
    return dist


@dataclass(frozen=True)
class Gateway:
    base_url: str
    process: ServiceProcess


def _start_gateway(spawn: SpawnService, **settings: str) -> Gateway:
    port = free_port()
    process = spawn(
        "gateway",
        ("spyglass_gateway",),
        service_environment(SPYGLASS_GATEWAY_PORT=str(port), **settings),
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_healthy(process, f"{base_url}/healthz")
    return Gateway(base_url, process)


def _auth_settings(database_url: str) -> dict[str, str]:
    return {
        "SPYGLASS_ENABLE_AUTH": "true",
        "SPYGLASS_SECRET": SECRET,
        "SPYGLASS_ADMIN_SECRET": ADMIN_SECRET,
        "SPYGLASS_AUTH_CACHE_SECONDS": str(CACHE_SECONDS),
        "SPYGLASS_DB_URL": database_url,
        # Everything the gateway could log, so that the logs test sees it all.
        "SPYGLASS_LOG_LEVEL": "DEBUG",
    }


@pytest.fixture
def gateway(
    spawn_service: SpawnService,
    upstreams: dict[str, str],
    built_ui: Path,
    database_url: str,
) -> Gateway:
    """A gateway with auth on, in front of the fake upstreams."""
    return _start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_UI_DIRECTORY=str(built_ui),
        **upstreams,
        **_auth_settings(database_url),
    )


@dataclass(frozen=True)
class Credentials:
    """Tokens of one member: an API key (and its row id) and a login session's access token."""

    key: str
    key_id: int
    user_id: int
    access_token: str


async def _member_credentials(database_url: str, email: str) -> Credentials:
    codec = TokenCodec(SECRET)
    async with engine_for(database_url) as engine, engine.begin() as connection:
        user = await store.create_user(
            connection,
            email=email,
            username=email.split("@")[0],
            role="MEMBER",
            password_hash=hash_password("a password of theirs"),
            password_needs_reset=False,
        )
        key = await store.create_key(
            connection,
            user_id=user.id,
            kind="USER",
            name="laptop",
            description=None,
            project_name=None,
            expires_at=None,
        )
        expires = datetime.now(UTC) + timedelta(minutes=10)
        session_id = await store.create_session(connection, user.id, expires)
    return Credentials(
        key=codec.issue(TokenKind.API_KEY, key.id),
        key_id=key.id,
        user_id=user.id,
        access_token=codec.issue(TokenKind.ACCESS, session_id, expires),
    )


async def _revoke(database_url: str, credentials: Credentials) -> None:
    async with engine_for(database_url) as engine, engine.begin() as connection:
        assert await store.delete_key(connection, credentials.key_id, ["USER"])


@pytest.fixture
def member(database_url: str, background_loop: LoopThread) -> Credentials:
    return background_loop.run(_member_credentials(database_url, "member@example.com"))


def _assert_unauthenticated(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.text == UNAUTHENTICATED
    assert answer.headers["www-authenticate"] == 'Bearer realm="Spyglass"'
    assert answer.headers["content-type"].startswith("text/plain")


def test_api_requests_without_a_valid_credential_never_reach_the_query_api(
    gateway: Gateway, recorder: _Recorder, member: Credentials
) -> None:
    forged = TokenCodec(OTHER_SECRET).issue(TokenKind.API_KEY, member.key_id)
    refresh_token = TokenCodec(SECRET).issue(TokenKind.REFRESH, 1)
    attempts: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {forged}"},  # signed by another deployment
        {"Authorization": f"Bearer {refresh_token}"},  # a refresh token is not an access one
        {"Authorization": f"Basic {member.key}"},  # not a bearer
        {"api_key": forged},
        {"Cookie": f"{ACCESS_COOKIE}=garbage"},
        {"Cookie": f"{ACCESS_COOKIE}={member.key[:-3]}xyz"},
        {"Cookie": f"phoenix-refresh-token={refresh_token}"},
    ]
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        for headers in attempts:
            _assert_unauthenticated(http.get("/v1/projects", headers=headers))
            _assert_unauthenticated(
                http.post(
                    "/graphql",
                    json={"query": "{ projects { edges { node { id } } } }"},
                    headers=headers,
                )
            )
            _assert_unauthenticated(http.delete("/v1/projects/shop", headers=headers))
            _assert_unauthenticated(http.get("/graphql", headers=headers))

    assert recorder.requests == []


def test_a_valid_credential_is_forwarded_unchanged(
    gateway: Gateway, recorder: _Recorder, member: Credentials
) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        by_bearer = http.get("/v1/projects", headers={"Authorization": f"Bearer {member.key}"})
        by_header = http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"api_key": member.key}
        )
        by_cookie = http.get(
            "/v1/projects/shop",
            headers={"Cookie": f"theme=dark; {ACCESS_COOKIE}={member.access_token}"},
        )
        by_admin_secret = http.get("/v1/users", headers={"Authorization": f"Bearer {ADMIN_SECRET}"})

    for answer in (by_bearer, by_header, by_cookie, by_admin_secret):
        assert answer.status_code == 200, answer.text
        assert answer.json()["upstream"] == "query-api"
    seen = {path: headers for _, _, path, headers in recorder.requests}
    assert seen["/v1/projects"]["authorization"] == f"Bearer {member.key}"
    assert seen["/graphql"]["api_key"] == member.key
    assert seen["/v1/projects/shop"]["cookie"] == (
        f"theme=dark; {ACCESS_COOKIE}={member.access_token}"
    )
    assert seen["/v1/users"]["authorization"] == f"Bearer {ADMIN_SECRET}"


def test_a_revoked_key_is_refused_once_the_cache_forgets_it(
    gateway: Gateway,
    recorder: _Recorder,
    member: Credentials,
    database_url: str,
    background_loop: LoopThread,
) -> None:
    headers = {"Authorization": f"Bearer {member.key}"}
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        assert http.get("/v1/projects", headers=headers).status_code == 200
        background_loop.run(_revoke(database_url, member))

        def refused() -> None:
            _assert_unauthenticated(http.get("/v1/projects", headers=headers))

        assert_eventually(refused, timeout=CACHE_SECONDS + 5, interval=0.2)
        forwarded = len(recorder.requests)
        _assert_unauthenticated(http.get("/v1/projects", headers=headers))
    assert len(recorder.requests) == forwarded


def test_the_ui_sign_in_and_probes_need_no_credential(
    gateway: Gateway, recorder: _Recorder
) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        index = http.get("/")
        deep_link = http.get("/login")
        asset = http.get(SCRIPT_PATH)
        login = http.post("/auth/login", json={"email": "a@b.c", "password": "x"})
        refresh = http.post("/auth/refresh", json={})
        oauth = http.get("/oauth2/google/login")
        version = http.get("/arize_phoenix_version")
        otlp = http.post(
            "/v1/traces", content=b"\x0a\x00", headers={"Content-Type": "application/x-protobuf"}
        )
        probes = [http.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert (index.status_code, index.text) == (200, INDEX)
    assert (deep_link.status_code, deep_link.text) == (200, INDEX)
    assert asset.status_code == 200
    for answer in (login, refresh, oauth, version):
        assert answer.status_code == 200, answer.text
        assert answer.json()["upstream"] == "query-api"
    # The receiver checks ingest keys itself; the gateway passes OTLP on untouched.
    assert otlp.status_code == 200 and otlp.json()["upstream"] == "ingest"
    assert [probe.status_code for probe in probes] == [200, 200, 200]
    assert recorder.paths() == [
        "/auth/login",
        "/auth/refresh",
        "/oauth2/google/login",
        "/arize_phoenix_version",
        "/v1/traces",
    ]


def test_a_foreign_origin_is_never_allowed_to_read_with_credentials(
    gateway: Gateway, member: Credentials
) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        answer = http.get(
            "/v1/projects",
            headers={
                "Origin": "https://attacker.example",
                "Cookie": f"{ACCESS_COOKIE}={member.access_token}",
            },
        )
    # The request was the user's own (a simple GET a page can send), so it is answered; but
    # nothing lets the page that sent it read the answer.
    assert answer.status_code == 200
    assert not [name for name in answer.headers if name.startswith("access-control-")]


def test_with_auth_off_nothing_is_asked_and_no_database_is_reached(
    spawn_service: SpawnService, upstreams: dict[str, str], recorder: _Recorder
) -> None:
    gateway = _start_gateway(
        spawn_service,
        # Nothing listens there: a gateway that reached for it would not start.
        SPYGLASS_DB_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        **upstreams,
    )
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        answers = [
            http.get("/v1/projects"),
            http.post("/graphql", json={"query": "{ __typename }"}),
            http.get("/v1/projects", headers={"Authorization": "Bearer not-a-token"}),
        ]
        ready = http.get("/readyz")

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert recorder.paths() == ["/v1/projects", "/graphql", "/v1/projects"]
    assert ready.status_code == 200, ready.text
    assert "database" not in ready.text


def test_auth_on_with_an_unreachable_database_fails_at_start_naming_the_setting(
    spawn_service: SpawnService, upstreams: dict[str, str]
) -> None:
    settings = _auth_settings(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    process = spawn_service(
        "gateway",
        ("spyglass_gateway",),
        service_environment(SPYGLASS_GATEWAY_PORT=str(free_port()), **upstreams, **settings),
    )

    assert wait_for_exit(process, timeout=60) == EXIT_DEPENDENCY
    assert "SPYGLASS_DB_URL" in process.output()


class _Relay:
    """A TCP relay to PostgreSQL that the test can cut and restore: the database, as the
    gateway sees it, goes down and comes back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            if listener is not None:
                # shutdown, not only close: it wakes the thread blocked in accept().
                with contextlib.suppress(OSError):
                    listener.shutdown(socket.SHUT_RDWR)
                listener.close()
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    return
                server = socket.create_connection(self._target)
                self._connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def relay(database_url: str) -> Iterator[tuple[_Relay, str]]:
    """A relay to the test's database, and the database's URL through it."""
    parts = urlsplit(database_url)
    relay = _Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    credentials = parts.netloc.rsplit("@", 1)[0]
    yield relay, urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{relay.port}"))
    relay.cut()


def test_a_database_outage_is_a_503_for_credentials_not_remembered(
    spawn_service: SpawnService,
    upstreams: dict[str, str],
    database_url: str,
    relay: tuple[_Relay, str],
    background_loop: LoopThread,
    recorder: _Recorder,
) -> None:
    database, relayed_url = relay
    first = background_loop.run(_member_credentials(database_url, "first@example.com"))
    second = background_loop.run(_member_credentials(database_url, "second@example.com"))
    gateway = _start_gateway(
        spawn_service,
        **upstreams,
        **{**_auth_settings(relayed_url), "SPYGLASS_AUTH_CACHE_SECONDS": "60"},
    )

    with httpx.Client(base_url=gateway.base_url, timeout=30) as http:
        remembered = {"Authorization": f"Bearer {first.key}"}
        assert http.get("/v1/projects", headers=remembered).status_code == 200
        database.cut()
        for _ in range(3):  # a broken pooled connection, then refused new ones
            down = http.get("/v1/projects", headers={"Authorization": f"Bearer {second.key}"})
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "2"
            assert "database" in down.text
        # A credential checked moments ago is still answered from memory; one that proves
        # nothing needs no database to be refused.
        assert http.get("/v1/projects", headers=remembered).status_code == 200
        _assert_unauthenticated(http.get("/v1/projects"))
        _assert_unauthenticated(
            http.get("/v1/projects", headers={"Authorization": "Bearer not-a-token"})
        )
        not_ready = http.get("/readyz")
        database.restore()

        def back() -> None:
            answer = http.get("/v1/projects", headers={"Authorization": f"Bearer {second.key}"})
            assert answer.status_code == 200, answer.text

        assert_eventually(back, timeout=20, interval=0.5)

    assert not_ready.status_code == 503 and "database" in not_ready.text
    assert "Traceback" not in gateway.process.output()


def test_no_log_line_holds_a_credential(
    gateway: Gateway, member: Credentials, database_url: str, background_loop: LoopThread
) -> None:
    forged = TokenCodec(OTHER_SECRET).issue(TokenKind.API_KEY, member.key_id)
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        for token in (member.key, member.access_token, ADMIN_SECRET, forged, SECRET):
            http.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
            http.get(f"/v1/projects?api_key={token}", headers={"api_key": token})
            http.get("/v1/projects", headers={"Cookie": f"{ACCESS_COOKIE}={token}"})
            http.post("/auth/login", json={"email": "member@example.com", "password": token})
        background_loop.run(_revoke(database_url, member))
        assert_eventually(
            lambda: _assert_unauthenticated(
                http.get("/v1/projects", headers={"Authorization": f"Bearer {member.key}"})
            ),
            timeout=CACHE_SECONDS + 5,
            interval=0.2,
        )

    output = gateway.process.output()
    assert "request_unauthenticated" in output  # the refusals were logged...
    for secret in (member.key, member.access_token, ADMIN_SECRET, forged, SECRET):
        # ...and no part of a credential that could be replayed was.
        assert secret not in output
        assert secret.split(".")[-1] not in output
