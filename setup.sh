#!/usr/bin/env bash
# Set up Geopol in ./.venv and run the default scenario.
#   ./setup.sh            set up (or update) the environment, then run `geopol run eurasia`
#   ./setup.sh --no-run   set up only
#   ./setup.sh --which-python   print the interpreter set-up would use, and stop
set -euo pipefail
cd "$(dirname "$0")"

MIN_MINOR=12   # Mesa 3.5 needs Python >= 3.12

usable() {  # usable PYTHON -> true when it runs and is 3.MIN_MINOR or newer
    "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $MIN_MINOR) else 1)" >/dev/null 2>&1
}

find_python() {
    for cmd in python3.13 python3.12; do
        if command -v "$cmd" >/dev/null 2>&1 && usable "$cmd"; then command -v "$cmd"; return; fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        local root; root=$(pyenv root)
        # newest first: 3.13.x before 3.12.x
        for dir in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
            for exe in "$dir"/bin/python3.1[2-9] "$dir"/bin/python3; do
                if [ -x "$exe" ] && usable "$exe"; then echo "$exe"; return; fi
            done
        done
    fi
    return 1
}

venv_ok() { [ -x .venv/bin/python ] && usable .venv/bin/python; }

no_python() {
    echo "setup.sh: no Python >= 3.$MIN_MINOR found (tried python3.13, python3.12 and pyenv); install Python 3.12 or 3.13 and run ./setup.sh again" >&2
    exit 2
}

if [ "${1:-}" = "--which-python" ]; then
    find_python || no_python
    exit 0
fi

if ! venv_ok; then
    PY=$(find_python) || no_python
    rm -rf .venv
    echo "setup.sh: creating .venv with $("$PY" --version) ($PY)"
    "$PY" -m venv .venv
fi

# Reinstall only when the project's requirements changed.
stamp=.venv/.geopol-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup.sh: installing Geopol and its dependencies into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
    echo "$want" > "$stamp"
fi

if [ "${1:-}" != "--no-run" ]; then
    .venv/bin/geopol run eurasia --steps 40 --seed 1
    echo "setup.sh: done. Try '.venv/bin/geopol --help', or run the tests with ./test.sh"
fi
