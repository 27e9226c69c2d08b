#!/usr/bin/env bash
# Take down the deployment the last ./scripts/setup.sh brought up (as recorded in
# .e2e-state/deployment.env) by running the matching scripts/teardown-<mode>.sh.
#
# Usage: ./scripts/teardown.sh [--mode k3d|kind|existing|compose|source|sandbox] [--dry-run]
#                              [--help] [-- ARGS passed to the teardown script]
#
#   --mode MODE  tear down this deployment whatever is recorded
#   --dry-run    print the teardown command and run nothing
#   -h, --help   show this help
#
# With nothing recorded (and no --mode) it says so and exits 0.
# E2E_SCRIPTS_DIR changes where the teardown-<mode>.sh scripts are looked up.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

mode=""
dry_run=false
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) cluster_option_value "$1" "${2:-}"; mode="$2"; shift 2 ;;
        --dry-run) dry_run=true; shift ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        --) shift; break ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

if [ -z "$mode" ]; then
    mode=$(e2e_current_deployment)
    if [ -z "$mode" ]; then
        e2e_log "no deployment is recorded in $E2E_DEPLOYMENT_ENV: nothing to tear down"
        for leftover in k3d kind existing compose; do
            if [ -f "$(cluster_state_file "$leftover")" ]; then
                e2e_log "an unfinished $leftover setup left a record: remove it with ./scripts/teardown.sh --mode $leftover"
            fi
        done
        exit 0
    fi
    e2e_log "recorded deployment: $mode"
fi

case "$mode" in
    k3d | kind | compose | source) script="teardown-$mode.sh" ;;
    existing) script=teardown-existing-cluster.sh ;;
    sandbox) script=teardown-local.sh ;;
    *) cluster_usage_error "unknown mode '$mode' (choose k3d, kind, existing, compose, source or sandbox)" ;;
esac
scripts_dir="${E2E_SCRIPTS_DIR:-$E2E_ROOT/scripts}"

e2e_dispatch "$dry_run" "$scripts_dir/$script" "$@"
