"""Signing in, the settings pages and what each role sees, in a real browser, on a platform
started with auth on (``SPYGLASS_ENABLE_AUTH``).

The default admin (``admin@localhost`` / ``admin``) logs in, is made to choose a password before
anything else, creates a viewer and a member, makes an API key that is shown once (and works,
until it is revoked), and hands a user a password reset link that sets their password once. A
viewer reads the projects and datasets without a control to change them and finds no Users
settings; a member has those controls. A wrong password is refused in the API's words; logging
out ends the session, and a page opened without one leads to the login page and back.

Users besides the default admin, a project and a dataset are made through the REST and GraphQL
APIs with the admin secret (``SPYGLASS_ADMIN_SECRET``), as an operator's script would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.platform import RunningPlatform
from tests.support.waiting import assert_eventually

pytestmark = pytest.mark.slow

SECRET = "browser-test-secret-0123456789-abcdefghij"
ADMIN_SECRET = "browser-test-admin-secret-9876543210-zyxw"
DEFAULT_ADMIN = "admin@localhost"
DEFAULT_ADMIN_PASSWORD = "admin"
# Above the cache of checked credentials (SPYGLASS_AUTH_CACHE_SECONDS, 2 s by default).
REVOCATION_SECONDS = 15.0


@pytest.fixture(scope="module")
def platform_environment() -> dict[str, str]:
    """Auth on, with a secret to sign tokens and an admin secret to seed the platform with."""
    return {
        "SPYGLASS_ENABLE_AUTH": "true",
        "SPYGLASS_SECRET": SECRET,
        "SPYGLASS_ADMIN_SECRET": ADMIN_SECRET,
    }


@pytest.fixture(scope="module")
def admin_api(platform: RunningPlatform) -> Iterator[httpx.Client]:
    """The REST and GraphQL APIs as the system, with the admin secret."""
    headers = {"Authorization": f"Bearer {ADMIN_SECRET}"}
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{os.urandom(4).hex()}"


def create_user(api: httpx.Client, role: str) -> dict[str, str]:
    """A user made by an admin: their first password must be changed at their first login."""
    username = unique(role.lower())
    password = f"first-{os.urandom(6).hex()}"
    response = api.post(
        "/v1/users",
        json={
            "user": {
                "email": f"{username}@example.com",
                "username": username,
                "role": role,
                "auth_method": "LOCAL",
                "password": password,
            },
            "send_welcome_email": False,
        },
    )
    assert response.status_code == 201, response.text
    return {"email": f"{username}@example.com", "username": username, "password": password}


@pytest.fixture(scope="module")
def project(admin_api: httpx.Client) -> str:
    name = unique("auth-project")
    response = admin_api.post("/v1/projects", json={"name": name})
    assert response.status_code == 200, response.text
    return name


@pytest.fixture(scope="module")
def dataset(admin_api: httpx.Client) -> dict[str, str]:
    name = unique("auth-dataset")
    response = admin_api.post(
        "/graphql",
        json={
            "query": "mutation($input: CreateDatasetInput!) "
            "{ createDataset(input: $input) { dataset { id name } } }",
            "variables": {"input": {"name": name}},
        },
    )
    assert response.status_code == 200, response.text
    created: dict[str, str] = response.json()["data"]["createDataset"]["dataset"]
    return created


def log_in(page: Page, login: str, password: str) -> None:
    """Fill the login form on the page shown and send it."""
    form = page.get_by_role("form", name="Log in")
    form.get_by_label("Email or username").fill(login)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()


def choose_password(page: Page, current: str) -> str:
    """On the forced "choose a new password" page: set a new password; returns it."""
    new_password = f"chosen-{os.urandom(6).hex()}"
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    form = page.get_by_role("form", name="Choose a new password")
    form.get_by_label("Current password").fill(current)
    form.get_by_label("New password", exact=True).fill(new_password)
    form.get_by_label("New password again").fill(new_password)
    form.get_by_role("button", name="Save the new password").click()
    return new_password


def first_login(page: Page, base_url: str, user: dict[str, str]) -> str:
    """A user's first login with the password an admin gave: they choose their own."""
    page.goto(f"{base_url}/login")
    log_in(page, user["email"], user["password"])
    new_password = choose_password(page, user["password"])
    expect(page.get_by_test_id("current-user")).to_contain_text(user["username"])
    return new_password


def accept_dialogs(page: Page) -> None:
    """Say yes to every confirmation the page asks."""
    page.on("dialog", lambda dialog: dialog.accept())


def viewer_of(base_url: str, key: str) -> httpx.Response:
    return httpx.get(f"{base_url}/v1/user", headers={"Authorization": f"Bearer {key}"})


