"""JWT blacklist in the Dapr state store, reached through the sidecar's state API."""

from __future__ import annotations

import time

from sandbox.common.http import HTTPFailure, PooledHTTP

STORE = "statestore"


class BlacklistUnavailable(Exception):
    """The state store could not be asked; callers must treat the token as rejected."""


class JWTBlacklist:
    def __init__(self, dapr_url: str) -> None:
        self.http = PooledHTTP(dapr_url, timeout=5.0, headers={"dapr-app-id": "budapp"})

    @staticmethod
    def key(token: str) -> str:
        return f"jwt_blacklist:{token}"

    async def add(self, token: str, ttl_seconds: int) -> None:
        # budapp's entry: a JSON object with the time it was revoked
        value = {"blacklisted": True, "timestamp": int(time.time())}
        item = {"key": self.key(token), "value": value, "metadata": {"ttlInSeconds": str(max(1, ttl_seconds))}}
        try:
            response = await self.http.post(f"/v1.0/state/{STORE}", json=[item])
        except HTTPFailure as exc:
            raise BlacklistUnavailable(str(exc)) from None
        if response.status >= 300:
            raise BlacklistUnavailable(f"state store answered {response.status}")

    async def contains(self, token: str) -> bool:
        try:
            response = await self.http.get(f"/v1.0/state/{STORE}/{self.key(token)}")
        except HTTPFailure as exc:
            raise BlacklistUnavailable(str(exc)) from None
        if response.status == 204:
            return False
        if response.status == 200:
            return bool(response.content)
        raise BlacklistUnavailable(f"state store answered {response.status}")

    async def aclose(self) -> None:
        await self.http.aclose()
