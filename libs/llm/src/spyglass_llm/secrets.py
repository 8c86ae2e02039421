"""Provider secrets, encrypted at rest with the deployment's key.

The ``secrets`` table (``spyglass_db.models.prompts.Secret``) maps a key (``OPENAI_API_KEY``)
to a Fernet token. :class:`SecretBox` makes and opens the tokens with a key derived (HKDF-SHA256)
from ``SPYGLASS_SECRETS_KEY`` (or Phoenix's ``PHOENIX_SECRET``); keys listed in
``SPYGLASS_SECRETS_PREVIOUS_KEYS`` still open tokens made before a rotation
(:class:`cryptography.fernet.MultiFernet`), and :func:`reencrypt_secrets` rewrites every row
with the current key so the old one can then be dropped.

Plaintexts exist only in the process that makes the provider call: never in a row, a log line,
an error message or a settings listing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import AliasChoices, Field, SecretStr, field_validator
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConfigurationError, InvalidArgumentError, PayloadTooLargeError
from spyglass_core.settings import SettingsGroup, group_config
from spyglass_db.models.prompts import Secret

MIN_KEY_LENGTH = 32
"""The fewest characters a deployment secret may have (as Phoenix asks of ``PHOENIX_SECRET``)."""
MAX_SECRET_KEY_LENGTH = 256
"""The longest a secret's name may be."""
MAX_SECRET_VALUE_BYTES = 64 * 1024
"""The largest a secret's value may be (UTF-8)."""
MAX_SECRETS_PER_CHANGE = 1000
"""The most entries one :func:`upsert_or_delete_secrets` call takes."""

_HKDF_SALT = b"spyglass-secrets"
_HKDF_INFO = b"spyglass secrets fernet key v1"

_SECRETS = Secret.__table__  # type: ignore[attr-defined]


class SecretsSettings(SettingsGroup):
    """The key that encrypts provider secrets stored in the database."""

    model_config = group_config("SPYGLASS_SECRETS_")

    key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_SECRETS_KEY", "PHOENIX_SECRET"),
        description=(
            f"Secret (at least {MIN_KEY_LENGTH} characters) from which the key encrypting stored "
            "provider credentials is derived; unset: secrets can't be stored, and credentials "
            "come from the environment only."
        ),
    )
    previous_keys: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SPYGLASS_SECRETS_PREVIOUS_KEYS"),
        description=(
            "Former values of SPYGLASS_SECRETS_KEY, comma-separated: secrets encrypted with them "
            "can still be read (after a rotation, until they are re-encrypted)."
        ),
    )

    @field_validator("key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_KEY_LENGTH} characters long")
        return value

    def previous(self) -> list[str]:
        """The previous keys, in the order given, blanks dropped."""
        if self.previous_keys is None:
            return []
        parts = self.previous_keys.get_secret_value().split(",")
        return [part.strip() for part in parts if part.strip()]


class SecretDecryptionError(ConfigurationError):
    """A stored secret can't be opened with the configured keys; the message names it."""


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Encrypts with the current key; decrypts with the current or any previous key."""

    def __init__(self, key: str, previous_keys: Sequence[str] = ()) -> None:
        if not key:
            raise ConfigurationError("SPYGLASS_SECRETS_KEY is empty")
        self._fernet = MultiFernet([_fernet(key), *(_fernet(old) for old in previous_keys)])

    @classmethod
    def from_settings(cls, settings: SecretsSettings) -> SecretBox:
        """The box of the configured keys.

        Raises:
            ConfigurationError: no key is configured; names the variable to set.
        """
        if settings.key is None:
            raise ConfigurationError(
                "storing provider secrets needs SPYGLASS_SECRETS_KEY (or PHOENIX_SECRET): "
                f"set it to a random string of at least {MIN_KEY_LENGTH} characters"
            )
        return cls(settings.key.get_secret_value(), settings.previous())

    @classmethod
    def from_settings_or_none(cls, settings: SecretsSettings) -> SecretBox | None:
        """The box of the configured keys, or None when no key is configured."""
        return None if settings.key is None else cls.from_settings(settings)

    def __repr__(self) -> str:
        return "SecretBox(***)"

    def encrypt(self, plaintext: str) -> bytes:
        """A Fernet token of ``plaintext`` under the current key."""
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes, name: str = "secret") -> str:
        """The plaintext of ``token``.

        Raises:
            SecretDecryptionError: no configured key opens it (the key changed without
                listing the old one in SPYGLASS_SECRETS_PREVIOUS_KEYS, or the row is damaged).
        """
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise SecretDecryptionError(
                f"stored secret {name[:MAX_SECRET_KEY_LENGTH]!r} cannot be decrypted with "
                "SPYGLASS_SECRETS_KEY; if the key was changed, list the former one in "
                "SPYGLASS_SECRETS_PREVIOUS_KEYS, or store the secret again"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted under the current key (it may be under a previous one)."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted with the configured keys"
            ) from None


def secret_key_problem(key: object) -> str | None:
    """Why ``key`` can't name a secret, or None when it can."""
    if not isinstance(key, str):
        return "must be a string"
    if not key.strip():
        return "must not be empty"
    if "\x00" in key:
        return "must not contain NUL"
    if len(key) > MAX_SECRET_KEY_LENGTH:
        return f"must be at most {MAX_SECRET_KEY_LENGTH} characters long"
    try:
        key.encode()
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def _checked_value(index: int, value: str) -> str:
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            f"secrets[{index}].value must be valid Unicode (no lone surrogates)"
        ) from None
    if size > MAX_SECRET_VALUE_BYTES:
        raise PayloadTooLargeError(
            f"secrets[{index}].value is {size} bytes; at most {MAX_SECRET_VALUE_BYTES} are stored"
        )
    return value


