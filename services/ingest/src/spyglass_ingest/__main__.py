"""`spyglass-ingest`: the ingest plane's two processes, `receiver` and `writer`.

``spyglass-ingest receiver|writer [serve|check|settings]``: the role comes first, then the verb
every Spyglass process answers (``spyglass_core.cli``).
"""

from __future__ import annotations

import sys
from typing import NoReturn

from spyglass_core.cli import EXIT_CONFIGURATION, asyncio_program, run_program
from spyglass_ingest.settings import ReceiverSettings, WriterSettings

USAGE = "usage: spyglass-ingest {receiver,writer} [serve|check|settings]"


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the receiver or the writer until SIGTERM (or ``check`` / ``settings``)."""
    arguments = sys.argv[1:] if argv is None else argv
    role, rest = (arguments[0], arguments[1:]) if arguments else ("", [])
    # Each role imports only its own code: the writer never loads the decoder and its price table.
    if role == "receiver":
        from spyglass_ingest.receiver import app as receiver

        run_program(
            asyncio_program(
                "spyglass-ingest receiver",
                "ingest-receiver",
                "Spyglass OTLP receiver: gRPC and HTTP in, JetStream out.",
                ReceiverSettings,
                receiver.open_resources,
                receiver.build_services,
            ),
            rest,
        )
    if role == "writer":
        import uvloop

        from spyglass_ingest.writer import app as writer

        run_program(
            asyncio_program(
                "spyglass-ingest writer",
                "ingest-writer",
                "Spyglass span writer: JetStream in, PostgreSQL out.",
                WriterSettings,
                writer.open_resources,
                writer.build_services,
                # asyncpg and nats-py spend the writer's time in socket I/O: libuv's loop
                # takes a fifth less CPU for it than asyncio's own.
                uvloop.new_event_loop,
            ),
            rest,
        )
    print(USAGE, file=sys.stderr)
    sys.exit(EXIT_CONFIGURATION)


if __name__ == "__main__":
    main()
