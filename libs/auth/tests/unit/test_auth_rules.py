"""Auth settings, tokens, passwords and the access policy, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import ValidationError

from spyglass_auth import (
    ANONYMOUS,
    Access,
    AuthSettings,
    Credential,
    Principal,
    Role,
    TokenCodec,
    TokenKind,
    credential_from,
    denial,
    hash_password,
    password_matches,
    password_problem,
)

SECRET = "a-long-enough-secret-with-digits-0123456789"


def _settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> AuthSettings:
    for name in (
        "SPYGLASS_ENABLE_AUTH",
        "PHOENIX_ENABLE_AUTH",
        "SPYGLASS_SECRET",
        "PHOENIX_SECRET",
        "SPYGLASS_ADMIN_SECRET",
        "PHOENIX_ADMIN_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return AuthSettings()


def test_auth_is_off_unless_enabled_and_reads_phoenix_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not _settings(monkeypatch).enabled
    settings = _settings(
        monkeypatch,
        PHOENIX_ENABLE_AUTH="true",
        PHOENIX_SECRET=SECRET,
        PHOENIX_ADMIN_SECRET=SECRET + "-admin",
        PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD="first-password",
    )
    assert settings.enabled and settings.signing_secret() == SECRET
    assert settings.admin_secret is not None
    assert settings.default_admin_initial_password.get_secret_value() == "first-password"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SPYGLASS_ENABLE_AUTH": "true"}, "SPYGLASS_SECRET (or PHOENIX_SECRET) must be set"),
        ({"PHOENIX_ENABLE_AUTH": "1", "PHOENIX_SECRET": "short1a"}, "at least 32 characters"),
        (
            {"SPYGLASS_ENABLE_AUTH": "true", "SPYGLASS_SECRET": "A" * 40},
            "one digit and one lowercase letter",
        ),
        (
            {
                "SPYGLASS_ENABLE_AUTH": "true",
                "SPYGLASS_SECRET": SECRET,
                "PHOENIX_ADMIN_SECRET": "x",
            },
            "SPYGLASS_ADMIN_SECRET (or PHOENIX_ADMIN_SECRET) must be at least 32",
        ),
    ],
)
def test_auth_on_without_a_good_secret_refuses_to_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        _settings(monkeypatch, **variables)


def test_tokens_read_back_and_anything_else_reads_as_nothing() -> None:
    codec = TokenCodec(SECRET)
    later = datetime.now(UTC) + timedelta(hours=1)
    token = codec.issue(TokenKind.API_KEY, 42, later)
    claims = codec.read(token)
    assert claims is not None and (claims.kind, claims.row_id) == (TokenKind.API_KEY, 42)
    assert codec.read(token, TokenKind.ACCESS) is None  # a key is not an access token
    assert TokenCodec(SECRET + "x").read(token) is None  # another deployment's
    expired = codec.issue(TokenKind.ACCESS, 1, datetime.now(UTC) - timedelta(seconds=5))
    assert codec.read(expired) is None
    unsigned = jwt.encode({"jti": "1", "typ": "api_key"}, key="", algorithm="none")
    hostile = [
        "",
        "\x00",
        "a" * 10_000,
        "é" * 10,
        unsigned,
        token + "x",
        token[:-3],
        codec.issue(TokenKind.API_KEY, 2**63),
    ]
    assert [codec.read(value) for value in hostile] == [None] * len(hostile)


def test_passwords_hash_and_check() -> None:
    hashed = hash_password("correct horse")
    assert password_matches(hashed, "correct horse")
    assert not password_matches(hashed, "correct horsE")
    assert not password_matches(None, "correct horse")
    assert not password_matches("not a hash", "x")
    assert password_problem("short") == "must be at least 8 characters long"
    assert password_problem("x" * 2000) == "must be at most 1024 characters long"
    assert password_problem("with\x00nul!") == "must not contain NUL characters"
    assert password_problem("long enough") is None


def test_the_credential_comes_from_bearer_then_api_key_then_cookie() -> None:
    assert credential_from({"authorization": "Bearer abc"}, {"phoenix-access-token": "c"}) == "abc"
    assert credential_from({"authorization": "bearer  abc "}) == "abc"
    assert credential_from({"authorization": "Basic abc"}) == ""
    assert credential_from({"api_key": "k"}) == "k"
    assert credential_from({}, {"phoenix-access-token": "c"}) == "c"
    assert credential_from({}) == ""


def _user(role: Role, credential: Credential = Credential.USER_KEY) -> Principal:
    return Principal(user_id=5, role=role, credential=credential)


def test_who_may_do_what() -> None:
    viewer, member, admin = _user(Role.VIEWER), _user(Role.MEMBER), _user(Role.ADMIN)
    ingest = Principal(
        user_id=5, role=Role.MEMBER, credential=Credential.INGEST_KEY, project_name="shop"
    )
    table = {
        access: [
            None if (found := denial(who, access, "shop")) is None else found.status
            for who in (None, viewer, member, admin, ingest, ANONYMOUS)
        ]
        for access in Access
    }
    assert table == {
        Access.PUBLIC: [None, None, None, None, None, None],
        Access.SIGNED_IN: [401, None, None, None, 403, None],
        Access.READ: [401, None, None, None, 403, None],
        Access.WRITE: [401, 403, None, None, 403, None],
        Access.ADMIN: [401, 403, 403, None, 403, None],
        Access.INGEST: [401, 403, None, None, None, None],
    }
    other = denial(ingest, Access.INGEST, "billing")
    assert other is not None and other.status == 403 and "'shop' only" in other.message
    assert denial(viewer, Access.WRITE) is not None
    assert denial(viewer, Access.WRITE).message == "Viewers cannot perform this action"  # type: ignore[union-attr]
