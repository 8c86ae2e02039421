"""`spyglass-eval-worker`: the Celery worker of the `evaluations` queue (evaluates nothing yet)."""

from __future__ import annotations

from typing import NoReturn

from spyglass_core.cli import Program, run_program
from spyglass_eval_worker.app import SERVICE, check, serve
from spyglass_eval_worker.settings import EvalWorkerSettings

PROGRAM = Program(
    "spyglass-eval-worker",
    SERVICE,
    "Spyglass eval worker: consumes the evaluations queue.",
    EvalWorkerSettings,
    check,
    serve,
)


def main(argv: list[str] | None = None) -> NoReturn:
    """Consume the `evaluations` queue until SIGTERM (or ``check`` / ``settings``)."""
    run_program(PROGRAM, argv)


if __name__ == "__main__":
    main()
