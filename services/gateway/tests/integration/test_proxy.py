"""The gateway passes requests and answers through as they were sent, streamed both ways.

The upstream here is a plain HTTP server of the test's own, standing where the query API
stands, so that answers of exact sizes, encodings and headers can be asked for, and so that the
test can see exactly what reached the upstream.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from spyglass_gateway.proxy import BUFFERED_ANSWER_BYTES
from tests.support.processes import SpawnService, start_gateway

SMALL = b"small answer"
LARGE = bytes(range(256)) * (3 * BUFFERED_ANSWER_BYTES // 256)  # streamed: over the limit
COMPRESSED = gzip.compress(b'{"data": "compressed"}')
OCTETS = {"Content-Type": "application/octet-stream"}
"""Posted bodies say what they are: a POST of bytes without a type is refused (see
test_cross_site.py)."""
UPSTREAM_TIMEOUT_SECONDS = 1.0
WAIT_SECONDS = 10.0
"""How long one side of a streaming test waits for the other before going on regardless (and
the test failing): far longer than any forwarding takes."""


@dataclass
class _Exchange:
    """What the upstream saw, and the signals the streaming tests pass between the two sides."""

    address: str = ""
    """The upstream's host:port."""
    requests: list[dict[str, object]] = field(default_factory=list)
    first_request_chunk_arrived: threading.Event = field(default_factory=threading.Event)
    first_answer_chunk_read: threading.Event = field(default_factory=threading.Event)
    request_held_until_received: bool | None = None
    answer_held_until_read: bool | None = None


class _Upstream(BaseHTTPRequestHandler):
    exchange: _Exchange

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/v1/echo" or path.startswith("/v1/echo/"):
            self._echo(b"")
        elif path == "/v1/slow":
            time.sleep(3 * UPSTREAM_TIMEOUT_SECONDS)
            self._answer(200, SMALL)
        elif path == "/v1/broken":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"only the start")
            self.close_connection = True
        elif path == "/v1/held":
            self._held_answer()
        else:
            body, headers = {
                "/v1/small": (SMALL, [("Content-Type", "text/plain")]),
                "/v1/large": (LARGE, []),
                "/v1/compressed": (COMPRESSED, [("Content-Encoding", "gzip")]),
                "/v1/cookies": (SMALL, [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")]),
            }[path]
            self._answer(200, body, headers)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(SMALL)))
        self.end_headers()

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding") == "chunked":
            received = b"".join(self._chunks())
        else:
            received = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/v1/echo"):
            self._echo(received)
        else:
            self._answer(201, received[::-1])

    def _chunks(self) -> Iterator[bytes]:
        while size := int(self.rfile.readline().split(b";")[0], 16):
            yield self.rfile.read(size)
            self.rfile.readline()
            self.exchange.first_request_chunk_arrived.set()
        self.rfile.readline()

    def _echo(self, body: bytes) -> None:
        seen = {"path": self.path, "headers": [[k.lower(), v] for k, v in self.headers.items()]}
        self.exchange.requests.append({**seen, "body": body.decode()})
        self._answer(200, json.dumps(seen).encode(), [("Content-Type", "application/json")])

    def _held_answer(self) -> None:
        """An answer of unknown length whose second half waits until the client read the first."""
        self.send_response(200)
        self.end_headers()  # no Content-Length: the answer ends when the connection closes
        self.wfile.write(b"first half;")
        self.wfile.flush()
        self.exchange.answer_held_until_read = self.exchange.first_answer_chunk_read.wait(
            WAIT_SECONDS
        )
        self.wfile.write(b"second half")
        self.close_connection = True

    def _answer(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def exchange() -> _Exchange:
    return _Exchange()


@pytest.fixture
def gateway(spawn_service: SpawnService, exchange: _Exchange) -> Iterator[str]:
    handler = type("Upstream", (_Upstream,), {"exchange": exchange})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    exchange.address = f"127.0.0.1:{server.server_address[1]}"
    yield start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{server.server_address[1]}",
        SPYGLASS_GATEWAY_UPSTREAM_TIMEOUT_SECONDS=str(UPSTREAM_TIMEOUT_SECONDS),
    )
    server.shutdown()
    server.server_close()


