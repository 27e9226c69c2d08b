"""budapp's project endpoints as user-level actions."""

from __future__ import annotations

import builtins
from typing import Any

import httpx

from helpers.api_client import APIClient, Token
from helpers.naming import unique_name


class ProjectsAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def create(self, token: Token, name: str | None = None, **fields: Any) -> httpx.Response:
        # a description as the UI always sends one (budapp cannot store a project without: BUD-005)
        body = {"name": name or unique_name("project"), "description": "Created by the E2E suite", **fields}
        return await self.budapp.post("/projects/", json=body, token=token)

    async def create_exactly(self, token: Token, **body: Any) -> httpx.Response:
        """Create with only the fields given, as a client other than the UI may send."""
        return await self.budapp.post("/projects/", json=body, token=token)

    async def create_from_bytes(self, token: Token, content: bytes) -> httpx.Response:
        """Create with a body sent byte for byte as JSON (a malformed document)."""
        headers = {"Content-Type": "application/json"}
        return await self.budapp.post("/projects/", content=content, headers=headers, token=token)

    async def get(self, token: Token, project_id: str) -> httpx.Response:
        return await self.budapp.get(f"/projects/{project_id}", token=token)

    async def list(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/projects/", params=params, token=token)

    async def edit(self, token: Token, project_id: str, **fields: Any) -> httpx.Response:
        return await self.budapp.patch(f"/projects/{project_id}", json=fields, token=token)

    async def delete(self, token: Token, project_id: str) -> httpx.Response:
        return await self.budapp.delete(f"/projects/{project_id}", token=token)

    async def add_members(
        self, token: Token, project_id: str, user_ids: builtins.list[str], scopes: tuple[str, ...] = ("endpoint:view",)
    ) -> httpx.Response:
        """Add existing users to a project, each with the given endpoint scopes."""
        users = [{"user_id": user_id, "scopes": list(scopes)} for user_id in user_ids]
        return await self.budapp.post(f"/projects/{project_id}/add-users", json={"users": users}, token=token)
