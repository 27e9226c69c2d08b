"""Thin typed wrapper over one ``httpx.AsyncClient`` per service.

One place for the base URL, the bearer token, timeouts, retries and
request/response logging (masked). Retries happen only for connection errors
and 502/503/504 answers, only on idempotent methods unless a call asks for it,
never on 4xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import httpx

from helpers.masking import mask_body, mask_headers

if TYPE_CHECKING:
    from helpers.config import Settings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
HISTORY_SIZE = 25

# told of every answered request (the response contract check listens here)
ResponseObserver = Callable[[str, str, httpx.Response], None]


@runtime_checkable
class AuthProvider(Protocol):
    """One user's session as a client uses it: the bearer token for the next request, and a fresh one when the
    platform refused the last (bound per call, as Tempest binds an auth provider to its REST client)."""

    async def access_token(self) -> str: ...

    async def renew(self) -> str: ...


# what a call authenticates with: a user's session, a raw token (for tests of bad and revoked tokens), or nothing
Token = str | AuthProvider | None


async def bearer(token: Token) -> str | None:
    """The token string ``token`` stands for now (an access token used as data, e.g. a playground key)."""
    return await token.access_token() if isinstance(token, AuthProvider) else token


SETUP_HINT = "start a deployment with ./scripts/setup.sh (check it with ./scripts/health-check.sh)"


class ServiceUnreachableError(Exception):
    """The service did not accept connections; the message says where and what to do."""


class ServiceTimeoutError(Exception):
    """The service accepted the request but did not answer in time."""


@dataclass
class Exchange:
    """One request and its response, kept for failure reports.

    Bodies are kept as sent and received and masked when read (``request_body``,
    ``response_body``): most exchanges are never shown, so most are never masked.
    """

    service: str
    method: str
    url: str
    request_content: Any = None  # the json/data object sent, a description of files, or None
    status: int | None = None
    response_content: bytes = b""
    elapsed_ms: float = 0.0
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    @property
    def request_body(self) -> str:
        content = self.request_content
        if content is None:
            return ""
        if isinstance(content, str):
            return mask_body(content)
        return mask_body(json.dumps(content, default=str))

    @property
    def response_body(self) -> str:
        return mask_body(self.response_content)

    def render(self) -> str:
        outcome = self.error or f"{self.status} ({self.elapsed_ms:.0f} ms)"
        lines = [f"{self.method} {self.url} -> {outcome}"]
        request_body, response_body = self.request_body, self.response_body
        if request_body:
            lines.append(f"  request:  {request_body}")
        if response_body:
            lines.append(f"  response: {response_body}")
        return "\n".join(lines)


class APIClient:
    """HTTP client of one service of the platform."""

    live: ClassVar[weakref.WeakSet[APIClient]] = weakref.WeakSet()

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        request_timeout: float = 30.0,
        retry_attempts: int = 3,
        retry_backoff: float = 0.3,
        token: str | None = None,
        env_var: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observers: list[ResponseObserver] | None = None,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry_attempts = max(1, retry_attempts)
        self.retry_backoff = retry_backoff
        self.env_var = env_var or f"E2E_{service.upper()}_URL"
        self.history: deque[Exchange] = deque(maxlen=HISTORY_SIZE)
        self.observers = list(observers or [])
        self._log = logging.getLogger(f"e2e.http.{service}")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(request_timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )
        APIClient.live.add(self)

    # -- public API ---------------------------------------------------------

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: Token = None,
        retry: bool | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; ``token`` overrides the client's bearer token for this call.

        A session (``AuthProvider``) is asked for its token before each attempt, and renewed once when the
        platform answers 401, so long runs outlive short access tokens; a raw token string is sent as it is.
        ``retry`` forces retrying on (True) or off (False); by default only idempotent methods are retried.
        """
        method = method.upper()
        may_retry = (method in IDEMPOTENT_METHODS) if retry is None else retry
        attempts = self.retry_attempts if may_retry else 1
        session = token if isinstance(token, AuthProvider) else None
        merged_headers = self._headers(await bearer(token), headers)
        renewed = False

        attempt = 0
        while attempt < attempts:
            attempt += 1
            record = Exchange(self.service, method, self._url(path), self._request_content(kwargs))
            self.history.append(record)
            started = time.perf_counter()
            try:
                response = await self._http.request(method, path, headers=merged_headers, **kwargs)
            except RETRY_EXCEPTIONS as exc:
                record.error = f"{type(exc).__name__}: {exc}"
                self._log.info("%s %s failed (attempt %d/%d): %s", method, record.url, attempt, attempts, record.error)
                if attempt == attempts:
                    raise self._unreachable(record.url, exc) from None
            except httpx.TimeoutException as exc:
                record.error = f"{type(exc).__name__}"
                raise ServiceTimeoutError(
                    f"{self.service} did not answer {method} {record.url} in time ({type(exc).__name__}); "
                    f"the service may be overloaded or stuck — see its logs, or raise E2E_TIMEOUT_REQUEST"
                ) from None
            else:
                record.status = response.status_code
                record.elapsed_ms = (time.perf_counter() - started) * 1000
                record.response_content = response.content
                self._log_exchange(record, merged_headers)
                for observe in self.observers:
                    observe(method, str(response.request.url), response)
                if response.status_code == 401 and session is not None and not renewed:
                    # the session ended on the platform's side (expiry, a restart): log in again and resend once
                    self._log.info(
                        "%s %s -> 401 with %r; renewing the session and sending again", method, record.url, session
                    )
                    merged_headers = self._headers(await session.renew(), headers)
                    renewed = True
                    attempt -= 1
                    continue
                if response.status_code not in RETRY_STATUSES or attempt == attempts:
                    return response
                if session is not None:
                    merged_headers = self._headers(await session.access_token(), headers)
            await asyncio.sleep(self.retry_backoff * (2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # pragma: no cover

    def recent_exchanges(self, since: float = 0.0) -> list[Exchange]:
        return [e for e in self.history if e.started_at >= since]

    @classmethod
    def exchanges_since(cls, since: float) -> list[Exchange]:
        """Every live client's exchanges since ``since`` (epoch seconds), oldest first."""
        found = [e for client in list(cls.live) for e in client.recent_exchanges(since)]
        return sorted(found, key=lambda e: e.started_at)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> APIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- internals ----------------------------------------------------------

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def _headers(self, token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        merged: dict[str, str] = {}
        bearer = token if token is not None else self.token
        if bearer:
            merged["Authorization"] = f"Bearer {bearer}"
        merged.update(extra or {})
        return merged

    @staticmethod
    def _request_content(kwargs: dict[str, Any]) -> Any:
        if kwargs.get("json") is not None:
            return kwargs["json"]
        if isinstance(kwargs.get("data"), dict):
            return kwargs["data"]
        if kwargs.get("files"):
            return f"<multipart: {', '.join(map(str, dict(kwargs['files']).keys()))}>"
        return None

    def _log_exchange(self, record: Exchange, headers: dict[str, str]) -> None:
        self._log.info("%s %s -> %s (%.0f ms)", record.method, record.url, record.status, record.elapsed_ms)
        if self._log.isEnabledFor(logging.DEBUG):
            self._log.debug("  request headers: %s", mask_headers(headers))
            if record.request_body:
                self._log.debug("  request body: %s", record.request_body)
            self._log.debug("  response body: %s", record.response_body)

    def _unreachable(self, url: str, exc: Exception) -> ServiceUnreachableError:
        reason = str(exc) or type(exc).__name__
        return ServiceUnreachableError(
            f"{self.service} is unreachable at {self.base_url} ({reason}) while calling {url}: "
            f"{SETUP_HINT}, or set {self.env_var} to where {self.service} runs"
        )


def client_of(settings: Settings, service: str, url: str, **options: Any) -> APIClient:
    """The client of ``service`` at ``url`` with the timeouts and retries of the settings."""
    return APIClient(
        service,
        url,
        connect_timeout=settings.timeouts.connect,
        request_timeout=settings.timeouts.request,
        retry_attempts=settings.retry.attempts,
        retry_backoff=settings.retry.backoff,
        **options,
    )
