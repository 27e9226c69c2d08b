#!/usr/bin/env bash
# Keep one `kubectl port-forward` running, restarting it when it drops (a pod
# restart ends a port-forward), until this process gets SIGTERM.
#
# Usage: scripts/lib/port-forward-loop.sh KUBECTL_ARGS...
#
# Started in the background by the Kubernetes setup scripts, which keep its pid
# in .e2e-state/port-forwards/; their teardown stops it. E2E_PORT_FORWARD_RESTART_DELAY
# sets the seconds between two attempts (default 2).
set -euo pipefail

case "${1:-}" in
    -h | --help)
        sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    "") echo "ERROR: no kubectl arguments given (see $0 --help)" >&2; exit 2 ;;
esac

trap '' HUP
child=""
stop() {
    if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
    exit 0
}
trap stop TERM INT

while :; do
    kubectl "$@" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    echo "[$(date +%H:%M:%S)] kubectl port-forward ended (status $status); restarting"
    sleep "${E2E_PORT_FORWARD_RESTART_DELAY:-2}" &
    wait $! || true
done
