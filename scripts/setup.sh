#!/usr/bin/env bash
# Bring up a bud-stack deployment for the E2E suite, choosing how from what this
# machine has, then run the matching scripts/setup-<mode>.sh.
#
# Usage: ./scripts/setup.sh [--mode auto|k3d|kind|existing|compose|source|sandbox] [--source DIR]
#                           [--dry-run] [--help] [-- ARGS passed to the chosen script]
#
#   --mode MODE   deployment to set up (default: $E2E_SETUP_MODE, else auto)
#   --source DIR  a bud-runtime checkout: source mode runs its budapp (the default mode with it),
#                 k3d, kind and compose build their images from it
#   --dry-run     print the mode, the reason and the command, and run nothing
#   -h, --help    show this help
#
# auto picks the first that works, in this order:
#   k3d       k3d is on PATH and 'docker info' succeeds      -> setup-k3d.sh
#   kind      kind is on PATH and 'docker info' succeeds     -> setup-kind.sh
#   existing  'kubectl cluster-info' answers within 5s        -> setup-existing-cluster.sh
#   compose   'docker compose version' and 'docker info' work -> setup-compose.sh
#   source    a bud-runtime checkout is named: --source, $BUD_RUNTIME_DIR, or this suite
#             sits in one as tests/e2e                        -> setup-source.sh
#   sandbox   otherwise: local processes                      -> setup-local.sh
# E2E_SCRIPTS_DIR changes where the setup-<mode>.sh scripts are looked up.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
# shellcheck source=lib/source.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/source.sh"

mode="${E2E_SETUP_MODE:-auto}"
dry_run=false
source_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) cluster_option_value "$1" "${2:-}"; mode="$2"; shift 2 ;;
        --source)
            cluster_option_value "$1" "${2:-}"
            source_args=(--source "$2")
            [ "$mode" = auto ] && mode=source
            shift 2 ;;
        --dry-run) dry_run=true; shift ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        --) shift; break ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

docker_answers() {
    if [ -z "${docker_checked:-}" ]; then
        docker_checked=yes
        docker_ok=false
        if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then docker_ok=true; fi
    fi
    $docker_ok
}

# detect_mode -- sets mode and reason; notes why each earlier choice was passed over.
detect_mode() {
    local skipped=()
    if ! command -v k3d >/dev/null 2>&1; then
        skipped+=("k3d: not on PATH")
    elif ! docker_answers; then
        skipped+=("k3d: the Docker daemon does not answer")
    else
        mode=k3d reason="k3d is on PATH and the Docker daemon answers"
    fi
    if [ "$mode" = auto ]; then
        if ! command -v kind >/dev/null 2>&1; then
            skipped+=("kind: not on PATH")
        elif ! docker_answers; then
            skipped+=("kind: the Docker daemon does not answer")
        else
            mode=kind reason="kind is on PATH and the Docker daemon answers"
        fi
    fi
    if [ "$mode" = auto ]; then
        if ! command -v kubectl >/dev/null 2>&1; then
            skipped+=("existing cluster: kubectl not on PATH")
        elif ! kubectl cluster-info --request-timeout=5s >/dev/null 2>&1; then
            skipped+=("existing cluster: 'kubectl cluster-info' got no answer")
        else
            mode=existing
            reason="kubectl reaches a cluster (context: $(kubectl config current-context 2>/dev/null || echo unknown))"
        fi
    fi
    if [ "$mode" = auto ]; then
        if ! command -v docker >/dev/null 2>&1; then
            skipped+=("compose: docker not on PATH")
        elif ! docker compose version >/dev/null 2>&1; then
            skipped+=("compose: 'docker compose' is not available")
        elif ! docker_answers; then
            skipped+=("compose: the Docker daemon does not answer")
        else
            mode=compose reason="Docker Compose works and the Docker daemon answers"
        fi
    fi
    if [ "$mode" = auto ]; then
        local checkout
        checkout="$(source_named_checkout)"
        if [ -n "$checkout" ] && source_is_checkout "$checkout"; then
            mode=source reason="a bud-runtime checkout is at $checkout: its budapp runs, stand-ins for the rest"
        elif [ -n "$checkout" ]; then
            skipped+=("source: $checkout is not a bud-runtime checkout")
        else
            skipped+=("source: no bud-runtime checkout named (--source or BUD_RUNTIME_DIR)")
        fi
    fi
    if [ "$mode" = auto ]; then
        mode=sandbox reason="no container runtime or cluster found"
    fi
    if [ ${#skipped[@]} -gt 0 ]; then
        local passed_over="" item
        for item in "${skipped[@]}"; do passed_over="${passed_over:+$passed_over; }$item"; done
        reason="$reason (passed over: $passed_over)"
    fi
}

reason="chosen with --mode, --source or E2E_SETUP_MODE"
case "$mode" in
    auto) detect_mode ;;
    k3d | kind | existing | compose | source | sandbox) ;;
    *) cluster_usage_error "unknown mode '$mode' (choose auto, k3d, kind, existing, compose, source or sandbox)" ;;
esac

case "$mode" in
    existing) script=setup-existing-cluster.sh ;;
    sandbox) script=setup-local.sh ;;
    *) script="setup-$mode.sh" ;;
esac
scripts_dir="${E2E_SCRIPTS_DIR:-$E2E_ROOT/scripts}"

e2e_log "setup mode: $mode - $reason"
# the checkout goes to the chosen script: source mode runs its budapp, k3d/kind/compose build images from it
[ ${#source_args[@]} -eq 0 ] || set -- "${source_args[@]}" "$@"
e2e_dispatch "$dry_run" "$scripts_dir/$script" "$@"
