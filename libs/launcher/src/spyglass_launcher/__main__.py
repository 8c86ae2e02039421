"""`spyglass`: run the whole platform on this machine (`spyglass run`, what `make run` calls)."""

from __future__ import annotations

import argparse
import asyncio
from typing import NoReturn

from spyglass_core.cli import run_command
from spyglass_core.logging import configure_logging
from spyglass_core.settings import LogSettings, load_settings
from spyglass_launcher.platform import Platform, PlatformPlan, home_lock
from spyglass_launcher.reference import configuration_table


def main(argv: list[str] | None = None) -> NoReturn:
    """Start PostgreSQL, NATS, Redis and every service; stop them all on Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="spyglass",
        description="Run the whole Spyglass platform on this machine, with embedded servers "
        "unless SPYGLASS_DB_URL, SPYGLASS_NATS_URL or SPYGLASS_REDIS_URL name others.",
    )
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "check-config", "config-reference"]
    )
    arguments = parser.parse_args(argv)

    def command() -> int:
        if arguments.command == "config-reference":
            print(configuration_table())
            return 0
        configure_logging(load_settings(LogSettings), "launcher")
        plan = PlatformPlan.from_environment()
        if arguments.command == "check-config":
            print("spyglass: configuration is valid")
            return 0
        with home_lock(plan.launcher.home):
            return asyncio.run(Platform(plan).run())

    run_command("spyglass", command)


if __name__ == "__main__":
    main()
