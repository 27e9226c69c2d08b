"""Inputs for platform resources, unique per run and xdist worker.

The factory only builds what a test sends; fixtures in fixtures/data.py create
the resources through the API and delete them afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.config import SUITE_ROOT, Settings
from helpers.naming import unique_name

DATA_DIR = SUITE_ROOT / "data"
KUBECONFIG_TEMPLATE = DATA_DIR / "kubeconfigs" / "template.yaml"
# Deployments whose budcluster and budmodel are the sandbox's: they serve simulated clusters and models.
SIMULATED_TARGETS = ("sandbox", "source")
SIMULATED_MODEL = "tiny-llama"
SIMULATED_ORG = "e2e-org"
NO_CLUSTER = (
    "no cluster to onboard on deployment {deployment!r}: set E2E_CLUSTER_KUBECONFIG "
    "(targets.cluster_kubeconfig) to a kubeconfig its budcluster can reach"
)
NO_LOCAL_MODEL = (
    "no Hugging Face model to onboard on deployment {deployment!r}: set E2E_LOCAL_MODEL_URI "
    "(targets.local_model_uri) to a repository its budmodel can download"
)

NO_PROVIDER = (
    "no provider key for cloud deployments on deployment {deployment!r}: its gateway forwards to the provider, so "
    "set E2E_PROVIDER_API_KEY (targets.provider_api_key) to an OpenAI key, or to the key of an OpenAI-compatible "
    "server named by E2E_PROVIDER_API_BASE"
)


def simulated_targets(settings: Settings) -> bool:
    return settings.deployment in SIMULATED_TARGETS


def shares_one_cluster(settings: Settings) -> bool:
    """A configured kubeconfig is one API server: budcluster registers it once, so the run shares it."""
    return bool(settings.targets.cluster_kubeconfig)


def require_cluster_target(settings: Settings) -> None:
    """Skip (one line saying what to set) where nothing can be onboarded as a cluster."""
    if not settings.targets.cluster_kubeconfig and not simulated_targets(settings):
        pytest.skip(NO_CLUSTER.format(deployment=settings.deployment))


def local_model_uri(settings: Settings, name: str, simulated: str = SIMULATED_MODEL) -> str:
    """The repository a local-model test onboards: the configured one, else (sandbox and source mode)
    ``e2e-org/<simulated>-<name>``, a valid Hugging Face repo id unique to the test; skips elsewhere."""
    if settings.targets.local_model_uri:
        return settings.targets.local_model_uri
    if not simulated_targets(settings):
        pytest.skip(NO_LOCAL_MODEL.format(deployment=settings.deployment))
    return f"{SIMULATED_ORG}/{simulated}-{name}"


def provider_secrets(settings: Settings) -> dict[str, str]:
    """The OpenAI credential a cloud endpoint is deployed with: the configured key (and server), else, on the
    sandbox and in source mode, a placeholder that the sandbox's deterministic engine answers; skips elsewhere."""
    configured = settings.targets.provider_api_key
    if configured is not None:
        found = {"api_key": configured.get_secret_value()}
        if settings.targets.provider_api_base:
            found["api_base"] = settings.targets.provider_api_base
        return found
    if not simulated_targets(settings):
        pytest.skip(NO_PROVIDER.format(deployment=settings.deployment))
    return {"api_key": f"sk-e2e-{secrets.token_hex(16)}"}


@dataclass
class ClusterSpec:
    name: str
    kubeconfig: bytes
    ingress_url: str


class TestDataFactory:
    """``TestDataFactory.create_test_project()`` and friends: bodies, not API calls."""

    __test__ = False

    @staticmethod
    def create_test_project(**overrides: Any) -> dict[str, Any]:
        return {
            "name": unique_name("project"),
            "description": "created by the E2E suite",
            "tags": [{"name": "e2e", "color": "#0F9D58"}],
            **overrides,
        }

    @staticmethod
    def create_test_cluster(simulated: str = "sim-cpu-2node", kubeconfig_file: str | None = None) -> ClusterSpec:
        """A cluster to onboard: a real kubeconfig file when given, else one for a simulated cluster."""
        name = unique_name("cluster")
        if kubeconfig_file:
            kubeconfig = Path(kubeconfig_file).read_bytes()
        else:
            tag = secrets.token_hex(4)
            kubeconfig = KUBECONFIG_TEMPLATE.read_text().replace("{cluster}", simulated).replace("{tag}", tag).encode()
        return ClusterSpec(name=name, kubeconfig=kubeconfig, ingress_url=f"http://{name}.ingress.sandbox.local")

    @staticmethod
    def create_test_model_deployment(**overrides: Any) -> dict[str, Any]:
        return {
            "endpoint_name": unique_name("endpoint"),
            "deploy_config": {"concurrent_requests": 2, "avg_sequence_length": 128, "avg_context_length": 512},
            **overrides,
        }
