#!/usr/bin/env bash
# One line per service of the current deployment: healthy or DOWN (and why).
#
#   ./scripts/health-check.sh [--help]
#
# Reads the URLs from .e2e-state/deployment.env (written by ./scripts/setup.sh);
# E2E_*_URL environment variables win. Exits 1 if any service is down or no
# deployment is recorded.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "ERROR: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

recorded() { sed -n "s/^$1=//p" "$E2E_DEPLOYMENT_ENV" 2>/dev/null | head -n 1; }

if [ ! -f "$E2E_DEPLOYMENT_ENV" ] && [ -z "${E2E_BUDAPP_URL:-}" ]; then
    echo "No deployment is recorded in $E2E_DEPLOYMENT_ENV: run ./scripts/setup.sh first (or set E2E_BUDAPP_URL and friends)."
    exit 1
fi

deployment="$(recorded E2E_DEPLOYMENT)"
# what runs behind each URL: on the sandbox every service is a stand-in; in source mode budapp is the real code
kind_of() {
    case "$deployment:$1" in
        source:budapp) echo "real code, bud-runtime $(recorded E2E_BUDAPP_COMMIT) at $(recorded E2E_BUDAPP_SOURCE)" ;;
        sandbox:* | source:*) echo "stand-in" ;;
        *) echo "" ;;
    esac
}

down=0
check() {
    local name="$1" variable="$2" path="$3" url reason kind
    url="${!variable:-$(recorded "$variable")}"
    [ -n "$url" ] || return 0
    kind="$(kind_of "$name")"
    if reason="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url$path" 2>&1)"; then
        if [ "${reason:0:1}" = 2 ]; then
            printf '%-11s %-30s healthy%s\n' "$name" "$url" "${kind:+  ($kind)}"
            return 0
        fi
        reason="HTTP $reason from $path"
    fi
    printf '%-11s %-30s DOWN (%s)\n' "$name" "$url" "$(echo "$reason" | tail -n 1)"
    down=$((down + 1))
}

echo "deployment: $deployment"
check budapp E2E_BUDAPP_URL /health
check budcluster E2E_BUDCLUSTER_URL /health
check budsim E2E_BUDSIM_URL /health
check budmodel E2E_BUDMODEL_URL /health
check budmetrics E2E_BUDMETRICS_URL /health
check budgateway E2E_BUDGATEWAY_URL /health
check dapr E2E_DAPR_URL /v1.0/healthz
check clickhouse E2E_CLICKHOUSE_URL /ping
check keycloak E2E_KEYCLOAK_URL /realms/master
[ "$down" = 0 ] || { echo "$down service(s) down"; exit 1; }
