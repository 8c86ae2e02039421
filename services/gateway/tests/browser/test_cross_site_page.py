"""A page of another site, open in a real browser, can't write to a Spyglass on this machine.

The platform is the one ``make run`` starts, with its default settings. The hostile page is
served by a plain HTTP server of the test's own on another port, under ``localhost`` while the
platform is addressed as ``127.0.0.1``: another site, as far as the browser is concerned. It
forges the writes a browser sends anywhere without asking the server first: ``no-cors`` fetches
of JSON as ``text/plain`` and as bytes of no type, and a form posted as ``text/plain``. The
browser sends each one (the test sees them leave and their answers come back), the gateway
refuses each one, and no project appears.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Response

from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

ATTACK_PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>A page of another site</title></head>
<body>
<iframe name="sink" style="display: none"></iframe>
<form id="form" method="post" enctype="text/plain" target="sink" action="{target}/v1/projects">
  <input type="hidden" name='{{"name": "{form_name}", "padding": "' value='"}}'>
</form>
<script>
  const target = "{target}";
  const forged = [
    fetch(`${{target}}/v1/projects`, {{
      method: "POST",
      mode: "no-cors",
      headers: {{ "Content-Type": "text/plain" }},
      body: JSON.stringify({{ name: "{text_name}" }}),
    }}),
    fetch(`${{target}}/v1/projects`, {{
      method: "POST",
      mode: "no-cors",
      body: new Blob([JSON.stringify({{ name: "{untyped_name}" }})]),
    }}),
  ];
  document.getElementById("form").submit();
  Promise.allSettled(forged).then(() => {{ document.title = "sent"; }});
</script>
</body>
</html>
"""


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[str]:
    """A plain HTTP server for the hostile page; returns its base URL, under ``localhost``."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


def test_a_page_of_another_site_creates_nothing(
    platform: RunningPlatform, other_site: str, browser_page: Page, tmp_path: Path
) -> None:
    suffix = os.urandom(4).hex()
    names = {kind: f"forged-{kind}-{suffix}" for kind in ("text", "untyped", "form")}
    (tmp_path / "attack.html").write_text(
        ATTACK_PAGE.format(
            target=platform.base_url,
            text_name=names["text"],
            untyped_name=names["untyped"],
            form_name=names["form"],
        )
    )
    answers: list[Response] = []
    browser_page.on(
        "response",
        lambda answer: answers.append(answer) if answer.url.startswith(platform.base_url) else None,
    )

    browser_page.goto(f"{other_site}/attack.html")

    def all_answered() -> list[tuple[str, int, str]]:
        assert browser_page.title() == "sent"
        seen = [(answer.request.method, answer.status, answer.url) for answer in answers]
        assert len(seen) == 3, seen
        return seen

    seen = assert_eventually(all_answered, timeout=20)
    assert seen == [("POST", 403, f"{platform.base_url}/v1/projects")] * 3
    refused = (
        f'a page of "{other_site}" may not change data here: the `Origin` must be this '
        "server's own or one listed in SPYGLASS_GATEWAY_ALLOWED_ORIGINS"
    )

    # 403 is the Origin rule's answer. The form's is shown in its frame (the page itself can't
    # read it); Playwright keeps neither the body nor all the headers of a no-cors fetch.
    def form_answer() -> str:
        sink = browser_page.frame(name="sink")
        assert sink is not None
        return sink.inner_text("body")

    assert assert_eventually(form_answer, timeout=20) == refused
    # The forged bodies would have created their projects, had they been let through
    # (Playwright does not show a Blob's bytes: the untyped one is not checked here).
    bodies = [answer.request.post_data or "" for answer in answers]
    for name in (names["text"], names["form"]):
        assert any(f'"name": "{name}"' in body or f'"name":"{name}"' in body for body in bodies)
    listed = httpx.get(f"{platform.base_url}/v1/projects", params={"limit": 1000}, timeout=10)
    assert listed.status_code == 200
    assert not set(names.values()) & {project["name"] for project in listed.json()["data"]}
