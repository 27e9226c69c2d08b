"""Measure the suite on this machine and print one table.

    python scripts/benchmark.py [--skip-wrk] [--rounds N]

Against the running deployment:
- the P0 tier's wall time;
- the full suite's wall time serially (this run also writes the performance
  tests' figures: waiter detection latency and gateway load);
- the functional tests (everything but performance/, which measures only in
  serial runs) serially and with -n 2, alternating for N rounds; the medians
  and their ratio are the xdist speed-up;
- the load generator's request rate beside wrk's on the same gateway endpoint
  (GET /status, 5 s, 8 connections each, alternating rounds, best of each).
  GET /status is the gateway's cheapest route, so the ratio measures what the
  generator itself costs.
A run that fails a test is reported as such: its time measures nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.config import get_settings  # noqa: E402
from helpers.load import LoadRequest, run_load  # noqa: E402

RESULTS = ROOT / "reports" / "performance"
LOAD_SECONDS = 5
CONNECTIONS = 8
LOAD_ROUNDS = 2


@dataclass
class Run:
    seconds: float
    summary: str
    ok: bool

    def describe(self) -> str:
        return f"{self.seconds:.1f} s ({self.summary})" + ("" if self.ok else "  <- FAILED, not a valid measurement")


def timed_pytest(*args: str) -> Run:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    summary = next(
        (line for line in reversed(done.stdout.splitlines()) if " passed" in line or " failed" in line),
        f"pytest exited {done.returncode}",
    )
    return Run(seconds, summary.strip("= "), done.returncode == 0)


def median_run(runs: list[Run]) -> str:
    seconds = [r.seconds for r in runs]
    failed = [r for r in runs if not r.ok]
    spread = f"median of {len(runs)}: {', '.join(f'{s:.1f}' for s in seconds)}"
    note = f"; {len(failed)} run(s) FAILED: {failed[0].summary}" if failed else ""
    return f"{statistics.median(seconds):.1f} s ({spread}{note})"


async def generator_rate(url: str) -> float:
    result = await run_load(
        url, LoadRequest("GET", "/status"), requests=10**9, concurrency=CONNECTIONS, max_seconds=LOAD_SECONDS
    )
    if result.errors:
        raise SystemExit(
            f"load generator: {result.errors} of {result.sent} requests to {url}/status failed: {result.error_samples}"
        )
    return result.throughput_rps


def wrk_rate(url: str) -> float | None:
    if not shutil.which("wrk"):
        return None
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{LOAD_SECONDS}s", f"{url}/status"],
        capture_output=True,
        text=True,
        timeout=LOAD_SECONDS + 30,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    return float(match.group(1)) if match else None


def performance_figures(test_name: str) -> dict:
    path = RESULTS / f"{test_name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the suite")
    parser.add_argument("--skip-wrk", action="store_true", help="do not run wrk")
    parser.add_argument("--rounds", type=int, default=3, help="serial / -n 2 rounds for the speed-up (default 3)")
    options = parser.parse_args()
    gateway = get_settings().services.budgateway
    rows: list[tuple[str, str]] = []

    rows.append(("P0 tier", timed_pytest("-m", "priority_p0").describe()))
    rows.append(("full suite, serial", timed_pytest().describe()))
    waiter = performance_figures("test_waiter_detection_latency")
    load = performance_figures("test_gateway_chat_completions_under_load")

    serial_runs: list[Run] = []
    parallel_runs: list[Run] = []
    for _ in range(max(1, options.rounds)):
        serial_runs.append(timed_pytest("-m", "not performance"))
        parallel_runs.append(timed_pytest("-m", "not performance", "-n", "2"))
    rows.append(("functional tests, serial", median_run(serial_runs)))
    rows.append(("functional tests, -n 2", median_run(parallel_runs)))
    speed_up = statistics.median(r.seconds for r in serial_runs) / statistics.median(r.seconds for r in parallel_runs)
    rows.append(("xdist speed-up (medians)", f"{speed_up:.2f}x"))

    if waiter:
        rows.append(
            (
                "waiter detection latency",
                f"median {waiter['detection_median_ms']} ms, p95 "
                f"{waiter['detection_p95_ms']} ms over {waiter['samples']} workflows; "
                f"{waiter['polls_median']} polls (median), at most {waiter['polls_max']}",
            )
        )
    if load:
        rows.append(
            (
                "gateway chat completions under load",
                f"{load['throughput_rps']} req/s, p50 "
                f"{load['latency_p50_ms']} ms, p95 {load['latency_p95_ms']} ms, p99 {load['latency_p99_ms']} ms, "
                f"error rate {load['error_rate']} ({load['requests']} requests, {load['concurrency']} at a time)",
            )
        )

    ours_rounds: list[float] = []
    wrk_rounds: list[float] = []
    for _ in range(LOAD_ROUNDS):
        ours_rounds.append(asyncio.run(generator_rate(gateway)))
        measured = None if options.skip_wrk else wrk_rate(gateway)
        if measured:
            wrk_rounds.append(measured)
    ours = max(ours_rounds)
    rows.append(
        (
            "load generator (GET /status)",
            f"{ours:.0f} req/s (best of {LOAD_ROUNDS} x {LOAD_SECONDS} s, {CONNECTIONS} connections)",
        )
    )
    theirs = max(wrk_rounds) if wrk_rounds else None
    if theirs:
        rows.append(("wrk (GET /status)", f"{theirs:.0f} req/s (same)"))
        rows.append(("load generator / wrk", f"{ours / theirs:.0%}"))
    else:
        rows.append(("wrk", "not run (install wrk: apt-get install wrk)"))

    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
