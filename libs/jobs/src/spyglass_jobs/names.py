"""Celery task names and queues, declared once so producers never import worker code."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    """The Celery queues; each is consumed by one kind of worker, scaled on its own."""

    EVALUATIONS = "evaluations"
    EXPERIMENTS = "experiments"


class TaskName(StrEnum):
    """Explicit task names (never derived from module paths, which move)."""

    EVALUATE = "spyglass.evaluate"
    """Run some evaluation jobs (``job_ids``) of the ledger (``spyglass_db.evaluation_jobs``)."""
    RUN_EXPERIMENT = "spyglass.run_experiment"
    """Plan an experiment job's epoch: queue a chunk task for what it has left to run."""
    RUN_EXPERIMENT_CHUNK = "spyglass.run_experiment_chunk"
    """Run some (example, repetition) pairs of an experiment job."""
    PING = "spyglass.ping"


TASK_QUEUES: dict[TaskName, Queue] = {
    TaskName.EVALUATE: Queue.EVALUATIONS,
    TaskName.RUN_EXPERIMENT: Queue.EXPERIMENTS,
    TaskName.RUN_EXPERIMENT_CHUNK: Queue.EXPERIMENTS,
}
"""Where each task is routed; ``PING`` goes to whichever queue the caller names."""
