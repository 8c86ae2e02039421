"""`spyglass`: run the whole platform on this machine (`spyglass run`, what `make run` calls).

Also `spyglass ui build [--force]`, `spyglass ui test` and `spyglass ui check`, which build, test
and statically check the web UI (`make ui`, `make test`, `make check`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import NoReturn

from spyglass_core.cli import EXIT_FAILED, run_command
from spyglass_core.logging import configure_logging, get_logger
from spyglass_core.settings import LogSettings, env_name, load_settings
from spyglass_launcher.node import NodeUnavailableError
from spyglass_launcher.platform import Platform, PlatformPlan, home_lock
from spyglass_launcher.reference import configuration_table
from spyglass_launcher.settings import LauncherSettings
from spyglass_launcher.ui import (
    UiBuildError,
    UiProject,
    ensure_ui_built,
    run_ui_checks,
    run_ui_tests,
)

log = get_logger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spyglass",
        description="Run the whole Spyglass platform on this machine, with embedded servers "
        "unless SPYGLASS_DB_URL, SPYGLASS_NATS_URL or SPYGLASS_REDIS_URL name others.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("run", help="build the UI if it is stale, then run everything (default)")
    commands.add_parser("check-config", help="validate every setting and exit")
    commands.add_parser("config-reference", help="print the table of every setting")
    ui = commands.add_parser("ui", help="build, test or check the web UI").add_subparsers(
        dest="ui_command", metavar="ui-command", required=True
    )
    build = ui.add_parser("build", help="npm ci and npm run build, each only when needed")
    build.add_argument("--force", action="store_true", help="build even if dist/ is fresh")
    ui.add_parser("test", help="run the UI's component tests (Vitest)")
    ui.add_parser("check", help="type-check (tsc --noEmit) and lint (ESLint) the UI")
    return parser


def main(argv: list[str] | None = None) -> NoReturn:
    """Start PostgreSQL, NATS, Redis and every service; stop them all on Ctrl-C."""
    arguments = _parser().parse_args(argv)
    command_name = arguments.command or "run"

    def command() -> int:
        if command_name == "config-reference":
            print(configuration_table())
            return 0
        configure_logging(load_settings(LogSettings), "launcher")
        if command_name == "ui":
            return _ui_command(arguments.ui_command, force=getattr(arguments, "force", False))
        plan = PlatformPlan.from_environment()
        if command_name == "check-config":
            print("spyglass: configuration is valid")
            return 0
        if plan.launcher.build_ui and not _build_ui_before_run():
            return EXIT_FAILED
        with home_lock(plan.launcher.home):
            return asyncio.run(Platform(plan).run())

    run_command("spyglass", command)


def _ui_command(ui_command: str, *, force: bool) -> int:
    try:
        if ui_command == "test":
            return run_ui_tests()
        if ui_command == "check":
            return run_ui_checks()
        built = ensure_ui_built(force=force, echo=sys.stderr)
    except (UiBuildError, NodeUnavailableError) as error:
        print(f"spyglass: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    if not built:
        print("spyglass: the UI is up to date (use --force to build it anyway)", file=sys.stderr)
    return 0


def _build_ui_before_run() -> bool:
    """Build the UI if it is missing or stale; False (after saying why) if that failed."""
    project = UiProject.default()
    if not (project.directory / "package.json").is_file():
        # An installed launcher, not a checkout: the gateway serves a UI built elsewhere.
        log.info("ui_sources_absent", directory=str(project.directory))
        return True
    try:
        ensure_ui_built(project, echo=sys.stderr)
    except (UiBuildError, NodeUnavailableError) as error:
        print(
            f"spyglass: {error.message}\n(set {env_name(LauncherSettings, 'build_ui')}=false "
            "to run without building the UI)",
            file=sys.stderr,
        )
        return False
    return True


if __name__ == "__main__":
    main()
