#!/usr/bin/env bash
# Delete what E2E runs left behind on the current deployment (any kind), through
# budapp's API as the super user.
#
#   ./scripts/cleanup.sh --prefix e2e-1a2b3c4d [--dry-run]   one run's leftovers
#   ./scripts/cleanup.sh --all [--dry-run]                   everything named e2e-*
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --prefix|--all|--dry-run) ;;
    "") echo "ERROR: say what to delete: --prefix PREFIX or --all (see --help)" >&2; exit 2 ;;
    *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac
cd "$E2E_ROOT"
exec "$(e2e_python)" scripts/cleanup.py "$@"
