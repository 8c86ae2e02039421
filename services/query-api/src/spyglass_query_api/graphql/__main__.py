"""Export the schema: ``python -m spyglass_query_api.graphql [--check] PATH``.

Without ``--check`` it writes the printed schema to PATH; with it, it exits 1 (and says how to
fix it) if PATH differs from the schema the code serves.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spyglass_query_api.graphql.executable import printed_schema


def main(argv: list[str] | None = None) -> int:
    """Write or check the exported schema file; the exit status says whether it is current."""
    parser = argparse.ArgumentParser(prog="python -m spyglass_query_api.graphql")
    parser.add_argument("path", type=Path, help="the exported schema file")
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    options = parser.parse_args(argv)
    schema = printed_schema()
    if not options.check:
        options.path.write_text(schema)
        return 0
    current = options.path.read_text() if options.path.exists() else ""
    if current != schema:
        print(f"{options.path} is out of date: run `make graphql-schema`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
