"""What the gateway's answers tell browsers: the UI's security headers, HSTS only over TLS,
nosniff on API answers, and no cross-origin access for any other site.

The UI is a build of the test's own and the query API a plain HTTP server of the test's own,
which answers with CORS headers a careless upstream might send, so the test sees the gateway
drop them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.processes import SpawnService, start_gateway

INDEX = "<!doctype html><html><head><title>Spyglass</title></head><body>app</body></html>"
SCRIPT_PATH = "/assets/index-7c1d9e0b.js"
ATTACKER = "https://attacker.example"
LISTED_ORIGIN = "https://spyglass.example.com"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
UI_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}
OVER_TLS = {"X-Forwarded-Proto": "https"}


class _QueryApi(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self._answer()

    def do_OPTIONS(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        if self.path != "/healthz":
            self.seen.append(f"{self.command} {self.path}")
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Access-Control-Allow-Origin", self.headers.get("X-Echo-Origin", "*"))
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, DELETE")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def seen() -> list[str]:
    """The requests that reached the query API."""
    return []


@pytest.fixture
def query_api(seen: list[str]) -> Iterator[str]:
    handler = type("QueryApi", (_QueryApi,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def built_ui(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / SCRIPT_PATH.lstrip("/")).write_text("console.log('spyglass');\n")
    return dist


@pytest.fixture
def gateway(spawn_service: SpawnService, query_api: str, built_ui: Path) -> str:
    return start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=query_api,
        SPYGLASS_GATEWAY_UI_DIRECTORY=str(built_ui),
        SPYGLASS_GATEWAY_ALLOWED_ORIGINS=LISTED_ORIGIN,
    )


def _assert_ui_headers(answer: httpx.Response) -> None:
    for name, value in UI_HEADERS.items():
        assert answer.headers.get_list(name) == [value], name


def test_the_page_and_its_assets_carry_the_ui_headers_and_hsts_only_over_tls(
    gateway: str,
) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        answers = {
            "page": http.get("/"),
            "deep link": http.get("/projects/shop/traces"),
            "asset": http.get(SCRIPT_PATH),
            "missing asset": http.get("/assets/gone-0000.js"),
        }
        over_tls = {
            name: http.get(answer.url.path, headers=OVER_TLS) for name, answer in answers.items()
        }

    assert [answer.status_code for answer in answers.values()] == [200, 200, 200, 404]
    for name, answer in answers.items():
        _assert_ui_headers(answer)
        assert "strict-transport-security" not in answer.headers, name
    for name, answer in over_tls.items():
        _assert_ui_headers(answer)
        assert answer.headers.get_list("strict-transport-security") == ["max-age=31536000"], name


def test_an_unbuilt_ui_page_has_its_own_policy_for_its_inline_style(
    spawn_service: SpawnService, query_api: str, tmp_path: Path
) -> None:
    gateway = start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=query_api,
        SPYGLASS_GATEWAY_UI_DIRECTORY=str(tmp_path / "nothing-built"),
    )
    answer = httpx.get(f"{gateway}/", timeout=10)

    assert answer.status_code == 503 and "make ui" in answer.text
    # One policy only: a second one would be enforced too, and block the page's style.
    assert answer.headers.get_list("content-security-policy") == [
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ]
    assert answer.headers["x-frame-options"] == "DENY"


def test_api_answers_say_nosniff_once_and_hsts_only_over_tls(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        plain = http.get("/v1/projects")
        over_tls = http.get("/v1/projects", headers=OVER_TLS)

    for answer in (plain, over_tls):
        assert answer.status_code == 200
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
        # The upstream's answer is its own: the UI's policy would break its /docs page.
        assert "content-security-policy" not in answer.headers
    assert "strict-transport-security" not in plain.headers
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000"


def test_no_origin_is_allowed_to_read_with_credentials(gateway: str, seen: list[str]) -> None:
    credentials = {"Authorization": "Bearer a-key", "Cookie": "phoenix-access-token=a-token"}
    with httpx.Client(base_url=gateway, timeout=10) as http:
        for origin in (ATTACKER, LISTED_ORIGIN, "null"):
            # The upstream echoes the origin it is told to: the gateway must drop it anyway.
            api = http.get(
                "/v1/projects", headers={"Origin": origin, "X-Echo-Origin": origin, **credentials}
            )
            page = http.get("/", headers={"Origin": origin, **credentials})

            assert api.status_code == 200 and page.status_code == 200
            for answer in (api, page):
                allowing = [name for name in answer.headers if name.startswith("access-control-")]
                assert allowing == [], origin

    assert seen == ["GET /v1/projects"] * 3


def test_preflights_are_refused_and_never_forwarded(gateway: str, seen: list[str]) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        for origin in (ATTACKER, LISTED_ORIGIN):
            for path in ("/v1/projects/shop", "/graphql", "/auth/login", "/", SCRIPT_PATH):
                answer = http.options(
                    path,
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "DELETE",
                        "Access-Control-Request-Headers": "authorization, content-type",
                    },
                )

                assert answer.status_code == 403, (origin, path)
                assert "cross-origin requests are not allowed" in answer.text
                allowing = [name for name in answer.headers if name.startswith("access-control-")]
                assert allowing == [], (origin, path)
        # An OPTIONS that is not a preflight still reaches the API, as before.
        plain = http.options("/v1/projects")

    assert plain.status_code == 200
    assert seen == ["OPTIONS /v1/projects"]
