"""The real UI works under the gateway's Content-Security-Policy, and its own writes still pass.

The platform is the one ``make run`` starts, with the real build of the UI. A trace is sent
through OTLP; then the pages that load the most (the projects, a trace with its tree and detail,
the metrics charts, the playground, the evaluator form, datasets and prompts) are opened in
chromium, which reports every CSP violation as a ``securitypolicyviolation`` event: there must
be none. A same-origin POST sent by the page must still be answered: with a referrer policy of
``no-referrer`` the browser would send ``Origin: null`` and the cross-site guard refuse it.
"""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from tests.support.otlp_traces import agent_trace, send_spans, wait_for_spans
from tests.support.platform import RunningPlatform

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`
  );
});
"""


def test_the_ui_runs_under_its_content_security_policy(
    platform: RunningPlatform, browser_page: Page, console_errors: list[str]
) -> None:
    project = f"csp-{os.urandom(4).hex()}"
    trace = agent_trace()
    send_spans(platform.base_url, project, trace.spans)
    wait_for_spans(platform.base_url, trace.trace_id, len(trace.spans))
    browser_page.add_init_script(COLLECT_VIOLATIONS)

    first = browser_page.goto(f"{platform.base_url}/")
    assert first is not None and "script-src 'self'" in first.headers["content-security-policy"]
    expect(browser_page.get_by_test_id("project-card").filter(has_text=project)).to_be_visible()
    visits = {
        f"/projects/{project}/traces": browser_page.get_by_text(trace.question).first,
        f"/traces/{trace.trace_id}": browser_page.get_by_test_id("span-tree"),
        f"/projects/{project}/metrics": browser_page.locator("svg.recharts-surface").first,
        "/playground": browser_page.get_by_test_id("app-header"),
        "/evaluators/new": browser_page.get_by_test_id("app-header"),
        "/datasets": browser_page.get_by_test_id("app-header"),
        "/prompts": browser_page.get_by_test_id("app-header"),
    }
    violations: dict[str, list[str]] = {}
    for path, shown in visits.items():
        browser_page.goto(f"{platform.base_url}{path}")
        expect(shown).to_be_visible()
        browser_page.wait_for_load_state("networkidle")
        found = browser_page.evaluate("window.__cspViolations")
        if found:
            violations[path] = found
    status = browser_page.evaluate(
        """() => fetch("/graphql", {
             method: "POST",
             headers: {"content-type": "application/json"},
             body: JSON.stringify({query: "{ __typename }"}),
           }).then((answer) => answer.status)"""
    )

    assert violations == {}
    assert not [error for error in console_errors if "Content Security Policy" in error]
    assert status == 200
