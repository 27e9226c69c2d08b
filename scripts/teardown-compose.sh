#!/usr/bin/env bash
# Stop and remove the Compose deployment made by ./scripts/setup-compose.sh,
# with its volumes (docker compose down -v), and forget the recorded deployment.
#
# Usage: ./scripts/teardown-compose.sh [--project NAME] [--help]
#
#   --project NAME  Compose project to remove (default: the one setup recorded)
#   -h, --help      show this help
#
# With nothing recorded and no --project it does nothing. Needs docker.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

project=""
while [ $# -gt 0 ]; do
    case "$1" in
        --project) cluster_option_value "$1" "${2:-}"; project="$2"; shift 2 ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

project="${project:-$(cluster_state_get compose COMPOSE_PROJECT)}"
if [ -z "$project" ]; then
    e2e_log "no compose deployment is recorded in $E2E_STATE_DIR: nothing to tear down"
    exit 0
fi
cluster_require_tools docker
cluster_require_docker_daemon

cluster_step "removing compose project $project and its volumes"
docker compose -f "$E2E_ROOT/config/docker-compose-e2e.yaml" -p "$project" down -v --remove-orphans
cluster_forget compose
e2e_log "compose deployment removed"
