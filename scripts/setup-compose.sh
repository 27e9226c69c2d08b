#!/usr/bin/env bash
# Run bud-stack for the E2E suite with Docker Compose (config/docker-compose-e2e.yaml):
# budapp with its Dapr sidecar, budcluster, budsim, budmodel, budmetrics, budgateway,
# PostgreSQL, Redis, Keycloak and ClickHouse, published on 127.0.0.1.
#
# Usage: ./scripts/setup-compose.sh [--source DIR] [--skip-build] [--project NAME] [--help]
#
#   --source DIR    bud-runtime checkout to build the images from (default: $BUD_RUNTIME_DIR)
#   --skip-build    build no images: use local ones or pull them (set E2E_IMAGE_TAG=nightly
#                   for the published images)
#   --project NAME  Compose project name (default: $E2E_COMPOSE_PROJECT or bud-e2e)
#   -h, --help      show this help
#
# Needs docker with a running daemon and Compose v2.23+, curl and openssl. Host ports
# can be moved with E2E_PORT_<NAME> (BUDAPP, KEYCLOAK, POSTGRES, ...). Safe to re-run.
# Undo it with ./scripts/teardown-compose.sh.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

source_dir=""
skip_build=false
project="${E2E_COMPOSE_PROJECT:-bud-e2e}"
while [ $# -gt 0 ]; do
    case "$1" in
        --source) cluster_option_value "$1" "${2:-}"; source_dir="$2"; shift 2 ;;
        --skip-build) skip_build=true; shift ;;
        --project) cluster_option_value "$1" "${2:-}"; project="$2"; shift 2 ;;
        -h | --help) cluster_print_usage "$0"; exit 0 ;;
        *) cluster_usage_error "unknown option '$1'" ;;
    esac
done

compose_file="$E2E_ROOT/config/docker-compose-e2e.yaml"
work=$(cluster_work_dir compose)

cluster_step "checking prerequisites"
cluster_require_tools docker curl openssl
cluster_require_docker_daemon
cluster_require_docker_compose
cluster_resolve_source "$source_dir" "$skip_build"
cluster_admin_password >/dev/null

recorded=$(cluster_state_get compose COMPOSE_PROJECT)
if [ -n "$recorded" ] && [ "$recorded" != "$project" ]; then
    e2e_die "compose project '$recorded' is still recorded: remove it first with ./scripts/teardown-compose.sh"
fi
cluster_save_state compose "COMPOSE_PROJECT=$project"

if $skip_build; then
    e2e_log "--skip-build: using $(cluster_all_images | tr '\n' ' ')(pulled when missing)"
else
    cluster_build_images
fi

