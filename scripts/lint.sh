#!/usr/bin/env bash
# Lint, format and type check the suite, its sandbox and its scripts with the pinned tools.
#
#   ./scripts/lint.sh [--fix] [--help]
#
# ruff check and ruff format --check (pyproject.toml [tool.ruff]), mypy with the suite's own packages
# (pyproject.toml [tool.mypy]). Installs the tools into .venv first (selftests/requirements.txt); shellcheck
# runs with the selftests (selftests/scripts/test_script_hygiene.py). --fix lets ruff fix and format what it can.
# Exits 1 on any finding.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/local.sh
source "$E2E_ROOT/scripts/lib/local.sh"

fix=false
case "${1:-}" in
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --fix) fix=true ;;
    "") ;;
    *) e2e_die "unknown option '$1' (see ./scripts/lint.sh --help)" ;;
esac

local_ensure_venv
cd "$E2E_ROOT"
bin="$E2E_ROOT/.venv/bin"
failed=()
run() {
    local name="$1"; shift
    printf '%s: ' "$name"
    if output="$("$@" 2>&1)"; then
        echo ok
    else
        echo FAILED; printf '%s\n' "$output" | tail -60
        failed+=("$name")
    fi
}
if $fix; then
    "$bin/ruff" check --fix . || true
    "$bin/ruff" format .
fi
run "ruff check" "$bin/ruff" check .
run "ruff format" "$bin/ruff" format --check .
run "mypy" "$bin/mypy" .
[ "${#failed[@]}" -eq 0 ] || e2e_die "lint: ${failed[*]} found problems (./scripts/lint.sh --fix fixes what ruff can)"
