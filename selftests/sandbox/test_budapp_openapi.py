"""The sandbox budapp's /openapi.json names its operations and parameters as the real budapp's does.

The real document: E2E_OPENAPI_FILE, or the workplace's shared/contract/openapi/budapp.json beside the suite.
"""

import json
import os
from pathlib import Path

import pytest

from helpers.config import SUITE_ROOT

METHODS = ("get", "post", "put", "patch", "delete")
SANDBOX_ONLY = "/sandbox/"


def real_document() -> dict:
    named = os.environ.get("E2E_OPENAPI_FILE")
    candidates = [Path(named)] if named else []
    for candidate in [*candidates, SUITE_ROOT.parent / "shared/contract/openapi/budapp.json"]:
        if candidate.is_file():
            return json.loads(Path(candidate).read_text())
    pytest.skip("no real budapp OpenAPI document: set E2E_OPENAPI_FILE to budapp's openapi.json")


def operations(document: dict) -> dict:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


@pytest.fixture(scope="module")
def documents():
    from sandbox.budapp.app import app

    return operations(app.openapi()), operations(real_document())


def test_every_sandbox_operation_exists_in_budapp_under_the_same_operation_id(documents):
    sandbox, real = documents
    implemented = {key: op for key, op in sandbox.items() if not key[1].startswith(SANDBOX_ONLY)}
    assert [key for key in implemented if key not in real] == []
    assert {key: op["operationId"] for key, op in implemented.items()} == {
        key: real[key]["operationId"] for key in implemented
    }
