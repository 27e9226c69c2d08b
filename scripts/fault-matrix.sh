#!/usr/bin/env bash
# Prove that the suite catches every fault the sandbox can inject.
#
#   ./scripts/fault-matrix.sh [--faults a,b] [-- PYTEST_ARGS...]
#
# Runs the selected tests (default: P0 and P1) once without faults, then once per
# fault, and prints a table fault -> tests that caught it. Exits non-zero when a
# fault goes uncaught. Uses the running sandbox, or starts one (and stops it after).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

current="$(e2e_current_deployment)"
if [ -n "$current" ] && [ "$current" != "sandbox" ]; then
    e2e_die "the fault matrix needs the sandbox, but '$current' is running (./scripts/teardown.sh first)"
fi
started_here=false
if [ -z "$current" ]; then
    "$E2E_ROOT/scripts/setup-local.sh"
    started_here=true
fi
finish() { if $started_here; then "$E2E_ROOT/scripts/teardown-local.sh"; fi; }
trap finish EXIT

cd "$E2E_ROOT"
"$(e2e_python)" -m sandbox.fault_matrix "$@"
