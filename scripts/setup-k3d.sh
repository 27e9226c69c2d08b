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

local_cluster_exists() { k3d cluster get "$1" >/dev/null 2>&1; }
local_cluster_create() { k3d cluster create "$1" --config "$E2E_ROOT/config/k3d-config.yaml"; }
local_cluster_load_images() {
    local name="$1"
    shift
    k3d image import --cluster "$name" "$@"
}

cluster_local_setup k3d "$@"
