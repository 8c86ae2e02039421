"""From what a request carries to a :class:`~spyglass_auth.principal.Principal`.

A request proves who it is with one credential, looked for in this order:

1. ``Authorization: Bearer <token>`` (what Phoenix's clients and OTLP exporters send);
2. an ``api_key: <token>`` header (older clients, some collectors);
3. the ``phoenix-access-token`` cookie (the UI, after a login).

The token is an API key, an access token, or ``PHOENIX_ADMIN_SECRET`` itself. Its signature and
expiry are checked in memory; then the row it names is read (revoked keys, ended sessions and
deleted users are refused). What was read is trusted for ``cache_seconds``, so that a busy
ingest path pays a dictionary lookup per request, not a query: a revocation reaches the other
processes within that time (the process that revoked forgets at once). Only what needed the
database is remembered: a forged or malformed credential is told apart by its signature alone,
every time, so that garbage can't fill the memory.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_auth.principal import ANONYMOUS, Credential, Principal, Role
from spyglass_auth.settings import AuthSettings
from spyglass_auth.tokens import TokenClaims, TokenCodec, TokenKind
from spyglass_db.auth import key_by_id, session_by_id
from spyglass_db.models.auth import SYSTEM_USER_ID

ACCESS_COOKIE = "phoenix-access-token"
REFRESH_COOKIE = "phoenix-refresh-token"
API_KEY_HEADER = "api_key"
_SYSTEM = Principal(
    user_id=SYSTEM_USER_ID, role=Role.SYSTEM, credential=Credential.ADMIN_SECRET, username="system"
)
_KEY_CREDENTIALS = {
    "USER": Credential.USER_KEY,
    "SYSTEM": Credential.SYSTEM_KEY,
    "INGEST": Credential.INGEST_KEY,
}


def credential_from(headers: Mapping[str, str], cookies: Mapping[str, str] | None = None) -> str:
    """The credential a request carries (``""`` if none); header names in lower case."""
    authorization = headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""
    api_key = headers.get(API_KEY_HEADER, "")
    if api_key:
        return api_key.strip()
    if cookies:
        return cookies.get(ACCESS_COOKIE, "")
    return ""


class Authenticator:
    """Checks credentials against their rows, remembering answers for ``cache_seconds``.

    One per process; ``engine`` reaches the database holding users and keys (None only when
    auth is off).
    """

    def __init__(
        self,
        settings: AuthSettings,
        engine: AsyncEngine | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_cached: int = 10_000,
    ) -> None:
        self.settings = settings
        self._engine = engine
        self._clock = clock
        self._max_cached = max_cached
        self._cache: OrderedDict[str, tuple[Principal | None, float]] = OrderedDict()
        self.codec = TokenCodec(settings.signing_secret()) if settings.enabled else None
        admin = settings.admin_secret
        self._admin_secret = admin.get_secret_value().encode() if admin is not None else None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def remembered(self) -> int:
        """How many credentials' answers are remembered now."""
        return len(self._cache)

    async def principal(self, credential: str) -> Principal | None:
        """Who ``credential`` proves the caller is; None if it proves nothing (missing,
        malformed, forged, expired, revoked, or its user deleted). :data:`ANONYMOUS` when
        auth is off.

        Raises:
            sqlalchemy.exc.SQLAlchemyError, OSError: the database can't be read (a credential
                checked within ``cache_seconds`` is still answered from memory).
        """
        if not self.settings.enabled:
            return ANONYMOUS
        if not credential:
            return None
        now = self._clock()
        cached = self._cache.get(credential)
        if cached is not None and cached[1] > now:
            return cached[0]
        if self._is_admin_secret(credential):
            return _SYSTEM
        assert self.codec is not None
        claims = self.codec.read(credential)
        if claims is None or claims.kind not in (TokenKind.API_KEY, TokenKind.ACCESS):
            # Not one of ours: nothing to remember (a stream of distinct garbage must not fill
            # the memory, and telling it apart costs only the signature check).
            return None
        principal = await self._read(claims)
        self._remember(credential, principal, now)
        return principal

    def forget(self, credential: str) -> None:
        """Drop what is remembered of ``credential`` (it was just revoked here)."""
        self._cache.pop(credential, None)

    def forget_everything(self) -> None:
        """Drop every remembered answer (a user or key was changed here)."""
        self._cache.clear()

    def _remember(self, credential: str, principal: Principal | None, now: float) -> None:
        if self.settings.cache_seconds <= 0:
            return
        self._cache[credential] = (principal, now + self.settings.cache_seconds)
        self._cache.move_to_end(credential)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def _is_admin_secret(self, credential: str) -> bool:
        return self._admin_secret is not None and hmac.compare_digest(
            credential.encode(errors="replace"), self._admin_secret
        )

    async def _read(self, claims: TokenClaims) -> Principal | None:
        assert self._engine is not None, "auth is on: the authenticator needs a database"
        now = datetime.now(UTC)
        async with self._engine.connect() as connection:
            if claims.kind is TokenKind.API_KEY:
                key = await key_by_id(connection, claims.row_id)
                if key is None or (key.expires_at is not None and key.expires_at <= now):
                    return None
                return Principal(
                    user_id=key.user_id,
                    role=Role(key.role),
                    credential=_KEY_CREDENTIALS[key.kind],
                    username=key.username,
                    project_name=key.project_name,
                    key_id=key.id,
                )
            session = await session_by_id(connection, claims.row_id)
        if session is None or session.expires_at <= now:
            return None
        return Principal(
            user_id=session.user_id,
            role=Role(session.role),
            credential=Credential.SESSION,
            username=session.username,
            session_id=session.id,
        )
