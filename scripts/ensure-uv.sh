#!/bin/sh
# Prints the path of a uv binary, installing uv from PyPI into .tools/ when none is on PATH.
# Needs only Python 3.11+ (no curl, no root): a private venv, or pip --target as a fallback.
set -eu
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
if [ -x "$tools/bin/uv" ]; then echo "$tools/bin/uv"; exit 0; fi
python=${PYTHON:-$(command -v python3 || command -v python || true)}
if [ -z "$python" ]; then echo "ensure-uv: Python 3.11+ is needed (python3 not found)" >&2; exit 1; fi
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "ensure-uv: Python 3.11+ is needed; $python is $("$python" -V 2>&1)" >&2; exit 1; }
echo "ensure-uv: installing uv into $tools" >&2
if "$python" -m venv "$tools" >/dev/null 2>&1 && "$tools/bin/python" -m pip --version >/dev/null 2>&1; then
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.9" >&2
else
  # No venv module (Debian without python3-venv): install the uv wheel into a plain folder.
  rm -rf "$tools"
  "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages \
    --target "$tools/site" "uv>=0.9" >&2 2>/dev/null || \
  "$python" -m pip install --quiet --disable-pip-version-check --target "$tools/site" "uv>=0.9" >&2
  mkdir -p "$tools/bin"
  ln -sf "$tools/site/bin/uv" "$tools/bin/uv"
fi
echo "$tools/bin/uv"
