"""The sandbox's Hugging Face: which repositories exist and what budmodel extracts from them.

A repository id ``<org>/<model>`` or ``<org>/<model>-<tag>`` (a valid Hugging Face repo id)
is the model described in ``<SANDBOX_SIMULATED_MODELS_DIR>/<model>.yaml``; the tag lets
every test onboard its own copy.

budmodel downloads a repository into a directory named after the model (``download_directory``),
reports that directory as ``local_path`` and keeps it in the model store (the sandbox's MinIO
bucket: a Redis hash of directory -> repository id), where budsim and budcluster read it back.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio as redis
import yaml

from sandbox.settings import SUITE_ROOT

MODEL_STORE_KEY = "sandbox:model-store"
_UNSAFE_DIRECTORY_CHARACTERS = re.compile(r"[^a-zA-Z0-9_-]")


def models_dir() -> Path:
    return Path(os.environ.get("SANDBOX_SIMULATED_MODELS_DIR") or SUITE_ROOT / "data" / "models")


def download_directory(model_name: str) -> str:
    """budmodel's download directory for a model: its name as ASCII letters, digits, ``_`` and ``-`` (anything
    else becomes ``_``; no leading or trailing ``.``/``_``), lower case, at most 20 characters (``unnamed`` when
    nothing is left), then ``_`` and the first 8 characters of a UUID."""
    ascii_name = unicodedata.normalize("NFKD", model_name).encode("ASCII", "ignore").decode("ASCII")
    safe = _UNSAFE_DIRECTORY_CHARACTERS.sub("_", ascii_name).strip("._").lower() or "unnamed"
    return f"{safe[:20]}_{str(uuid.uuid4())[:8]}"


async def store_download(store: redis.Redis, directory: str, repo_id: str) -> None:
    await store.hset(MODEL_STORE_KEY, directory, repo_id)


async def remove_download(store: redis.Redis, directory: str) -> None:
    """Remove a download from the store; removing one that is not there succeeds (as budmodel's delete does)."""
    await store.hdel(MODEL_STORE_KEY, directory)


async def stored_model(store: redis.Redis, uri: str) -> dict[str, Any] | None:
    """The described model a download directory in the store or a repository id names, or None."""
    repo_id = uri if "/" in uri else await store.hget(MODEL_STORE_KEY, uri)
    return find_model(str(repo_id)) if repo_id else None


def model_name(uri: str) -> str | None:
    """The described model a repo id names, the longest matching name first."""
    repo = uri.rstrip("/").rsplit("/", 1)[-1]
    known = sorted((p.stem for p in models_dir().glob("*.yaml")), key=len, reverse=True)
    return next((name for name in known if repo == name or repo.startswith(f"{name}-")), None)


def find_model(uri: str) -> dict[str, Any] | None:
    """The model's description (budmodel's ModelInfo fields plus ``supported_endpoints``), or None."""
    name = model_name(uri)
    if name is None:
        return None
    return yaml.safe_load((models_dir() / f"{name}.yaml").read_text())