cluster_step "generating this deployment's keys in $work/keys"
cluster_ensure_secrets "$work/keys"
# The containers run as other users: let them read the (password-protected) key.
chmod 755 "$work/keys"
chmod 644 "$work/keys/rsa-private-key.pem"
# budcluster's Dapr crypto keys, in the file names the component expects.
crypto_dir="$work/dapr-crypto"
mkdir -p "$crypto_dir"
cp "$work/keys/dapr-crypto-key.pem" "$crypto_dir/rsa-private-key.pem"
cluster_secret "$work/keys" DAPR_SYMMETRIC_KEY | tr -d '\n' >"$crypto_dir/symmetric-key-256"
chmod 644 "$crypto_dir"/*
export E2E_DAPR_CRYPTO_DIR="$crypto_dir"

# Everything the compose file interpolates. Ports: the host side of each published port.
export E2E_IMAGE_REGISTRY="${E2E_IMAGE_REGISTRY:-budstudio}"
export E2E_IMAGE_TAG="${E2E_IMAGE_TAG:-e2e-local}"
export E2E_KEYS_DIR="$work/keys"
E2E_ADMIN_PASSWORD=$(cluster_admin_password)
E2E_JWT_SECRET_KEY=$(cluster_secret "$work/keys" JWT_SECRET_KEY)
E2E_AES_KEY_HEX=$(cluster_secret "$work/keys" AES_KEY_HEX)
E2E_PRIVATE_KEY_PASSWORD=$(cluster_secret "$work/keys" PRIVATE_KEY_PASSWORD)
E2E_APP_API_TOKEN=$(cluster_secret "$work/keys" APP_API_TOKEN)
export E2E_ADMIN_PASSWORD E2E_JWT_SECRET_KEY E2E_AES_KEY_HEX E2E_PRIVATE_KEY_PASSWORD E2E_APP_API_TOKEN
export E2E_PORT_BUDAPP="${E2E_PORT_BUDAPP:-9082}"
export E2E_PORT_BUDCLUSTER="${E2E_PORT_BUDCLUSTER:-3003}"
export E2E_PORT_BUDSIM="${E2E_PORT_BUDSIM:-3002}"
export E2E_PORT_BUDMODEL="${E2E_PORT_BUDMODEL:-3004}"
export E2E_PORT_BUDMETRICS="${E2E_PORT_BUDMETRICS:-3005}"
export E2E_PORT_BUDGATEWAY="${E2E_PORT_BUDGATEWAY:-3000}"
export E2E_PORT_DAPR="${E2E_PORT_DAPR:-3500}"
export E2E_PORT_KEYCLOAK="${E2E_PORT_KEYCLOAK:-8080}"
export E2E_PORT_POSTGRES="${E2E_PORT_POSTGRES:-5432}"
export E2E_PORT_REDIS="${E2E_PORT_REDIS:-6379}"
export E2E_PORT_CLICKHOUSE="${E2E_PORT_CLICKHOUSE:-8123}"

timeout="${E2E_ROLLOUT_TIMEOUT:-600}"
cluster_step "starting compose project $project (waits up to ${timeout}s for every container's health check)"
docker compose -f "$compose_file" -p "$project" up -d --wait --wait-timeout "$timeout"

cluster_step "waiting for each service to answer"
health_timeout="${E2E_HEALTH_TIMEOUT:-300}"
cluster_wait_http budapp "http://127.0.0.1:$E2E_PORT_BUDAPP/health" "$health_timeout"
cluster_wait_http budcluster "http://127.0.0.1:$E2E_PORT_BUDCLUSTER/health" "$health_timeout"
cluster_wait_http budsim "http://127.0.0.1:$E2E_PORT_BUDSIM/health" "$health_timeout"
cluster_wait_http budmodel "http://127.0.0.1:$E2E_PORT_BUDMODEL/health" "$health_timeout"
cluster_wait_http budmetrics "http://127.0.0.1:$E2E_PORT_BUDMETRICS/health" "$health_timeout"
cluster_wait_http budgateway "http://127.0.0.1:$E2E_PORT_BUDGATEWAY/health" "$health_timeout"
cluster_wait_http keycloak "http://127.0.0.1:$E2E_PORT_KEYCLOAK/health/ready" "$health_timeout"

e2e_write_deployment_env compose \
    "E2E_PROFILE=compose" \
    "E2E_BUDAPP_URL=http://127.0.0.1:$E2E_PORT_BUDAPP" \
    "E2E_BUDCLUSTER_URL=http://127.0.0.1:$E2E_PORT_BUDCLUSTER" \
    "E2E_BUDSIM_URL=http://127.0.0.1:$E2E_PORT_BUDSIM" \
    "E2E_BUDMODEL_URL=http://127.0.0.1:$E2E_PORT_BUDMODEL" \
    "E2E_BUDGATEWAY_URL=http://127.0.0.1:$E2E_PORT_BUDGATEWAY" \
    "E2E_BUDMETRICS_URL=http://127.0.0.1:$E2E_PORT_BUDMETRICS" \
    "E2E_DAPR_URL=http://127.0.0.1:$E2E_PORT_DAPR" \
    "E2E_KEYCLOAK_URL=http://127.0.0.1:$E2E_PORT_KEYCLOAK" \
    "E2E_POSTGRES_DSN=postgresql://budapp@127.0.0.1:$E2E_PORT_POSTGRES/budapp" \
    "E2E_REDIS_URL=redis://127.0.0.1:$E2E_PORT_REDIS/0" \
    "E2E_GATEWAY_REDIS_URL=redis://127.0.0.1:$E2E_PORT_REDIS/2" \
    "E2E_CLICKHOUSE_URL=http://127.0.0.1:$E2E_PORT_CLICKHOUSE" \
    "E2E_COMPOSE_PROJECT=$project"
# budapp's database password is the compose file's local-only default.
cluster_write_credentials_env compose \
    "E2E_POSTGRES_DSN=postgresql://budapp:budapp@127.0.0.1:$E2E_PORT_POSTGRES/budapp"
cluster_print_summary compose
