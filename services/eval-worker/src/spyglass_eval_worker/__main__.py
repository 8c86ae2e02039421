"""`spyglass-eval-worker`: the evaluation plane's two processes.

* ``spyglass-eval-worker [serve|check|settings]``: the Celery worker of the `evaluations` queue;
* ``spyglass-eval-worker dispatcher [serve|check|settings]``: the online evaluation dispatcher,
  `spans.stored` in, evaluation jobs recorded and sent to the `evaluations` queue.

The worker takes no role word (it was this command's only process, and deployments run it so);
the dispatcher's role comes first, then the verb every Spyglass process answers
(``spyglass_core.cli``).
"""

from __future__ import annotations

import sys
from typing import NoReturn

from spyglass_core.cli import Program, asyncio_program, run_program

DISPATCHER = "dispatcher"
"""The role word that runs the dispatcher instead of the worker."""


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the worker or the dispatcher until SIGTERM (or ``check`` / ``settings``)."""
    arguments = sys.argv[1:] if argv is None else argv
    # Each role imports only its own code: the dispatcher never loads the worker's tasks.
    if arguments[:1] == [DISPATCHER]:
        import uvloop

        from spyglass_eval_worker import dispatcher
        from spyglass_eval_worker.settings import DispatcherSettings

        run_program(
            asyncio_program(
                "spyglass-eval-worker dispatcher",
                "eval-dispatcher",
                "Spyglass online evaluation dispatcher: spans.stored in, evaluation jobs out.",
                DispatcherSettings,
                dispatcher.open_resources,
                dispatcher.build_services,
                # NATS and asyncpg: a process that spends its time in socket I/O.
                uvloop.new_event_loop,
            ),
            arguments[1:],
        )
    from spyglass_eval_worker.app import SERVICE, check, serve
    from spyglass_eval_worker.settings import EvalWorkerSettings

    run_program(
        Program(
            "spyglass-eval-worker",
            SERVICE,
            "Spyglass eval worker: consumes the evaluations queue "
            "(`spyglass-eval-worker dispatcher` runs the online evaluation dispatcher).",
            EvalWorkerSettings,
            check,
            serve,
        ),
        arguments,
    )


if __name__ == "__main__":
    main()
