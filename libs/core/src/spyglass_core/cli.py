"""The shape every Spyglass command line shares.

``main()`` of each service parses its arguments, builds settings once, and hands the work to
:func:`run_command`, which maps the error tree to exit codes and one clear line on stderr:

* 0: done, or stopped cleanly by a signal;
* 1: failed while running (the logs say why);
* 2: the configuration is invalid (the message names the setting);
* 3: a server it needs can't be reached (the message names the setting).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_core.lifecycle import BackgroundService, run_services
from spyglass_core.logging import configure_logging
from spyglass_core.settings import ProcessSettings, load_settings

ProcessSettingsT = TypeVar("ProcessSettingsT", bound=ProcessSettings)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_DEPENDENCY = 3


def run_command(program: str, command: Callable[[], int]) -> NoReturn:
    """Run ``command`` and exit with its code, turning known errors into messages."""
    try:
        code = command()
    except ConfigurationError as error:
        print(f"{program}: {error.message}", file=sys.stderr)
        code = EXIT_CONFIGURATION
    except DependencyUnavailableError as error:
        print(f"{program}: {error.message}", file=sys.stderr)
        code = EXIT_DEPENDENCY
    except KeyboardInterrupt:
        code = EXIT_OK
    sys.exit(code)


ServicesBuilder = Callable[[ProcessSettingsT], Awaitable[Sequence[BackgroundService]]]


def service_main(
    program: str,
    service: str,
    description: str,
    settings_cls: type[ProcessSettingsT],
    build_services: ServicesBuilder[ProcessSettingsT],
    argv: list[str] | None = None,
) -> NoReturn:
    """The command line of an asyncio service: ``serve`` (default) or ``check-config``.

    Settings are built once, from the environment; ``build_services`` connects to what the
    process needs (raising :class:`DependencyUnavailableError` if it can't) and returns the
    services to run until SIGTERM.
    """
    parser = argparse.ArgumentParser(prog=program, description=description)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "check-config"])
    arguments = parser.parse_args(argv)

    def command() -> int:
        settings = load_settings(settings_cls)
        configure_logging(settings.log, service)
        if arguments.command == "check-config":
            print(f"{program}: configuration is valid")
            return EXIT_OK

        async def serve() -> int:
            services = await build_services(settings)
            return await run_services(services, settings.shutdown_timeout_seconds)

        return asyncio.run(serve())

    run_command(program, command)
