"""`spyglass-ingest`: the ingest plane's two processes, `receiver` and `writer`."""

from __future__ import annotations

import sys
from typing import NoReturn

from spyglass_core.cli import service_main
from spyglass_ingest.settings import ReceiverSettings, WriterSettings

USAGE = "usage: spyglass-ingest {receiver,writer} [serve|check-config]"


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the receiver or the writer until SIGTERM."""
    arguments = sys.argv[1:] if argv is None else argv
    role, rest = (arguments[0], arguments[1:]) if arguments else ("", [])
    # Each role imports only its own code: the writer never loads the decoder and its price table.
    if role == "receiver":
        from spyglass_ingest.receiver import build_receiver

        service_main(
            "spyglass-ingest receiver",
            "ingest-receiver",
            "Spyglass OTLP receiver: gRPC and HTTP in, JetStream out.",
            ReceiverSettings,
            build_receiver,
            rest,
        )
    if role == "writer":
        from spyglass_ingest.writer import build_writer

        service_main(
            "spyglass-ingest writer",
            "ingest-writer",
            "Spyglass span writer: JetStream in, PostgreSQL out.",
            WriterSettings,
            build_writer,
            rest,
        )
    print(USAGE, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
