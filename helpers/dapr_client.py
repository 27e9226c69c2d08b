"""Talking to a Dapr sidecar's HTTP API: service invocation, state, pub/sub."""

from __future__ import annotations

from typing import Any

import httpx

from helpers.api_client import APIClient


class DaprClient:
    """``DaprClient(dapr_api_client)``: the sidecar's /v1.0 API, with an optional app id of the caller."""

    def __init__(self, sidecar: APIClient, app_id: str = "budapp") -> None:
        self.sidecar = sidecar
        self.app_id = app_id

    def _headers(self) -> dict[str, str]:
        return {"dapr-app-id": self.app_id}

    async def invoke(self, app_id: str, method: str, http_method: str = "GET", **kwargs: Any) -> httpx.Response:
        return await self.sidecar.request(
            http_method, f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}", headers=self._headers(), **kwargs
        )

    async def get_state(self, key: str, store: str = "statestore") -> Any:
        """The stored value, or None when the key is absent (Dapr answers 204)."""
        response = await self.sidecar.get(f"/v1.0/state/{store}/{key}", headers=self._headers())
        assert response.status_code in (200, 204), f"state read failed: {response.status_code} {response.text[:200]}"
        return response.json() if response.status_code == 200 and response.content else None

    async def publish(self, topic: str, data: dict[str, Any], pubsub: str = "pubsub-redis") -> httpx.Response:
        return await self.sidecar.post(f"/v1.0/publish/{pubsub}/{topic}", json=data, headers=self._headers())