def test_answers_pass_through_byte_for_byte(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=30) as http:
        small = http.get("/v1/small")
        large = http.get("/v1/large")
        compressed = http.get("/v1/compressed")
        cookies = http.get("/v1/cookies")
        head = http.head("/v1/small")
        posted = http.post("/v1/small", content=b"request body", headers=OCTETS)

    assert (small.content, small.headers["content-type"]) == (SMALL, "text/plain")
    assert len(small.headers.get_list("date")) == len(small.headers.get_list("server")) == 1
    assert large.content == LARGE
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == {"data": "compressed"}  # httpx decompressed what came through
    assert cookies.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert (head.status_code, head.headers["content-length"], head.content) == (
        200,
        str(len(SMALL)),
        b"",
    )
    assert (posted.status_code, posted.content) == (201, b"ydob tseuqer")


def test_requests_reach_the_upstream_as_the_client_sent_them(
    gateway: str, exchange: _Exchange
) -> None:
    with httpx.Client(base_url=gateway, timeout=30) as http:
        http.get("/v1/cookies")  # the upstream sets cookies: they stay with this client
        plain = http.build_request("GET", "/v1/echo/a%2Fb%20c?name=x%26y&empty=")
        for header in ("accept", "accept-encoding", "user-agent", "cookie"):
            plain.headers.pop(header, None)
        http.send(plain)
        http.get("/v1/echo", headers={"X-Trace": "1", "Accept-Encoding": "identity"})
        # This upstream speaks HTTP/1.0 and never sends "100 Continue": the body must go anyway.
        http.post("/v1/echo", content=b"posted", headers={**OCTETS, "Expect": "100-continue"})
    bare, tagged, posted = exchange.requests

    assert bare["path"] == "/v1/echo/a%2Fb%20c?name=x%26y&empty="
    bare_headers = dict(bare["headers"])  # type: ignore[arg-type]
    # nothing the client did not send: no compression asked for, no body, no cookies of others
    assert not {"accept-encoding", "cookie", "content-length", "transfer-encoding"} & set(
        bare_headers
    )
    assert bare_headers["host"] == exchange.address
    assert ["x-trace", "1"] in tagged["headers"]  # type: ignore[operator]
    assert ["accept-encoding", "identity"] in tagged["headers"]  # type: ignore[operator]
    assert posted["body"] == "posted"


def test_the_upstream_hears_the_clients_address_not_what_the_client_claims(
    gateway: str, exchange: _Exchange, spawn_service: SpawnService
) -> None:
    claimed = {"X-Forwarded-For": "203.0.113.7"}
    httpx.get(f"{gateway}/v1/echo", headers=claimed, timeout=30)
    # Behind one trusted proxy (an ingress appending its peer), that proxy's entry is believed.
    behind_ingress = start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=f"http://{exchange.address}",
        SPYGLASS_GATEWAY_TRUSTED_PROXIES="1",
    )
    httpx.get(
        f"{behind_ingress}/v1/echo",
        headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.2"},
        timeout=30,
    )
    direct, proxied = (dict(request["headers"]) for request in exchange.requests)  # type: ignore[arg-type]

    assert direct["x-forwarded-for"] == "127.0.0.1"
    assert proxied["x-forwarded-for"] == "198.51.100.2"


def test_bodies_are_streamed_both_ways(gateway: str, exchange: _Exchange) -> None:
    def request_body() -> Iterator[bytes]:
        yield b"first chunk;"
        # The rest is sent only once the upstream has the first chunk (or after WAIT_SECONDS).
        exchange.request_held_until_received = exchange.first_request_chunk_arrived.wait(
            WAIT_SECONDS
        )
        yield b"second chunk"

    with httpx.Client(base_url=gateway, timeout=30) as http:
        posted = http.post("/v1/reverse", content=request_body(), headers=OCTETS)
        with http.stream("GET", "/v1/held") as held:
            chunks = held.iter_raw()
            first = next(chunks)
            exchange.first_answer_chunk_read.set()
            rest = b"".join(chunks)

    assert exchange.request_held_until_received, "the gateway held the request until complete"
    assert (posted.status_code, posted.content) == (201, b"first chunk;second chunk"[::-1])
    assert first == b"first half;"
    assert exchange.answer_held_until_read, "the gateway held the answer until it was complete"
    assert rest == b"second half"


def test_an_upstream_too_slow_to_answer_gives_504_with_retry_after(gateway: str) -> None:
    response = httpx.get(f"{gateway}/v1/slow", timeout=30)

    assert response.status_code == 504
    assert "query API" in response.json()["detail"]
    assert response.headers["retry-after"]


def test_an_upstream_that_breaks_off_its_answer_gives_502_with_retry_after(gateway: str) -> None:
    response = httpx.get(f"{gateway}/v1/broken", timeout=30)

    assert response.status_code == 502
    assert "broke off" in response.json()["detail"]
    assert response.headers["retry-after"]
