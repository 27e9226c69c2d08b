#!/usr/bin/env bash
# Remove the k3d deployment made by ./scripts/setup-k3d.sh: stop its port-forwards,
# delete the cluster if setup created it (otherwise uninstall only what setup
# installed in it), and forget the recorded deployment.
#
# Usage: ./scripts/teardown-k3d.sh [--cluster-name NAME] [--help]
#
#   --cluster-name NAME  delete this k3d cluster (default: the one setup recorded)
#   -h, --help           show this help
#
# With nothing recorded and no --cluster-name it does nothing.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

local_cluster_exists() { k3d cluster get "$1" >/dev/null 2>&1; }
local_cluster_delete() { k3d cluster delete "$1"; }

cluster_local_teardown k3d "$@"
