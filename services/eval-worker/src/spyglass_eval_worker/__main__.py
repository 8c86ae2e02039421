"""`spyglass-eval-worker`: the Celery worker that runs evaluators and writes their annotations."""

from __future__ import annotations

from typing import NoReturn

from spyglass_eval_worker.settings import EvalWorkerSettings
from spyglass_jobs import Queue, worker_main


def main(argv: list[str] | None = None) -> NoReturn:
    """Consume the `evaluations` queue until SIGTERM."""
    worker_main(
        "spyglass-eval-worker",
        "eval-worker",
        Queue.EVALUATIONS,
        EvalWorkerSettings,
        argv,
    )


if __name__ == "__main__":
    main()
