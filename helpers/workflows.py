"""budapp's workflow records (``/workflows``): what a multi-step workflow stored, listed per user."""

from __future__ import annotations

from typing import Any

import httpx

from helpers.api_client import APIClient, Token


class WorkflowsAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def get(self, token: Token, workflow_id: str) -> httpx.Response:
        return await self.budapp.get(f"/workflows/{workflow_id}", token=token)

    async def list(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/workflows", params=params, token=token)

    async def mark_completed(self, token: Token, workflow_id: str) -> httpx.Response:
        return await self.budapp.patch(f"/workflows/{workflow_id}", token=token)

    async def delete(self, token: Token, workflow_id: str) -> httpx.Response:
        return await self.budapp.delete(f"/workflows/{workflow_id}", token=token)
