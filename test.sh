#!/usr/bin/env bash
# Run the whole test suite (sets up ./.venv first if needed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-run
exec .venv/bin/python -m pytest -n 2 "$@"
