# shellcheck shell=bash
# Shared code of the k3d, kind, existing-cluster and compose setup/teardown
# scripts. Source it after lib/common.sh; do not run it.
#
# Settings read from the environment (all optional):
#   BUD_RUNTIME_DIR        bud-runtime checkout (images are built from it; the Helm chart is
#                          read from its infra/helm/bud)
#   E2E_HELM_CHART         another path for the bud chart (default: $BUD_RUNTIME_DIR/infra/helm/bud)
#   E2E_IMAGE_REGISTRY     image name prefix (default: budstudio)
#   E2E_IMAGE_TAG          image tag (default: e2e-local)
#   E2E_NAMESPACE          Kubernetes namespace (default: bud-e2e)
#   E2E_HELM_RELEASE       Helm release name (default: bud-e2e)
#   E2E_DAPR_VERSION       Dapr Helm chart version installed when Dapr is missing (default: 1.15.8, as bud-runtime's infra/helm/dapr pins)
#   E2E_HELM_TIMEOUT       helm --timeout for the bud chart (default: 20m)
#   E2E_ROLLOUT_TIMEOUT    seconds for each rollout/pod readiness wait (default: 600)
#   E2E_HEALTH_TIMEOUT     seconds for each service's /health wait (default: 300)
#   E2E_WAIT_INTERVAL      seconds between two polls of a wait (default: 2)
#   E2E_PORT_<NAME>        host port of a service, e.g. E2E_PORT_BUDAPP=9001 (see CLUSTER_FORWARDS)
#   E2E_ADMIN_PASSWORD     super user password (default: see CLUSTER_DEFAULT_ADMIN_PASSWORD)
#   E2E_RSA_KEY_BITS       size of the generated RSA keys (default: 2048)

CLUSTER_ADMIN_EMAIL="admin@budtest.dev"
# Documented default for local, throw-away deployments only. Set E2E_ADMIN_PASSWORD
# (or put it in config/.env.e2e) for anything shared.
CLUSTER_DEFAULT_ADMIN_PASSWORD="E2eAdmin-Passw0rd"

# The platform services the suite talks to, in build and wait order.
CLUSTER_SERVICES=(budapp budcluster budsim budmodel budmetrics budgateway)

# ---------------------------------------------------------------------------
# Command line helpers
# ---------------------------------------------------------------------------

# cluster_print_usage FILE -- print the comment block at the top of FILE.
cluster_print_usage() {
    local line first=true
    while IFS= read -r line; do
        if $first; then first=false; continue; fi
        [[ $line == \#* ]] || break
        line=${line#\#}
        printf '%s\n' "${line# }"
    done <"$1"
}

# cluster_usage_error MESSAGE -- one line on stderr, exit status 2.
cluster_usage_error() {
    printf 'ERROR: %s (see %s --help)\n' "$1" "$0" >&2
    exit 2
}

# cluster_option_value OPTION VALUE -- VALUE must be present and not look like an option.
cluster_option_value() {
    if [ -z "${2:-}" ] || [[ $2 == --* ]]; then
        cluster_usage_error "option '$1' needs a value"
    fi
}

cluster_step() { e2e_log "==> $*"; }

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------

cluster_install_hint() {
    case "$1" in
        docker) echo "https://docs.docker.com/engine/install/ (or Docker Desktop)" ;;
        k3d) echo "https://k3d.io/#installation (e.g. 'brew install k3d')" ;;
        kind) echo "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (e.g. 'brew install kind')" ;;
        kubectl) echo "https://kubernetes.io/docs/tasks/tools/ (e.g. 'brew install kubectl')" ;;
        helm) echo "https://helm.sh/docs/intro/install/ (e.g. 'brew install helm')" ;;
        curl) echo "your package manager (e.g. 'apt-get install curl')" ;;
        openssl) echo "your package manager (e.g. 'apt-get install openssl')" ;;
        *) echo "your package manager" ;;
    esac
}

# cluster_require_tools CMD... -- fail on the first command that is not on PATH.
cluster_require_tools() {
    local tool
    for tool in "$@"; do
        e2e_require "$tool" "$(cluster_install_hint "$tool")"
    done
}

cluster_require_docker_daemon() {
    docker info >/dev/null 2>&1 ||
        e2e_die "the Docker daemon is not reachable ('docker info' failed): start Docker (Docker Desktop, or 'sudo systemctl start docker') and retry"
}

cluster_require_docker_compose() {
    docker compose version >/dev/null 2>&1 ||
        e2e_die "'docker compose' (Compose v2) is not available: install the Docker Compose plugin, https://docs.docker.com/compose/install/"
}

# cluster_resolve_source DIR SKIP_BUILD -- sets BUD_SOURCE (may stay empty with --skip-build).
cluster_resolve_source() {
    BUD_SOURCE="${1:-${BUD_RUNTIME_DIR:-}}"
    local skip_build="$2" svc
    if [ -z "$BUD_SOURCE" ]; then
        $skip_build && return 0
        e2e_die "building the images needs the bud-runtime source tree: pass --source DIR or set BUD_RUNTIME_DIR (or use --skip-build)"
    fi
    [ -d "$BUD_SOURCE/services" ] ||
        e2e_die "'$BUD_SOURCE' is not a bud-runtime checkout (it has no services/ folder): pass --source DIR or set BUD_RUNTIME_DIR"
    BUD_SOURCE="$(cd "$BUD_SOURCE" && pwd)"
    $skip_build && return 0
    for svc in "${CLUSTER_SERVICES[@]}"; do
        [ -f "$BUD_SOURCE/$(cluster_dockerfile "$svc")" ] ||
            e2e_die "missing $(cluster_dockerfile "$svc") in $BUD_SOURCE: is it a complete bud-runtime checkout?"
    done
}

