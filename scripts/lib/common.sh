# shellcheck shell=bash
# Shared helpers for the setup/teardown scripts. Source it; do not run it.
#
#   E2E_ROOT        the suite's root directory (parent of scripts/)
#   E2E_STATE_DIR   where scripts keep state: pid files, logs, the generated
#                   deployment.env (default: $E2E_ROOT/.e2e-state)

E2E_ROOT="${E2E_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_STATE_DIR="${E2E_STATE_DIR:-$E2E_ROOT/.e2e-state}"
E2E_DEPLOYMENT_ENV="$E2E_STATE_DIR/deployment.env"
export E2E_ROOT E2E_STATE_DIR

# Compiled bytecode goes to one cache outside the source tree, even where the
# environment sets PYTHONDONTWRITEBYTECODE: without it every pytest worker and
# sandbox service recompiles all it imports (about a second each).
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$E2E_STATE_DIR/pycache}"
unset PYTHONDONTWRITEBYTECODE

e2e_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
e2e_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
e2e_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# e2e_require CMD "how to install it" -- fail early with one readable line.
e2e_require() {
    command -v "$1" >/dev/null 2>&1 || e2e_die "'$1' is required but not on PATH. Install it: $2"
}

# e2e_write_deployment_env MODE [KEY=VALUE ...]
# Records which deployment is up and the service URLs the suite must use.
# The suite reads this file at start-up (environment variables still win).
e2e_write_deployment_env() {
    local mode="$1"; shift
    mkdir -p "$E2E_STATE_DIR"
    {
        echo "# Written by scripts/setup-$mode; removed by its teardown."
        echo "E2E_DEPLOYMENT=$mode"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } >"$E2E_DEPLOYMENT_ENV"
}

# Prints the deployment recorded by the last setup, or nothing.
e2e_current_deployment() {
    [ -f "$E2E_DEPLOYMENT_ENV" ] || return 0
    sed -n 's/^E2E_DEPLOYMENT=//p' "$E2E_DEPLOYMENT_ENV" | head -n 1
}

e2e_clear_deployment_env() { rm -f "$E2E_DEPLOYMENT_ENV"; }

# e2e_wait_http NAME URL TIMEOUT_SECONDS -- poll until URL answers 2xx.
e2e_wait_http() {
    local name="$1" url="$2" timeout="${3:-60}" start now
    start=$(date +%s)
    until curl -fsS -o /dev/null --max-time 3 "$url" 2>/dev/null; do
        now=$(date +%s)
        if [ $((now - start)) -ge "$timeout" ]; then
            e2e_die "$name did not become healthy at $url within ${timeout}s"
        fi
        sleep 1
    done
    e2e_log "$name is healthy ($url)"
}

# Python used by the scripts: the suite's virtualenv when it exists.
e2e_python() {
    if [ -x "$E2E_ROOT/.venv/bin/python" ]; then
        echo "$E2E_ROOT/.venv/bin/python"
    else
        command -v python3 || command -v python
    fi
}

# e2e_dispatch DRY_RUN SCRIPT [ARG ...] -- hand over to the mode's script (setup.sh, teardown.sh), or, with
# DRY_RUN=true, print what would run.
e2e_dispatch() {
    local dry_run="$1" script="$2"; shift 2
    if [ "$dry_run" = true ]; then
        printf 'would run: %s' "$script"
        [ $# -eq 0 ] || printf ' %q' "$@"
        printf '\n'
        exit 0
    fi
    [ -x "$script" ] || e2e_die "$script is missing or not executable"
    exec "$script" "$@"
}
