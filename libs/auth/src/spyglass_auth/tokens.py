"""Signed tokens: API keys, access and refresh tokens, password reset tokens.

Each is a JWT (HS256, PyJWT) whose ``jti`` names the database row that makes it valid: an API
key's row, a login session's row, a password reset's row. Deleting the row revokes every token
that names it, whatever its expiry says. The signing key is derived from the deployment secret
(``SPYGLASS_SECRET``), so tokens can't be made without it, and a token of one kind is never
taken for another (``typ``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import jwt

_ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 4096
"""Longer is not one of ours (and is not worth decoding)."""


class TokenKind(StrEnum):
    """What a token is for (its ``typ`` claim)."""

    API_KEY = "api_key"
    ACCESS = "access"
    REFRESH = "refresh"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a name, not a secret)


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: its kind, the row it names and when it ends."""

    kind: TokenKind
    row_id: int
    expires_at: datetime | None


class TokenCodec:
    """Issues and reads tokens signed with a key derived from the deployment secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"spyglass auth tokens v1", hashlib.sha256).digest()

    def issue(self, kind: TokenKind, row_id: int, expires_at: datetime | None = None) -> str:
        """A token of ``kind`` naming row ``row_id``, valid until ``expires_at`` (None: until
        its row is deleted)."""
        claims: dict[str, object] = {
            "jti": str(row_id),
            "typ": kind.value,
            "iat": int(datetime.now(UTC).timestamp()),
        }
        if expires_at is not None:
            claims["exp"] = int(expires_at.timestamp())
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def read(self, token: str, kind: TokenKind | None = None) -> TokenClaims | None:
        """The claims of ``token`` if we signed it, it has not expired and (given ``kind``) it
        is of that kind; None for anything else, never an exception."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return None
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                options={"require": ["jti", "typ"], "verify_aud": False},
            )
            token_kind = TokenKind(claims["typ"])
            row_id = int(claims["jti"])
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError):
            return None
        if kind is not None and token_kind is not kind:
            return None
        if not 0 < row_id < 2**63:
            return None
        expires = claims.get("exp")
        expires_at = datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None
        return TokenClaims(token_kind, row_id, expires_at)
