"""`spyglass-db`: apply, revert, check and author the schema's migrations."""

from __future__ import annotations

import argparse
from typing import NoReturn

from spyglass_core.cli import run_command
from spyglass_core.logging import configure_logging
from spyglass_core.settings import DbSettings, LogSettings, load_settings
from spyglass_db import migrate


def main(argv: list[str] | None = None) -> NoReturn:
    """Run one migration command against ``SPYGLASS_DB_URL``."""
    parser = argparse.ArgumentParser(
        prog="spyglass-db", description="Migrations of the Spyglass schema (SPYGLASS_DB_URL)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    upgrade = commands.add_parser("upgrade", help="apply migrations (default: to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = commands.add_parser("downgrade", help="revert migrations (default: to base)")
    downgrade.add_argument("revision", nargs="?", default="base")
    commands.add_parser("check", help="fail if the models differ from the migrated schema")
    commands.add_parser("current", help="print the revision the database is at")
    revision = commands.add_parser("revision", help="autogenerate a new migration")
    revision.add_argument("-m", "--message", required=True)
    arguments = parser.parse_args(argv)

    def command() -> int:
        configure_logging(load_settings(LogSettings), "spyglass-db")
        url = load_settings(DbSettings).url
        if arguments.command == "upgrade":
            migrate.upgrade(url, arguments.revision)
        elif arguments.command == "downgrade":
            migrate.downgrade(url, arguments.revision)
        elif arguments.command == "check":
            migrate.check(url)
            print("spyglass-db: the schema matches the models")
        elif arguments.command == "current":
            print(migrate.current(url) or "(not migrated)")
        else:
            migrate.revision(url, arguments.message)
        return 0

    run_command("spyglass-db", command)


if __name__ == "__main__":
    main()
