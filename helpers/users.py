"""budapp's user management (``/users``): what an admin does to accounts, and what a user edits of its own."""

from __future__ import annotations

from typing import Any

import httpx

from helpers.api_client import APIClient, Token


class UsersAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def create(self, token: Token, **fields: Any) -> httpx.Response:
        return await self.budapp.post("/users/", json=fields, token=token)

    async def list(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/users/", params=params, token=token)

    async def get(self, token: Token, user_id: str) -> httpx.Response:
        return await self.budapp.get(f"/users/{user_id}", token=token)

    async def edit(self, token: Token, user_id: str, **fields: Any) -> httpx.Response:
        return await self.budapp.patch(f"/users/{user_id}", json=fields, token=token)

    async def delete(self, token: Token, user_id: str) -> httpx.Response:
        return await self.budapp.delete(f"/users/{user_id}", token=token)
