"""Unique, recognisable names for everything the suite creates.

Every name starts with ``<prefix>-<run id>-<worker>`` so that resources of one
run (and of one xdist worker) never collide with another's, and leftovers can
be found and deleted by prefix.
"""

from __future__ import annotations

import os
import secrets
import string
from functools import lru_cache

from helpers.config import name_prefix as configured_name_prefix

_LETTERS = string.ascii_lowercase


@lru_cache(maxsize=1)
def run_id() -> str:
    """Identifier of this test run, shared by all xdist workers of the run."""
    explicit = os.environ.get("E2E_RUN_ID") or os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if explicit:
        return "".join(ch for ch in explicit.lower() if ch.isalnum())[:8]
    return secrets.token_hex(4)


def worker_id() -> str:
    """xdist worker name (gw0, gw1, ...) or 'main' when not distributed."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def name_prefix() -> str:
    """Leading word of every name (E2E_NAME_PREFIX, default ``e2e``), as the settings read it."""
    return configured_name_prefix()


def run_prefix() -> str:
    """Prefix shared by every resource of this run: ``e2e-1a2b3c4d``."""
    return f"{name_prefix()}-{run_id()}"


def unique_name(kind: str) -> str:
    """``e2e-<run>-<worker>-<kind>-<random>``: unique per run, worker and call."""
    return f"{run_prefix()}-{worker_id()}-{kind}-{secrets.token_hex(3)}"


def _letters(number: str) -> str:
    """Map hex/alphanumerics to letters only (for fields that allow no digits)."""
    return "".join(_LETTERS[int(ch, 36) % 26] for ch in number)


def unique_person_name() -> str:
    """A user's display name; budapp allows only letters, spaces, '-' and "'"."""
    tag = _letters(run_id() + worker_id()[-2:] + secrets.token_hex(3))
    return f"Endtoend User {tag}"


def unique_email() -> str:
    return f"{unique_name('user')}@e2e.budtest.dev"


def strong_password() -> str:
    """A password that satisfies budapp's rules (digit, upper, lower, punctuation)."""
    return f"E2e!{secrets.token_urlsafe(12)}9a"
