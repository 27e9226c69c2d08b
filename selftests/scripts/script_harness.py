"""Runs the setup/teardown scripts against fake docker/k3d/kind/kubectl/helm/curl.

Each test gets a private folder with:
  bin/     the only PATH: links to a few basic tools and to the fakes in fakebin/
           (so a real docker/kubectl on the machine can never be reached, and a
           tool left out is really missing)
  state/   E2E_STATE_DIR of the scripts
  fake/    what the fakes remember (clusters, namespaces, releases, Dapr)
  calls.log  one line per fake call: "<tool> <args...>"
  bud-runtime/  a skeleton bud-runtime checkout (Dockerfiles, Chart.yaml)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dotenv import dotenv_values

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
FAKEBIN = Path(__file__).resolve().parent / "fakebin"

# What the scripts (and the fakes) use besides the tools they check for.
BASIC_TOOLS = (
    "bash",
    "env",
    "sed",
    "grep",
    "date",
    "mkdir",
    "cat",
    "rm",
    "rmdir",
    "sleep",
    "head",
    "tail",
    "dirname",
    "basename",
    "chmod",
    "tr",
    "ps",
    "cp",
    "readlink",
    "touch",
)
FAKE_TOOLS = ("docker", "k3d", "kind", "kubectl", "helm", "curl")
ALL_TOOLS = (*FAKE_TOOLS, "openssl")

SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway")
SERVICE_PORTS = {
    "budapp": 9082,
    "budcluster": 3003,
    "budsim": 3002,
    "budmodel": 3004,
    "budmetrics": 3005,
    "budgateway": 3000,
}
# Port-forwards of the Kubernetes modes: name -> (service suffix, service port).
FORWARDS = {
    "budapp": ("budapp", 9082),
    "budcluster": ("budcluster", 3003),
    "budsim": ("budsim", 3002),
    "budmodel": ("budmodel", 3004),
    "budmetrics": ("budmetrics", 3005),
    "budgateway": ("budgateway", 3000),
    "keycloak": ("keycloak", 80),
    "postgres": ("postgresql", 5432),
    "redis": ("valkey-primary", 6379),
    "clickhouse": ("clickhouse", 8123),
    # budapp's sidecar, through the Service the Dapr operator creates for app id budapp (no release prefix)
    "dapr": ("=budapp-dapr", 80),
}
PORT_NAMES = tuple(FORWARDS)
ADMIN_PASSWORD = 'Selftest#Pass"1\\x'


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on right now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def pid_running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_stopped(pids, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = [pid for pid in pids if pid_running(pid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if pid_running(pid)]
    return alive


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ERROR")]

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}\n--- calls\n" + "\n".join(
            self.calls
        )


class ScriptEnv:
    """A private PATH, state folder and fake-tool memory for running the scripts."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.state = root / "state"
        self.fake_state = root / "fake"
        self.log = root / "calls.log"
        self.source = root / "bud-runtime"
        self.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=False))
        self.extra_env: dict[str, str] = {}
        self._make_source_tree()
        self.use_tools()

    # -- set-up -------------------------------------------------------------

    def _make_source_tree(self) -> None:
        (self.source / "infra/helm/bud").mkdir(parents=True)
        (self.source / "infra/helm/bud/Chart.yaml").write_text("apiVersion: v2\nname: bud\nversion: 0.1.0\n")
        for svc in SERVICES:
            dockerfile = self.dockerfile(svc)
            dockerfile.parent.mkdir(parents=True, exist_ok=True)
            dockerfile.write_text("FROM scratch\n")

    def dockerfile(self, svc: str) -> Path:
        if svc == "budgateway":
            return self.source / "services/budgateway/gateway/Dockerfile"
        return self.source / f"services/{svc}/deploy/Dockerfile"

    @property
    def chart(self) -> Path:
        return self.source / "infra/helm/bud"

    def use_tools(self, without=(), tools=ALL_TOOLS) -> None:
        """Rebuild bin/ with the basic tools and `tools`, less `without`."""
        if self.bin.exists():
            shutil.rmtree(self.bin)
        self.bin.mkdir()
        for tool in BASIC_TOOLS + tuple(tools):
            if tool in without:
                continue
            target = FAKEBIN / tool if tool in FAKE_TOOLS else shutil.which(tool, path="/usr/bin:/bin")
            if target is None:
                raise RuntimeError(f"the selftests need '{tool}' in /usr/bin or /bin")
            (self.bin / tool).symlink_to(target)

    def mark(self, *names: str) -> None:
        """Make the fakes answer that these exist (e.g. 'k3d-cluster-bud-e2e', 'dapr')."""
        self.fake_state.mkdir(exist_ok=True)
        for name in names:
            (self.fake_state / name).touch()

    def marks(self) -> set[str]:
        return {p.name for p in self.fake_state.iterdir()} if self.fake_state.exists() else set()

    # -- running ------------------------------------------------------------

    def env(self, **overrides: str | None) -> dict[str, str]:
        env = {
            "PATH": str(self.bin),
            "HOME": str(self.root),
            "LANG": "C",
            "E2E_STATE_DIR": str(self.state),
            "FAKE_LOG": str(self.log),
            "FAKE_STATE": str(self.fake_state),
            "FAKE_LIB": str(FAKEBIN / "_fakelib.sh"),
            "BUD_RUNTIME_DIR": str(self.source),
            "E2E_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "E2E_WAIT_INTERVAL": "0",
            "E2E_RSA_KEY_BITS": "1024",
            "E2E_PORT_FORWARD_RESTART_DELAY": "0.2",
        }
        env.update({f"E2E_PORT_{name.upper()}": str(port) for name, port in self.ports.items()})
        env.update(self.extra_env)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, script: str, *args: str, timeout: float = 60, **env: str | None) -> Result:
        start = len(self.calls())
        proc = subprocess.run(
            [str(SCRIPTS / script), *args],
            env=self.env(**env),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr, self.calls()[start:])

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    # -- what the scripts left ------------------------------------------------

    # A key written without a value reads as None, so a test comparing it to a string fails instead of
    # matching an empty default.
    def deployment_env(self) -> dict[str, str | None] | None:
        path = self.state / "deployment.env"
        return dict(dotenv_values(path)) if path.exists() else None

    def credentials_env(self) -> dict[str, str | None] | None:
        path = self.state / "credentials.env"
        return dict(dotenv_values(path)) if path.exists() else None

    def forward_pids(self) -> dict[str, int]:
        folder = self.state / "port-forwards"
        if not folder.exists():
            return {}
        return {p.stem: int(p.read_text()) for p in folder.glob("*.pid")}

    def stop_leftovers(self) -> None:
        """Stop port-forward loops a failed test may have left running."""
        for pid in self.forward_pids().values():
            try:
                if "port-forward-loop.sh" in Path(f"/proc/{pid}/cmdline").read_text():
                    os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


