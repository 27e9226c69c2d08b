# shellcheck shell=bash
# Shared by the fake docker/k3d/kind/kubectl/helm/curl used by the script selftests.
#
#   FAKE_LOG    file that gets one line per call: "<tool> <args...>"
#   FAKE_FAIL   ';'-separated glob patterns matched against "<tool> <args...>":
#               a matching call prints an error and exits 1
#   FAKE_STATE  folder remembering what exists (clusters, namespaces, releases, Dapr),
#               so that "does it exist?" questions answer like a real tool would
#   FAKE_LIB    this file (saves the fakes from resolving their own path)
FAKE_NAME=${0##*/}
FAKE_CALL="$FAKE_NAME $*"

if [ -n "${FAKE_LOG:-}" ]; then
    printf '%s\n' "$FAKE_CALL" >>"$FAKE_LOG"
fi

if [ -n "${FAKE_FAIL:-}" ]; then
    IFS=';' read -r -a fake_patterns <<<"$FAKE_FAIL"
    for fake_pattern in "${fake_patterns[@]}"; do
        # shellcheck disable=SC2053 # the pattern is a glob on purpose
        if [[ $FAKE_CALL == $fake_pattern ]]; then
            echo "fake $FAKE_NAME: failing as asked ($fake_pattern)" >&2
            exit 1
        fi
    done
fi

fake_state_dir() {
    [ -d "${FAKE_STATE:?FAKE_STATE must name a folder}" ] || mkdir -p "$FAKE_STATE"
    printf '%s' "$FAKE_STATE"
}
fake_mark() { : >"$(fake_state_dir)/$1"; }
fake_unmark() { rm -f "$(fake_state_dir)/$1"; }
fake_has() { [ -e "${FAKE_STATE:?}/$1" ]; }

# fake_positional ARGS... -- the arguments left after the global options that
# name a context or a namespace, one per line.
fake_positional() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --context | --kube-context | -n | --namespace) shift 2 ;;
            --context=* | --kube-context=* | --namespace=* | --request-timeout=*) shift ;;
            *) printf '%s\n' "$1"; shift ;;
        esac
    done
}

# fake_forget_cluster_contents -- what a deleted cluster held is gone with it.
fake_forget_cluster_contents() {
    rm -f "$(fake_state_dir)"/namespace-* "$(fake_state_dir)"/release-* "$(fake_state_dir)/dapr"
}
