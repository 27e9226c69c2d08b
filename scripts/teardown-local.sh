#!/usr/bin/env bash
# Stop the local sandbox's services; stop PostgreSQL or Redis only if
# ./scripts/setup-local.sh started them.
#
#   ./scripts/teardown-local.sh [--help]
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/local.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"

case "${1:-}" in
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

cd "$E2E_ROOT"
if [ -x "$E2E_ROOT/.venv/bin/python" ]; then
    "$E2E_ROOT/.venv/bin/python" -m sandbox.launcher stop
else
    e2e_warn "no .venv: nothing of the sandbox can be running"
fi
e2e_clear_deployment_env
local_stop_started_stores
