#!/usr/bin/env bash
# Run the P0 tier K times against the running deployment and report any test whose
# outcome changed; exits non-zero on a flake (or a test failing every time).
#
#   ./scripts/flake-gate.sh K [-- PYTEST_ARGS...]
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ -n "$(e2e_current_deployment)" ] || e2e_die "no deployment is running: start one with ./scripts/setup.sh"
cd "$E2E_ROOT"
exec "$(e2e_python)" -m scripts.flake_gate "$@"
