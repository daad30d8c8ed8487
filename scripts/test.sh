#!/usr/bin/env bash
# Installs everything the tests need (Debian servers, Python packages) and runs them.
# Usage: bash scripts/test.sh [pytest args]    (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
packages=$(grep -v '^#' scripts/apt-packages.txt | xargs)
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# The servers are installed now: a test that cannot start one must fail, not skip.
export READINESS_STRICT_SERVERS=1
exec python3 -m pytest -n 2 "$@"
