#!/usr/bin/env bash
# The browser tests drive Debian's chromium, headless; Playwright never downloads a browser of its
# own. Install chromium when it is missing (as root, from the distribution's packages), or say how.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "The browser tests need Debian's chromium, which is not installed. Install it with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
    echo "(on another distribution, install its chromium package so that \`chromium\` is on PATH)" >&2
    exit 1
fi

echo "Installing chromium for the browser tests (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; one update is enough for the install that follows.
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
