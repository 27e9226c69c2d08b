"""config/values.e2e.yaml against the real bud chart, plus its own sanity checks.

The render test runs `helm template` on bud-runtime's infra/helm/bud with
config/values.e2e.yaml and the per-deployment values the setup scripts generate
(same shell functions, fresh keys). It needs helm and the chart: set
BUD_RUNTIME_DIR (or E2E_HELM_CHART); without them it is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from selftests.scripts.script_harness import FORWARDS, REPO, SERVICES

VALUES = REPO / "config/values.e2e.yaml"
RELEASE = NAMESPACE = "bud-e2e"
# Services the suite does not use: the E2E values switch them off.
DISABLED = (
    "budadmin",
    "budcustomer",
    "budplayground",
    "askbud",
    "budeval",
    "buddoc",
    "budnotify",
    "budprompt",
    "budpipeline",
)


def test_values_parse_and_set_what_the_suite_relies_on():
    values = yaml.safe_load(VALUES.read_text())
    services = values["microservices"]
    budapp_env = services["budapp"]["env"]
    assert budapp_env["RATE_LIMIT_ENABLED"] == "false"
    assert budapp_env["SUPER_USER_EMAIL"] == "admin@budtest.dev"
    assert "SUPER_USER_PASSWORD" not in budapp_env, "the password comes from the generated values"
    for svc in SERVICES:
        assert services[svc]["image"] == f"budstudio/{svc}:e2e-local"
        assert services[svc]["autoscaling"]["enabled"] is False
    for svc in DISABLED:
        assert services[svc]["enabled"] is False, svc
    for store in ("postgresql", "valkey", "clickhouse", "keycloak"):
        assert values[store]["enabled"] is True, store
    assert values["ingress"]["enabled"] is False


def chart_dir() -> Path | None:
    if os.environ.get("E2E_HELM_CHART"):
        return Path(os.environ["E2E_HELM_CHART"])
    if os.environ.get("BUD_RUNTIME_DIR"):
        return Path(os.environ["BUD_RUNTIME_DIR"]) / "infra/helm/bud"
    return None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[dict]:
    helm = shutil.which("helm")
    if helm is None:
        pytest.skip("helm is not installed (https://helm.sh/docs/intro/install/)")
    chart = chart_dir()
    if chart is None:
        pytest.skip("set BUD_RUNTIME_DIR to a bud-runtime checkout (or E2E_HELM_CHART) to render the chart")
    if not (chart / "Chart.yaml").is_file():
        pytest.skip(f"no Helm chart at {chart}")
    deps = subprocess.run([helm, "dependency", "list", str(chart)], capture_output=True, text=True)
    if "missing" in deps.stdout:
        pytest.skip(f"the chart's dependencies are not fetched: run 'helm dependency build {chart}'")

    # The per-deployment values exactly as the setup scripts write them.
    state = tmp_path_factory.mktemp("render")
    generated = state / "values.generated.yaml"
    snippet = (
        f'source "{REPO}/scripts/lib/common.sh"; source "{REPO}/scripts/lib/cluster.sh"; '
        f'cluster_ensure_secrets "{state}/keys"; cluster_write_helm_values "{generated}" "{state}/keys"'
    )
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "E2E_STATE_DIR": str(state),
            "E2E_ADMIN_PASSWORD": "Render-Check-1",
            "E2E_RSA_KEY_BITS": "1024",
        },
    )
    proc = subprocess.run(
        [helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE, "-f", str(VALUES), "-f", str(generated)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"helm template failed:\n{proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def objects(rendered, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in rendered if doc.get("kind") == kind}


def test_every_service_runs_the_locally_built_image(rendered):
    deployments = objects(rendered, "Deployment")
    for svc in SERVICES:
        name = f"{RELEASE}-{svc}"
        assert name in deployments, f"{name} is not rendered"
        images = [c["image"] for c in deployments[name]["spec"]["template"]["spec"]["containers"]]
        assert f"budstudio/{svc}:e2e-local" in images, images


def test_every_port_forward_target_exists_with_its_port(rendered):
    services = objects(rendered, "Service")
    for name, (suffix, port) in FORWARDS.items():
        if suffix.startswith("="):
            continue  # created by the Dapr operator for the sidecar, not by the chart
        svc = f"{RELEASE}-{suffix}"
        assert svc in services, f"port-forward {name}: Service {svc} is not rendered"
        assert port in [p["port"] for p in services[svc]["spec"]["ports"]], (name, services[svc]["spec"])


def test_budapp_gets_the_e2e_super_user_and_no_rate_limit(rendered):
    budapp = objects(rendered, "Deployment")[f"{RELEASE}-budapp"]
    env = {e["name"]: e.get("value") for e in budapp["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SUPER_USER_EMAIL"] == "admin@budtest.dev"
    assert env["SUPER_USER_PASSWORD"] == "Render-Check-1"
    assert env["RATE_LIMIT_ENABLED"] == "false"


def test_unused_services_are_not_deployed(rendered):
    names = set(objects(rendered, "Deployment")) | set(objects(rendered, "StatefulSet"))
    for svc in DISABLED:
        assert f"{RELEASE}-{svc}" not in names, svc
