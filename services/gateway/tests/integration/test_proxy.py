"""The gateway passes answers through byte for byte, small ones whole and large ones streamed.

The upstream here is a plain HTTP server of the test's own, standing where the query API
stands, so that answers of exact sizes and encodings can be asked for.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from spyglass_gateway.proxy import BUFFERED_ANSWER_BYTES
from spyglass_launcher.ports import free_port
from tests.support.processes import SpawnService, service_environment, wait_healthy

SMALL = b"small answer"
LARGE = bytes(range(256)) * (3 * BUFFERED_ANSWER_BYTES // 256)  # streamed: over the limit
COMPRESSED = gzip.compress(b'{"data": "compressed"}')


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, headers = {
            "/v1/small": (SMALL, {}),
            "/v1/large": (LARGE, {}),
            "/v1/compressed": (COMPRESSED, {"Content-Encoding": "gzip"}),
        }[self.path]
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        received = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(received)))
        self.end_headers()
        self.wfile.write(received[::-1])

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def gateway(spawn_service: SpawnService) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = free_port()
    process = spawn_service(
        "gateway",
        ("spyglass_gateway",),
        service_environment(
            SPYGLASS_GATEWAY_PORT=str(port),
            SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{server.server_address[1]}",
        ),
    )
    wait_healthy(process, f"http://127.0.0.1:{port}/healthz")
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def test_answers_pass_through_byte_for_byte(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=30) as http:
        small = http.get("/v1/small")
        large = http.get("/v1/large")
        compressed = http.get("/v1/compressed")
        posted = http.post("/v1/small", content=b"request body")

    assert small.content == SMALL
    assert large.content == LARGE
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == {"data": "compressed"}  # httpx decompressed what came through
    assert (posted.status_code, posted.content) == (201, b"ydob tseuqer")
