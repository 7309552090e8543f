#!/usr/bin/env bash
# Sets up the environment if needed (tools/setup_env.sh) and runs the test suite on the CPU.
#   bash tools/run_tests.sh [pytest args...]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/tools/setup_env.sh"
VENV="${TRANSKD_VENV:-$REPO/.venv}"
cd "$REPO"
export PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" -m pytest tests "$@"
