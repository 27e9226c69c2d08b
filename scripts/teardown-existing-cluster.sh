#!/usr/bin/env bash
# Remove what ./scripts/setup-existing-cluster.sh deployed, using the context and
# namespace it recorded: stop the port-forwards, uninstall the Helm release, delete
# the namespace only if setup created it and Dapr only if setup installed it.
#
# Usage: ./scripts/teardown-existing-cluster.sh [--help]
#
#   -h, --help  show this help
#
# With nothing recorded it does nothing. Needs kubectl and helm.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

KUBE_CONTEXT=$(cluster_state_get existing KUBE_CONTEXT)
if [ -z "$KUBE_CONTEXT" ]; then
    e2e_log "no existing-cluster deployment is recorded in $E2E_STATE_DIR: nothing to tear down"
    exit 0
fi
cluster_require_tools kubectl helm
K8S_NAMESPACE=$(cluster_state_get existing K8S_NAMESPACE)
HELM_RELEASE=$(cluster_state_get existing HELM_RELEASE)
cluster_load_recorded existing

cluster_step "removing the E2E deployment from context $KUBE_CONTEXT, namespace $K8S_NAMESPACE"
cluster_stop_port_forwards
cluster_teardown_release
cluster_forget existing
e2e_log "existing-cluster deployment removed"
