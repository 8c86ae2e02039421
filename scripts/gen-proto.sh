#!/usr/bin/env bash
# Regenerates the Python for proto/ into libs/proto/src (or into $1, for the drift check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/libs/proto/src}
cd "$root/proto"
find . -name '*.proto' -print0 | sort -z | xargs -0 python -m grpc_tools.protoc -I . \
  --python_out="$out" --pyi_out="$out"
# Make every generated folder an importable package.
find "$out/spyglass_proto" -type d -exec touch {}/__init__.py \;
