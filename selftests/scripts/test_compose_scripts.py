"""setup-compose.sh / teardown-compose.sh against a fake docker, and the compose
file itself (parsed as YAML: no Docker here to run 'docker compose config')."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from dotenv import dotenv_values

from selftests.scripts.script_harness import (
    ADMIN_PASSWORD,
    REPO,
    assert_one_line_error,
    build_calls,
    health_calls,
    script_env,  # noqa: F401  (fixture)
)

SETUP = "setup-compose.sh"
TEARDOWN = "teardown-compose.sh"
COMPOSE_FILE = REPO / "config/docker-compose-e2e.yaml"
COMPONENTS = REPO / "config/dapr/components"
# What the suite reaches from the host.
PUBLISHED = (
    "budapp",
    "budcluster",
    "budsim",
    "budmodel",
    "budmetrics",
    "budgateway",
    "keycloak",
    "postgres",
    "redis",
    "clickhouse",
)


def up_call(project: str = "bud-e2e") -> str:
    return f"docker compose -f {COMPOSE_FILE} -p {project} up -d --wait --wait-timeout 600"


def down_call(project: str = "bud-e2e") -> str:
    return f"docker compose -f {COMPOSE_FILE} -p {project} down -v --remove-orphans"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def components() -> dict[str, dict]:
    docs = {}
    for path in sorted(COMPONENTS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        docs[doc["metadata"]["name"]] = doc
    return docs


# -- the scripts ----------------------------------------------------------------


def test_setup_builds_starts_waits_and_records_the_urls(script_env):
    dump = script_env.root / "compose-env"
    result = script_env.run(SETUP, FAKE_DOCKER_ENV_DUMP=str(dump))
    assert result.returncode == 0, result
    assert result.calls == [
        "docker info",
        "docker compose version",
        *build_calls(script_env),
        up_call(),
        *health_calls(script_env, keycloak_path="/health/ready"),
    ]
    port = script_env.ports
    assert script_env.deployment_env() == {
        "E2E_DEPLOYMENT": "compose",
        "E2E_PROFILE": "compose",
        "E2E_BUDAPP_URL": f"http://127.0.0.1:{port['budapp']}",
        "E2E_BUDCLUSTER_URL": f"http://127.0.0.1:{port['budcluster']}",
        "E2E_BUDSIM_URL": f"http://127.0.0.1:{port['budsim']}",
        "E2E_BUDMODEL_URL": f"http://127.0.0.1:{port['budmodel']}",
        "E2E_BUDGATEWAY_URL": f"http://127.0.0.1:{port['budgateway']}",
        "E2E_BUDMETRICS_URL": f"http://127.0.0.1:{port['budmetrics']}",
        "E2E_DAPR_URL": f"http://127.0.0.1:{port['dapr']}",
        "E2E_KEYCLOAK_URL": f"http://127.0.0.1:{port['keycloak']}",
        "E2E_POSTGRES_DSN": f"postgresql://budapp@127.0.0.1:{port['postgres']}/budapp",
        "E2E_REDIS_URL": f"redis://127.0.0.1:{port['redis']}/0",
        "E2E_GATEWAY_REDIS_URL": f"redis://127.0.0.1:{port['redis']}/2",
        "E2E_CLICKHOUSE_URL": f"http://127.0.0.1:{port['clickhouse']}",
        "E2E_COMPOSE_PROJECT": "bud-e2e",
    }
    assert script_env.credentials_env()["E2E_ADMIN_PASSWORD"] == ADMIN_PASSWORD
    assert ADMIN_PASSWORD not in (script_env.state / "deployment.env").read_text()
    assert ADMIN_PASSWORD not in result.stdout + result.stderr

    # What docker compose was given to interpolate.
    seen = dotenv_values(dump)

    def given(name: str) -> str:
        value = seen.get(name)
        assert value, f"docker compose was given no value for {name}: {sorted(seen)}"
        return value

    assert seen["E2E_ADMIN_PASSWORD"] == ADMIN_PASSWORD
    assert seen["E2E_IMAGE_REGISTRY"] == "budstudio" and seen["E2E_IMAGE_TAG"] == "e2e-local"
    for name, value in port.items():
        assert seen[f"E2E_PORT_{name.upper()}"] == str(value)
    keys = Path(given("E2E_KEYS_DIR"))
    assert (keys / "rsa-private-key.pem").is_file() and (keys / "rsa-public-key.pem").is_file()
    crypto = Path(given("E2E_DAPR_CRYPTO_DIR"))
    assert "PRIVATE KEY" in (crypto / "rsa-private-key.pem").read_text()
    assert len((crypto / "symmetric-key-256").read_text()) == 32
    assert re.fullmatch(r"[0-9a-f]{64}", given("E2E_JWT_SECRET_KEY"))
    assert re.fullmatch(r"[0-9a-f]{88}", given("E2E_AES_KEY_HEX"))
    Fernet(bytes.fromhex(given("E2E_AES_KEY_HEX")))  # what budapp does with it
    assert re.fullmatch(r"[0-9a-f]{32}", given("E2E_APP_API_TOKEN"))


def test_skip_build_builds_nothing(script_env):
    result = script_env.run(SETUP, "--skip-build", BUD_RUNTIME_DIR=None)
    assert result.returncode == 0, result
    assert result.calls == [
        "docker info",
        "docker compose version",
        up_call(),
        *health_calls(script_env, keycloak_path="/health/ready"),
    ]


def test_project_name_reaches_up_and_down(script_env):
    assert up_call("mine") in script_env.run(SETUP, "--skip-build", "--project", "mine").calls
    assert script_env.deployment_env()["E2E_COMPOSE_PROJECT"] == "mine"
    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert result.calls == ["docker info", down_call("mine")]


def test_teardown_downs_the_project_with_volumes_and_forgets_it(script_env):
    assert script_env.run(SETUP, "--skip-build").returncode == 0
    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert result.calls == ["docker info", down_call()]
    assert script_env.deployment_env() is None
    assert script_env.credentials_env() is None
    assert not (script_env.state / "compose").exists()


def test_teardown_with_nothing_recorded_does_nothing(script_env):
    result = script_env.run(TEARDOWN)
    assert result.returncode == 0, result
    assert "nothing to tear down" in result.stderr
    assert result.calls == []


@pytest.mark.parametrize("tool", ["docker", "curl", "openssl"])
def test_missing_prerequisite_fails_early_with_one_line(script_env, tool):
    script_env.use_tools(without=(tool,))
    result = script_env.run(SETUP)
    assert_one_line_error(result, f"'{tool}' is required but not on PATH", "Install it:")
    assert result.calls == []


def test_missing_compose_plugin_fails_early_with_one_line(script_env):
    result = script_env.run(SETUP, FAKE_FAIL="docker compose version")
    assert_one_line_error(result, "'docker compose' (Compose v2) is not available")
    assert result.calls == ["docker info", "docker compose version"]


def test_an_unready_keycloak_fails_setup_and_names_it(script_env):
    result = script_env.run(SETUP, "--skip-build", FAKE_FAIL="curl *health/ready", E2E_HEALTH_TIMEOUT="0")
    assert_one_line_error(result, "keycloak did not answer", "/health/ready")
    assert script_env.deployment_env() is None


# -- the compose file -------------------------------------------------------------


def health_test(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test") or []
    return " ".join(test) if isinstance(test, list) else str(test)


def test_every_service_has_a_health_check(compose):
    services = compose["services"]
    for name, service in services.items():
        if health_test(service):
            continue
        # Dapr's and the collector's images have no shell to run a check in: whoever depends on them checks them.
        assert service["image"].startswith(("daprio/", "otel/")), f"{name} has no health check"
        if service.get("network_mode", "").startswith("service:"):
            app = service["network_mode"].split(":", 1)[1]
            assert "localhost:3500/v1.0/healthz" in health_test(services[app]), (
                f"{app}'s health check does not cover its sidecar {name}"
            )
        else:
            checks = " ".join(health_test(s) for s in services.values())
            assert f"{name}:8080/healthz" in checks or f"{name}:13133/" in checks, f"nothing checks {name}'s health"


def test_ports_are_published_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port}"
    for name in PUBLISHED:
        assert compose["services"][name].get("ports"), f"{name} is not published"


def test_port_defaults_match_what_setup_writes_into_the_deployment_env(compose):
    script = (REPO / "scripts" / SETUP).read_text()
    script_defaults = dict(re.findall(r'export (E2E_PORT_\w+)="\$\{\1:-(\d+)\}"', script))
    compose_defaults = {}
    for service in compose["services"].values():
        for port in service.get("ports", []):
            match = re.fullmatch(r"127\.0\.0\.1:\$\{(E2E_PORT_\w+):-(\d+)\}:(\d+)", port)
            assert match, port
            compose_defaults[match.group(1)] = match.group(2)
    assert compose_defaults == script_defaults
    assert script_defaults["E2E_PORT_BUDAPP"] == "9082"
    assert script_defaults["E2E_PORT_BUDGATEWAY"] == "3000"


def test_every_variable_has_a_default_so_down_works_without_setup(compose):
    text = COMPOSE_FILE.read_text()
    for variable in re.findall(r"\$\{[^}]*\}", text):
        assert ":-" in variable, f"{variable} has no default"


def test_sidecars_match_their_app(compose):
    services = compose["services"]
    sidecars = {n: s for n, s in services.items() if s.get("image", "").startswith("daprio/daprd")}
    assert set(sidecars) == {f"{app}-dapr" for app in ("budapp", "budcluster", "budsim", "budmodel", "budmetrics")}
    for name, sidecar in sidecars.items():
        app = name.removesuffix("-dapr")
        assert sidecar["network_mode"] == f"service:{app}"
        command = sidecar["command"]
        assert command[command.index("--app-id") + 1] == app
        app_port = services[app]["environment"]["APP_PORT"]
        assert command[command.index("--app-port") + 1] == app_port
        assert "/components" in " ".join(sidecar["volumes"])


def test_sidecars_find_each_other_on_one_network(compose):
    """Self-hosted daprd resolves app ids by mDNS, which reaches the sidecars attached to the same Docker network
    (Dapr's "self-hosted with Docker" guide). Every app, and so its sidecar, sits on the project's one default
    network, and no sidecar swaps the resolver through a --config of its own."""
    services = compose["services"]
    assert "networks" not in compose, "a network of its own would split the sidecars' mDNS"
    for name, service in services.items():
        assert "networks" not in service, f"{name} leaves the project's default network"
        mode = service.get("network_mode")
        assert mode is None or (mode.startswith("service:") and mode.split(":", 1)[1] in services), (
            f"{name} has network_mode {mode!r}: only a sidecar shares its app's namespace"
        )
        if service.get("image", "").startswith("daprio/daprd"):
            assert not any(arg.startswith("--config") for arg in service["command"]), (
                f"{name} names a Dapr configuration: its name resolution must stay mDNS"
            )


def test_budapp_runs_with_the_e2e_super_user_and_without_rate_limits(compose):
    env = compose["services"]["budapp"]["environment"]
    assert env["SUPER_USER_EMAIL"] == "admin@budtest.dev"
    assert env["SUPER_USER_PASSWORD"] == "${E2E_ADMIN_PASSWORD:-}"
    assert env["RATE_LIMIT_ENABLED"] == "false"


def test_images_are_the_locally_built_ones(compose):
    for svc in ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway"):
        assert (
            compose["services"][svc]["image"]
            == f"${{E2E_IMAGE_REGISTRY:-budstudio}}/{svc}:${{E2E_IMAGE_TAG:-e2e-local}}"
        )


def test_dapr_components_exist_for_what_the_services_name(compose, components):
    assert components["statestore"]["spec"]["type"] == "state.redis"
    assert components["pubsub-redis"]["spec"]["type"] == "pubsub.redis"
    for service in compose["services"].values():
        env = service.get("environment") or {}
        for key in ("STATESTORE_NAME", "PUBSUB_NAME", "CONFIGSTORE_NAME", "SECRETSTORE_NAME", "CRYPTO_NAME"):
            if key in env:
                assert env[key] in components, f"{key}={env[key]} has no component"


def test_budapp_subscribes_to_its_topic(components):
    subscriptions = [d for d in components.values() if d["kind"] == "Subscription"]
    assert len(subscriptions) == 1
    spec = subscriptions[0]["spec"]
    assert spec["topic"] == "budAppMessages"
    assert spec["routes"]["default"] == "/notifications"
    assert spec["pubsubname"] in components
    assert subscriptions[0]["scopes"] == ["budapp"]
