"""A bounded load generator: at most N requests, C at a time, stopping after D seconds."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import httpx


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
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def summary(self) -> dict[str, float]:
        return {
            "requests": self.sent, "errors": self.errors, "error_rate": round(self.error_rate, 4),
            "seconds": round(self.seconds, 2), "throughput_rps": round(self.throughput_rps, 1),
            "latency_p50_ms": round(self.percentile(50), 1), "latency_p95_ms": round(self.percentile(95), 1),
            "latency_p99_ms": round(self.percentile(99), 1),
            "latency_mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0.0,
        }


async def run_load(send: Callable[[int], Awaitable[httpx.Response]], *, requests: int, concurrency: int,
                   max_seconds: float, ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200) -> LoadResult:
    """Call ``send(i)`` for i in range(requests) with ``concurrency`` workers, until done or out of time."""
    result = LoadResult()
    counter = iter(range(requests))
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        for index in counter:
            if time.perf_counter() >= deadline:
                return
            begun = time.perf_counter()
            try:
                response = await send(index)
                good = ok(response)
                detail = f"{response.status_code} {response.text[:120]}"
            except httpx.HTTPError as exc:
                good, detail = False, f"{type(exc).__name__}: {exc}"
            result.latencies_ms.append((time.perf_counter() - begun) * 1000)
            result.sent += 1
            if not good:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(detail)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result
