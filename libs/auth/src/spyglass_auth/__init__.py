"""Who is asking and what they may do, the same way at every Spyglass entry point.

* :mod:`~spyglass_auth.settings`: Phoenix's switches (``PHOENIX_ENABLE_AUTH``, ``PHOENIX_SECRET``,
  ``PHOENIX_ADMIN_SECRET``, ...) under their Phoenix and Spyglass names;
* :mod:`~spyglass_auth.passwords`: argon2id hashing;
* :mod:`~spyglass_auth.tokens`: signed API keys, access, refresh and reset tokens;
* :mod:`~spyglass_auth.principal`: roles, what each operation needs, and who has it;
* :mod:`~spyglass_auth.authenticate`: from a request's headers and cookies to a principal.
"""

from spyglass_auth.authenticate import (
    ACCESS_COOKIE,
    API_KEY_HEADER,
    REFRESH_COOKIE,
    Authenticator,
    credential_from,
)
from spyglass_auth.passwords import hash_password, password_matches, password_problem
from spyglass_auth.principal import (
    ANONYMOUS,
    UNAUTHENTICATED,
    Access,
    Credential,
    Denial,
    Principal,
    Role,
    denial,
)
from spyglass_auth.requesters import requester_problem, requester_refusal
from spyglass_auth.settings import AuthSettings
from spyglass_auth.tokens import TokenClaims, TokenCodec, TokenKind

__all__ = [
    "ACCESS_COOKIE",
    "ANONYMOUS",
    "API_KEY_HEADER",
    "REFRESH_COOKIE",
    "UNAUTHENTICATED",
    "Access",
    "AuthSettings",
    "Authenticator",
    "Credential",
    "Denial",
    "Principal",
    "Role",
    "TokenClaims",
    "TokenCodec",
    "TokenKind",
    "credential_from",
    "denial",
    "hash_password",
    "password_matches",
    "password_problem",
    "requester_problem",
    "requester_refusal",
]
