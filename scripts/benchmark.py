"""Measure the suite on this machine and print one table.

    python scripts/benchmark.py [--skip-wrk]

Against the running deployment: P0 tier wall time; full suite wall time serially
and with -n 2 (and the speed-up); the WorkflowWaiter's detection latency (from
performance/test_waiter_latency.py, run as part of the full suite); and the load
generator's request rate beside wrk's on the same gateway endpoint (GET /status,
5 s, 8 connections each, two alternating rounds). GET /status is the gateway's
cheapest route, so the ratio measures what the generator itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.config import get_settings  # noqa: E402
from helpers.load import LoadRequest, run_load  # noqa: E402

LOAD_SECONDS = 5
CONNECTIONS = 8
ROUNDS = 2  # generator and wrk alternate; the best round of each is compared


def timed_pytest(*args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True)
    summary = next((line for line in reversed(done.stdout.splitlines()) if " passed" in line or " failed" in line), "?")
    return time.monotonic() - started, summary.strip("= ")


async def generator_rate(url: str) -> float:
    result = await run_load(url, LoadRequest("GET", "/status"), requests=10**9, concurrency=CONNECTIONS,
                            max_seconds=LOAD_SECONDS)
    if result.errors:
        raise SystemExit(f"load generator: {result.errors} of {result.sent} requests to {url}/status failed: "
                         f"{result.error_samples}")
    return result.throughput_rps


def wrk_rate(url: str) -> float | None:
    if not shutil.which("wrk"):
        return None
    done = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{LOAD_SECONDS}s", f"{url}/status"],
                          capture_output=True, text=True, timeout=LOAD_SECONDS + 30)
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    return float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the suite")
    parser.add_argument("--skip-wrk", action="store_true")
    options = parser.parse_args()
    gateway = get_settings().services.budgateway
    rows: list[tuple[str, str]] = []

    p0, p0_summary = timed_pytest("-m", "priority_p0")
    rows.append(("P0 tier", f"{p0:.1f} s ({p0_summary})"))
    serial, serial_summary = timed_pytest()
    rows.append(("full suite, serial", f"{serial:.1f} s ({serial_summary})"))
    waiter = ROOT / "reports" / "performance" / "test_waiter_detection_latency.json"
    waiter_figures = json.loads(waiter.read_text()) if waiter.is_file() else {}
    parallel, parallel_summary = timed_pytest("-n", "2")  # performance tests skip themselves under xdist
    rows.append(("full suite, -n 2", f"{parallel:.1f} s ({parallel_summary})"))
    functional, functional_summary = timed_pytest("-m", "not performance")
    rows.append(("full suite without performance/, serial", f"{functional:.1f} s ({functional_summary})"))
    rows.append(("xdist speed-up (same tests)", f"{functional / parallel:.2f}x"))
    if waiter_figures:
        rows.append(("waiter detection latency", f"median {waiter_figures['detection_median_ms']} ms, "
                     f"p95 {waiter_figures['detection_p95_ms']} ms, {waiter_figures['polls_median']} polls (median)"))
    ours_rounds: list[float] = []
    wrk_rounds: list[float] = []
    for _ in range(ROUNDS):
        ours_rounds.append(asyncio.run(generator_rate(gateway)))
        measured = None if options.skip_wrk else wrk_rate(gateway)
        if measured:
            wrk_rounds.append(measured)
    ours = max(ours_rounds)
    rows.append(("load generator (GET /status)", f"{ours:.0f} req/s (best of {ROUNDS} x {LOAD_SECONDS} s, "
                 f"{CONNECTIONS} connections)"))
    theirs = max(wrk_rounds) if wrk_rounds else None
    if theirs:
        rows.append(("wrk (GET /status)", f"{theirs:.0f} req/s"))
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
