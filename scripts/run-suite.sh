#!/usr/bin/env bash
# Bring up a deployment (the local sandbox unless told otherwise), run the E2E
# suite against it, and take the deployment down again if this script started it.
#
#   ./scripts/run-suite.sh [--tier p0|p1|all] [--mode sandbox|source|auto|k3d|kind|existing|compose]
#                          [--source DIR] [--keep] [-- PYTEST_ARGS...]
#
#   --tier    p0: critical paths; p1: p0 + important paths; all: every E2E test (default)
#   --mode    deployment to use (default: sandbox; auto = ./scripts/setup.sh detection;
#             source = the real budapp of a bud-runtime checkout, stand-ins for the rest)
#   --source  the bud-runtime checkout of source mode (implies --mode source)
#   --keep    leave the deployment running afterwards
# Extra arguments after -- go to pytest (e.g. -- -n 2, -- -k login, -- --pdb).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

tier=all
mode="${E2E_SETUP_MODE:-sandbox}"
keep=false
mode_asked=false
setup_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --tier) tier="${2:?--tier needs p0, p1 or all}"; shift 2 ;;
        --mode) mode="${2:?--mode needs a deployment name}"; mode_asked=true; shift 2 ;;
        --source) setup_args=(--source "${2:?--source needs a directory}"); mode=source; mode_asked=true; shift 2 ;;
        --keep) keep=true; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

case "$tier" in
    p0) markers=(-m priority_p0) ;;
    p1) markers=(-m "priority_p0 or priority_p1") ;;
    all) markers=() ;;
    *) e2e_die "unknown tier '$tier' (choose p0, p1 or all)" ;;
esac

started_here=false
running="$(e2e_current_deployment)"
if [ -z "$running" ]; then
    "$E2E_ROOT/scripts/setup.sh" --mode "$mode" "${setup_args[@]}"
    started_here=true
elif $mode_asked && [ "$mode" != auto ] && [ "$mode" != "$running" ]; then
    e2e_die "a $running deployment is running, not $mode: take it down first (./scripts/teardown.sh)"
else
    e2e_log "using the running deployment: $(e2e_current_deployment)"
fi

finish() {
    if $started_here && ! $keep; then
        "$E2E_ROOT/scripts/teardown.sh" || e2e_warn "teardown failed; run ./scripts/teardown.sh"
    fi
}
trap finish EXIT

cd "$E2E_ROOT"
e2e_log "running the E2E suite (tier: $tier)"
"$(e2e_python)" -m pytest "${markers[@]}" "$@"
