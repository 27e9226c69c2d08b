"""The sandbox's Hugging Face: which repositories exist and what budmodel extracts from them.

A repository id ``<org>/<model>`` or ``<org>/<model>-<tag>`` (a valid Hugging Face repo id)
is the model described in ``<SANDBOX_SIMULATED_MODELS_DIR>/<model>.yaml``; the tag lets
every test onboard its own copy. Registry paths ``models-registry/<org>/<repo>`` (what
budmodel reports as ``local_path``) name the same model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from sandbox.settings import SUITE_ROOT

REGISTRY_PREFIX = "models-registry/"


def models_dir() -> Path:
    return Path(os.environ.get("SANDBOX_SIMULATED_MODELS_DIR") or SUITE_ROOT / "data" / "models")


def registry_path(repo_id: str) -> str:
    """Where the sandbox's budmodel "saves" a downloaded repository."""
    return REGISTRY_PREFIX + repo_id


def model_name(uri: str) -> str | None:
    """The described model a repo id or registry path names, the longest matching name first."""
    repo = uri.rstrip("/").rsplit("/", 1)[-1]
    known = sorted((p.stem for p in models_dir().glob("*.yaml")), key=len, reverse=True)
    return next((name for name in known if repo == name or repo.startswith(f"{name}-")), None)


def find_model(uri: str) -> dict[str, Any] | None:
    """The model's description (budmodel's ModelInfo fields plus ``supported_endpoints``), or None."""
    name = model_name(uri)
    if name is None:
        return None
    return yaml.safe_load((models_dir() / f"{name}.yaml").read_text())
