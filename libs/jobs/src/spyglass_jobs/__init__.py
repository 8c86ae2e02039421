"""Jobs over Celery on Redis: task names, queues and the app factory."""

from spyglass_jobs.app import broker_readiness, check_broker, create_celery
from spyglass_jobs.loop import EventLoopThread, LoopResources
from spyglass_jobs.names import TASK_QUEUES, Queue, TaskName
from spyglass_jobs.producer import JobProducer
from spyglass_jobs.worker import (
    WorkerPoolSettings,
    WorkerProcessSettings,
    register_ping,
    run_worker,
)

__all__ = [
    "TASK_QUEUES",
    "EventLoopThread",
    "JobProducer",
    "LoopResources",
    "Queue",
    "TaskName",
    "WorkerPoolSettings",
    "WorkerProcessSettings",
    "broker_readiness",
    "check_broker",
    "create_celery",
    "register_ping",
    "run_worker",
]
