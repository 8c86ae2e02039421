"""No writes from other sites: the gateway and the query API, as real processes, refuse what a web
page elsewhere could make a browser send, and serve only their configured hosts.

The requests are the ones a page could forge: a POST of JSON as ``text/plain`` or as bytes of no
type (no CORS preflight), a write carrying a foreign ``Origin``, and a request for a host name
the page rebound to 127.0.0.1. Each is checked for its exact answer and, through a plain GET,
for having changed nothing. The clients Spyglass serves (SDKs without ``Origin``, the UI on the
gateway's own origin, kubelet probes addressing the pod by IP) keep working.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from spyglass_bus import BusNames
from spyglass_launcher.ports import free_port
from tests.support.loop import LoopThread
from tests.support.processes import Spawner, SpawnService, service_environment, wait_healthy
from tests.support.stack import Stack, delete_streams, scratch_folder

pytestmark = pytest.mark.slow

GATEWAY_HOSTS = "SPYGLASS_GATEWAY_ALLOWED_HOSTS"
GATEWAY_ORIGINS = "SPYGLASS_GATEWAY_ALLOWED_ORIGINS"
QUERY_API_HOSTS = "SPYGLASS_QUERY_API_ALLOWED_HOSTS"
ATTACKER = "http://attacker.example"
UNTYPED_REFUSED = (
    "`content-type` must be application/json: any web page can make a browser POST a body with "
    "no content type to this server without asking it first"
)
TEXT_PLAIN_REFUSED = (
    "`content-type` must be application/json, not text/plain: any web page can make a browser "
    "POST text/plain to this server without asking it first"
)


STARTUP_SECONDS = 90.0
"""How long a service may take to answer ``/healthz``: generous, as on a machine busy with other
tests importing the query API alone took 20 s."""


@dataclass(frozen=True)
class Servers:
    """The query API and a gateway in front of it, each at its own base URL."""

    gateway: str
    query_api: str

    @property
    def gateway_port(self) -> int:
        return int(self.gateway.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def servers(
    stack: Stack,
    template_database: str,
    background_loop: LoopThread,
    request: pytest.FixtureRequest,
) -> Iterator[Servers]:
    """One query API, on a database of this module's own, and a gateway in front of it, for
    every test here (each test names its projects uniquely)."""
    database = f"cross_site_{uuid.uuid4().hex[:12]}"
    namespace = f"t{uuid.uuid4().hex[:12]}"
    background_loop.run(
        _admin(stack, f'CREATE DATABASE "{database}" TEMPLATE "{template_database}"')
    )
    with scratch_folder("spyglass-cross-site-") as folder:
        spawner = Spawner(folder)
        try:
            query_api_url = _start(
                spawner,
                "query-api",
                "spyglass_query_api",
                "SPYGLASS_QUERY_API_PORT",
                SPYGLASS_DB_URL=stack.database_url(database),
                SPYGLASS_NATS_URL=stack.nats_url,
                SPYGLASS_NATS_NAMESPACE=namespace,
            )
            gateway_url = _start(
                spawner,
                "gateway",
                "spyglass_gateway",
                "SPYGLASS_GATEWAY_PORT",
                SPYGLASS_GATEWAY_QUERY_API_URL=query_api_url,
                # No receiver is needed (OTLP here is refused before it is forwarded), but the
                # gateway is ready only while its ingest upstream answers /healthz: the query
                # API stands in.
                SPYGLASS_GATEWAY_INGEST_URL=query_api_url,
            )
            yield Servers(gateway_url, query_api_url)
        finally:
            spawner.stop_all()
            if request.session.testsfailed:
                spawner.print_outputs()
            background_loop.run(delete_streams(stack.nats_url, BusNames(namespace)))
            background_loop.run(_admin(stack, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _start(
    spawn: Spawner | SpawnService, name: str, module: str, port_variable: str, **settings: str
) -> str:
    """A service on a free port, once its ``/healthz`` answers; returns its base URL."""
    port = free_port()
    service = spawn(name, (module,), service_environment(**{port_variable: str(port)}, **settings))
    base_url = f"http://127.0.0.1:{port}"
    wait_healthy(service, f"{base_url}/healthz", timeout=STARTUP_SECONDS)
    return base_url


async def _admin(stack: Stack, statement: str) -> None:
    connection = await asyncpg.connect(stack.db_admin_url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def _host_refused(host: str, setting: str) -> str:
    return (
        f'this server does not answer to the host "{host}": list it in {setting} '
        "(comma-separated; `*` allows any host)"
    )


def _project_names(base_url: str) -> set[str]:
    response = httpx.get(f"{base_url}/v1/projects", params={"limit": 1000}, timeout=10)
    assert response.status_code == 200, response.text
    return {project["name"] for project in response.json()["data"]}


def test_a_text_plain_post_is_refused_and_creates_nothing(servers: Servers) -> None:
    name = _unique("forged")
    forged = f'{{"name": "{name}"}}'.encode()

    for base_url in (servers.gateway, servers.query_api):
        as_text = httpx.post(
            f"{base_url}/v1/projects",
            content=forged,
            headers={"Content-Type": "text/plain;charset=UTF-8"},
            timeout=10,
        )
        untyped = httpx.post(f"{base_url}/v1/projects", content=forged, timeout=10)

        assert (as_text.status_code, as_text.text) == (415, TEXT_PLAIN_REFUSED)
        assert (untyped.status_code, untyped.text) == (415, UNTYPED_REFUSED)
    assert name not in _project_names(servers.gateway)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/sessions/delete", '{"session_identifiers": ["s-1"]}'),
        ("/v1/span_annotations", '{"data": [{"span_id": "a", "name": "n"}]}'),
        ("/v1/traces", "{}"),
        ("/graphql", '{"query": "{ projects { edges { node { name } } } }"}'),
    ],
)
def test_every_write_path_refuses_text_plain(servers: Servers, path: str, body: str) -> None:
    response = httpx.post(
        f"{servers.gateway}{path}",
        content=body.encode(),
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )

    assert (response.status_code, response.text) == (415, TEXT_PLAIN_REFUSED)


def test_a_foreign_origin_may_not_write(servers: Servers) -> None:
    kept = _unique("kept")
    created = httpx.post(f"{servers.gateway}/v1/projects", json={"name": kept}, timeout=10)
    assert created.status_code == 200, created.text
    refused = (
        f'a page of "{ATTACKER}" may not change data here: the `Origin` must be this '
        f"server's own or one listed in {GATEWAY_ORIGINS}"
    )
    foreign = {"Origin": ATTACKER}

    with httpx.Client(base_url=servers.gateway, headers=foreign, timeout=10) as http:
        create = http.post("/v1/projects", json={"name": _unique("forged")})
        delete = http.delete(f"/v1/projects/{kept}")
        update = http.put(f"/v1/projects/{kept}", json={"description": "defaced"})
        nulled = http.post("/v1/projects", json={"name": "x"}, headers={"Origin": "null"})
        read = http.get("/v1/projects")

    for response in (create, delete, update):
        assert (response.status_code, response.text) == (403, refused)
    assert nulled.status_code == 403
    assert read.status_code == 200  # reads are not checked: a foreign page can't read them
    assert kept in _project_names(servers.gateway)
    description = httpx.get(f"{servers.gateway}/v1/projects/{kept}", timeout=10).json()
    assert description["data"]["description"] != "defaced"


def test_the_gateways_own_pages_and_clients_without_origin_may_write(servers: Servers) -> None:
    own_origins = [
        (servers.gateway, servers.gateway),
        (f"http://localhost:{servers.gateway_port}", f"http://localhost:{servers.gateway_port}"),
    ]
    names = []
    for base_url, origin in own_origins:
        name = _unique("own")
        created = httpx.post(
            f"{base_url}/v1/projects", json={"name": name}, headers={"Origin": origin}, timeout=10
        )
        assert created.status_code == 200, created.text
        names.append(name)
    sdk_name = _unique("sdk")
    sdk = httpx.post(f"{servers.gateway}/v1/projects", json={"name": sdk_name}, timeout=10)
    assert sdk.status_code == 200, sdk.text

    deleted = httpx.delete(
        f"{servers.gateway}/v1/projects/{names[0]}",
        headers={"Origin": servers.gateway},
        timeout=10,
    )

    assert deleted.status_code == 204, deleted.text
    assert {names[1], sdk_name} <= _project_names(servers.gateway)
    assert names[0] not in _project_names(servers.gateway)


def test_a_rebinding_host_is_refused(servers: Servers) -> None:
    port = servers.gateway_port
    rebound = {"Host": f"attacker.example:{port}"}

    project_list = httpx.get(f"{servers.gateway}/v1/projects", headers=rebound, timeout=10)
    page = httpx.get(f"{servers.gateway}/projects", headers=rebound, timeout=10)
    graphql = httpx.post(
        f"{servers.gateway}/graphql",
        json={"query": "{ __typename }"},
        headers={**rebound, "Origin": f"http://attacker.example:{port}"},
        timeout=10,
    )
    direct = httpx.get(
        f"{servers.query_api}/v1/projects", headers={"Host": "attacker.example"}, timeout=10
    )

    for response in (project_list, page, graphql):
        assert (response.status_code, response.text) == (
            400,
            _host_refused(f"attacker.example:{port}", GATEWAY_HOSTS),
        )
    assert (direct.status_code, direct.text) == (
        400,
        _host_refused("attacker.example", QUERY_API_HOSTS),
    )


def test_probes_answer_whatever_the_host(servers: Servers) -> None:
    pod_ip = {"Host": "10.42.0.17:6006"}

    for base_url in (servers.gateway, servers.query_api):
        for path in ("/healthz", "/readyz", "/metrics"):
            response = httpx.get(f"{base_url}{path}", headers=pod_ip, timeout=10)

            assert response.status_code == 200, (base_url, path, response.text)


def test_configured_hosts_and_origins_are_served(
    servers: Servers, spawn_service: SpawnService
) -> None:
    gateway = _start(
        spawn_service,
        "configured-gateway",
        "spyglass_gateway",
        "SPYGLASS_GATEWAY_PORT",
        SPYGLASS_GATEWAY_QUERY_API_URL=servers.query_api,
        SPYGLASS_GATEWAY_INGEST_URL=servers.query_api,
        SPYGLASS_GATEWAY_ALLOWED_HOSTS="spyglass.example.com,*.internal.example",
        # Phoenix's name for the same list is read too.
        PHOENIX_CSRF_TRUSTED_ORIGINS="https://ui.example.com",
    )
    name = _unique("configured")

    with httpx.Client(base_url=gateway, timeout=10) as http:
        served = http.get("/v1/projects", headers={"Host": "spyglass.example.com"})
        subdomain = http.get("/v1/projects", headers={"Host": "eu.internal.example:6006"})
        loopback = http.get("/v1/projects")
        trusted = http.post(
            "/v1/projects",
            json={"name": name},
            headers={"Host": "spyglass.example.com", "Origin": "https://ui.example.com"},
        )
        probe = http.get("/readyz")

    assert (served.status_code, subdomain.status_code, trusted.status_code) == (200, 200, 200)
    assert loopback.status_code == 400
    assert probe.status_code == 200
    assert name in _project_names(servers.gateway)
