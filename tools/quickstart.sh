#!/usr/bin/env bash
# The README's main command: sets up .venv if missing, then trains and reports the quickstart (tools/quickstart.py).
#   bash tools/quickstart.sh [--restart] [quickstart.py options...]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/tools/setup_env.sh"
VENV="${TRANSKD_VENV:-$REPO/.venv}"
cd "$REPO"
exec "$VENV/bin/python" tools/quickstart.py "$@"
