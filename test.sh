#!/usr/bin/env bash
# Run the whole test suite (sets up ./.venv first if needed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-run

# The browser test (tests/test_app_browser.py) drives Debian's Chromium and skips without it.
if ! command -v chromium >/dev/null 2>&1; then
    log=/tmp/geopol-chromium-install.log
    sudo=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
    apt_get() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
    echo "test.sh: installing chromium for the browser test (log: $log)"
    if ! { apt_get install chromium || { apt_get update && apt_get install chromium; }; } \
            >"$log" 2>&1; then
        echo "test.sh: no chromium ($(tail -n 1 "$log")); the browser test will be skipped"
    fi
fi

exec .venv/bin/python -m pytest -n 2 "$@"
