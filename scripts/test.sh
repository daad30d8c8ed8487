#!/usr/bin/env bash
# Installs everything the tests need and runs them: bash scripts/test.sh [pytest args]
# As root, or with sudo. Changes the machine: apt-get installs the Debian packages of
# scripts/apt-packages.txt (installing chrony removes systemd-timesyncd), and python3 or
# python3.X-venv when missing. Python packages go only into two virtual environments
# (scripts/venv.sh says where): the tests with the newest pytest, and a short smoke
# run with the oldest pytest pyproject.toml supports. Then ruff, mypy and import-linter,
# then the tests. PYTHON=... picks the python.
set -euo pipefail
# shellcheck source=scripts/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
cd "$ROOT"
ensure_python
oldest=$(sed -n 's/^ *"pytest>=\([0-9.]*\),.*/\1/p' pyproject.toml)
[ -n "$oldest" ] || { say "pyproject.toml states no pytest lower bound"; exit 1; }
make_venv oldest-pytest -e "${ROOT}[xdist]" "pytest~=$oldest.0"
oldest_venv=$VENV
make_venv test -e "${ROOT}[test]"
# shellcheck disable=SC2046 # one package a word
apt_install $(grep -v '^#' scripts/apt-packages.txt)
# The servers are installed now: a test that cannot start one must fail, not skip.
export READINESS_STRICT_SERVERS=1
# The venv's commands (ansible-inventory, pytest-readiness) come first, as if activated.
export PATH="$VENV/bin:$PATH"
# Smoke run under the oldest supported pytest (its header names the version).
"$oldest_venv/bin/python" -m pytest -p no:cacheprovider tests/core/test_compat.py \
    tests/core/test_plugin.py
# Linters: style, types (strict, package and suites) and the import contracts of
# pyproject.toml. Any of them failing fails the run (set -e).
say "ruff"
"$VENV/bin/ruff" check pytest_readiness suites tests scripts benchmarks
say "mypy"
"$VENV/bin/mypy"
say "import-linter"
"$VENV/bin/lint-imports"
exec "$VENV/bin/python" -m pytest -n 2 "$@"
