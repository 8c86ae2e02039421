"""`make run` keeps one secrets key per home, so provider keys saved in one run open in the next."""

from __future__ import annotations

import stat
from pathlib import Path

from spyglass_launcher.platform import SECRETS_KEY_FILE, local_secrets_key


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = local_secrets_key(home)
    assert len(first) >= 32
    assert local_secrets_key(home) == first
    mode = stat.S_IMODE((home / SECRETS_KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_another_home_gets_another_key(tmp_path: Path) -> None:
    assert local_secrets_key(tmp_path / "a") != local_secrets_key(tmp_path / "b")
