"""The browser guard's rules: hosts served, origins trusted, content types a page can't send."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from litestar.testing import TestClient
from prometheus_client import REGISTRY
from pydantic import Field
from pydantic_settings import BaseSettings

from spyglass_core.browser_guard import (
    LOOPBACK_HOSTS,
    BrowserGuardPolicy,
    HostPatterns,
    OriginList,
    Refusal,
    browser_guard,
)
from spyglass_core.errors import ConfigurationError
from spyglass_core.settings import group_config, load_settings

HOSTS = "SPYGLASS_TEST_ALLOWED_HOSTS"
ORIGINS = "SPYGLASS_TEST_ALLOWED_ORIGINS"
JSON = "application/json"


class _ServerSettings(BaseSettings):
    model_config = group_config("SPYGLASS_TEST_")

    allowed_hosts: HostPatterns = Field(default=LOOPBACK_HOSTS)
    allowed_origins: OriginList = Field(default=())


def _policy(
    hosts: tuple[str, ...] = LOOPBACK_HOSTS, origins: tuple[str, ...] = ()
) -> BrowserGuardPolicy:
    server = _ServerSettings(allowed_hosts=hosts, allowed_origins=origins)
    return BrowserGuardPolicy(
        server.allowed_hosts, server.allowed_origins, hosts_setting=HOSTS, origins_setting=ORIGINS
    )


def _check(
    policy: BrowserGuardPolicy,
    method: str = "GET",
    path: str = "/v1/projects",
    body: bool = False,
    **headers: str,
) -> Refusal | None:
    """``policy``'s decision; headers by keyword (``content_type`` is ``content-type``)."""
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    if body:
        raw.append((b"content-length", b"2"))
    return policy.check(method, path, raw)


# --- Host --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost:6006", "localhost", "127.0.0.1:6007", "[::1]:6006", "LocalHost.:80"]
)
def test_the_loopback_names_are_served_on_any_port_by_default(host: str) -> None:
    assert _check(_policy(), host=host) is None


@pytest.mark.parametrize(
    "host",
    ["attacker.example:6006", "127.0.0.1.nip.io:6006", "localhost.attacker.example", "10.0.0.7"],
)
def test_other_hosts_are_refused_naming_the_setting(host: str) -> None:
    assert _check(_policy(), host=host) == Refusal(
        400,
        f'this server does not answer to the host "{host}": list it in {HOSTS} '
        "(comma-separated; `*` allows any host)",
        "host",
    )


@pytest.mark.parametrize("host", ["localhost@attacker.example", "[::1", "localhost:http", "a b"])
def test_a_malformed_host_is_refused(host: str) -> None:
    refusal = _check(_policy(), host=host)

    assert refusal is not None and refusal.status == 400


def test_a_request_without_host_is_refused_unless_any_host_is_allowed() -> None:
    refusal = _check(_policy())

    assert refusal == Refusal(
        400,
        f"the request has no `Host` header; this server answers only to the hosts listed in "
        f"{HOSTS}",
        "host",
    )
    assert _check(_policy(("*",))) is None


def test_star_allows_any_host_and_star_dot_a_domain_its_subdomains() -> None:
    subdomains = _policy(("*.example.com", "spyglass.internal"))

    assert _check(_policy(("*",)), host="anything.example:1234") is None
    assert _check(subdomains, host="ui.example.com") is None
    assert _check(subdomains, host="a.b.example.com:6006") is None
    assert _check(subdomains, host="spyglass.internal") is None
    assert _check(subdomains, host="example.com") is not None
    assert _check(subdomains, host="badexample.com") is not None
    assert _check(subdomains, host="localhost") is not None


