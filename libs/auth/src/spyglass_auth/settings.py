"""Phoenix's auth switches, under their Phoenix names and ours.

Auth is off unless ``SPYGLASS_ENABLE_AUTH`` (or ``PHOENIX_ENABLE_AUTH``) is true. On, it needs
``SPYGLASS_SECRET`` (or ``PHOENIX_SECRET``): at least 32 characters with a digit and a
lowercase letter, as Phoenix asks. A process whose auth settings don't hold refuses to start,
naming the variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from spyglass_core.settings import SettingsGroup, group_config

MIN_SECRET_LENGTH = 32


def _names(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class AuthSettings(SettingsGroup):
    """Who may use Spyglass, and how long their sign-ins last."""

    model_config = group_config("SPYGLASS_AUTH_")

    enabled: bool = Field(
        default=False,
        validation_alias=_names("SPYGLASS_ENABLE_AUTH", "PHOENIX_ENABLE_AUTH"),
        description="Require a signed-in user or an API key at every entry point.",
    )
    secret: SecretStr | None = Field(
        default=None,
        validation_alias=_names("SPYGLASS_SECRET", "PHOENIX_SECRET"),
        description=f"Signs tokens and API keys (at least {MIN_SECRET_LENGTH} characters, with "
        "a digit and a lowercase letter); required when auth is enabled.",
    )
    admin_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_names("SPYGLASS_ADMIN_SECRET", "PHOENIX_ADMIN_SECRET"),
        description="A bearer token acting as the system user with admin rights (as in "
        "Phoenix); unset: none. Same rules as the secret.",
    )
    default_admin_initial_password: SecretStr = Field(
        default=SecretStr("admin"),
        validation_alias=_names(
            "SPYGLASS_DEFAULT_ADMIN_INITIAL_PASSWORD", "PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD"
        ),
        description="The password of `admin@localhost`, made when auth first starts on an "
        "empty database; it must be changed at first login.",
    )
    access_token_minutes: float = Field(
        default=10.0,
        gt=0,
        le=60 * 24,
        validation_alias=_names(
            "SPYGLASS_AUTH_ACCESS_TOKEN_MINUTES", "PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES"
        ),
        description="How long an access token (cookie) lasts before it must be refreshed.",
    )
    refresh_token_minutes: float = Field(
        default=7 * 24 * 60.0,
        gt=0,
        le=365 * 24 * 60,
        validation_alias=_names(
            "SPYGLASS_AUTH_REFRESH_TOKEN_MINUTES", "PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES"
        ),
        description="How long a login lasts without activity (each refresh extends it).",
    )
    password_reset_minutes: float = Field(
        default=60.0,
        gt=0,
        le=7 * 24 * 60,
        validation_alias=_names(
            "SPYGLASS_AUTH_PASSWORD_RESET_MINUTES", "PHOENIX_PASSWORD_RESET_TOKEN_EXPIRY_MINUTES"
        ),
        description="How long a password reset token can be used.",
    )
    cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a process trusts a checked key or token before reading it "
        "again: a revoked key or deleted user is refused everywhere within this long.",
    )
    login_attempts_per_minute: int = Field(
        default=10,
        ge=1,
        description="Failed logins allowed per account, and per client address, in a minute; "
        "then 429 until the minute has passed.",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Mark cookies Secure: auto does so for requests that came over TLS "
        "(https, or X-Forwarded-Proto: https from the ingress).",
    )

    @field_validator("secret", "admin_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose and Kubernetes pass an unset optional variable as "".
        if value == "" or (isinstance(value, SecretStr) and not value.get_secret_value()):
            return None
        return value

    @model_validator(mode="after")
    def _secrets_hold(self) -> AuthSettings:
        if not self.enabled:
            return self
        if self.secret is None:
            raise ValueError(
                "SPYGLASS_SECRET (or PHOENIX_SECRET) must be set when auth is enabled "
                "(SPYGLASS_ENABLE_AUTH / PHOENIX_ENABLE_AUTH)"
            )
        _check_secret("SPYGLASS_SECRET (or PHOENIX_SECRET)", self.secret.get_secret_value())
        if self.admin_secret is not None:
            _check_secret(
                "SPYGLASS_ADMIN_SECRET (or PHOENIX_ADMIN_SECRET)",
                self.admin_secret.get_secret_value(),
            )
        return self

    def signing_secret(self) -> str:
        """The secret tokens are signed with.

        Raises:
            ValueError: auth is off (nothing is signed then).
        """
        if self.secret is None:
            raise ValueError("auth is not enabled: there is no secret to sign with")
        return self.secret.get_secret_value()


def _check_secret(name: str, value: str) -> None:
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"{name} must be at least {MIN_SECRET_LENGTH} characters long")
    if not any(character.isdigit() for character in value) or not any(
        character.islower() for character in value
    ):
        raise ValueError(f"{name} must contain at least one digit and one lowercase letter")
