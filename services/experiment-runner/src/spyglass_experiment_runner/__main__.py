"""`spyglass-experiment-runner`: the Celery worker of the `experiments` queue; runs nothing yet."""

from __future__ import annotations

from typing import NoReturn

from spyglass_core.cli import Program, run_program
from spyglass_experiment_runner.app import SERVICE, check, serve
from spyglass_experiment_runner.settings import ExperimentRunnerSettings

PROGRAM = Program(
    "spyglass-experiment-runner",
    SERVICE,
    "Spyglass experiment runner: consumes the experiments queue.",
    ExperimentRunnerSettings,
    check,
    serve,
)


def main(argv: list[str] | None = None) -> NoReturn:
    """Consume the `experiments` queue until SIGTERM (or ``check`` / ``settings``)."""
    run_program(PROGRAM, argv)


if __name__ == "__main__":
    main()
