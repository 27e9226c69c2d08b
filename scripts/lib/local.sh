# shellcheck shell=bash
# What the local sandbox needs on this machine: the virtualenv, PostgreSQL, Redis.
# Source after common.sh.

LOCAL_STARTED_FILE="$E2E_STATE_DIR/sandbox/started-by-setup"

local_requirement_files() {
    local file
    for file in requirements.txt sandbox/requirements.txt selftests/requirements.txt; do
        [ -f "$E2E_ROOT/$file" ] && echo "$E2E_ROOT/$file"
    done
}

# Creates .venv and installs the pinned packages when their files changed.
local_ensure_venv() {
    local python stamp wanted files
    python="$(command -v python3 || true)"
    [ -n "$python" ] || e2e_die "python3 is required: install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || e2e_die "Python 3.10 or newer is required, found $("$python" --version 2>&1)"
    if [ ! -x "$E2E_ROOT/.venv/bin/python" ]; then
        e2e_log "creating .venv"
        "$python" -m venv "$E2E_ROOT/.venv" || e2e_die "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)"
    fi
    mapfile -t files < <(local_requirement_files)
    wanted="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
    stamp="$E2E_ROOT/.venv/.requirements.sha256"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        e2e_log "installing Python packages into .venv"
        local args=() file
        for file in "${files[@]}"; do args+=(-r "$file"); done
        local pip_log="$E2E_STATE_DIR/pip-install.log"
        if ! "$E2E_ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" >"$pip_log" 2>&1; then
            tail -n 20 "$pip_log" >&2
            e2e_die "pip install failed (above: the end of $pip_log); check the access to the package index"
        fi
        echo "$wanted" >"$stamp"
    fi
}

local_remember_started() { echo "$1" >>"$LOCAL_STARTED_FILE"; }

local_dsn() { echo "${SANDBOX_POSTGRES_DSN:-postgresql://postgres@127.0.0.1:5432/bud_e2e_sandbox}"; }
local_redis_url() { echo "${SANDBOX_REDIS_URL:-redis://127.0.0.1:6379/0}"; }

local_postgres_answers() {
    "$E2E_ROOT/.venv/bin/python" - "$(local_dsn)" <<'PY' >/dev/null 2>&1
import asyncio, sys, asyncpg
dsn = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
async def main():
    connection = await asyncpg.connect(dsn, timeout=3)
    await connection.close()
asyncio.run(main())
PY
}

local_redis_answers() {
    "$E2E_ROOT/.venv/bin/python" - "$(local_redis_url)" <<'PY' >/dev/null 2>&1
import sys, redis
redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
PY
}

local_apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

local_can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

local_wait_for() {
    local what="$1" check="$2" i
    for i in $(seq 1 30); do
        "$check" && return 0
        [ "$i" = 30 ] || sleep 0.5
    done
    e2e_die "$what did not answer within 15s after starting it"
}

local_start_postgres() {
    local version
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start >/dev/null 2>&1 || true
        done
        return 0
    fi
    return 1
}

local_ensure_postgres() {
    local_postgres_answers && return 0
    if [ -n "${SANDBOX_POSTGRES_DSN:-}" ]; then
        e2e_die "PostgreSQL does not answer at SANDBOX_POSTGRES_DSN ($(local_dsn | sed 's#://[^@]*@#://***@#')); start it or fix the DSN"
    fi
    if ! local_start_postgres; then
        local_can_apt || e2e_die "PostgreSQL is not running on 127.0.0.1:5432 and is not installed: install PostgreSQL (trust auth for 'postgres' on localhost) or set SANDBOX_POSTGRES_DSN"
        e2e_log "installing PostgreSQL with apt-get"
        local_apt_install postgresql || e2e_die "apt-get install postgresql failed; install PostgreSQL yourself or set SANDBOX_POSTGRES_DSN"
        local_start_postgres || e2e_die "PostgreSQL was installed but could not be started; start it with pg_ctlcluster"
    fi
    e2e_log "started PostgreSQL"
    local_remember_started postgresql
    local_wait_for PostgreSQL local_postgres_answers
}

local_ensure_redis() {
    local_redis_answers && return 0
    if [ -n "${SANDBOX_REDIS_URL:-}" ]; then
        e2e_die "Redis does not answer at SANDBOX_REDIS_URL; start it or fix the URL"
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        local_can_apt || e2e_die "Redis is not running on 127.0.0.1:6379 and is not installed: install redis-server or set SANDBOX_REDIS_URL"
        e2e_log "installing Redis with apt-get"
        local_apt_install redis-server || e2e_die "apt-get install redis-server failed; install Redis yourself or set SANDBOX_REDIS_URL"
    fi
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --pidfile "$E2E_STATE_DIR/sandbox/redis.pid" --logfile "$E2E_STATE_DIR/sandbox/redis.log" >/dev/null \
        || e2e_die "redis-server would not start; see $E2E_STATE_DIR/sandbox/redis.log"
    e2e_log "started Redis"
    local_remember_started redis
    local_wait_for Redis local_redis_answers
}

# Stops what local_ensure_* started, and nothing else.
local_stop_started_stores() {
    [ -f "$LOCAL_STARTED_FILE" ] || return 0
    if grep -qx redis "$LOCAL_STARTED_FILE" && [ -f "$E2E_STATE_DIR/sandbox/redis.pid" ]; then
        kill "$(cat "$E2E_STATE_DIR/sandbox/redis.pid")" 2>/dev/null || true
        e2e_log "stopped the Redis started by setup-local"
    fi
    if grep -qx postgresql "$LOCAL_STARTED_FILE" && [ -d /etc/postgresql ]; then
        local version
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main stop >/dev/null 2>&1 || true
        done
        e2e_log "stopped the PostgreSQL started by setup-local"
    fi
    rm -f "$LOCAL_STARTED_FILE"
}
