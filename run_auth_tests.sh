#!/usr/bin/env bash
# Run the authentication tests against the current deployment.
#
#   ./run_auth_tests.sh [p0|p1|login|logout|registration|refresh|protected|all] [extra pytest args]
#
# The deployment must be up (./scripts/setup.sh). Prints a short summary and
# exits non-zero when a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

subset="${1:-all}"
[ $# -gt 0 ] && shift
case "$subset" in
    p0) selection=(flows/auth -m priority_p0) ;;
    p1) selection=(flows/auth -m "priority_p0 or priority_p1") ;;
    login) selection=(flows/auth/test_login.py) ;;
    logout) selection=(flows/auth/test_logout.py) ;;
    registration) selection=(flows/auth/test_registration.py) ;;
    refresh) selection=(flows/auth/test_token_refresh.py) ;;
    protected) selection=(flows/auth/test_protected_endpoints.py) ;;
    all) selection=(flows/auth) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ERROR: unknown subset '$subset' (choose p0, p1, login, logout, registration, refresh, protected or all)" >&2; exit 2 ;;
esac

python="${E2E_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$root/.venv/bin/python" ]; then python="$root/.venv/bin/python"; else python="$(command -v python3)"; fi
fi

echo "Auth tests: $subset"
start=$(date +%s)
status=0
"$python" -m pytest "${selection[@]}" -q --no-header "$@" || status=$?
echo "Auth tests ($subset) finished in $(( $(date +%s) - start ))s with exit code $status"
exit "$status"
