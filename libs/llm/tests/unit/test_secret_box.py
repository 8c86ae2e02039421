"""The secret box: Fernet tokens under a key derived from the deployment's secret, readable after
a rotation while the former key is listed, never by another key; the settings never show it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from spyglass_core.errors import ConfigurationError, InvalidArgumentError, PayloadTooLargeError
from spyglass_core.settings import effective_settings
from spyglass_llm import SecretBox, SecretDecryptionError, SecretsSettings
from spyglass_llm.secrets import MAX_SECRET_KEY_LENGTH, MAX_SECRET_VALUE_BYTES, planned_changes

OLD = "an-old-deployment-secret-of-32-chars-or-more"
NEW = "the-new-deployment-secret-of-32-chars-or-more"


def test_a_value_comes_back_and_the_token_does_not_hold_it() -> None:
    box = SecretBox(NEW)

    token = box.encrypt("sk-live-abc123")

    assert b"sk-live-abc123" not in token
    assert box.decrypt(token) == "sk-live-abc123"
    assert box.encrypt("sk-live-abc123") != token  # a fresh IV each time


def test_another_key_cannot_decrypt_and_the_error_names_the_secret_not_its_value() -> None:
    token = SecretBox(OLD).encrypt("sk-live-abc123")

    with pytest.raises(SecretDecryptionError) as caught:
        SecretBox(NEW).decrypt(token, "OPENAI_API_KEY")

    assert "OPENAI_API_KEY" in str(caught.value)
    assert "SPYGLASS_SECRETS_PREVIOUS_KEYS" in str(caught.value)
    assert "sk-live" not in str(caught.value)


def test_after_a_rotation_the_previous_key_still_decrypts_and_rotate_moves_to_the_new_one() -> None:
    token = SecretBox(OLD).encrypt("sk-live-abc123")
    rotated_box = SecretBox(NEW, [OLD])

    assert rotated_box.decrypt(token) == "sk-live-abc123"
    rotated = rotated_box.rotate(token)
    assert SecretBox(NEW).decrypt(rotated) == "sk-live-abc123"
    with pytest.raises(SecretDecryptionError):
        SecretBox(OLD).decrypt(rotated)


def test_a_damaged_token_is_refused() -> None:
    box = SecretBox(NEW)
    token = bytearray(box.encrypt("value"))
    token[-5] ^= 1

    with pytest.raises(SecretDecryptionError):
        box.decrypt(bytes(token))


def test_settings_read_phoenix_secret_and_never_show_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_SECRET", NEW)
    monkeypatch.setenv("SPYGLASS_SECRETS_PREVIOUS_KEYS", f" {OLD} ,, ")

    settings = SecretsSettings()

    assert settings.key is not None and settings.key.get_secret_value() == NEW
    assert settings.previous() == [OLD]
    shown = dict(effective_settings(settings))
    assert shown == {"SPYGLASS_SECRETS_KEY": "***", "SPYGLASS_SECRETS_PREVIOUS_KEYS": "***"}
    assert NEW not in repr(settings) and NEW not in repr(SecretBox.from_settings(settings))


def test_the_spyglass_name_wins_over_phoenix_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_SECRET", OLD)
    monkeypatch.setenv("SPYGLASS_SECRETS_KEY", NEW)

    settings = SecretsSettings()

    assert settings.key is not None and settings.key.get_secret_value() == NEW


def test_a_short_key_is_refused_and_no_key_says_what_to_set() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        SecretsSettings(key="short")
    with pytest.raises(ConfigurationError, match="SPYGLASS_SECRETS_KEY"):
        SecretBox.from_settings(SecretsSettings(key=None))
    assert SecretBox.from_settings_or_none(SecretsSettings(key=None)) is None


def test_changes_keep_the_last_occurrence_of_a_key() -> None:
    changes = planned_changes([("A", "1"), ("B", "2"), ("A", None), (" C ", "3"), ("B", "4")])

    assert changes == {"A": None, "C": "3", "B": "4"}


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("A\x00B", "NUL"),
        ("K" * (MAX_SECRET_KEY_LENGTH + 1), f"at most {MAX_SECRET_KEY_LENGTH}"),
        ("\ud800", "valid Unicode"),
        (7, "must be a string"),
    ],
)
def test_unusable_keys_are_refused_naming_the_entry(key: object, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says) as caught:
        planned_changes([("FINE", "x"), (key, "x")])  # type: ignore[list-item]

    assert "secrets[1].key" in str(caught.value)


def test_values_too_large_or_not_unicode_are_refused() -> None:
    with pytest.raises(PayloadTooLargeError, match=r"secrets\[0\].value"):
        planned_changes([("A", "x" * (MAX_SECRET_VALUE_BYTES + 1))])
    with pytest.raises(InvalidArgumentError, match=r"secrets\[0\].value must be valid Unicode"):
        planned_changes([("A", "\udfff")])
