"""A bounded load generator: at most N requests, C at a time, stopping after D seconds.

Load goes through one pooled aiohttp session with keep-alive connections and no
per-request logging, so that the generator costs the machine far less than the
service it measures (``APIClient``'s exchange history and masked logs are for
functional tests, not for thousands of requests). Only error samples are kept,
masked.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpers.masking import mask_text

ERROR_SAMPLES = 5


@dataclass(frozen=True)
class LoadRequest:
    """One request of the load: method, path under the base URL, optional JSON body and bearer token."""

    method: str
    path: str
    json: Any = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"} if self.json is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def body(self) -> bytes | None:
        return None if self.json is None else jsonlib.dumps(self.json).encode()


@dataclass
class LoadResult:
    sent: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput_rps(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.sent if self.sent else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, float]:
        return {
            "requests": self.sent,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "seconds": round(self.seconds, 2),
            "throughput_rps": round(self.throughput_rps, 1),
            "latency_p50_ms": round(self.percentile(50), 1),
            "latency_p95_ms": round(self.percentile(95), 1),
            "latency_p99_ms": round(self.percentile(99), 1),
            "latency_mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0.0,
        }

    def record_error(self, detail: str) -> None:
        self.errors += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(mask_text(detail))


Check = Callable[[int, bytes], bool]


def status_is(expected: int = 200) -> Check:
    """The default check: the answer has ``expected`` status."""
    return lambda status, body: status == expected


async def run_load(
    base_url: str,
    request: LoadRequest | Callable[[int], LoadRequest],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
    timeout: float = 30.0,
    check: Check | None = None,
) -> LoadResult:
    """Send ``request`` (or ``request(i)`` for i in range(requests)) with ``concurrency`` keep-alive
    connections until all are sent or ``max_seconds`` have passed; requests in flight at the deadline
    finish (each is capped by ``timeout``). A request counts as an error when ``check(status, body)``
    is false or it fails to complete (by default: when its status is not 200)."""
    import aiohttp  # only load tests pay for importing it

    check = check or status_is(200)

    if requests < 1 or concurrency < 1 or max_seconds <= 0:
        raise ValueError(
            f"load needs requests >= 1, concurrency >= 1, max_seconds > 0 "
            f"(got {requests}, {concurrency}, {max_seconds})"
        )
    make = request if callable(request) else (lambda _index: request)
    result = LoadResult()
    counter = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False, enable_cleanup_closed=True)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        base_url.rstrip("/") + "/", connector=connector, timeout=client_timeout, skip_auto_headers=("User-Agent",)
    ) as session:
        started = time.perf_counter()
        deadline = started + max_seconds

        async def worker() -> None:
            for index in counter:
                if time.perf_counter() >= deadline:
                    return
                one = make(index)
                begun = time.perf_counter()
                try:
                    async with session.request(
                        one.method, one.path.lstrip("/"), data=one.body(), headers=one.headers()
                    ) as response:
                        body = await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    status, body = None, f"{type(exc).__name__}: {exc}".encode()
                result.latencies_ms.append((time.perf_counter() - begun) * 1000)
                result.sent += 1
                if status is None:
                    result.record_error(body.decode(errors="replace"))
                elif not check(status, body):
                    result.record_error(f"{status} {body[:120].decode(errors='replace')}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result