# --- Origin ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("localhost:6006", "http://localhost:6006"),
        ("127.0.0.1:6006", "http://127.0.0.1:6006"),
        ("[::1]:6006", "http://[::1]:6006"),
        # TLS ended by a proxy in front: the page is https, the request arrives as http.
        ("spyglass.example.com", "https://spyglass.example.com"),
        ("spyglass.example.com:443", "https://spyglass.example.com"),
        ("spyglass.example.com", "http://spyglass.example.com:80"),
    ],
)
def test_a_page_of_the_servers_own_origin_may_write(host: str, origin: str) -> None:
    policy = _policy(("*",))

    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert _check(policy, method, host=host, origin=origin, content_type=JSON) is None


@pytest.mark.parametrize(
    "origin",
    [
        "http://attacker.example",
        "http://localhost:6007",  # another port is another site's origin
        "http://localhost.attacker.example:6006",
        "https://spyglass.example.com:8443",
        "null",  # sandboxed frames, file: pages, a no-referrer page
        "http://localhost:6006/path",
    ],
)
def test_a_page_of_another_origin_may_not_write(origin: str) -> None:
    host = "localhost:6006"

    for method in ("POST", "PUT", "PATCH", "DELETE"):
        refusal = _check(_policy(), method, host=host, origin=origin, content_type=JSON)

        assert refusal == Refusal(
            403,
            f'a page of "{origin}" may not change data here: the `Origin` must be this '
            f"server's own or one listed in {ORIGINS}",
            "origin",
        )


def test_origins_in_the_setting_may_write_and_reads_are_not_checked() -> None:
    policy = _policy(origins=("https://UI.example.com:443/", "http://localhost:3000"))

    assert _check(policy, "POST", host="localhost", origin="https://ui.example.com") is None
    assert _check(policy, "DELETE", host="localhost", origin="http://localhost:3000") is None
    assert _check(policy, "DELETE", host="localhost", origin="https://localhost:3000") is not None
    assert _check(policy, "GET", host="localhost", origin="http://attacker.example") is None


def test_requests_without_origin_are_not_checked() -> None:
    """SDKs, scripts and collectors send no Origin: their writes go on."""
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert _check(_policy(), method, host="localhost:6006", content_type=JSON) is None


# --- content type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("text/plain", "text/plain"),
        ("text/plain;charset=UTF-8", "text/plain"),
        ("Text/Plain ; charset=utf-8", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=x", "multipart/form-data"),
    ],
)
def test_a_post_of_a_type_pages_send_without_preflight_is_refused(
    content_type: str, named: str
) -> None:
    refusal = _check(_policy(), "POST", body=True, host="localhost", content_type=content_type)

    assert refusal == Refusal(
        415,
        f"`content-type` must be application/json, not {named}: any web page can make a "
        f"browser POST {named} to this server without asking it first",
        "content_type",
    )


def test_a_post_of_a_body_without_content_type_is_refused() -> None:
    expected = Refusal(
        415,
        "`content-type` must be application/json: any web page can make a browser POST a body "
        "with no content type to this server without asking it first",
        "content_type",
    )
    chunked = [(b"host", b"localhost"), (b"transfer-encoding", b"chunked")]

    assert _check(_policy(), "POST", body=True, host="localhost") == expected
    assert _check(_policy(), "POST", body=True, host="localhost", content_type="") == expected
    assert _policy().check("POST", "/v1/projects", chunked) == expected
    assert _check(_policy(), "POST", host="localhost") is None  # no body: nothing to forge


@pytest.mark.parametrize(
    "content_type", [JSON, "application/json; charset=utf-8", "application/x-protobuf"]
)
def test_a_post_of_a_type_that_needs_a_preflight_goes_on(content_type: str) -> None:
    assert _check(_policy(), "POST", body=True, host="localhost", content_type=content_type) is None


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_writes_are_not_checked_for_content_type(method: str) -> None:
    """A browser preflights them cross-site, and no Spyglass server answers the preflight."""
    refusal = _check(_policy(), method, body=True, host="localhost", content_type="text/plain")

    assert refusal is None


