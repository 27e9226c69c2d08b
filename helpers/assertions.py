"""Assertions that explain themselves: expected vs. what the platform answered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from helpers.masking import mask_body


def _describe(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url} -> {response.status_code}: {mask_body(response.content, limit=600)}"


def assert_status(response: httpx.Response, expected: int) -> Any:
    """Assert the HTTP status; return the JSON body (or None when there is none)."""
    assert response.status_code == expected, f"expected HTTP {expected}, got {_describe(response)}"
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def assert_error_response(response: httpx.Response, status: int, message: str | None = None) -> dict[str, Any]:
    """budapp's ErrorResponse envelope: object=error, code=status, message, type, param."""
    body = assert_status(response, status)
    assert isinstance(body, dict) and body.get("object") == "error", (
        f"expected an ErrorResponse, got {_describe(response)}"
    )
    assert body.get("code") == status, f"ErrorResponse.code should equal {status}: {_describe(response)}"
    assert {"message", "type", "param"} <= body.keys(), f"ErrorResponse lacks fields: {_describe(response)}"
    if message is not None:
        assert body["message"] == message, f"expected message {message!r}, got {_describe(response)}"
    return body


def assert_detail(response: httpx.Response, status: int, detail: str) -> None:
    """FastAPI-style ``{"detail": "..."}`` error."""
    body = assert_status(response, status)
    assert body == {"detail": detail}, f"expected {{'detail': {detail!r}}}, got {_describe(response)}"


def assert_validation_error(response: httpx.Response, *expected: tuple[Iterable[str], str]) -> list[dict[str, Any]]:
    """422 with pydantic's list of errors; each ``(loc, type)`` pair must be present."""
    body = assert_status(response, 422)
    errors = body.get("detail") if isinstance(body, dict) else None
    assert isinstance(errors, list) and errors, f"expected a 422 detail list, got {_describe(response)}"
    for item in errors:
        assert {"type", "loc", "msg"} <= item.keys(), f"malformed 422 item {item}: {_describe(response)}"
    seen = {(tuple(map(str, e["loc"])), e["type"]) for e in errors}
    for loc, kind in expected:
        assert (tuple(loc), kind) in seen, f"expected 422 error {kind} at {list(loc)}, got {sorted(seen)}"
    return errors


def assert_success_envelope(body: dict[str, Any], object_name: str) -> None:
    assert isinstance(body, dict), f"expected a JSON object, got {body!r}"
    assert body.get("object") == object_name, f"expected object={object_name!r}, got {body.get('object')!r}"
    assert isinstance(body.get("message"), str) and body["message"], f"success envelope lacks a message: {body}"


async def assert_workflow_completed(
    waiter, workflow_id: str, timeout: float | None = None, workflow_type: str | None = None
) -> dict[str, Any]:
    """Wait with ``waiter`` (a WorkflowWaiter) for the workflow and assert it completed; returns the final record.

    Fails at once, saying why, when the workflow or one of its downstream steps fails.
    """
    record = await waiter.wait_for_workflow(workflow_id=workflow_id, workflow_type=workflow_type, timeout=timeout)
    assert record["status"] == "completed", f"workflow {workflow_id} ended {record['status']}"
    return record
