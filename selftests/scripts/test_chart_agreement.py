"""The cluster and compose set-ups agree with the bud chart of a bud-runtime checkout.

Runs when a checkout is at hand (BUD_RUNTIME_DIR, default ~/src/bud-runtime) and skips, saying so, otherwise:
every key config/values.e2e.yaml sets exists in the chart's values or is read by a template; every service
and port the scripts port-forward is rendered by a template; each bud service of the compose file runs the
chart's command and sets every variable the chart's template sets on its container.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from selftests.scripts.script_harness import REPO

CHECKOUT = Path(os.environ.get("BUD_RUNTIME_DIR") or Path.home() / "src" / "bud-runtime")
CHART = CHECKOUT / "infra" / "helm" / "bud"
pytestmark = pytest.mark.skipif(
    not (CHART / "values.yaml").is_file(),
    reason=f"no bud chart at {CHART}: set BUD_RUNTIME_DIR to a bud-runtime checkout",
)

# Maps whose keys are free-form in the chart (environment variables, resource requests, scheduling).
FREE_FORM = {"env", "resources", "nodeSelector", "affinity", "extraEnvVars", "deploymentAnnotations"}
BUD_SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics")
# Variables the chart sets that compose sets differently on purpose, or has no counterpart for.
COMPOSE_ENV_EXCEPTIONS = {
    "budapp": {
        "FRONTEND_URL": "no front-ends in the E2E stack",
        "ADMIN_FRONTEND_URL": "no front-ends in the E2E stack",
        "OAUTH_RETURN_URL_ALLOWED_DOMAINS": "no OAuth providers in the E2E stack",
        "BUD_SENTINEL_BASE_URL": "budsentinel is off in the E2E values too",
        "STATIC_DIR": "the image's default static folder serves the icons",
    },
}


def chart_templates() -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted((CHART / "templates").rglob("*.yaml")))


def dependencies() -> set[str]:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    return {d.get("alias") or d["name"] for d in chart.get("dependencies", [])}


def leaf_paths(values: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value and key not in FREE_FORM:
            paths.extend(leaf_paths(value, path))
        else:
            paths.append(path)
    return paths


def known_to_the_chart(path: tuple[str, ...], chart_values: dict[str, Any], templates: str) -> bool:
    node: Any = chart_values
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return f".Values.{'.'.join(path)}" in templates
        node = node[key]
    return True


def test_every_key_the_e2e_values_set_is_one_the_chart_knows():
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    e2e_values = yaml.safe_load((REPO / "config" / "values.e2e.yaml").read_text())
    templates, subcharts = chart_templates(), dependencies()
    unknown = [
        ".".join(path)
        for path in leaf_paths(e2e_values)
        # a dependency's own keys are its chart's business (its values live in its package)
        if path[0] not in subcharts and not known_to_the_chart(path, chart_values, templates)
    ]
    assert unknown == [], f"values.e2e.yaml sets keys the chart neither defines nor reads: {unknown}"


def port_forwards() -> list[tuple[str, str, int]]:
    """(name, service, service port) of every forward scripts/lib/cluster.sh starts."""
    text = (REPO / "scripts" / "lib" / "cluster.sh").read_text()
    block = re.search(r"CLUSTER_FORWARDS=\((.*?)\n\)", text, re.S)
    assert block, "CLUSTER_FORWARDS not found in scripts/lib/cluster.sh"
    entries = [shlex.split(line)[0].split() for line in block.group(1).splitlines() if line.strip()]
    return [(name, service, int(remote)) for name, _suffix, service, _port, remote in entries]


def rendered_services(templates: str) -> dict[str, set[int]]:
    """Service name (after the release prefix) -> its ports, from the chart's own templates."""
    found: dict[str, set[int]] = {}
    for document in templates.split("\n---"):
        if not re.search(r"^kind: Service\s*$", document, re.M):
            continue
        name = re.search(r"^  name: \{\{ *\.Release\.Name *\}\}-([\w-]+)", document, re.M)
        if name:
            found.setdefault(name.group(1), set()).update(
                int(p) for p in re.findall(r"- (?:name: \w+\s+)?(?:protocol: \w+\s+)?port: (\d+)", document)
            )
    return found


def test_every_port_forward_reaches_a_service_the_chart_renders():
    templates, subcharts = chart_templates(), dependencies()
    services = rendered_services(templates)
    for name, service, port in port_forwards():
        if service.startswith("="):
            # the Dapr operator's <app-id>-dapr service: its app must be a Dapr-enabled template
            app = service[1:].removesuffix("-dapr")
            assert f"dapr.io/app-id: {{{{ .Values.microservices.{app}.daprid }}}}" in templates, name
            continue
        store = next((s for s in subcharts if service == s or service.startswith(f"{s}-")), None)
        if store:
            assert list(CHART.glob(f"charts/{store}-*.tgz")) or (CHART / "charts" / store).is_dir(), (
                f"{name}: the chart's dependency {store} is not vendored in {CHART / 'charts'}"
            )
            continue
        assert service in services, f"{name}: the chart renders no service <release>-{service}"
        assert port in services[service], f"{name}: <release>-{service} has ports {services[service]}, not {port}"


def chart_container(service: str) -> tuple[list[str] | None, set[str]]:
    """The command and the names of the variables the chart's template sets on the service's container."""
    text = (CHART / "templates" / "microservices" / f"{service}.yaml").read_text()
    command = re.search(r"^\s+command: (\[.*\])\s*$", text, re.M)
    names = set(re.findall(r"^\s+- name: ([A-Z][A-Z0-9_]+)\s*$", text, re.M))
    return (yaml.safe_load(command.group(1)) if command else None), names


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "config" / "docker-compose-e2e.yaml").read_text())


@pytest.mark.parametrize("service", BUD_SERVICES)
def test_compose_runs_each_bud_service_as_the_chart_does(compose, service):
    command, names = chart_container(service)
    mine = compose["services"][service]
    if command:
        assert mine.get("command") == command, f"{service}: compose runs {mine.get('command')}, the chart {command}"
    exceptions = COMPOSE_ENV_EXCEPTIONS.get(service, {})
    missing = sorted(names - set(mine.get("environment", {})) - set(exceptions))
    assert missing == [], f"{service}: the chart sets {missing} on its container, compose does not"
