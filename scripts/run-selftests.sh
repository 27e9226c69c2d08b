#!/usr/bin/env bash
# Run the suite's own tests (helpers, config, scripts, sandbox) in selftests/.
#
#   ./scripts/run-selftests.sh [PYTEST_ARGS...]
#
# Installs what they need into .venv first. The sandbox tests need PostgreSQL
# and Redis; they are started (or installed) the same way ./scripts/setup-local.sh does.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

"$E2E_ROOT/scripts/setup-local.sh" --prepare-only
cd "$E2E_ROOT"
"$(e2e_python)" -m pytest selftests --junitxml=reports/selftests-junit.xml --html=reports/selftests.html "$@"
