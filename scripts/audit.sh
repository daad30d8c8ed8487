#!/usr/bin/env bash
# Audits the current directory (and this machine, unless a readiness.yaml says otherwise):
#   bash /path/to/pytest-readiness/scripts/audit.sh [pytest args]
# The first run makes a virtual environment holding this checkout, outside the audited
# tree (scripts/venv.sh says where); later runs reuse it. PYTHON=... picks the python.
set -euo pipefail
# shellcheck source=scripts/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
ensure_python
make_venv audit -e "$ROOT"
exec "$VENV/bin/pytest" --readiness "$@"
