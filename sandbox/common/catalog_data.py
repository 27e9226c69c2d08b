"""The cloud-model catalogue of ``data/catalog/cloud-models.yaml``: what a BudConnect serves and budapp syncs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sandbox.settings import SUITE_ROOT

CATALOG_FILE = SUITE_ROOT / "data" / "catalog" / "cloud-models.yaml"


@lru_cache(maxsize=4)
def providers(path: Path = CATALOG_FILE) -> tuple[dict[str, Any], ...]:
    """Every provider with its ``models``, in file order."""
    document = yaml.safe_load(path.read_text())
    return tuple(document["providers"])
