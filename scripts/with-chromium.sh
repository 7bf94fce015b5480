#!/usr/bin/env bash
# Runs CMD... with Debian's chromium for the browser tests:
#   scripts/with-chromium.sh dotnet test tests/Browser.Tests
# Installs chromium when missing (Debian/Ubuntu, as root). Playwright drives it through its ExecutablePath and never
# downloads a browser of its own (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD). Exports CHROMIUM_PATH and CI=true, so that a
# browser that cannot start fails the tests instead of skipping them.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi

export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CI="${CI:-true}"
echo "== $("$CHROMIUM_PATH" --version 2>/dev/null || echo "chromium at $CHROMIUM_PATH")" >&2
exec "$@"
