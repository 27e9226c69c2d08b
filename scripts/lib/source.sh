# shellcheck shell=bash
# Source mode: find a bud-runtime checkout and install its budapp into a venv of its own.
# Source after common.sh.

SOURCE_STATE_DIR="$E2E_STATE_DIR/source"
# shellcheck disable=SC2034  # read by setup-source.sh and teardown-source.sh
SOURCE_ENV_FILE="$E2E_STATE_DIR/sandbox/source.env"
SOURCE_CONSTRAINTS="$E2E_ROOT/config/source/budapp-constraints.txt"
SOURCE_VENV="${E2E_SOURCE_VENV:-$SOURCE_STATE_DIR/venv}"

source_is_checkout() { [ -f "$1/services/budapp/budapp/main.py" ] && [ -f "$1/services/budapp/requirements.txt" ]; }

# source_named_checkout -- the checkout a user named: BUD_RUNTIME_DIR, or the one this suite sits in
# (<checkout>/tests/e2e). Prints nothing when there is none; setup.sh's auto-detection uses this.
source_named_checkout() {
    if [ -n "${BUD_RUNTIME_DIR:-}" ]; then
        echo "$BUD_RUNTIME_DIR"
    elif source_is_checkout "$E2E_ROOT/../.."; then
        (cd "$E2E_ROOT/../.." && pwd)
    fi
}

# source_find_checkout [DIR] -- DIR, else the named checkout, else ~/src/bud-runtime; dies with what to do.
source_find_checkout() {
    local dir="${1:-}" how="--source"
    if [ -z "$dir" ]; then
        dir="$(source_named_checkout)"
        how="BUD_RUNTIME_DIR"
    fi
    if [ -z "$dir" ]; then
        dir="$HOME/src/bud-runtime"
        how="the default location"
    fi
    source_is_checkout "$dir" || e2e_die "no bud-runtime checkout at $dir ($how; services/budapp/budapp/main.py is missing): pass --source DIR or set BUD_RUNTIME_DIR"
    (cd "$dir" && pwd)
}

# source_find_dependency NAME DIR CHECKOUT URL -- a directory or git URL pip can install NAME from:
# DIR when given, else a sibling checkout of CHECKOUT, else URL when git reaches it.
source_find_dependency() {
    local name="$1" dir="$2" checkout="$3" url="$4" option="$5" sibling
    if [ -n "$dir" ]; then
        [ -f "$dir/pyproject.toml" ] || [ -f "$dir/setup.py" ] || e2e_die "$option $dir is not a checkout of $name (no pyproject.toml or setup.py)"
        (cd "$dir" && pwd)
        return
    fi
    sibling="$(dirname "$checkout")/$name"
    if [ -f "$sibling/pyproject.toml" ] || [ -f "$sibling/setup.py" ]; then
        (cd "$sibling" && pwd)
        return
    fi
    if command -v git >/dev/null 2>&1 && timeout 15 git ls-remote --heads "$url" >/dev/null 2>&1; then
        echo "git+$url"
        return
    fi
    e2e_die "budapp needs $name: git cannot reach $url and there is no checkout beside $checkout; pass $option DIR"
}

# source_ensure_venv CHECKOUT MICROFRAME SDK -- budapp's requirements, pinned by our constraints file.
source_ensure_venv() {
    local checkout="$1" microframe="$2" sdk="$3" requirements wanted stamp python log
    requirements="$checkout/services/budapp/requirements.txt"
    mkdir -p "$SOURCE_STATE_DIR"
    # its two git requirements are replaced by the checkouts found above
    grep -v '@ *git+' "$requirements" >"$SOURCE_STATE_DIR/requirements.txt"
    wanted="$(cat "$SOURCE_STATE_DIR/requirements.txt" "$SOURCE_CONSTRAINTS" | sha256sum | cut -d' ' -f1) $microframe $sdk"
    stamp="$SOURCE_VENV/.requirements.stamp"
    [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && return 0
    python="$(command -v python3.11 || command -v python3)"
    "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || e2e_warn "budapp is built for Python 3.11 (its Dockerfile); $("$python" --version 2>&1) may not install its pins"
    [ -x "$SOURCE_VENV/bin/python" ] || "$python" -m venv "$SOURCE_VENV" \
        || e2e_die "python3 -m venv $SOURCE_VENV failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)"
    log="$SOURCE_STATE_DIR/pip-install.log"
    e2e_log "installing budapp's requirements into $SOURCE_VENV (log: $log)"
    if ! "$SOURCE_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$SOURCE_STATE_DIR/requirements.txt" -c "$SOURCE_CONSTRAINTS" "$microframe" "$sdk" >"$log" 2>&1; then
        grep -v "^WARNING: Location" "$log" | tail -n 15 >&2
        e2e_die "installing budapp's requirements failed (above: the end of $log); check the access to the package index"
    fi
    echo "$wanted" >"$stamp"
}

# source_check_writable CHECKOUT -- budapp's catalogue sync writes a seeder file into its own tree.
source_check_writable() {
    local data="$1/services/budapp/budapp/initializers/data"
    [ -w "$data" ] || e2e_die "budapp writes into $data while it starts (the catalogue sync); make it writable"
}