def test_the_dataset_upload_takes_multipart_form_data_as_phoenix_does() -> None:
    policy = _policy()
    upload = "/v1/datasets/upload"
    multipart = "multipart/form-data; boundary=x"

    assert (
        _check(policy, "POST", upload, body=True, host="localhost", content_type=multipart) is None
    )
    refusal = _check(policy, "POST", upload, body=True, host="localhost", content_type="text/plain")
    assert refusal is not None
    assert refusal.message.startswith(
        "`content-type` must be application/json or multipart/form-data, not text/plain"
    )


# --- settings ----------------------------------------------------------------------------------


def test_settings_read_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOSTS, " Spyglass.Example.com., *.svc,,[::1] ")
    monkeypatch.setenv(ORIGINS, ",https://ui.example.com/,http://localhost:80")

    settings = load_settings(_ServerSettings)

    assert settings.allowed_hosts == ("spyglass.example.com", "*.svc", "[::1]")
    assert settings.allowed_origins == ("https://ui.example.com", "http://localhost")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (HOSTS, "localhost:6006", "list host names without a port (any port is served)"),
        (HOSTS, "[::1]:6006", "list host names without a port (any port is served)"),
        (HOSTS, "https://spyglass.example.com", "list host names, not URLs"),
        (HOSTS, "::1", "write IPv6 addresses in brackets, like [::1]"),
        (HOSTS, "a b", "'a b' is not a host name, an IP address, `*.domain` or `*`"),
        (ORIGINS, "localhost:6006", "origins are written scheme://host[:port]"),
        (ORIGINS, "https://ui.example.com/app", "origins are written scheme://host[:port]"),
    ],
)
def test_a_bad_entry_fails_at_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError) as raised:
        load_settings(_ServerSettings)

    assert f"{variable}: {message}" in raised.value.message


# --- the middleware ----------------------------------------------------------------------------


@post("/v1/projects", status_code=200)
async def _create(request: Request[Any, Any, Any]) -> Any:
    """Reads the body as JSON whatever its content type, as litestar does."""
    return await request.json()


@get("/healthz")
async def _healthz() -> str:
    return "OK"


def _refused_count(reason: str) -> float:
    value = REGISTRY.get_sample_value("spyglass_http_requests_refused_total", {"reason": reason})
    return value or 0.0


def test_the_middleware_answers_refusals_as_plain_text_and_counts_them() -> None:
    app = Litestar([_create, _healthz], middleware=[browser_guard(_ServerSettings())])
    before = _refused_count("content_type")

    with TestClient(app, base_url="http://127.0.0.1:6006") as client:
        created = client.post("/v1/projects", json={"name": "a"})
        forged = client.post(
            "/v1/projects", content=b'{"name": "a"}', headers={"content-type": "text/plain"}
        )
        rebound = client.post(
            "/v1/projects", json={"name": "a"}, headers={"host": "attacker.example:6006"}
        )
        probe = client.get("/healthz", headers={"host": "10.1.2.3:6006"})

    assert (created.status_code, created.json()) == (200, {"name": "a"})
    assert forged.status_code == 415
    assert forged.headers["content-type"] == "text/plain; charset=utf-8"
    assert forged.headers["x-content-type-options"] == "nosniff"
    assert forged.text.startswith("`content-type` must be application/json, not text/plain")
    assert _refused_count("content_type") == before + 1
    assert rebound.status_code == 400
    assert "SPYGLASS_TEST_ALLOWED_HOSTS" in rebound.text
    assert (probe.status_code, probe.text) == (200, "OK")


def test_decisions_stay_right_once_many_made_up_hosts_were_seen() -> None:
    """Decisions are remembered per header, up to a bound: a flood of made-up hosts neither
    grows memory for ever nor changes an answer."""
    policy = _policy(("*.example.com",))
    for number in range(3000):
        assert _check(policy, host=f"made-up-{number}.attacker.example") is not None

    assert _check(policy, host="first-seen.example.com:6006") is None
    assert _check(policy, host="made-up-1.attacker.example") is not None
