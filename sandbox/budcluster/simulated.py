"""Simulated Kubernetes clusters: a kubeconfig's server host names one of them.

``https://<simulated-name>--<anything>.<domain>:6443`` reaches the cluster
described in ``<SANDBOX_SIMULATED_CLUSTERS_DIR>/<simulated-name>.yaml``; the
part after ``--`` lets many kubeconfigs point at the same simulated hardware.
An unknown name is a cluster that cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml


class KubeconfigError(ValueError):
    """The configuration is not a usable kubeconfig."""


def current_server(kubeconfig: dict[str, Any]) -> str:
    """The API server URL of the kubeconfig's current context."""
    try:
        contexts = {c["name"]: c["context"] for c in kubeconfig["contexts"]}
        clusters = {c["name"]: c["cluster"] for c in kubeconfig["clusters"]}
        context = contexts[kubeconfig.get("current-context") or next(iter(contexts))]
        return clusters[context["cluster"]]["server"]
    except (KeyError, TypeError, StopIteration) as exc:
        raise KubeconfigError(f"kubeconfig lacks {exc}") from None


def config_hash(kubeconfig: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(kubeconfig, sort_keys=True).encode()).hexdigest()


def simulated_name(server: str) -> str:
    host = urlparse(server).hostname or ""
    return host.split(".")[0].split("--")[0]


def load_cluster(directory: Path, server: str) -> dict[str, Any] | None:
    """The simulated cluster the server URL points at, or None when nothing answers there."""
    path = directory / f"{simulated_name(server)}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text())
