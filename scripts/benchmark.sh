#!/usr/bin/env bash
# Measure the suite on this machine: P0 and full-suite wall times (serial and -n 2),
# the xdist speed-up, the workflow waiter's detection latency, and the load
# generator's request rate beside wrk's on the same gateway endpoint.
#
#   ./scripts/benchmark.sh [--skip-wrk] [--rounds N]
#
# Uses the running deployment, or starts the sandbox (and stops it after). Installs
# wrk with apt-get when run as root and it is missing. Takes about three minutes.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

skip_wrk=false
for arg in "$@"; do
    case "$arg" in
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --skip-wrk) skip_wrk=true ;;
    esac
done

if ! $skip_wrk && ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    e2e_log "installing wrk"
    { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null 2>&1 || e2e_warn "could not install wrk; its figure is skipped"
fi

started_here=false
if [ -z "$(e2e_current_deployment)" ]; then
    "$E2E_ROOT/scripts/setup.sh" --mode sandbox
    started_here=true
fi
finish() { if $started_here; then "$E2E_ROOT/scripts/teardown.sh"; fi; }
trap finish EXIT

cd "$E2E_ROOT"
"$(e2e_python)" scripts/benchmark.py "$@"
