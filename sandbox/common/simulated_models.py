"""Models the sandbox's "Hugging Face" holds: ``<org>/<name>--<tag>`` is ``data/models/<name>.yaml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from sandbox.settings import SUITE_ROOT


def models_dir() -> Path:
    return Path(os.environ.get("SANDBOX_SIMULATED_MODELS_DIR") or SUITE_ROOT / "data" / "models")


def find_model(uri: str) -> dict[str, Any] | None:
    name = uri.rsplit("/", 1)[-1].split("--")[0]
    path = models_dir() / f"{name}.yaml"
    return yaml.safe_load(path.read_text()) if name and path.is_file() else None
