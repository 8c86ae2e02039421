"""`spyglass-experiment-runner`: the Celery worker that runs server-side experiments."""

from __future__ import annotations

from typing import NoReturn

from spyglass_experiment_runner.settings import ExperimentRunnerSettings
from spyglass_jobs import Queue, worker_main


def main(argv: list[str] | None = None) -> NoReturn:
    """Consume the `experiments` queue until SIGTERM."""
    worker_main(
        "spyglass-experiment-runner",
        "experiment-runner",
        Queue.EXPERIMENTS,
        ExperimentRunnerSettings,
        argv,
    )


if __name__ == "__main__":
    main()
