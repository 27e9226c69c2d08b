"""budapp's calls to other services through its Dapr sidecar (service invocation)."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.common.envelopes import ClientException


class DaprInvoker:
    def __init__(self, dapr_url: str, timeout: float = 30.0) -> None:
        self.http = httpx.AsyncClient(base_url=dapr_url, timeout=timeout)

    async def invoke(self, app_id: str, method: str, http_method: str = "POST", **kwargs: Any) -> dict[str, Any]:
        """Call ``method`` of ``app_id``; a refusal becomes a ClientException carrying the service's message."""
        try:
            response = await self.http.request(
                http_method, f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}", **kwargs
            )
        except httpx.HTTPError as exc:
            raise ClientException(f"{app_id} is unreachable: {type(exc).__name__}", 503) from None
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            message = body.get("message") or body.get("detail") or f"{app_id} answered {response.status_code}"
            raise ClientException(str(message), 400)
        return body

    async def aclose(self) -> None:
        await self.http.aclose()
