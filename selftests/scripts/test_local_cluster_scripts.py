"""setup-k3d.sh / setup-kind.sh and their teardowns, run against fake tools."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from dataclasses import dataclass

import pytest
import yaml
from cryptography.fernet import Fernet

from selftests.scripts.script_harness import (
    ADMIN_PASSWORD,
    FORWARDS,
    REPO,
    ScriptEnv,
    assert_one_line_error,
    build_calls,
    expected_deployment_env,
    expected_forwards,
    forward_calls,
    images,
    kubernetes_deploy_calls,
    pid_running,
    script_env,  # noqa: F401  (fixture)
    wait_until_stopped,
    without_forwards,
)


@dataclass(frozen=True)
class LocalMode:
    name: str

    def context(self, cluster: str = "bud-e2e") -> str:
        return f"{self.name}-{cluster}"

    def exists_call(self, cluster: str = "bud-e2e") -> str:
        return f"k3d cluster get {cluster}" if self.name == "k3d" else "kind get clusters"

    def create_call(self, cluster: str = "bud-e2e") -> str:
        if self.name == "k3d":
            return f"k3d cluster create {cluster} --config {REPO}/config/k3d-config.yaml"
        return f"kind create cluster --name {cluster} --config {REPO}/config/kind-config.yaml"

    def load_call(self, cluster: str = "bud-e2e") -> str:
        if self.name == "k3d":
            return f"k3d image import --cluster {cluster} {images()}"
        return f"kind load docker-image --name {cluster} {images()}"

    def delete_call(self, cluster: str = "bud-e2e") -> str:
        if self.name == "k3d":
            return f"k3d cluster delete {cluster}"
        return f"kind delete cluster --name {cluster}"

    def cluster_mark(self, cluster: str = "bud-e2e") -> str:
        return f"{self.name}-cluster-{cluster}"

    def nodes_call(self, cluster: str = "bud-e2e") -> str:
        return f"kubectl --context {self.context(cluster)} wait node --all --for=condition=Ready --timeout=600s"

    @property
    def setup(self) -> str:
        return f"setup-{self.name}.sh"

    @property
    def teardown(self) -> str:
        return f"teardown-{self.name}.sh"


MODES = [LocalMode("k3d"), LocalMode("kind")]


# For behaviour of the shared library (scripts/lib/cluster.sh) one mode is enough.
shared_code = pytest.mark.parametrize("mode", MODES[:1], ids=lambda m: m.name)


@pytest.fixture(params=MODES, ids=lambda m: m.name)
def mode(request) -> LocalMode:
    return request.param


@pytest.fixture(scope="module", params=MODES, ids=lambda m: m.name)
def deployed(request, tmp_path_factory):
    """One fresh setup per mode, shared by the tests that only look at what it did."""
    mode = request.param
    env = ScriptEnv(tmp_path_factory.mktemp(f"deployed-{mode.name}"))
    result = env.run(mode.setup)
    assert result.returncode == 0, result
    yield mode, env, result
    env.stop_leftovers()


def test_fresh_setup_creates_builds_loads_installs_and_waits_in_order(deployed):
    mode, script_env, result = deployed
    context = mode.context()
    assert without_forwards(result.calls) == [
        "docker info",
        mode.exists_call(),
        mode.create_call(),
        mode.nodes_call(),
        *build_calls(script_env),
        mode.load_call(),
        *kubernetes_deploy_calls(script_env, context, mode.name),
    ]
    assert forward_calls(result.calls) == expected_forwards(script_env, context)
    assert script_env.marks() == {mode.cluster_mark(), "namespace-bud-e2e", "dapr", "release-dapr", "release-bud-e2e"}


def test_setup_writes_a_kubeconfig_budcluster_reaches_the_cluster_with_from_inside(deployed):
    mode, script_env, _ = deployed
    path = script_env.state / mode.name / "onboarding-kubeconfig.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kubeconfig = yaml.safe_load(path.read_text())
    assert kubeconfig["clusters"] == [
        {
            "name": "bud-e2e",
            "cluster": {"server": "https://kubernetes.default.svc", "certificate-authority-data": "RkFLRS1DQQ=="},
        }
    ]
    assert kubeconfig["users"] == [
        {"name": "bud-e2e-onboarding", "user": {"token": "fake-token-of-bud-e2e-onboarding"}}
    ]
    assert kubeconfig["current-context"] == "bud-e2e"
    assert kubeconfig["contexts"] == [
        {"name": "bud-e2e", "context": {"cluster": "bud-e2e", "user": "bud-e2e-onboarding"}}
    ]


def test_setup_records_the_deployment_for_the_suite_without_secrets(deployed):
    mode, script_env, result = deployed

    assert script_env.deployment_env() == expected_deployment_env(script_env, mode.name, mode.context())
    deployment_text = (script_env.state / "deployment.env").read_text()
    assert "password" not in deployment_text.lower()
    assert ADMIN_PASSWORD not in deployment_text

    credentials = script_env.credentials_env()
    assert credentials["E2E_ADMIN_EMAIL"] == "admin@budtest.dev"
    assert credentials["E2E_ADMIN_PASSWORD"] == ADMIN_PASSWORD
    assert credentials["E2E_POSTGRES_DSN"].startswith("postgresql://budapp:budapp@127.0.0.1:")
    assert credentials["E2E_CLICKHOUSE_URL"].startswith("http://bud:bud-e2e-clickhouse@127.0.0.1:")
    assert stat.S_IMODE((script_env.state / "credentials.env").stat().st_mode) == 0o600

    # The password never shows in the output nor in any command line.
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    assert not [call for call in result.calls if ADMIN_PASSWORD in call]


def test_generated_helm_values_hold_images_password_and_keys(deployed):
    mode, script_env, _ = deployed
    generated = script_env.state / mode.name / "values.generated.yaml"
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600
    values = yaml.safe_load(generated.read_text())
    services = values["microservices"]
    for svc in ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway"):
        assert services[svc]["image"] == f"budstudio/{svc}:e2e-local"
    assert services["budapp"]["env"]["SUPER_USER_PASSWORD"] == ADMIN_PASSWORD
    assert len(services["budapp"]["env"]["JWT_SECRET_KEY"]) == 64
    Fernet(bytes.fromhex(services["budapp"]["env"]["AES_KEY_HEX"]))  # what budapp does with it
    assert "BEGIN ENCRYPTED PRIVATE KEY" in services["rsaKeys"]["privateKey"]
    assert "BEGIN PUBLIC KEY" in services["rsaKeys"]["publicKey"]
    assert "BEGIN PRIVATE KEY" in values["daprExtra"]["crypto"]["asymmetricKey"]
    assert len(values["daprExtra"]["crypto"]["symmetricKey"]) == 32
    # The private key really opens with the password handed to the chart.
    check = subprocess.run(
        ["openssl", "pkey", "-passin", "env:PW", "-noout"],
        input=services["rsaKeys"]["privateKey"].encode(),
        env={"PW": services["rsaKeys"]["privateKeyPassword"], "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    assert check.returncode == 0, check.stderr


def test_skip_build_neither_builds_nor_loads_and_needs_only_the_chart(script_env, mode):
    result = script_env.run(mode.setup, "--skip-build", BUD_RUNTIME_DIR=None, E2E_HELM_CHART=str(script_env.chart))
    assert result.returncode == 0, result
    context = mode.context()
    assert without_forwards(result.calls) == [
        "docker info",
        mode.exists_call(),
        mode.create_call(),
        mode.nodes_call(),
        *kubernetes_deploy_calls(script_env, context, mode.name),
    ]


def test_skip_build_without_source_or_chart_names_what_is_missing(script_env, mode):
    result = script_env.run(mode.setup, "--skip-build", BUD_RUNTIME_DIR=None)
    assert_one_line_error(result, "bud Helm chart", "--source DIR", "E2E_HELM_CHART")
    assert result.calls == ["docker info"]


def test_cluster_name_reaches_create_context_and_teardown(script_env, mode):
    result = script_env.run(mode.setup, "--cluster-name", "other-e2e")
    assert result.returncode == 0, result
    assert mode.create_call("other-e2e") in result.calls
    assert mode.load_call("other-e2e") in result.calls
    kube_calls = [c for c in result.calls if c.startswith(("kubectl", "helm --kube-context"))]
    assert kube_calls and all("other-e2e" in c for c in kube_calls)
    assert script_env.deployment_env()["E2E_KUBE_CONTEXT"] == mode.context("other-e2e")

    result = script_env.run(mode.teardown)
    assert result.returncode == 0, result
    assert mode.delete_call("other-e2e") in result.calls
    assert mode.cluster_mark("other-e2e") not in script_env.marks()


def test_rerun_reuses_cluster_namespace_dapr_and_keys(script_env, mode):
    assert script_env.run(mode.setup).returncode == 0
    key = (script_env.state / mode.name / "keys/rsa-private-key.pem").read_text()
    first_pids = script_env.forward_pids()

    result = script_env.run(mode.setup)
    assert result.returncode == 0, result
    context = mode.context()
    assert without_forwards(result.calls) == [
        "docker info",
        mode.exists_call(),
        mode.nodes_call(),
        *build_calls(script_env),
        mode.load_call(),
        *kubernetes_deploy_calls(script_env, context, mode.name, create_namespace=False, dapr="present"),
    ]
    assert (script_env.state / mode.name / "keys/rsa-private-key.pem").read_text() == key
    # The old port-forwards were replaced, not left behind.
    assert wait_until_stopped(first_pids.values()) == []
    assert all(pid_running(pid) for pid in script_env.forward_pids().values())

    # What the first run created is still known to be ours: teardown deletes the cluster.
    result = script_env.run(mode.teardown)
    assert result.returncode == 0, result
    assert mode.delete_call() in result.calls


def test_teardown_deletes_the_cluster_stops_forwards_and_forgets_it(script_env, mode):
    assert script_env.run(mode.setup).returncode == 0
    pids = script_env.forward_pids()
    assert len(pids) == len(FORWARDS) and all(pid_running(pid) for pid in pids.values())
    # A pid file naming a process that is not a port-forward: teardown must leave it alone.
    bystander = subprocess.Popen(["/usr/bin/sleep", "30"])
    (script_env.state / "port-forwards" / "bystander.pid").write_text(f"{bystander.pid}\n")
    try:
        result = script_env.run(mode.teardown)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()

    assert result.returncode == 0, result
    assert result.calls == [mode.exists_call(), mode.delete_call()]
    assert wait_until_stopped(pids.values()) == []
    assert not (script_env.state / "port-forwards").exists()
    assert script_env.deployment_env() is None
    assert script_env.credentials_env() is None
    assert not (script_env.state / mode.name).exists()
    assert script_env.marks() == set()
    # Logs stay for a post-mortem.
    assert (script_env.state / "logs").is_dir()


def test_teardown_of_a_cluster_that_existed_before_removes_only_what_setup_added(script_env, mode):
    script_env.mark(mode.cluster_mark(), "namespace-other", "release-other")
    result = script_env.run(mode.setup)
    assert result.returncode == 0, result
    assert mode.create_call() not in result.calls

    result = script_env.run(mode.teardown)
    assert result.returncode == 0, result
    context = mode.context()
    assert result.calls == [
        mode.exists_call(),
        f"helm --kube-context {context} status bud-e2e -n bud-e2e",
        f"helm --kube-context {context} uninstall bud-e2e -n bud-e2e --wait",
        f"kubectl --context {context} delete clusterrolebinding bud-e2e-onboarding-bud-e2e --ignore-not-found",
        f"kubectl --context {context} delete namespace bud-e2e --ignore-not-found --timeout=600s",
        f"helm --kube-context {context} uninstall dapr -n dapr-system --wait",
        f"kubectl --context {context} delete namespace dapr-system --ignore-not-found --timeout=600s",
    ]
    assert script_env.marks() == {mode.cluster_mark(), "namespace-other", "release-other"}


def test_teardown_with_nothing_recorded_does_nothing(script_env, mode):
    result = script_env.run(mode.teardown)
    assert result.returncode == 0, result
    assert "nothing to tear down" in result.stderr
    assert result.calls == []


def test_setup_refuses_a_second_cluster_while_one_is_recorded(script_env, mode):
    assert script_env.run(mode.setup).returncode == 0
    result = script_env.run(mode.setup, "--cluster-name", "another")
    assert_one_line_error(result, "still recorded", f"teardown-{mode.name}.sh")
    assert mode.create_call("another") not in result.calls


@pytest.mark.parametrize("tool", ["docker", "k3d/kind", "kubectl", "helm", "curl", "openssl"])
def test_missing_prerequisite_fails_early_with_one_line(script_env, mode, tool):
    tool = mode.name if tool == "k3d/kind" else tool
    script_env.use_tools(without=(tool,))
    result = script_env.run(mode.setup)
    assert_one_line_error(result, f"'{tool}' is required but not on PATH", "Install it:")
    assert result.calls == []


def test_docker_daemon_down_fails_early_with_one_line(script_env, mode):
    result = script_env.run(mode.setup, FAKE_FAIL="docker info")
    assert_one_line_error(result, "Docker daemon is not reachable")
    assert result.calls == ["docker info"]


def test_missing_source_tree_fails_early(script_env, mode):
    result = script_env.run(mode.setup, BUD_RUNTIME_DIR=None)
    assert_one_line_error(result, "--source DIR", "BUD_RUNTIME_DIR")
    assert result.calls == ["docker info"]

    result = script_env.run(mode.setup, "--source", str(script_env.root / "nowhere"))
    assert_one_line_error(result, "is not a bud-runtime checkout")

    script_env.dockerfile("budsim").unlink()
    result = script_env.run(mode.setup)
    assert_one_line_error(result, "services/budsim/deploy/Dockerfile")


@shared_code
def test_source_option_wins_over_environment(script_env, mode):
    other = script_env.root / "elsewhere"
    script_env.source.rename(other)
    result = script_env.run(mode.setup, "--source", str(other), BUD_RUNTIME_DIR="/nonexistent")
    assert result.returncode == 0, result
    assert (
        f"docker build -t budstudio/budapp:e2e-local -f {other}/services/budapp/deploy/Dockerfile "
        f"{other}/services/budapp" in result.calls
    )


@shared_code
def test_missing_chart_dependencies_are_built(script_env, mode):
    result = script_env.run(mode.setup, "--skip-build", FAKE_HELM_DEPS_MISSING="1")
    assert result.returncode == 0, result
    chart = script_env.chart
    index = result.calls.index(f"helm dependency list {chart}")
    assert result.calls[index + 1 : index + 4] == [
        "helm repo add bitnami https://charts.bitnami.com/bitnami --force-update",
        "helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update",
        f"helm dependency build {chart}",
    ]


@shared_code
def test_a_busy_local_port_stops_setup_before_forwarding(script_env, mode):
    listener = socket.socket()
    listener.bind(("127.0.0.1", script_env.ports["keycloak"]))
    listener.listen()
    try:
        result = script_env.run(mode.setup, "--skip-build")
    finally:
        listener.close()
    assert_one_line_error(result, f"port {script_env.ports['keycloak']}", "E2E_PORT_KEYCLOAK")
    assert forward_calls(result.calls) == set()
    assert script_env.deployment_env() is None


@shared_code
def test_an_unhealthy_service_fails_setup_and_names_it(script_env, mode):
    port = script_env.ports["budgateway"]
    result = script_env.run(mode.setup, "--skip-build", FAKE_FAIL=f"curl *:{port}/health", E2E_HEALTH_TIMEOUT="0")
    assert_one_line_error(result, "budgateway did not answer", f"127.0.0.1:{port}/health", "within 0s")
    assert script_env.deployment_env() is None
    # What was created is recorded, so teardown can still clean up.
    result = script_env.run(mode.teardown)
    assert result.returncode == 0, result
    assert mode.delete_call() in result.calls


@shared_code
def test_a_failing_helm_install_stops_setup(script_env, mode):
    result = script_env.run(mode.setup, "--skip-build", FAKE_FAIL="helm *upgrade --install bud-e2e *")
    assert result.returncode != 0, result
    assert not [c for c in result.calls if c.startswith("curl")]
    assert script_env.deployment_env() is None


@shared_code
def test_default_admin_password_is_used_when_none_is_set(script_env, mode):
    if (REPO / "config/.env.e2e").exists():
        pytest.skip("config/.env.e2e exists here and may set E2E_ADMIN_PASSWORD")
    result = script_env.run(mode.setup, "--skip-build", E2E_ADMIN_PASSWORD=None)
    assert result.returncode == 0, result
    assert script_env.credentials_env()["E2E_ADMIN_PASSWORD"] == "E2eAdmin-Passw0rd"


@shared_code
def test_a_password_that_cannot_be_passed_safely_is_refused_early(script_env, mode):
    result = script_env.run(mode.setup, E2E_ADMIN_PASSWORD="it's")
    assert_one_line_error(result, "E2E_ADMIN_PASSWORD")
    assert "it's" not in result.stderr
    assert not [c for c in result.calls if not c.startswith("docker info")]


def test_state_files_are_private(deployed):
    mode, script_env, _ = deployed
    keys = script_env.state / mode.name / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("secrets.env", "rsa-private-key.pem", "dapr-crypto-key.pem"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600, name
    assert os.access(keys / "rsa-public-key.pem", os.R_OK)
