#!/usr/bin/env bash
# Remove the kind deployment made by ./scripts/setup-kind.sh: stop its port-forwards,
# delete the cluster if setup created it (otherwise uninstall only what setup
# installed in it), and forget the recorded deployment.
#
# Usage: ./scripts/teardown-kind.sh [--cluster-name NAME] [--help]
#
#   --cluster-name NAME  delete this kind cluster (default: the one setup recorded)
#   -h, --help           show this help
#
# With nothing recorded and no --cluster-name it does nothing.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

local_cluster_exists() { kind get clusters 2>/dev/null | grep -x "$1" >/dev/null; }
local_cluster_delete() { kind delete cluster --name "$1"; }

cluster_local_teardown kind "$@"
