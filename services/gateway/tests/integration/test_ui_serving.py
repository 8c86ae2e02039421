"""The gateway serves the built UI: deep links, cached assets, and a clear page when unbuilt.

The UI here is a build of the test's own (an ``index.html`` and a hashed asset in a temporary
``dist/``), and the query API is a plain HTTP server of the test's own that says which path it
was asked for, so the test can tell a forwarded request from the UI's page.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.processes import SpawnService, start_gateway

INDEX = "<!doctype html><html><head><title>Spyglass</title></head><body>app</body></html>"
SCRIPT = "console.log('spyglass');\n"
SCRIPT_PATH = "/assets/index-3f9a1c2e.js"
BROTLI_FORM = b"the script's brotli form"
"""Stands for a brotli file: the gateway sends the build's file as it is, so its bytes tell
which form came."""


class _QueryApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"upstream": "query-api", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def query_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _QueryApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def built_ui(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / SCRIPT_PATH.lstrip("/")).write_text(SCRIPT)
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (dist / ".spyglass-sources").write_text("0123abcd\n")
    return dist


def _start_gateway(spawn_service: SpawnService, ui_directory: Path, query_api: str) -> str:
    return start_gateway(
        spawn_service,
        SPYGLASS_GATEWAY_QUERY_API_URL=query_api,
        SPYGLASS_GATEWAY_UI_DIRECTORY=str(ui_directory),
    )


@pytest.fixture
def gateway(spawn_service: SpawnService, built_ui: Path, query_api: str) -> str:
    return _start_gateway(spawn_service, built_ui, query_api)


def test_the_app_answers_its_root_and_every_deep_link(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        root = http.get("/")
        deep_link = http.get("/projects/default/traces/4bf92f3577b34da6a3ce929d0e0e4736")
        dotted = http.get("/projects/my.project")
        head = http.head("/projects/default")

    for response in (root, deep_link, dotted):
        assert response.status_code == 200
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
    assert head.status_code == 200
    assert head.content == b""


def test_hashed_assets_are_cached_for_good_and_a_missing_one_is_not_found(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        script = http.get(SCRIPT_PATH)
        missing = http.get("/assets/index-00000000.js")
        escape = http.get("/assets/..%2Findex.html")
        favicon = http.get("/favicon.svg")
        stamp = http.get("/.spyglass-sources")

    assert script.status_code == 200
    assert script.text == SCRIPT
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert missing.status_code == 404
    assert "<html" not in missing.text
    assert escape.status_code == 404
    assert favicon.status_code == 200
    assert favicon.headers["content-type"].startswith("image/svg+xml")
    assert favicon.headers["cache-control"] == "no-cache"
    # The build's stamp is not a page of the app: it gets the app, not its own content.
    assert stamp.text == INDEX


def _raw_get(http: httpx.Client, path: str, accept_encoding: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent, not decoded."""
    with http.stream("GET", path, headers={"Accept-Encoding": accept_encoding}) as response:
        return response, b"".join(response.iter_raw())


def test_browsers_get_the_compressed_form_of_an_asset_they_accept(
    gateway: str, built_ui: Path
) -> None:
    script = built_ui / SCRIPT_PATH.lstrip("/")
    script.with_name(script.name + ".gz").write_bytes(gzip.compress(SCRIPT.encode()))
    script.with_name(script.name + ".br").write_bytes(BROTLI_FORM)

    with httpx.Client(base_url=gateway, timeout=10) as http:
        browser, browser_body = _raw_get(http, SCRIPT_PATH, "gzip, deflate, br, zstd")
        gzip_only, gzip_body = _raw_get(http, SCRIPT_PATH, "gzip")
        no_brotli, no_brotli_body = _raw_get(http, SCRIPT_PATH, "br;q=0, *")
        plain, plain_body = _raw_get(http, SCRIPT_PATH, "identity")
        index, _ = _raw_get(http, "/", "gzip, br")

    assert browser.headers["content-encoding"] == "br"
    assert browser_body == BROTLI_FORM
    assert gzip_only.headers["content-encoding"] == "gzip"
    assert gzip.decompress(gzip_body).decode() == SCRIPT
    assert no_brotli.headers["content-encoding"] == "gzip"
    assert gzip.decompress(no_brotli_body).decode() == SCRIPT
    assert "content-encoding" not in plain.headers
    assert plain_body.decode() == SCRIPT
    for response in (browser, gzip_only, no_brotli, plain):
        assert "javascript" in response.headers["content-type"]
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A file the build did not compress goes as it is.
    assert "content-encoding" not in index.headers
    assert "vary" not in index.headers


def test_api_paths_still_reach_the_query_api(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as http:
        rest = http.get("/v1/projects")
        graphql = http.get("/graphql")
        version = http.get("/arize_phoenix_version")
        health = http.get("/healthz")
        bare_prefix = http.get("/v1")

    assert rest.json() == {"upstream": "query-api", "path": "/v1/projects"}
    assert graphql.json() == {"upstream": "query-api", "path": "/graphql"}
    assert version.json()["path"] == "/arize_phoenix_version"
    assert health.text == "OK"
    assert bare_prefix.status_code == 404
    assert "<html" not in bare_prefix.text


def test_an_unbuilt_ui_says_how_to_build_it_and_the_apis_keep_working(
    spawn_service: SpawnService, tmp_path: Path, query_api: str
) -> None:
    gateway = _start_gateway(spawn_service, tmp_path / "never-built", query_api)

    with httpx.Client(base_url=gateway, timeout=10) as http:
        root = http.get("/")
        deep_link = http.get("/projects/default")
        asset = http.get(SCRIPT_PATH)
        rest = http.get("/v1/projects")

    for response in (root, deep_link):
        assert response.status_code == 503
        assert "not built" in response.text
        assert "make ui" in response.text
        assert "spyglass ui build" in response.text
    assert asset.status_code == 404
    assert rest.json()["path"] == "/v1/projects"