@dataclass(frozen=True)
class SecretsChange:
    """What :func:`upsert_or_delete_secrets` did (Phoenix's ``UpsertOrDeleteSecretsResult``)."""

    upserted_keys: list[str]
    deleted_keys: list[str]


def planned_changes(entries: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """``entries`` checked, the last occurrence of each key winning, in that occurrence's order.

    Keys are stripped of surrounding whitespace.

    Raises:
        InvalidArgumentError: a key is unusable (names ``secrets[i].key``), or there are more
            than :data:`MAX_SECRETS_PER_CHANGE` entries.
        PayloadTooLargeError: a value is over :data:`MAX_SECRET_VALUE_BYTES`.
    """
    changes: dict[str, str | None] = {}
    for index, (key, value) in enumerate(entries):
        if index >= MAX_SECRETS_PER_CHANGE:
            raise InvalidArgumentError(
                f"secrets: at most {MAX_SECRETS_PER_CHANGE} entries per request"
            )
        problem = secret_key_problem(key)
        if problem is not None:
            raise InvalidArgumentError(f"secrets[{index}].key {problem}")
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(f"secrets[{index}].value must be a string or null")
        name = key.strip()
        changes.pop(name, None)
        changes[name] = None if value is None else _checked_value(index, value)
    return changes


async def upsert_or_delete_secrets(
    connection: AsyncConnection, box: SecretBox, entries: Iterable[tuple[str, str | None]]
) -> SecretsChange:
    """Store or delete secrets, as Phoenix's ``PUT /v1/secrets``: all or nothing.

    ``entries`` are (key, value): a string value is encrypted and stored (replacing any), None
    deletes the key (an absent key is fine). When a key appears more than once, its last entry
    wins. The caller owns the transaction.

    Raises:
        InvalidArgumentError, PayloadTooLargeError: see :func:`planned_changes`; nothing is
            written.
    """
    changes = planned_changes(entries)
    upserts = {key: value for key, value in changes.items() if value is not None}
    deletes = [key for key, value in changes.items() if value is None]
    if upserts:
        statement = insert(_SECRETS).values(
            [{"key": key, "value": box.encrypt(value)} for key, value in upserts.items()]
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[_SECRETS.c.key],
                set_={"value": statement.excluded.value, "updated_at": func.now()},
            )
        )
    if deletes:
        await connection.execute(delete(_SECRETS).where(_SECRETS.c.key.in_(deletes)))
    return SecretsChange(upserted_keys=list(upserts), deleted_keys=deletes)


async def get_secret_tokens(connection: AsyncConnection, keys: Iterable[str]) -> dict[str, bytes]:
    """The Fernet tokens of those of ``keys`` that are stored (nothing decrypted)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await connection.execute(
        select(_SECRETS.c.key, _SECRETS.c.value).where(_SECRETS.c.key.in_(wanted))
    )
    return {key: bytes(value) for key, value in rows}


async def get_secrets(
    connection: AsyncConnection, box: SecretBox, keys: Iterable[str]
) -> dict[str, str]:
    """The plaintexts of those of ``keys`` that are stored.

    Raises:
        SecretDecryptionError: a stored value can't be opened with the configured keys.
    """
    tokens = await get_secret_tokens(connection, keys)
    return {key: box.decrypt(token, key) for key, token in tokens.items()}


@dataclass(frozen=True)
class StoredSecret:
    """A stored secret's name and times; never its value."""

    key: str
    created_at: datetime
    updated_at: datetime


async def list_secrets(connection: AsyncConnection) -> list[StoredSecret]:
    """Every stored secret's key and times, by key (no value is read)."""
    rows = await connection.execute(
        select(_SECRETS.c.key, _SECRETS.c.created_at, _SECRETS.c.updated_at).order_by(
            _SECRETS.c.key
        )
    )
    return [StoredSecret(key, created_at, updated_at) for key, created_at, updated_at in rows]


async def reencrypt_secrets(connection: AsyncConnection, box: SecretBox) -> int:
    """Re-encrypt every stored secret under the current key; returns how many rows.

    Run it after a rotation (with the former key in ``SPYGLASS_SECRETS_PREVIOUS_KEYS``); then
    the former key can be dropped. Rows are locked while rewritten; the caller commits.

    Raises:
        SecretDecryptionError: a row none of the keys opens; nothing is rewritten.
    """
    rows = (
        await connection.execute(select(_SECRETS.c.key, _SECRETS.c.value).with_for_update())
    ).all()
    rotated = []
    for key, value in rows:
        try:
            rotated.append((key, box.rotate(value)))
        except SecretDecryptionError:
            box.decrypt(value, key)  # raises, naming the key
            raise
    for key, token in rotated:
        await connection.execute(_SECRETS.update().where(_SECRETS.c.key == key).values(value=token))
    return len(rotated)
