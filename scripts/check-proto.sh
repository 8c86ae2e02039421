#!/usr/bin/env bash
# Fails when libs/proto/src differs from what proto/ generates now.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$root/scripts/gen-proto.sh" "$scratch"
if ! diff -r -x __pycache__ "$scratch/spyglass_proto" "$root/libs/proto/src/spyglass_proto"; then
  echo "generated protobuf is stale: run 'make proto' and commit the result" >&2
  exit 1
fi
echo "generated protobuf is up to date"
