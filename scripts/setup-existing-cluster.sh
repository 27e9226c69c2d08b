#!/usr/bin/env bash
# Deploy bud-stack for the E2E suite into a Kubernetes cluster you already have:
# install Dapr if it is missing, install the bud Helm chart into its own namespace,
# and expose the services on 127.0.0.1 through kubectl port-forward.
#
# Usage: ./scripts/setup-existing-cluster.sh [--context NAME] [--namespace NS] [--skip-dapr]
#            [--skip-build] [--source DIR] [--registry REGISTRY] [--help]
#
#   --context NAME       kubectl context to use (default: the current context)
#   --namespace NS       namespace for the release (default: $E2E_NAMESPACE or bud-e2e)
#   --skip-dapr          neither check nor install Dapr (the cluster runs it already)
#   --skip-build         build no images: use published ones (budstudio/<service>:nightly
#                        unless E2E_IMAGE_REGISTRY / E2E_IMAGE_TAG say otherwise)
#   --source DIR         bud-runtime checkout (default: $BUD_RUNTIME_DIR): images are
#                        built from it, the chart is read from its infra/helm/bud
#   --registry REGISTRY  push the built images there, e.g. registry.example.com/bud
#                        (default: $E2E_IMAGE_REGISTRY; needed unless --skip-build)
#   -h, --help           show this help
#
# Needs kubectl, helm, curl and openssl (and docker to build). Setup records what it
# created; ./scripts/teardown-existing-cluster.sh removes only that.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

context=""
source_dir=""
skip_build=false
SKIP_DAPR=false
K8S_NAMESPACE="${E2E_NAMESPACE:-bud-e2e}"
while [ $# -gt 0 ]; do
    case "$1" in
        --context) cluster_option_value "$1" "${2:-}"; context="$2"; shift 2 ;;
        --namespace) cluster_option_value "$1" "${2:-}"; K8S_NAMESPACE="$2"; shift 2 ;;
        --skip-dapr) SKIP_DAPR=true; shift ;;
        --skip-build) skip_build=true; shift ;;
        --source) cluster_option_value "$1" "${2:-}"; source_dir="$2"; shift 2 ;;
        --registry) cluster_option_value "$1" "${2:-}"; E2E_IMAGE_REGISTRY="$2"; shift 2 ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

cluster_step "checking prerequisites"
cluster_require_tools kubectl helm curl openssl
if ! $skip_build; then
    cluster_require_tools docker
    cluster_require_docker_daemon
    [ -n "${E2E_IMAGE_REGISTRY:-}" ] ||
        e2e_die "an existing cluster cannot see locally built images: pass --registry REGISTRY (or set E2E_IMAGE_REGISTRY) to push them there, or use --skip-build"
fi
cluster_resolve_source "$source_dir" "$skip_build"
cluster_resolve_chart
cluster_admin_password >/dev/null

if [ -z "$context" ]; then
    context=$(kubectl config current-context 2>/dev/null) ||
        e2e_die "kubectl has no current context: pass --context NAME"
fi
KUBE_CONTEXT="$context"
HELM_RELEASE="${E2E_HELM_RELEASE:-bud-e2e}"
kube cluster-info --request-timeout=10s >/dev/null 2>&1 ||
    e2e_die "the cluster of kubectl context '$KUBE_CONTEXT' does not answer ('kubectl --context $KUBE_CONTEXT cluster-info' failed)"

recorded_context=$(cluster_state_get existing KUBE_CONTEXT)
recorded_namespace=$(cluster_state_get existing K8S_NAMESPACE)
if [ -n "$recorded_context" ] &&
    { [ "$recorded_context" != "$KUBE_CONTEXT" ] || [ "$recorded_namespace" != "$K8S_NAMESPACE" ]; }; then
    e2e_die "a deployment in context '$recorded_context', namespace '$recorded_namespace' is still recorded: remove it first with ./scripts/teardown-existing-cluster.sh"
fi
cluster_load_recorded existing
e2e_log "deploying into context $KUBE_CONTEXT, namespace $K8S_NAMESPACE"

if $skip_build; then
    if [ -z "${E2E_IMAGE_REGISTRY:-}" ] && [ -z "${E2E_IMAGE_TAG:-}" ]; then
        E2E_IMAGE_TAG=nightly
    fi
    e2e_log "--skip-build: the cluster pulls $(cluster_all_images | tr '\n' ' ')"
else
    cluster_build_images
    cluster_step "pushing the images to $E2E_IMAGE_REGISTRY"
    for image in $(cluster_all_images); do
        docker push "$image"
    done
fi

cluster_deploy existing
