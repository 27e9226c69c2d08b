#!/usr/bin/env bash
# Start source mode: the real budapp from a bud-runtime checkout on loopback, with the
# sandbox's stand-ins for everything else (Keycloak, Dapr, BudConnect, budcluster, budsim,
# budmodel, budmetrics, budgateway, ClickHouse).
#
#   ./scripts/setup-source.sh [--source DIR] [--microframe DIR] [--sdk DIR] [--prepare-only] [--help]
#
#   --source DIR      the bud-runtime checkout (default: $BUD_RUNTIME_DIR, the checkout this
#                     suite sits in as tests/e2e, else ~/src/bud-runtime)
#   --microframe DIR  a bud-microframe checkout (default: beside the bud-runtime checkout, else git)
#   --sdk DIR         a BudAIFoundry-SDK checkout (default: beside the bud-runtime checkout, else git)
#   --prepare-only    install everything and start nothing
#
# budapp gets a venv of its own under .e2e-state/source (its requirements.txt plus
# config/source/budapp-constraints.txt), its own PostgreSQL database, keys made for it,
# and is migrated to head before it starts. Edits in the checkout take effect on the next start.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/local.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"
# shellcheck source=lib/source.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/source.sh"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

checkout="" microframe="" sdk="" prepare_only=false
while [ $# -gt 0 ]; do
    case "$1" in
        --source) checkout="${2:?--source needs a directory}"; shift 2 ;;
        --microframe) microframe="${2:?--microframe needs a directory}"; shift 2 ;;
        --sdk) sdk="${2:?--sdk needs a directory}"; shift 2 ;;
        --prepare-only) prepare_only=true; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

started=$(date +%s)
checkout="$(source_find_checkout "$checkout")"
microframe="$(source_find_dependency bud-microframe "$microframe" "$checkout" \
    https://github.com/BudEcosystem/bud-microframe.git --microframe)"
sdk="$(source_find_dependency BudAIFoundry-SDK "$sdk" "$checkout" \
    https://github.com/BudEcosystem/BudAIFoundry-SDK.git --sdk)"
source_check_writable "$checkout"
e2e_log "source mode: budapp from $checkout"

mkdir -p "$E2E_STATE_DIR/sandbox"
local_ensure_venv
local_ensure_postgres
local_ensure_redis
source_ensure_venv "$checkout" "$microframe" "$sdk"
if $prepare_only; then
    e2e_log "prepared: .venv, budapp's venv ($SOURCE_VENV), PostgreSQL and Redis are ready"
    exit 0
fi

# the launcher's later stop and status read the same choice
printf 'SANDBOX_BUDAPP_SOURCE=%s\nSANDBOX_BUDAPP_PYTHON=%s\n' "$checkout" "$SOURCE_VENV/bin/python" >"$SOURCE_ENV_FILE"
export SANDBOX_BUDAPP_SOURCE="$checkout" SANDBOX_BUDAPP_PYTHON="$SOURCE_VENV/bin/python"
cd "$E2E_ROOT"
if ! "$E2E_ROOT/.venv/bin/python" -m sandbox.launcher start; then
    rm -f "$SOURCE_ENV_FILE"
    exit 1
fi
e2e_log "source mode up in $(( $(date +%s) - started ))s: real budapp at $(sed -n 's/^E2E_BUDAPP_COMMIT=//p' "$E2E_DEPLOYMENT_ENV"), stand-ins for the rest"