# cluster_resolve_chart -- sets HELM_CHART from E2E_HELM_CHART or the source tree.
cluster_resolve_chart() {
    HELM_CHART="${E2E_HELM_CHART:-}"
    if [ -z "$HELM_CHART" ]; then
        [ -n "${BUD_SOURCE:-}" ] ||
            e2e_die "the bud Helm chart comes from the bud-runtime source tree: pass --source DIR or set BUD_RUNTIME_DIR (or E2E_HELM_CHART)"
        HELM_CHART="$BUD_SOURCE/infra/helm/bud"
    fi
    [ -f "$HELM_CHART/Chart.yaml" ] ||
        e2e_die "no Helm chart at $HELM_CHART (expected infra/helm/bud/Chart.yaml of bud-runtime)"
}

# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

# Dockerfile and build context of each service, relative to the bud-runtime root
# (the same ones bud-runtime's own image workflows use).
cluster_dockerfile() {
    case "$1" in
        budgateway) echo "services/budgateway/gateway/Dockerfile" ;;
        *) echo "services/$1/deploy/Dockerfile" ;;
    esac
}
cluster_build_context() { echo "services/$1"; }

cluster_image() { echo "${E2E_IMAGE_REGISTRY:-budstudio}/$1:${E2E_IMAGE_TAG:-e2e-local}"; }

cluster_all_images() {
    local svc
    for svc in "${CLUSTER_SERVICES[@]}"; do cluster_image "$svc"; done
}

# cluster_build_images -- docker build every service image from $BUD_SOURCE.
cluster_build_images() {
    local svc
    for svc in "${CLUSTER_SERVICES[@]}"; do
        cluster_step "building $(cluster_image "$svc") from $BUD_SOURCE/$(cluster_dockerfile "$svc")"
        docker build -t "$(cluster_image "$svc")" \
            -f "$BUD_SOURCE/$(cluster_dockerfile "$svc")" \
            "$BUD_SOURCE/$(cluster_build_context "$svc")"
    done
}

# ---------------------------------------------------------------------------
# Credentials and generated secrets
# ---------------------------------------------------------------------------

