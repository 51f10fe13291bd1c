#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs all of it.
#   - a virtual environment in .venv with requirements-dev.txt and this project (editable)
#   - Debian's Chromium for the browser tests (apt-get, only when /usr/bin/chromium is missing)
#   - Debian's PostgreSQL server for the team-store sweep test (apt-get, only when no
#     /usr/lib/postgresql/*/bin/initdb exists; the test starts its own cluster)
#   - ruff, then pytest over the whole suite, slow end-to-end tests included
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"` for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
echo "Installing Python packages into .venv (log: .venv/pip-install.log)..."
if ! .venv/bin/python -m pip install --disable-pip-version-check \
        -r requirements-dev.txt -e . >.venv/pip-install.log 2>&1; then
    tail -n 40 .venv/pip-install.log
    echo "pip install failed; the whole log is in .venv/pip-install.log" >&2
    exit 1
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests..."
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "Installing Debian's postgresql for the PostgreSQL-backed MLflow server test..."
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

export MLFLOW_DISABLE_TELEMETRY=true   # no network here, and tests should not phone home
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest "$@"
