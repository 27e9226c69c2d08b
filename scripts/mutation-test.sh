#!/usr/bin/env bash
# Mutation gate: apply each hand-written regression of the sandbox (config/mutants.yaml) in a copy of this
# checkout, start that copy's sandbox, run the suite against it and report which tests killed each mutant.
#
#   ./scripts/mutation-test.sh [--sample N [--seed S]] [--only ID,ID] [--area AREA] [--time-budget SECONDS]
#                              [--min-score PCT] [--min-area-score PCT] [--check] [--list] [--help]
#
# The checkout is never modified. Needs no deployment running here (the copies use this checkout's ports).
# Prints killed/survived per area and the score, writes reports/mutation.json (logs: reports/mutation/).
# Exits 1 when the baseline fails or the gate fails (full set: score < 90% or an area < 75%; a partial run:
# none of its mutants killed); 2 when a mutant's snippet no longer matches the code. README: "Mutation gate".
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

cd "$E2E_ROOT"
for arg in "$@"; do
    case "$arg" in --check|--list) exec "$(e2e_python)" -m scripts.mutation_test "$@" ;; esac
done
current="$(e2e_current_deployment)"
if [ -n "$current" ]; then
    e2e_die "the mutation gate starts sandboxes on this checkout's ports, but '$current' is running (./scripts/teardown.sh first)"
fi
exec "$(e2e_python)" -m scripts.mutation_test "$@"