# The super user password: E2E_ADMIN_PASSWORD, else config/.env.e2e, else the default.
cluster_admin_password() {
    local password="${E2E_ADMIN_PASSWORD:-}"
    if [ -z "$password" ] && [ -f "$E2E_ROOT/config/.env.e2e" ]; then
        password=$(sed -n 's/^E2E_ADMIN_PASSWORD=//p' "$E2E_ROOT/config/.env.e2e" | tail -n 1)
        password=${password#[\"\']}
        password=${password%[\"\']}
    fi
    password="${password:-$CLUSTER_DEFAULT_ADMIN_PASSWORD}"
    case "$password" in
        *"'"* | *"{{"* | *$'\n'*)
            e2e_die "E2E_ADMIN_PASSWORD must not contain a single quote, '{{' or a newline" ;;
    esac
    printf '%s' "$password"
}

# cluster_fernet_key_hex -- a fresh AES_KEY_HEX: budapp hands bytes.fromhex(AES_KEY_HEX) to Fernet, so it is
# the hex of a Fernet key (32 random bytes, URL-safe base64: 44 characters, 88 hex digits).
cluster_fernet_key_hex() {
    local key hex="" digit i
    key=$(openssl rand 32 | openssl base64 -A | tr '+/' '-_')
    for ((i = 0; i < ${#key}; i++)); do
        printf -v digit '%02x' "'${key:i:1}"
        hex+="$digit"
    done
    printf '%s' "$hex"
}

# cluster_ensure_secrets DIR -- random tokens and RSA keys for one deployment, made
# once and kept in DIR (mode 700) so that a re-run keeps what the data was encrypted with.
cluster_ensure_secrets() {
    local dir="$1" bits="${E2E_RSA_KEY_BITS:-2048}"
    (
        umask 077
        mkdir -p "$dir"
        if [ ! -f "$dir/secrets.env" ]; then
            {
                echo "PRIVATE_KEY_PASSWORD=$(openssl rand -hex 16)"
                echo "JWT_SECRET_KEY=$(openssl rand -hex 32)"
                echo "AES_KEY_HEX=$(cluster_fernet_key_hex)"
                echo "DAPR_SYMMETRIC_KEY=$(openssl rand -hex 16)"
                echo "APP_API_TOKEN=$(openssl rand -hex 16)"
            } >"$dir/secrets.env"
        fi
        E2E_KEY_PASSWORD=$(sed -n 's/^PRIVATE_KEY_PASSWORD=//p' "$dir/secrets.env")
        export E2E_KEY_PASSWORD
        if [ ! -f "$dir/rsa-private-key.pem" ] || [ ! -f "$dir/rsa-public-key.pem" ]; then
            openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -aes-256-cbc \
                -pass env:E2E_KEY_PASSWORD -out "$dir/rsa-private-key.pem" 2>/dev/null
            openssl pkey -in "$dir/rsa-private-key.pem" -passin env:E2E_KEY_PASSWORD \
                -pubout -out "$dir/rsa-public-key.pem"
        fi
        if [ ! -f "$dir/dapr-crypto-key.pem" ]; then
            openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
                -out "$dir/dapr-crypto-key.pem" 2>/dev/null
        fi
    ) || e2e_die "could not generate the deployment's keys in $dir (openssl failed)"
    chmod 644 "$dir/rsa-public-key.pem"
}

# cluster_secret DIR NAME -- one value of DIR/secrets.env.
cluster_secret() { sed -n "s/^$2=//p" "$1/secrets.env" | head -n 1; }

# cluster_yaml_quote VALUE -- a YAML single-quoted scalar.
cluster_yaml_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# cluster_yaml_block FILE INDENT -- FILE's lines, indented, for a YAML '|' block.
cluster_yaml_block() { sed "s/^/$2/" "$1"; }

# cluster_write_helm_values FILE SECRETS_DIR -- the values that differ per
# deployment: image names and generated secrets. Layered over config/values.e2e.yaml.
cluster_write_helm_values() {
    local file="$1" dir="$2" password svc
    password=$(cluster_admin_password)
    (
        umask 077
        {
            echo "# Generated by $(basename "$0") for this deployment: images and local secrets."
            echo "# Keep it private; the matching teardown removes it."
            echo "appApiToken: $(cluster_yaml_quote "$(cluster_secret "$dir" APP_API_TOKEN)")"
            echo "microservices:"
            echo "  rsaKeys:"
            echo "    privateKeyPassword: $(cluster_yaml_quote "$(cluster_secret "$dir" PRIVATE_KEY_PASSWORD)")"
            echo "    privateKey: |"
            cluster_yaml_block "$dir/rsa-private-key.pem" "      "
            echo "    publicKey: |"
            cluster_yaml_block "$dir/rsa-public-key.pem" "      "
            for svc in "${CLUSTER_SERVICES[@]}"; do
                echo "  $svc:"
                echo "    image: $(cluster_yaml_quote "$(cluster_image "$svc")")"
                if [ "$svc" = budapp ]; then
                    echo "    env:"
                    echo "      SUPER_USER_PASSWORD: $(cluster_yaml_quote "$password")"
                    echo "      JWT_SECRET_KEY: $(cluster_yaml_quote "$(cluster_secret "$dir" JWT_SECRET_KEY)")"
                    echo "      AES_KEY_HEX: $(cluster_yaml_quote "$(cluster_secret "$dir" AES_KEY_HEX)")"
                fi
            done
            echo "daprExtra:"
            echo "  crypto:"
            echo "    symmetricKey: $(cluster_yaml_quote "$(cluster_secret "$dir" DAPR_SYMMETRIC_KEY)")"
            echo "    asymmetricKey: |"
            cluster_yaml_block "$dir/dapr-crypto-key.pem" "      "
        } >"$file"
    )
}

# cluster_write_credentials_env MODE KEY=VALUE... -- secrets the suite needs, in
# $E2E_STATE_DIR/credentials.env (mode 600; the suite reads it after deployment.env).
cluster_write_credentials_env() {
    local mode="$1" kv
    shift
    mkdir -p "$E2E_STATE_DIR"
    (
        umask 077
        {
            echo "# Written by scripts/setup-$mode; removed by its teardown. Local E2E credentials: keep private."
            echo "E2E_ADMIN_EMAIL=$CLUSTER_ADMIN_EMAIL"
            echo "E2E_ADMIN_PASSWORD=$(cluster_yaml_quote "$(cluster_admin_password)")"
            for kv in "$@"; do
                echo "${kv%%=*}=$(cluster_yaml_quote "${kv#*=}")"
            done
        } >"$E2E_STATE_DIR/credentials.env"
    )
}

# ---------------------------------------------------------------------------
# Records of what setup did (read by the teardown scripts)
# ---------------------------------------------------------------------------

cluster_work_dir() { echo "$E2E_STATE_DIR/$1"; }
cluster_state_file() { echo "$E2E_STATE_DIR/$1/setup.env"; }

# cluster_save_state MODE KEY=VALUE... -- replace the record of MODE's setup.
cluster_save_state() {
    local mode="$1" kv file
    shift
    file=$(cluster_state_file "$mode")
    mkdir -p "$(dirname "$file")"
    {
        echo "# What scripts/setup for '$mode' created; read by its teardown."
        for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done
    } >"$file"
}

# cluster_state_get MODE KEY -- one recorded value (empty when nothing is recorded).
cluster_state_get() {
    local file
    file=$(cluster_state_file "$1")
    [ -f "$file" ] || return 0
    (
        # shellcheck source=/dev/null
        source "$file"
        printf '%s' "${!2:-}"
    )
}

# cluster_forget MODE -- remove every file setup wrote for MODE (logs are kept).
cluster_forget() {
    local mode="$1"
    if [ "$(e2e_current_deployment)" = "$mode" ]; then
        e2e_clear_deployment_env
    fi
    if [ -f "$E2E_STATE_DIR/credentials.env" ] &&
        head -n 1 "$E2E_STATE_DIR/credentials.env" | grep "scripts/setup-$mode;" >/dev/null; then
        rm -f "$E2E_STATE_DIR/credentials.env"
    fi
    rm -rf "$(cluster_work_dir "$mode")"
}

# ---------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------

# cluster_wait_http NAME URL TIMEOUT -- poll URL until it answers 2xx.
cluster_wait_http() {
    local name="$1" url="$2" timeout="$3" start=$SECONDS
    e2e_log "waiting up to ${timeout}s for $name to answer at $url"
    until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
        if [ $((SECONDS - start)) -ge "$timeout" ]; then
            e2e_die "$name did not answer at $url within ${timeout}s"
        fi
        sleep "${E2E_WAIT_INTERVAL:-2}"
    done
    e2e_log "$name is healthy"
}

# ---------------------------------------------------------------------------
# Kubernetes (every call names the context explicitly: the user's current
# context is never used by accident)
# ---------------------------------------------------------------------------

kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }
kube_helm() { helm --kube-context "$KUBE_CONTEXT" "$@"; }

cluster_rollout_timeout() { echo "${E2E_ROLLOUT_TIMEOUT:-600}"; }

cluster_wait_nodes_ready() {
    local timeout
    timeout=$(cluster_rollout_timeout)
    e2e_log "waiting up to ${timeout}s for the nodes of $KUBE_CONTEXT to be Ready"
    kube wait node --all --for=condition=Ready --timeout="${timeout}s" >/dev/null
}

# cluster_ensure_namespace -- create K8S_NAMESPACE when missing. CREATED_NAMESPACE
# becomes true when setup created it (now, or in an earlier run: keep the recorded value).
cluster_ensure_namespace() {
    if kube get namespace "$K8S_NAMESPACE" >/dev/null 2>&1; then
        e2e_log "namespace $K8S_NAMESPACE exists"
    else
        e2e_log "creating namespace $K8S_NAMESPACE"
        kube create namespace "$K8S_NAMESPACE" >/dev/null
        CREATED_NAMESPACE=true
    fi
}

# cluster_install_dapr -- install Dapr (Helm chart dapr/dapr into dapr-system) unless
# its CRDs are there, then wait for it. INSTALLED_DAPR becomes true when setup installed it.
cluster_install_dapr() {
    local version="${E2E_DAPR_VERSION:-1.15.8}" timeout workload
    timeout=$(cluster_rollout_timeout)
    if kube get crd components.dapr.io >/dev/null 2>&1; then
        e2e_log "Dapr is already installed in $KUBE_CONTEXT; leaving it as it is"
    else
        e2e_log "installing Dapr $version (Helm chart dapr/dapr) into dapr-system"
        helm repo add dapr https://dapr.github.io/helm-charts/ --force-update >&2
        helm repo update dapr >&2
        kube_helm upgrade --install dapr dapr/dapr --version "$version" \
            --namespace dapr-system --create-namespace \
            --set global.ha.enabled=false --wait --timeout "${timeout}s" >&2
        INSTALLED_DAPR=true
    fi
    for workload in deployment/dapr-operator deployment/dapr-sidecar-injector \
        deployment/dapr-sentry statefulset/dapr-placement-server; do
        e2e_log "waiting up to ${timeout}s for $workload (dapr-system) to roll out"
        kube -n dapr-system rollout status "$workload" --timeout="${timeout}s" >&2
    done
}

# cluster_install_chart VALUES_FILE -- helm upgrade --install of the bud chart.
cluster_install_chart() {
    local generated="$1"
    if helm dependency list "$HELM_CHART" 2>/dev/null | grep "missing" >/dev/null; then
        e2e_log "fetching the bud chart's dependencies (helm dependency build)"
        helm repo add bitnami https://charts.bitnami.com/bitnami --force-update >&2
        helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >&2
        helm dependency build "$HELM_CHART" >&2
    fi
    cluster_step "installing the bud chart as release $HELM_RELEASE in namespace $K8S_NAMESPACE (helm waits up to ${E2E_HELM_TIMEOUT:-20m})"
    kube_helm upgrade --install "$HELM_RELEASE" "$HELM_CHART" \
        --namespace "$K8S_NAMESPACE" \
        -f "$E2E_ROOT/config/values.e2e.yaml" -f "$generated" \
        --wait --timeout "${E2E_HELM_TIMEOUT:-20m}"
}

# The stores the chart brings (Bitnami charts), by their app.kubernetes.io/name label.
CLUSTER_STORES=(postgresql valkey clickhouse keycloak)

cluster_wait_workloads() {
    local timeout svc store
    timeout=$(cluster_rollout_timeout)
    for store in "${CLUSTER_STORES[@]}"; do
        e2e_log "waiting up to ${timeout}s for the $store pods to be Ready"
        kube -n "$K8S_NAMESPACE" wait pod --for=condition=Ready \
            -l "app.kubernetes.io/instance=$HELM_RELEASE,app.kubernetes.io/name=$store" \
            --timeout="${timeout}s" >&2
    done
    for svc in "${CLUSTER_SERVICES[@]}"; do
        e2e_log "waiting up to ${timeout}s for deployment/$HELM_RELEASE-$svc to roll out"
        kube -n "$K8S_NAMESPACE" rollout status "deployment/$HELM_RELEASE-$svc" --timeout="${timeout}s" >&2
    done
}

# ---------------------------------------------------------------------------
# Port-forwards: one background `kubectl port-forward` per service, restarted
# if it drops (scripts/lib/port-forward-loop.sh). Pid files in
# $E2E_STATE_DIR/port-forwards/, logs in $E2E_STATE_DIR/logs/.
# ---------------------------------------------------------------------------

# name, E2E_PORT_<suffix> that moves it, service (release prefix added; a leading
# "=" names a service the chart does not render: the Dapr operator's <app-id>-dapr,
# which reaches budapp's sidecar HTTP API on port 80), default host port, service port
CLUSTER_FORWARDS=(
    "budapp BUDAPP budapp 9001 9082"
    "budcluster BUDCLUSTER budcluster 9003 3003"
    "budsim BUDSIM budsim 9002 3002"
    "budmodel BUDMODEL budmodel 9004 3004"
    "budmetrics BUDMETRICS budmetrics 9005 3005"
    "budgateway BUDGATEWAY budgateway 9000 3000"
    "keycloak KEYCLOAK keycloak 9080 80"
    "postgres POSTGRES postgresql 15432 5432"
    "redis REDIS valkey-primary 16379 6379"
    "clickhouse CLICKHOUSE clickhouse 18123 8123"
    "dapr DAPR =budapp-dapr 9500 80"
)

# cluster_forward_port NAME -- the host port of one forward (E2E_PORT_<NAME> wins).
cluster_forward_port() {
    local entry name suffix svc port remote var
    for entry in "${CLUSTER_FORWARDS[@]}"; do
        read -r name suffix svc port remote <<<"$entry"
        if [ "$name" = "$1" ]; then
            var="E2E_PORT_$suffix"
            printf '%s' "${!var:-$port}"
            return 0
        fi
    done
    return 1
}

cluster_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cluster_is_port_forward() {
    local args
    args=$(ps -p "$1" -o args= 2>/dev/null) || return 1
    [[ $args == *port-forward-loop.sh* ]]
}

# cluster_pid_running PID -- alive and not a zombie waiting to be reaped.
cluster_pid_running() {
    local stat
    stat=$(ps -p "$1" -o stat= 2>/dev/null) || return 1
    [[ $stat != Z* ]]
}

# Stop the port-forwards listed in the pid files. A pid is only signalled when it
# still runs port-forward-loop.sh, so a recycled pid is never touched.
cluster_stop_port_forwards() {
    local dir="$E2E_STATE_DIR/port-forwards" file pid tries stopped=()
    [ -d "$dir" ] || return 0
    for file in "$dir"/*.pid; do
        [ -e "$file" ] || continue
        pid=$(cat "$file")
        if [[ $pid =~ ^[0-9]+$ ]] && cluster_is_port_forward "$pid"; then
            e2e_log "stopping port-forward $(basename "$file" .pid) (pid $pid)"
            kill "$pid" 2>/dev/null || true
            stopped+=("$pid")
        fi
        rm -f "$file"
    done
    rmdir "$dir" 2>/dev/null || true
    for pid in ${stopped[@]+"${stopped[@]}"}; do
        tries=0
        while cluster_pid_running "$pid" && [ "$tries" -lt 50 ]; do
            sleep 0.1
            tries=$((tries + 1))
        done
        cluster_pid_running "$pid" && e2e_warn "port-forward pid $pid did not stop"
    done
    return 0
}

cluster_start_port_forwards() {
    local entry name suffix svc port remote log target
    cluster_stop_port_forwards
    mkdir -p "$E2E_STATE_DIR/port-forwards" "$E2E_STATE_DIR/logs"
    for entry in "${CLUSTER_FORWARDS[@]}"; do
        read -r name suffix svc port remote <<<"$entry"
        port=$(cluster_forward_port "$name")
        if cluster_port_in_use "$port"; then
            e2e_die "port $port on 127.0.0.1 (for $name) is already in use: free it or set E2E_PORT_$suffix"
        fi
    done
    for entry in "${CLUSTER_FORWARDS[@]}"; do
        read -r name suffix svc port remote <<<"$entry"
        port=$(cluster_forward_port "$name")
        log="$E2E_STATE_DIR/logs/port-forward-$name.log"
        if [[ $svc == =* ]]; then target="svc/${svc#=}"; else target="svc/$HELM_RELEASE-$svc"; fi
        e2e_log "forwarding 127.0.0.1:$port -> $target:$remote (log: $log)"
        "$E2E_ROOT/scripts/lib/port-forward-loop.sh" \
            --context "$KUBE_CONTEXT" -n "$K8S_NAMESPACE" port-forward --address 127.0.0.1 \
            "$target" "$port:$remote" </dev/null >>"$log" 2>&1 &
        echo "$!" >"$E2E_STATE_DIR/port-forwards/$name.pid"
    done
}

# cluster_local_url NAME -- http://127.0.0.1:<host port of NAME>
cluster_local_url() { echo "http://127.0.0.1:$(cluster_forward_port "$1")"; }

# cluster_wait_healthy -- every service's /health and Keycloak, through the forwards.
cluster_wait_healthy() {
    local timeout="${E2E_HEALTH_TIMEOUT:-300}" svc
    for svc in "${CLUSTER_SERVICES[@]}"; do
        cluster_wait_http "$svc" "$(cluster_local_url "$svc")/health" "$timeout"
    done
    cluster_wait_http keycloak "$(cluster_local_url keycloak)/realms/master" "$timeout"
}

# The local cluster as a test cluster budcluster onboards: budcluster runs its playbooks from inside its pod,
# where the host kubeconfig's 127.0.0.1/0.0.0.0 server is unreachable. A ServiceAccount with cluster-admin
# (the playbooks create namespaces, CRDs and cluster-wide roles) and a kubeconfig naming the in-cluster API
# server, written to $E2E_STATE_DIR/<mode>/onboarding-kubeconfig.yaml and recorded as E2E_CLUSTER_KUBECONFIG.
ONBOARDING_ACCOUNT=bud-e2e-onboarding
ONBOARDING_SERVER=https://kubernetes.default.svc

# cluster_write_onboarding_kubeconfig FILE
cluster_write_onboarding_kubeconfig() {
    local file="$1" ca token manifest
    # rendered, then applied: a re-run finds both there already
    if ! manifest=$(kube -n "$K8S_NAMESPACE" create serviceaccount "$ONBOARDING_ACCOUNT" --dry-run=client -o yaml) \
        || ! kube apply -f - <<<"$manifest" >/dev/null; then
        e2e_die "could not create the ServiceAccount $ONBOARDING_ACCOUNT in $K8S_NAMESPACE"
    fi
    if ! manifest=$(kube create clusterrolebinding "$ONBOARDING_ACCOUNT-$K8S_NAMESPACE" --clusterrole=cluster-admin \
        --serviceaccount="$K8S_NAMESPACE:$ONBOARDING_ACCOUNT" --dry-run=client -o yaml) \
        || ! kube apply -f - <<<"$manifest" >/dev/null; then
        e2e_die "could not bind cluster-admin to $ONBOARDING_ACCOUNT"
    fi
    token=$(kube -n "$K8S_NAMESPACE" create token "$ONBOARDING_ACCOUNT" --duration=48h) \
        || e2e_die "could not make a token for $ONBOARDING_ACCOUNT (kubectl create token needs Kubernetes 1.24+)"
    ca=$(kube config view --raw --minify -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
    [ -n "$ca" ] || e2e_die "context $KUBE_CONTEXT has no certificate-authority-data to give budcluster"
    (
        umask 077
        cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: $CLUSTER_NAME
    cluster:
      server: $ONBOARDING_SERVER
      certificate-authority-data: $ca
users:
  - name: $ONBOARDING_ACCOUNT
    user:
      token: $token
contexts:
  - name: $CLUSTER_NAME
    context:
      cluster: $CLUSTER_NAME
      user: $ONBOARDING_ACCOUNT
current-context: $CLUSTER_NAME
EOF
    )
}

# cluster_write_kubernetes_env MODE -- deployment.env and credentials.env for a
# Kubernetes deployment reached through the port-forwards.
cluster_write_kubernetes_env() {
    local mode="$1" pg redis
    pg=$(cluster_forward_port postgres)
    redis=$(cluster_forward_port redis)
    e2e_write_deployment_env "$mode" \
        "E2E_PROFILE=$mode" \
        "E2E_BUDAPP_URL=$(cluster_local_url budapp)" \
        "E2E_BUDCLUSTER_URL=$(cluster_local_url budcluster)" \
        "E2E_BUDSIM_URL=$(cluster_local_url budsim)" \
        "E2E_BUDMODEL_URL=$(cluster_local_url budmodel)" \
        "E2E_BUDGATEWAY_URL=$(cluster_local_url budgateway)" \
        "E2E_BUDMETRICS_URL=$(cluster_local_url budmetrics)" \
        "E2E_KEYCLOAK_URL=$(cluster_local_url keycloak)" \
        "E2E_DAPR_URL=$(cluster_local_url dapr)" \
        "E2E_POSTGRES_DSN=postgresql://budapp@127.0.0.1:$pg/budapp" \
        "E2E_REDIS_URL=redis://127.0.0.1:$redis/0" \
        "E2E_GATEWAY_REDIS_URL=redis://127.0.0.1:$redis/2" \
        "E2E_CLICKHOUSE_URL=$(cluster_local_url clickhouse)" \
        "E2E_KUBE_CONTEXT=$KUBE_CONTEXT" \
        "E2E_KUBE_NAMESPACE=$K8S_NAMESPACE" \
        "E2E_HELM_RELEASE=$HELM_RELEASE" \
        ${ONBOARDING_KUBECONFIG:+"E2E_CLUSTER_KUBECONFIG=$ONBOARDING_KUBECONFIG"}
    # The chart's local-only store passwords (config/values.e2e.yaml).
    cluster_write_credentials_env "$mode" \
        "E2E_POSTGRES_DSN=postgresql://budapp:budapp@127.0.0.1:$pg/budapp" \
        "E2E_REDIS_URL=redis://:bud-e2e-redis@127.0.0.1:$redis/0" \
        "E2E_GATEWAY_REDIS_URL=redis://:bud-e2e-redis@127.0.0.1:$redis/2" \
        "E2E_CLICKHOUSE_URL=http://bud:bud-e2e-clickhouse@127.0.0.1:$(cluster_forward_port clickhouse)"
}

# cluster_print_summary MODE -- what is running and how to use or remove it.
cluster_print_summary() {
    e2e_log "bud-stack is up ($1): budapp $(sed -n 's/^E2E_BUDAPP_URL=//p' "$E2E_DEPLOYMENT_ENV"); URLs in $E2E_DEPLOYMENT_ENV"
    e2e_log "super user: $CLUSTER_ADMIN_EMAIL (password: E2E_ADMIN_PASSWORD, kept in $E2E_STATE_DIR/credentials.env)"
    e2e_log "run the suite: .venv/bin/pytest    remove it: ./scripts/teardown.sh"
}

# cluster_teardown_release -- uninstall the bud release, and remove the namespace
# and Dapr only when setup created them (CREATED_NAMESPACE / INSTALLED_DAPR).
cluster_teardown_release() {
    if kube_helm status "$HELM_RELEASE" -n "$K8S_NAMESPACE" >/dev/null 2>&1; then
        e2e_log "uninstalling Helm release $HELM_RELEASE from $K8S_NAMESPACE"
        kube_helm uninstall "$HELM_RELEASE" -n "$K8S_NAMESPACE" --wait >&2
    else
        e2e_log "Helm release $HELM_RELEASE is not installed in $K8S_NAMESPACE"
    fi
    if [ "${CREATED_ONBOARDING:-false}" = true ]; then
        # cluster-scoped, so it outlives the namespace
        e2e_log "deleting cluster role binding $ONBOARDING_ACCOUNT-$K8S_NAMESPACE (created by setup)"
        kube delete clusterrolebinding "$ONBOARDING_ACCOUNT-$K8S_NAMESPACE" --ignore-not-found >&2
    fi
    if [ "${CREATED_NAMESPACE:-false}" = true ]; then
        e2e_log "deleting namespace $K8S_NAMESPACE (created by setup)"
        kube delete namespace "$K8S_NAMESPACE" --ignore-not-found --timeout="$(cluster_rollout_timeout)s" >&2
    fi
    if [ "${INSTALLED_DAPR:-false}" = true ]; then
        e2e_log "uninstalling Dapr (installed by setup)"
        kube_helm uninstall dapr -n dapr-system --wait >&2 || e2e_warn "Dapr was already gone"
        kube delete namespace dapr-system --ignore-not-found --timeout="$(cluster_rollout_timeout)s" >&2
    fi
}

# cluster_record_state MODE -- save what setup created so far (read by teardown).
cluster_record_state() {
    cluster_save_state "$1" "CLUSTER_NAME=${CLUSTER_NAME:-}" "KUBE_CONTEXT=$KUBE_CONTEXT" \
        "K8S_NAMESPACE=$K8S_NAMESPACE" "HELM_RELEASE=$HELM_RELEASE" \
        "CREATED_CLUSTER=${CREATED_CLUSTER:-false}" "CREATED_NAMESPACE=${CREATED_NAMESPACE:-false}" \
        "INSTALLED_DAPR=${INSTALLED_DAPR:-false}" "CREATED_ONBOARDING=${CREATED_ONBOARDING:-false}"
}

# cluster_load_recorded MODE -- the flags of an earlier setup of MODE (so that a
# re-run still knows what it created), or false for each.
cluster_load_recorded() {
    CREATED_CLUSTER=$(cluster_state_get "$1" CREATED_CLUSTER)
    CREATED_NAMESPACE=$(cluster_state_get "$1" CREATED_NAMESPACE)
    INSTALLED_DAPR=$(cluster_state_get "$1" INSTALLED_DAPR)
    CREATED_ONBOARDING=$(cluster_state_get "$1" CREATED_ONBOARDING)
    CREATED_CLUSTER=${CREATED_CLUSTER:-false}
    CREATED_NAMESPACE=${CREATED_NAMESPACE:-false}
    INSTALLED_DAPR=${INSTALLED_DAPR:-false}
    CREATED_ONBOARDING=${CREATED_ONBOARDING:-false}
}

# cluster_deploy MODE -- everything after the cluster exists: namespace, Dapr, the
# bud chart, readiness waits, port-forwards, health checks, deployment.env.
# Needs KUBE_CONTEXT, K8S_NAMESPACE, HELM_RELEASE, HELM_CHART and SKIP_DAPR.
cluster_deploy() {
    local mode="$1" work
    work=$(cluster_work_dir "$mode")
    cluster_step "namespace $K8S_NAMESPACE in $KUBE_CONTEXT"
    cluster_ensure_namespace
    cluster_record_state "$mode"
    if [ "${SKIP_DAPR:-false}" = true ]; then
        e2e_log "--skip-dapr: Dapr is neither checked nor installed"
    else
        cluster_step "Dapr"
        cluster_install_dapr
        cluster_record_state "$mode"
    fi
    cluster_step "generating this deployment's keys and Helm values in $work"
    cluster_ensure_secrets "$work/keys"
    cluster_write_helm_values "$work/values.generated.yaml" "$work/keys"
    cluster_install_chart "$work/values.generated.yaml"
    cluster_step "waiting for the stores and services to be ready"
    cluster_wait_workloads
    cluster_step "forwarding the services to 127.0.0.1"
    cluster_start_port_forwards
    cluster_step "waiting for each service to answer"
    cluster_wait_healthy
    if [ "$mode" = k3d ] || [ "$mode" = kind ]; then
        ONBOARDING_KUBECONFIG="$work/onboarding-kubeconfig.yaml"
        cluster_step "a kubeconfig budcluster can onboard this cluster with ($ONBOARDING_KUBECONFIG)"
        CREATED_ONBOARDING=true
        cluster_record_state "$mode"
        cluster_write_onboarding_kubeconfig "$ONBOARDING_KUBECONFIG"
    fi
    cluster_write_kubernetes_env "$mode"
    cluster_print_summary "$mode"
}

# ---------------------------------------------------------------------------
# Local clusters (k3d, kind). The calling script defines:
#   local_cluster_exists NAME       true when the cluster exists
#   local_cluster_create NAME       create it from config/<mode>-config.yaml
#   local_cluster_load_images NAME IMAGE...
#   local_cluster_delete NAME
# Both tools name the kubectl context <mode>-<cluster name>.
# ---------------------------------------------------------------------------

# cluster_local_setup MODE ARGS... -- the whole setup-<mode>.sh.
cluster_local_setup() {
    local mode="$1" source_dir="" skip_build=false recorded
    shift
    CLUSTER_NAME="${E2E_CLUSTER_NAME:-bud-e2e}"
    while [ $# -gt 0 ]; do
        case "$1" in
            --source) cluster_option_value "$1" "${2:-}"; source_dir="$2"; shift 2 ;;
            --skip-build) skip_build=true; shift ;;
            --cluster-name) cluster_option_value "$1" "${2:-}"; CLUSTER_NAME="$2"; shift 2 ;;
            -h | --help) cluster_print_usage "$0"; exit 0 ;;
            *) cluster_usage_error "unknown option '$1'" ;;
        esac
    done

    cluster_step "checking prerequisites"
    cluster_require_tools docker "$mode" kubectl helm curl openssl
    cluster_require_docker_daemon
    cluster_resolve_source "$source_dir" "$skip_build"
    cluster_resolve_chart
    cluster_admin_password >/dev/null

    recorded=$(cluster_state_get "$mode" CLUSTER_NAME)
    if [ -n "$recorded" ] && [ "$recorded" != "$CLUSTER_NAME" ]; then
        e2e_die "a $mode deployment on cluster '$recorded' is still recorded: remove it first with ./scripts/teardown-$mode.sh"
    fi
    KUBE_CONTEXT="$mode-$CLUSTER_NAME"
    K8S_NAMESPACE="${E2E_NAMESPACE:-bud-e2e}"
    HELM_RELEASE="${E2E_HELM_RELEASE:-bud-e2e}"
    SKIP_DAPR=false
    cluster_load_recorded "$mode"

    cluster_step "$mode cluster $CLUSTER_NAME"
    if local_cluster_exists "$CLUSTER_NAME"; then
        e2e_log "$mode cluster $CLUSTER_NAME exists; reusing it"
    else
        local_cluster_create "$CLUSTER_NAME"
        CREATED_CLUSTER=true
    fi
    cluster_record_state "$mode"
    cluster_wait_nodes_ready

    if $skip_build; then
        e2e_log "--skip-build: the cluster must already hold $(cluster_all_images | tr '\n' ' ')"
    else
        cluster_build_images
        cluster_step "loading the images into $mode cluster $CLUSTER_NAME"
        # shellcheck disable=SC2046 # one word per image name
        local_cluster_load_images "$CLUSTER_NAME" $(cluster_all_images)
    fi

    cluster_deploy "$mode"
}

# cluster_local_teardown MODE ARGS... -- the whole teardown-<mode>.sh: deletes the
# cluster when setup created it; otherwise removes only what setup installed in it.
cluster_local_teardown() {
    local mode="$1" name=""
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
            --cluster-name) cluster_option_value "$1" "${2:-}"; name="$2"; shift 2 ;;
            -h | --help) cluster_print_usage "$0"; exit 0 ;;
            *) cluster_usage_error "unknown option '$1'" ;;
        esac
    done
    cluster_require_tools "$mode"

    CLUSTER_NAME=$(cluster_state_get "$mode" CLUSTER_NAME)
    if [ -z "$CLUSTER_NAME" ] && [ -z "$name" ]; then
        e2e_log "no $mode deployment is recorded in $E2E_STATE_DIR: nothing to tear down"
        return 0
    fi
    cluster_load_recorded "$mode"
    if [ -n "$name" ] && [ "$name" != "$CLUSTER_NAME" ]; then
        # An explicitly named cluster that setup did not record: delete it as asked.
        CLUSTER_NAME="$name"
        CREATED_CLUSTER=true
    fi

    cluster_stop_port_forwards
    if ! local_cluster_exists "$CLUSTER_NAME"; then
        e2e_log "$mode cluster $CLUSTER_NAME does not exist (already deleted)"
    elif [ "$CREATED_CLUSTER" = true ]; then
        cluster_step "deleting $mode cluster $CLUSTER_NAME (created by setup)"
        local_cluster_delete "$CLUSTER_NAME"
    else
        cluster_step "$mode cluster $CLUSTER_NAME existed before setup: removing only what setup installed"
        cluster_require_tools kubectl helm
        KUBE_CONTEXT=$(cluster_state_get "$mode" KUBE_CONTEXT)
        K8S_NAMESPACE=$(cluster_state_get "$mode" K8S_NAMESPACE)
        HELM_RELEASE=$(cluster_state_get "$mode" HELM_RELEASE)
        cluster_teardown_release
    fi
    cluster_forget "$mode"
    e2e_log "$mode deployment removed"
}