@pytest.fixture
def script_env(tmp_path):
    env = ScriptEnv(tmp_path)
    yield env
    env.stop_leftovers()


# -- expected call sequences ------------------------------------------------


def without_forwards(calls: list[str]) -> list[str]:
    """The calls in order, less the port-forwards (they start in the background)."""
    return [call for call in calls if " port-forward " not in call]


def forward_calls(calls: list[str]) -> set[str]:
    return {call for call in calls if " port-forward " in call}


def expected_forwards(env: ScriptEnv, context: str, namespace: str = "bud-e2e", release: str = "bud-e2e") -> set[str]:
    return {
        f"kubectl --context {context} -n {namespace} port-forward --address 127.0.0.1 "
        f"svc/{svc[1:] if svc.startswith('=') else f'{release}-{svc}'} {env.ports[name]}:{port}"
        for name, (svc, port) in FORWARDS.items()
    }


def build_calls(env: ScriptEnv, registry: str = "budstudio", tag: str = "e2e-local") -> list[str]:
    calls = []
    for svc in SERVICES:
        context = env.source / f"services/{svc}"
        calls.append(f"docker build -t {registry}/{svc}:{tag} -f {env.dockerfile(svc)} {context}")
    return calls


def images(registry: str = "budstudio", tag: str = "e2e-local") -> str:
    return " ".join(f"{registry}/{svc}:{tag}" for svc in SERVICES)


def dapr_install_calls(context: str) -> list[str]:
    return [
        "helm repo add dapr https://dapr.github.io/helm-charts/ --force-update",
        "helm repo update dapr",
        f"helm --kube-context {context} upgrade --install dapr dapr/dapr --version 1.15.8 "
        "--namespace dapr-system --create-namespace --set global.ha.enabled=false --wait --timeout 600s",
    ]


def dapr_wait_calls(context: str) -> list[str]:
    return [
        f"kubectl --context {context} -n dapr-system rollout status {workload} --timeout=600s"
        for workload in (
            "deployment/dapr-operator",
            "deployment/dapr-sidecar-injector",
            "deployment/dapr-sentry",
            "statefulset/dapr-placement-server",
        )
    ]


def chart_calls(
    env: ScriptEnv, context: str, mode: str, namespace: str = "bud-e2e", release: str = "bud-e2e"
) -> list[str]:
    return [
        f"helm dependency list {env.chart}",
        f"helm --kube-context {context} upgrade --install {release} {env.chart} --namespace {namespace} "
        f"-f {REPO}/config/values.e2e.yaml -f {env.state}/{mode}/values.generated.yaml "
        "--wait --timeout 20m",
    ]


