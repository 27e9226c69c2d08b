#!/usr/bin/env bash
# Start the local sandbox: bud-stack's services as processes on loopback, backed
# by PostgreSQL, Redis and an embedded ClickHouse engine.
#
#   ./scripts/setup-local.sh [--faults a,b] [--prepare-only] [--help]
#
#   --faults        switch these sandbox faults on (see: python -m sandbox.launcher faults list)
#   --prepare-only  install the Python packages and make sure PostgreSQL and Redis
#                   answer, but start no service (used by ./scripts/run-selftests.sh)
#
# Installs into .venv only when the requirement files changed. Starts PostgreSQL
# or Redis if they are installed but stopped, installs them with apt-get when
# run as root on Debian/Ubuntu, and otherwise says what to install.
# SANDBOX_POSTGRES_DSN and SANDBOX_REDIS_URL point the sandbox elsewhere.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/local.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

faults=""
prepare_only=false
while [ $# -gt 0 ]; do
    case "$1" in
        --faults) faults="${2:?--faults needs a comma list}"; shift 2 ;;
        --faults=*) faults="${1#*=}"; shift ;;
        --prepare-only) prepare_only=true; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

mkdir -p "$E2E_STATE_DIR/sandbox"
local_ensure_venv
local_ensure_postgres
local_ensure_redis
if $prepare_only; then
    e2e_log "prepared: .venv, PostgreSQL and Redis are ready"
    exit 0
fi

cd "$E2E_ROOT"
launcher_args=(start)
[ -n "$faults" ] && launcher_args+=(--faults "$faults")
"$E2E_ROOT/.venv/bin/python" -m sandbox.launcher "${launcher_args[@]}"
