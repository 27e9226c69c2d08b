"""Inputs for platform resources, unique per run and xdist worker.

The factory only builds what a test sends; fixtures in fixtures/data.py create
the resources through the API and delete them afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.config import SUITE_ROOT
from helpers.naming import unique_name

DATA_DIR = SUITE_ROOT / "data"
KUBECONFIG_TEMPLATE = DATA_DIR / "kubeconfigs" / "template.yaml"


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
        return {"name": unique_name("project"), "description": "created by the E2E suite",
                "tags": [{"name": "e2e", "color": "#0F9D58"}], **overrides}

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
        return {"endpoint_name": unique_name("endpoint"),
                "deploy_config": {"concurrent_requests": 2, "avg_sequence_length": 128, "avg_context_length": 512},
                **overrides}