def readiness_calls(context: str, namespace: str = "bud-e2e", release: str = "bud-e2e") -> list[str]:
    calls = [
        f"kubectl --context {context} -n {namespace} wait pod --for=condition=Ready "
        f"-l app.kubernetes.io/instance={release},app.kubernetes.io/name={store} --timeout=600s"
        for store in ("postgresql", "valkey", "clickhouse", "keycloak")
    ]
    calls += [
        f"kubectl --context {context} -n {namespace} rollout status deployment/{release}-{svc} --timeout=600s"
        for svc in SERVICES
    ]
    return calls


def health_calls(env: ScriptEnv, keycloak_path: str = "/realms/master") -> list[str]:
    calls = [f"curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:{env.ports[svc]}/health" for svc in SERVICES]
    calls.append(f"curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:{env.ports['keycloak']}{keycloak_path}")
    return calls


def kubernetes_deploy_calls(
    env: ScriptEnv,
    context: str,
    mode: str,
    *,
    namespace: str = "bud-e2e",
    create_namespace: bool = True,
    dapr: str = "install",
) -> list[str]:
    """Everything after the cluster exists (cluster_deploy), less the port-forwards.

    dapr: "install" (missing, so installed), "present" (already there), "skip" (--skip-dapr).
    """
    calls = [f"kubectl --context {context} get namespace {namespace}"]
    if create_namespace:
        calls.append(f"kubectl --context {context} create namespace {namespace}")
    if dapr != "skip":
        calls.append(f"kubectl --context {context} get crd components.dapr.io")
        if dapr == "install":
            calls += dapr_install_calls(context)
        calls += dapr_wait_calls(context)
    calls += chart_calls(env, context, mode, namespace)
    calls += readiness_calls(context, namespace)
    calls += health_calls(env)
    if mode in LOCAL_CLUSTER_MODES:
        calls += onboarding_calls(context, namespace)
    return calls


# the set-ups that make the cluster they deploy to, and so a kubeconfig budcluster can onboard it with
LOCAL_CLUSTER_MODES = ("k3d", "kind")
ONBOARDING_ACCOUNT = "bud-e2e-onboarding"


def onboarding_calls(context: str, namespace: str = "bud-e2e") -> list[str]:
    kubectl = f"kubectl --context {context}"
    return [
        f"{kubectl} -n {namespace} create serviceaccount {ONBOARDING_ACCOUNT} --dry-run=client -o yaml",
        f"{kubectl} apply -f -",
        f"{kubectl} create clusterrolebinding {ONBOARDING_ACCOUNT}-{namespace} --clusterrole=cluster-admin "
        f"--serviceaccount={namespace}:{ONBOARDING_ACCOUNT} --dry-run=client -o yaml",
        f"{kubectl} apply -f -",
        f"{kubectl} -n {namespace} create token {ONBOARDING_ACCOUNT} --duration=48h",
        f"{kubectl} config view --raw --minify -o jsonpath={{.clusters[0].cluster.certificate-authority-data}}",
    ]


def expected_deployment_env(env: ScriptEnv, mode: str, context: str, namespace: str = "bud-e2e") -> dict:
    port = env.ports
    return {
        "E2E_DEPLOYMENT": mode,
        "E2E_PROFILE": mode,
        "E2E_BUDAPP_URL": f"http://127.0.0.1:{port['budapp']}",
        "E2E_BUDCLUSTER_URL": f"http://127.0.0.1:{port['budcluster']}",
        "E2E_BUDSIM_URL": f"http://127.0.0.1:{port['budsim']}",
        "E2E_BUDMODEL_URL": f"http://127.0.0.1:{port['budmodel']}",
        "E2E_BUDGATEWAY_URL": f"http://127.0.0.1:{port['budgateway']}",
        "E2E_BUDMETRICS_URL": f"http://127.0.0.1:{port['budmetrics']}",
        "E2E_KEYCLOAK_URL": f"http://127.0.0.1:{port['keycloak']}",
        "E2E_DAPR_URL": f"http://127.0.0.1:{port['dapr']}",
        "E2E_POSTGRES_DSN": f"postgresql://budapp@127.0.0.1:{port['postgres']}/budapp",
        "E2E_REDIS_URL": f"redis://127.0.0.1:{port['redis']}/0",
        "E2E_GATEWAY_REDIS_URL": f"redis://127.0.0.1:{port['redis']}/2",
        "E2E_CLICKHOUSE_URL": f"http://127.0.0.1:{port['clickhouse']}",
        "E2E_KUBE_CONTEXT": context,
        "E2E_KUBE_NAMESPACE": namespace,
        "E2E_HELM_RELEASE": "bud-e2e",
        **(
            {"E2E_CLUSTER_KUBECONFIG": str(env.state / mode / "onboarding-kubeconfig.yaml")}
            if mode in LOCAL_CLUSTER_MODES
            else {}
        ),
    }


def assert_one_line_error(result: Result, *fragments: str, code: int = 1) -> None:
    assert result.returncode == code, result
    assert len(result.errors) == 1, result
    for fragment in fragments:
        assert fragment in result.errors[0], result
