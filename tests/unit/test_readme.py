"""The README stays true: its configuration table is what the settings classes say."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from spyglass_launcher.reference import configuration_table, readme_with_table

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_table_matches_the_settings() -> None:
    readme = (ROOT / "README.md").read_text()

    assert readme_with_table(readme) == readme, "the table is stale: run `make docs`"


def test_configuration_table_lists_every_server_url_with_its_phoenix_alias() -> None:
    table = configuration_table()

    for variable in ("SPYGLASS_DB_URL", "SPYGLASS_NATS_URL", "SPYGLASS_REDIS_URL", "SPYGLASS_HOME"):
        assert f"`{variable}`" in table
    assert "`PHOENIX_SQL_DATABASE_URL`" in table
    assert "`PHOENIX_PORT`" in table


def test_make_help_lists_the_targets() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    listed = {line.split()[0] for line in plain.splitlines() if line.strip()}
    assert {"run", "test", "lint", "typecheck", "proto", "docs", "ci"} <= listed
