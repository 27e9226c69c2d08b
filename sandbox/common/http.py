"""The sandbox services' client for their hot internal calls (sidecar state, publish, delivery, ClickHouse).

One pooled aiohttp session per base URL, opened on first use inside the running
event loop. These calls happen on nearly every request the platform serves, so
they use the cheaper client (the Dapr Python SDK also talks to its sidecar over
aiohttp); failures surface as one exception type.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


class HTTPFailure(Exception):
    """The peer could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Answer:
    status: int
    content: bytes
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class PooledHTTP:
    def __init__(self, base_url: str = "", *, timeout: float = 10.0, headers: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers=self.headers,
                skip_auto_headers=("User-Agent",),
                connector=aiohttp.TCPConnector(limit=100),
            )
            self._loop = loop
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """``path`` is joined to the base URL (or is a full URL when there is none)."""
        url = f"{self.base_url}/{path.lstrip('/')}" if self.base_url else path
        body = jsonlib.dumps(json).encode() if json is not None else content
        merged = dict(headers or {})
        if json is not None:
            merged.setdefault("Content-Type", "application/json")
        try:
            async with self._open().request(method, url, data=body, params=params, headers=merged) as response:
                return Answer(response.status, await response.read(), response.headers.get("Content-Type"))
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise HTTPFailure(f"{method} {url}: {type(exc).__name__} {exc}".strip()) from None

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("POST", path, **kwargs)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
