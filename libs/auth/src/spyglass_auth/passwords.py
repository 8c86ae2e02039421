"""Passwords, hashed with argon2id (``argon2-cffi``) and checked in constant time.

A check against a user that does not exist (or has no password) still hashes, against a
throwaway hash of the same cost, so that a wrong password and an unknown email take the same
time and get the same answer.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
"""Longer is refused before hashing: hashing a megabyte is a cheap way to burn our CPU."""

_HASHER = PasswordHasher()
_THROWAWAY = _HASHER.hash("spyglass: a password nobody has")


def password_problem(password: str) -> str | None:
    """Why ``password`` can't be set, or None if it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if "\x00" in password:
        return "must not contain NUL characters"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salt and parameters inside)."""
    return _HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from; None (no such user, or
    one who can't log in with a password) takes as long and is never a match."""
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH]
    try:
        _HASHER.verify(password_hash or _THROWAWAY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None
