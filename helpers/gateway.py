"""budgateway's OpenAI-compatible API, and how a user gets a key for it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import httpx

from helpers.api_client import APIClient, Token, bearer
from helpers.masking import register_secret
from helpers.waiting import Polling, checked, poll_until

# budgateway's answer to a key it does not know (yet): tensorzero-internal/src/auth.rs
UNKNOWN_KEY = 401


def chat_body(model: str, prompt: str, **extra: Any) -> dict[str, Any]:
    """An OpenAI chat completion request: one user message to ``model`` (an endpoint name)."""
    return {"model": model, "messages": [{"role": "user", "content": prompt}], **extra}


def is_chat_completion(status: int, body: bytes) -> bool:
    """A 200 answer carrying an assistant choice (the load tests' check)."""
    if status != 200:
        return False
    try:
        return bool(json.loads(body)["choices"][0]["message"]["content"])
    except (ValueError, KeyError, IndexError, TypeError):
        return False


class GatewayAPI:
    def __init__(self, gateway: APIClient, polling: Polling) -> None:
        self.gateway = gateway
        self.polling = polling

    async def chat(self, key: str | None, model: str, prompt: str, **extra: Any) -> httpx.Response:
        return await self.gateway.post("/v1/chat/completions", json=chat_body(model, prompt, **extra), token=key or "")

    async def chat_with_body(self, key: str | None, body: dict[str, Any]) -> httpx.Response:
        """A chat completion request exactly as given (a body that misses what the API requires)."""
        return await self.gateway.post("/v1/chat/completions", json=body, token=key or "")

    async def embeddings(self, key: str | None, model: str, text: str | list[str]) -> httpx.Response:
        return await self.gateway.post("/v1/embeddings", json={"model": model, "input": text}, token=key or "")

    async def models(self, key: str | None) -> httpx.Response:
        return await self.gateway.get("/v1/models", token=key or "")

    async def wait_for_key(self, key: str, endpoint_names: Iterable[str] = (), timeout: float | None = None) -> None:
        """Wait until the gateway accepts ``key`` and lists ``endpoint_names`` for it.

        budapp writes keys and routes to Redis; the gateway learns them from Redis keyspace events, so a new key or
        endpoint reaches it a moment later: until then it answers 401 (an unknown key) or lists fewer models. Any
        other answer ends the wait at once.
        """
        wanted = set(endpoint_names)

        async def probe() -> tuple[int, set[str]]:
            response = checked(await self.models(key), expected=(200, UNKNOWN_KEY))
            listed = {m["id"] for m in response.json().get("data", [])} if response.status_code == 200 else set()
            return response.status_code, listed

        await poll_until(
            probe,
            lambda seen: seen[0] == 200 and wanted <= seen[1],
            description=f"the gateway to accept the key and list {sorted(wanted) or 'its endpoints'}",
            polling=self.polling.within(timeout),
            describe=lambda seen: f"HTTP {seen[0]}, listed {sorted(seen[1])}",
        )


def key_record_name(key: str) -> str:
    """The gateway's Redis entry of a key: ``api_key:`` and the SHA-256 hex digest of ``bud-<key>`` (budapp's
    playground_ops hash_jwt_token, the same scheme as its API keys)."""
    return "api_key:" + hashlib.sha256(f"bud-{key}".encode()).hexdigest()


async def initialize_playground(budapp: APIClient, access_token: str, *, signed_in: bool = True) -> httpx.Response:
    """The playground's call that makes ``access_token`` a gateway key: by the UI, signed in with the same token;
    by another app of a cross-app sign-on (``signed_in=False``), with the token in the body alone."""
    body = {"access_token": access_token}
    return await budapp.post("/playground/initialize-with-token", json=body, token=access_token if signed_in else "")


async def playground_key(budapp: APIClient, session: Token) -> str:
    """Make ``access_token`` a gateway key for the running endpoints of its user's projects.

    The key covers the endpoints that exist now: initialize again after deploying more.
    """
    access_token = await bearer(session)
    assert access_token, "a playground key needs a logged-in user"
    response = await initialize_playground(budapp, access_token)
    assert response.status_code == 200, (
        f"playground initialization failed: {response.status_code} {response.text[:300]}"
    )
    register_secret(access_token)
    return access_token
