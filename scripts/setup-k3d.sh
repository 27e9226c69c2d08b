#!/usr/bin/env bash
# Create a local k3d cluster (config/k3d-config.yaml), build the bud-stack images
# from a bud-runtime checkout, install Dapr and the bud Helm chart, and expose the
# services on 127.0.0.1 for the E2E suite.
#
# Usage: ./scripts/setup-k3d.sh [--source DIR] [--skip-build] [--cluster-name NAME] [--help]
#
#   --source DIR         bud-runtime checkout (default: $BUD_RUNTIME_DIR); images are built
#                        from it and the chart is read from its infra/helm/bud
#   --skip-build         build and import no images: use those already in the cluster
#   --cluster-name NAME  k3d cluster name (default: $E2E_CLUSTER_NAME or bud-e2e)
#   -h, --help           show this help
#
# Needs docker (daemon running), k3d, kubectl, helm, curl and openssl. Safe to re-run:
# an existing cluster is reused. Undo it with ./scripts/teardown-k3d.sh.
# More settings (ports, timeouts, image names): scripts/lib/cluster.sh.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

source_dir=""
skip_build=false
CLUSTER_NAME="${E2E_CLUSTER_NAME:-bud-e2e}"
while [ $# -gt 0 ]; do
    case "$1" in
        --source) cluster_option_value "$1" "${2:-}"; source_dir="$2"; shift 2 ;;
        --skip-build) skip_build=true; shift ;;
        --cluster-name) cluster_option_value "$1" "${2:-}"; CLUSTER_NAME="$2"; shift 2 ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

cluster_step "checking prerequisites"
cluster_require_tools docker k3d kubectl helm curl openssl
cluster_require_docker_daemon
cluster_resolve_source "$source_dir" "$skip_build"
cluster_resolve_chart

recorded=$(cluster_state_get k3d CLUSTER_NAME)
if [ -n "$recorded" ] && [ "$recorded" != "$CLUSTER_NAME" ]; then
    e2e_die "a k3d deployment on cluster '$recorded' is still recorded: remove it first with ./scripts/teardown-k3d.sh"
fi
KUBE_CONTEXT="k3d-$CLUSTER_NAME"
K8S_NAMESPACE="${E2E_NAMESPACE:-bud-e2e}"
HELM_RELEASE="${E2E_HELM_RELEASE:-bud-e2e}"
CREATED_CLUSTER=$(cluster_state_get k3d CREATED_CLUSTER)
CREATED_NAMESPACE=$(cluster_state_get k3d CREATED_NAMESPACE)
INSTALLED_DAPR=$(cluster_state_get k3d INSTALLED_DAPR)
SKIP_DAPR=false

record_state() {
    cluster_save_state k3d "CLUSTER_NAME=$CLUSTER_NAME" "KUBE_CONTEXT=$KUBE_CONTEXT" \
        "K8S_NAMESPACE=$K8S_NAMESPACE" "HELM_RELEASE=$HELM_RELEASE" \
        "CREATED_CLUSTER=${CREATED_CLUSTER:-false}" "CREATED_NAMESPACE=${CREATED_NAMESPACE:-false}" \
        "INSTALLED_DAPR=${INSTALLED_DAPR:-false}"
}

cluster_step "k3d cluster $CLUSTER_NAME"
if k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1; then
    e2e_log "k3d cluster $CLUSTER_NAME exists; reusing it"
else
    k3d cluster create "$CLUSTER_NAME" --config "$E2E_ROOT/config/k3d-config.yaml"
    CREATED_CLUSTER=true
fi
record_state
cluster_wait_nodes_ready

if $skip_build; then
    e2e_log "--skip-build: the cluster must already hold $(cluster_all_images | tr '\n' ' ')"
else
    cluster_build_images
    cluster_step "importing the images into k3d cluster $CLUSTER_NAME"
    # shellcheck disable=SC2046 # one word per image name
    k3d image import --cluster "$CLUSTER_NAME" $(cluster_all_images)
fi

cluster_deploy k3d
