#!/usr/bin/env bash
# Stop source mode: the real budapp and the stand-ins; PostgreSQL or Redis only if a
# setup script started them. budapp's venv and database stay for the next start.
#
#   ./scripts/teardown-source.sh [--help]
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/source.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/source.sh"

case "${1:-}" in
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

"$E2E_ROOT/scripts/teardown-local.sh"
rm -f "$SOURCE_ENV_FILE"