def test_the_default_admin_changes_the_password_then_manages_users_and_keys(
    browser_page: Page, platform: RunningPlatform
) -> None:
    page = browser_page
    accept_dialogs(page)
    page.goto(f"{platform.base_url}/datasets")

    # Without a session the page leads to the login page, which brings the admin back.
    expect(page).to_have_url(re.compile(r"/login\?returnTo=%2Fdatasets$"))
    log_in(page, DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)

    # Before anything else: a password of their own. A wrong current password is refused.
    expect(page).to_have_url(re.compile(r"/change-password\?returnTo="))
    choose_password(page, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("not your current password")
    expect(page).to_have_url(re.compile(r"/change-password"))
    choose_password(page, DEFAULT_ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/datasets$"))
    expect(page.get_by_test_id("current-user")).to_have_text(re.compile(r"admin\s*Admin"))

    # Users: a viewer and a member, then the same email again (409 shown on the form).
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    made: dict[str, str] = {}
    for role in ("Viewer", "Member"):
        username = unique(role.lower())
        made[role] = username
        form = page.get_by_role("form", name="New user")
        form.get_by_label("Email").fill(f"{username}@example.com")
        form.get_by_label("Username").fill(username)
        form.get_by_label("Role").select_option(label=role)
        form.get_by_label("First password").fill("first-password-123")
        form.get_by_role("button", name="Create user").click()
        expect(form.get_by_role("status")).to_contain_text(f"{username} can log in now")
        row = page.get_by_test_id("users-table").get_by_role("row", name=username)
        expect(row.get_by_label(f"Role of {username}")).to_have_value(role.upper())
        expect(row).to_contain_text("must change password")
    form = page.get_by_role("form", name="New user")
    form.get_by_label("Email").fill(f"{made['Viewer']}@example.com")
    form.get_by_label("Username").fill(unique("again"))
    form.get_by_label("First password").fill("first-password-123")
    form.get_by_role("button", name="Create user").click()
    expect(form.get_by_role("alert")).to_contain_text("exists")

    # The viewer becomes a member, and back; the only admin can't demote themselves (409).
    viewer_row = page.get_by_test_id("users-table").get_by_role("row", name=made["Viewer"])
    viewer_row.get_by_label(f"Role of {made['Viewer']}").select_option("MEMBER")
    expect(viewer_row.get_by_label(f"Role of {made['Viewer']}")).to_have_value("MEMBER")
    viewer_row.get_by_label(f"Role of {made['Viewer']}").select_option("VIEWER")
    expect(viewer_row.get_by_label(f"Role of {made['Viewer']}")).to_have_value("VIEWER")
    admin_row = page.get_by_test_id("users-table").get_by_role("row", name="admin", exact=True)
    expect(admin_row).to_contain_text("you")
    admin_row.get_by_label("Role of admin").select_option("MEMBER")
    expect(admin_row.get_by_role("alert")).to_contain_text("last admin")
    expect(admin_row.get_by_label("Role of admin")).to_have_value("ADMIN")
    expect(admin_row.get_by_role("button", name="Delete admin")).to_have_count(0)

    # A user deleted after the confirmation is gone from the list, read again too.
    member_row = page.get_by_test_id("users-table").get_by_role("row", name=made["Member"])
    member_row.get_by_role("button", name=f"Delete {made['Member']}").click()
    expect(
        page.get_by_test_id("users-table").get_by_role("row", name=made["Member"])
    ).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("users-table")).not_to_contain_text(made["Member"])
    expect(page.get_by_test_id("users-table")).to_contain_text(made["Viewer"])

    # An API key of the admin's own: shown once, working, then revoked.
    page.get_by_role("link", name="API keys").click()
    own_keys = page.get_by_role("region", name="Your keys")
    key_name = unique("script")
    own_keys.get_by_label("Name").fill(key_name)
    own_keys.get_by_role("button", name="Create key").click()
    secret = own_keys.get_by_test_id("one-time-secret")
    expect(secret).to_contain_text("shown only this once")
    key = secret.get_by_test_id("secret-value").input_value()
    assert len(key) > 20
    answer = viewer_of(platform.base_url, key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["username"] == "admin"
    secret.get_by_role("button", name="Done").click()
    expect(own_keys.get_by_test_id("one-time-secret")).to_have_count(0)
    page.reload()
    row = page.get_by_test_id("user-keys").get_by_role("row", name=key_name)
    expect(row).to_be_visible()
    assert key not in page.content()
    row.get_by_role("button", name=f"Revoke {key_name}").click()
    expect(page.get_by_test_id("user-keys").get_by_role("row", name=key_name)).to_have_count(0)

    def refused() -> None:
        assert viewer_of(platform.base_url, key).status_code == 401

    assert_eventually(refused, timeout=REVOCATION_SECONDS)

    # Admins also see system keys, and members and admins project ingest keys.
    expect(page.get_by_role("region", name="System keys")).to_be_visible()
    expect(page.get_by_role("region", name="Project ingest keys")).to_be_visible()


def test_an_ingest_key_is_made_for_one_project_and_shown_once(
    browser_page: Page, platform: RunningPlatform, admin_api: httpx.Client, project: str
) -> None:
    page = browser_page
    accept_dialogs(page)
    member = create_user(admin_api, "MEMBER")
    first_login(page, platform.base_url, member)

    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("region", name="System keys")).to_have_count(0)
    ingest = page.get_by_role("region", name="Project ingest keys")
    key_name = unique("collector")
    ingest.get_by_label("Name").fill(key_name)
    ingest.get_by_label("Project", exact=True).fill(project)
    ingest.get_by_label("Expires (optional)").fill("2999-12-31")
    ingest.get_by_role("button", name="Create key").click()
    key = ingest.get_by_test_id("secret-value").input_value()
    # An ingest key only sends spans: the API refuses it anything else.
    assert viewer_of(platform.base_url, key).status_code == 403
    ingest.get_by_role("button", name="Done").click()
    row = page.get_by_test_id("ingest-keys").get_by_role("row", name=key_name)
    expect(row).to_contain_text(project)
    expect(row).to_contain_text(member["username"])
    expect(row).to_contain_text("2999")
    row.get_by_role("button", name=f"Revoke {key_name}").click()
    expect(page.get_by_test_id("ingest-keys").get_by_role("row", name=key_name)).to_have_count(0)


def test_a_viewer_reads_without_controls_to_change_anything(
    browser_page: Page,
    platform: RunningPlatform,
    admin_api: httpx.Client,
    project: str,
    dataset: dict[str, str],
) -> None:
    page = browser_page
    viewer = create_user(admin_api, "VIEWER")
    first_login(page, platform.base_url, viewer)
    expect(page.get_by_test_id("current-user")).to_contain_text("Viewer")
    header = page.get_by_test_id("app-header")
    expect(header.get_by_role("link", name="API keys")).to_be_visible()
    expect(header.get_by_role("link", name="Users")).to_have_count(0)

    # The projects: readable; their settings and rules without a control.
    page.goto(f"{platform.base_url}/?name={quote(project)}")
    expect(page.get_by_test_id("project-grid")).to_contain_text(project)
    page.goto(f"{platform.base_url}/projects/{quote(project)}/config")
    expect(page.get_by_test_id("policy-summary")).to_be_visible()
    expect(page.get_by_label("Policy of this project")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
    page.goto(f"{platform.base_url}/projects/{quote(project)}/evaluations")
    expect(page.get_by_text("No online evaluation rules yet")).to_be_visible()
    expect(page.get_by_role("link", name="New rule")).to_have_count(0)
    expect(page.get_by_role("link", name="Create a rule")).to_have_count(0)

    # The datasets: readable; no upload, edit, delete or run.
    page.goto(f"{platform.base_url}/datasets")
    expect(page.get_by_role("link", name=dataset["name"])).to_be_visible()
    expect(page.get_by_role("button", name="Upload dataset")).to_have_count(0)
    page.get_by_role("link", name=dataset["name"]).click()
    expect(page.get_by_role("heading", name=dataset["name"])).to_be_visible()
    for control in ("Edit", "Delete"):
        expect(page.get_by_role("button", name=control, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Run a prompt")).to_have_count(0)

    # Elsewhere: no new evaluator, no run in the playground, no Users page.
    page.goto(f"{platform.base_url}/evaluators")
    expect(page.get_by_role("heading", name="Evaluators")).to_be_visible()
    expect(page.get_by_role("link", name="New evaluator")).to_have_count(0)
    page.goto(f"{platform.base_url}/playground")
    expect(page.get_by_text("Your role can write prompts here but not run them")).to_be_visible()
    expect(page.get_by_role("button", name="Run all")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Run "))).to_have_count(0)
    page.goto(f"{platform.base_url}/settings/users")
    expect(page.get_by_text("Managing users is not open to you")).to_be_visible()
    expect(page.get_by_test_id("users-table")).to_have_count(0)
    page.goto(f"{platform.base_url}/settings/api-keys")
    expect(page.get_by_role("region", name="Your keys")).to_be_visible()
    expect(page.get_by_role("region", name="Project ingest keys")).to_have_count(0)
    expect(page.get_by_role("region", name="System keys")).to_have_count(0)


def test_a_member_has_the_controls_a_viewer_lacks(
    browser_page: Page,
    platform: RunningPlatform,
    admin_api: httpx.Client,
    dataset: dict[str, str],
) -> None:
    page = browser_page
    member = create_user(admin_api, "MEMBER")
    first_login(page, platform.base_url, member)

    page.goto(f"{platform.base_url}/datasets")
    expect(page.get_by_role("button", name="Upload dataset")).to_be_visible()
    page.get_by_role("link", name=dataset["name"]).click()
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_visible()
    expect(page.get_by_test_id("app-header").get_by_role("link", name="Users")).to_have_count(0)


def test_a_wrong_password_is_refused_and_logging_out_ends_the_session(
    browser_page: Page, platform: RunningPlatform, admin_api: httpx.Client
) -> None:
    page = browser_page
    member = create_user(admin_api, "MEMBER")
    password = first_login(page, platform.base_url, member)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # The session is over on the server too: its pages lead back to the login page.
    page.goto(f"{platform.base_url}/prompts")
    expect(page).to_have_url(re.compile(r"/login\?returnTo=%2Fprompts$"))

    log_in(page, member["username"], "not-my-password")
    expect(page.get_by_test_id("login-problem")).to_have_text("Invalid email and/or password")
    expect(page).to_have_url(re.compile(r"/login\?returnTo="))

    # With the right one (and the username rather than the email), back where they were.
    log_in(page, member["username"], password)
    expect(page).to_have_url(re.compile(r"/prompts$"))
    expect(page.get_by_test_id("current-user")).to_contain_text(member["username"])


def test_an_expired_access_cookie_is_renewed_and_an_ended_session_leads_to_login(
    browser_page: Page, platform: RunningPlatform, admin_api: httpx.Client, project: str
) -> None:
    page = browser_page
    member = create_user(admin_api, "MEMBER")
    first_login(page, platform.base_url, member)
    page.goto(f"{platform.base_url}/datasets")
    expect(page.get_by_role("heading", name="Datasets")).to_be_visible()

    # The access cookie gone (as when it expires): the next reads are refused, the session is
    # renewed with the refresh cookie, and the page opens as if nothing happened.
    page.context.clear_cookies(name="phoenix-access-token")
    page.get_by_test_id("app-header").get_by_role("link", name="Projects").click()
    expect(page.get_by_test_id("project-grid")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert "phoenix-access-token" in names

    # Both cookies gone: nothing to renew, so the login page, which brings the user back.
    page.context.clear_cookies()
    page.locator(f'[data-project="{project}"]').click()
    expect(page).to_have_url(
        re.compile(rf"/login\?returnTo=%2Fprojects%2F{re.escape(quote(project))}%2Ftraces$")
    )


def test_a_reset_link_from_an_admin_sets_a_password_once(
    browser: Browser, browser_page: Page, platform: RunningPlatform, admin_api: httpx.Client
) -> None:
    page = browser_page
    accept_dialogs(page)
    admin = create_user(admin_api, "ADMIN")
    forgetful = create_user(admin_api, "VIEWER")
    first_login(page, platform.base_url, admin)

    page.get_by_role("link", name="Users").click()
    row = page.get_by_test_id("users-table").get_by_role("row", name=forgetful["username"])
    row.get_by_role("button", name=f"Reset the password of {forgetful['username']}").click()
    link = page.get_by_test_id("one-time-secret").get_by_test_id("secret-value").input_value()
    assert link.startswith(f"{platform.base_url}/reset-password-with-token?token=")

    context = browser.new_context()
    try:
        visitor = context.new_page()
        new_password = f"reset-{os.urandom(6).hex()}"
        visitor.goto(link)
        form = visitor.get_by_role("form", name="Reset your password")
        form.get_by_label("New password", exact=True).fill(new_password)
        form.get_by_label("New password again").fill(new_password)
        form.get_by_role("button", name="Set the password").click()
        expect(visitor.get_by_role("heading", name="Your password is set")).to_be_visible()

        # Used once: the same link again is refused in the API's words.
        visitor.goto(link)
        form = visitor.get_by_role("form", name="Reset your password")
        form.get_by_label("New password", exact=True).fill("another-password-1")
        form.get_by_label("New password again").fill("another-password-1")
        form.get_by_role("button", name="Set the password").click()
        expect(form.get_by_role("alert")).to_contain_text("invalid, used or expired")

        visitor.goto(f"{platform.base_url}/login")
        log_in(visitor, forgetful["email"], new_password)
        expect(visitor.get_by_test_id("current-user")).to_contain_text(forgetful["username"])
    finally:
        context.close()
