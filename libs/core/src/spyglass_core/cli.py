"""The one command line every Spyglass process shares.

Each service's ``__main__`` describes itself as a :class:`Program` and hands it to
:func:`run_program`, so every process answers the same verbs:

* ``serve`` (the default): run until SIGTERM / SIGINT (``run``, the workers' former verb, still
  works);
* ``check``: validate the settings, reach every server the process needs, then exit
  (``check-config``, its former name, still works);
* ``settings``: print the effective settings, one ``VARIABLE=value`` a line, secrets masked.

Settings are built once, after logging is configured (so a former variable name is logged with
the name to use instead). Errors map to exit codes and one clear line on stderr:

* 0: done, or stopped cleanly by a signal;
* 1: failed while running (the logs say why);
* 2: the configuration is invalid (the message names the setting);
* 3: a server it needs can't be reached (the message names the setting).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError
from spyglass_core.lifecycle import BuildServices, OpenResources, check, serve
from spyglass_core.logging import configure_logging
from spyglass_core.settings import LogSettings, ProcessSettings, effective_settings, load_settings

ProcessSettingsT = TypeVar("ProcessSettingsT", bound=ProcessSettings)
ResourcesT = TypeVar("ResourcesT")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_DEPENDENCY = 3

VERBS = ("serve", "check", "settings")
FORMER_VERBS = {"check-config": "check", "run": "serve"}
"""Verbs renamed, still accepted: the former name and the verb it now is."""


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


@dataclass(frozen=True)
class Program(Generic[ProcessSettingsT]):
    """One Spyglass process as its command line sees it."""

    name: str
    """The command as typed (``spyglass-query-api``, ``spyglass-ingest writer``)."""
    service: str
    """The ``service`` field of every log line (``query-api``, ``ingest-writer``)."""
    description: str
    settings_cls: type[ProcessSettingsT]
    check: Callable[[ProcessSettingsT], None]
    """Reach every server the process needs; raise :class:`DependencyUnavailableError` if not."""
    serve: Callable[[ProcessSettingsT], int]
    """Run until stopped; return the exit code."""


def asyncio_program(
    name: str,
    service: str,
    description: str,
    settings_cls: type[ProcessSettingsT],
    open_resources: OpenResources[ProcessSettingsT, ResourcesT],
    build_services: BuildServices[ProcessSettingsT, ResourcesT],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> Program[ProcessSettingsT]:
    """A :class:`Program` whose resources and services run on asyncio (every service but the
    Celery workers): ``check`` opens and closes the resources, ``serve`` runs the services on
    them (:func:`spyglass_core.lifecycle.serve`). ``loop_factory`` chooses the event loop
    (``uvloop.new_event_loop`` for a process that spends its time in socket I/O)."""

    def check_servers(settings: ProcessSettingsT) -> None:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(check(settings, open_resources))

    def serve_until_stopped(settings: ProcessSettingsT) -> int:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(
                serve(settings, open_resources, build_services, settings.shutdown_timeout_seconds)
            )

    return Program(name, service, description, settings_cls, check_servers, serve_until_stopped)


def parse_verb(program: Program[ProcessSettingsT], argv: list[str] | None) -> str:
    """The verb ``argv`` asks for (``serve`` when none); argparse exits 2 on anything else."""
    parser = argparse.ArgumentParser(
        prog=program.name,
        description=program.description,
        epilog="serve: run until SIGTERM (default); check: validate the settings and reach "
        "every server it needs, then exit; settings: print the effective settings, secrets "
        "masked.",
    )
    parser.add_argument("verb", nargs="?", default="serve", choices=[*VERBS, *FORMER_VERBS])
    verb: str = parser.parse_args(argv).verb
    return FORMER_VERBS.get(verb, verb)


def run_program(program: Program[ProcessSettingsT], argv: list[str] | None = None) -> NoReturn:
    """Parse the verb, configure logging, build the settings once and do what the verb says."""
    verb = parse_verb(program, argv)

    def command() -> int:
        configure_logging(load_settings(LogSettings), program.service)
        settings = load_settings(program.settings_cls)
        if verb == "settings":
            for variable, value in effective_settings(settings):
                print(f"{variable}={value}")
            return EXIT_OK
        if verb == "check":
            program.check(settings)
            print(f"{program.name}: configuration is valid and every server it needs answers")
            return EXIT_OK
        return program.serve(settings)

    run_command(program.name, command)
