#!/usr/bin/env bash
# Create a local kind cluster (config/kind-config.yaml), build the bud-stack images
# from a bud-runtime checkout, install Dapr and the bud Helm chart, and expose the
# services on 127.0.0.1 for the E2E suite.
#
# Usage: ./scripts/setup-kind.sh [--source DIR] [--skip-build] [--cluster-name NAME] [--help]
#
#   --source DIR         bud-runtime checkout (default: $BUD_RUNTIME_DIR); images are built
#                        from it and the chart is read from its infra/helm/bud
#   --skip-build         build and load no images: use those already in the cluster
#   --cluster-name NAME  kind cluster name (default: $E2E_CLUSTER_NAME or bud-e2e)
#   -h, --help           show this help
#
# Needs docker (daemon running), kind, kubectl, helm, curl and openssl. Safe to re-run:
# an existing cluster is reused. Undo it with ./scripts/teardown-kind.sh.
# More settings (ports, timeouts, image names): scripts/lib/cluster.sh.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

local_cluster_exists() { kind get clusters 2>/dev/null | grep -x "$1" >/dev/null; }
local_cluster_create() { kind create cluster --name "$1" --config "$E2E_ROOT/config/kind-config.yaml"; }
local_cluster_load_images() {
    local name="$1"
    shift
    kind load docker-image --name "$name" "$@"
}

cluster_local_setup kind "$@"
