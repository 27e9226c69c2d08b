"""Run the suite once per sandbox fault and show which tests caught each one.

    python -m sandbox.fault_matrix [--faults a,b] [--junit-dir DIR] [-- PYTEST_ARGS...]

A baseline run with no fault comes first and must pass; then, for every fault,
the fault is switched on, the selected tests run, and the failing tests are
recorded. Exits 1 when the baseline fails or any fault goes uncaught.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.common.faults import KNOWN_FAULTS, FaultSwitch, parse_fault_list
from sandbox.common.stores import redis_client
from sandbox.settings import SUITE_ROOT, get_settings
from scripts.junit_results import read_junit

DEFAULT_SELECTION = ["-m", "priority_p0 or priority_p1", "-n", "2"]
# Faults only the performance tests can notice; those measure only in serial runs.
PERFORMANCE_SELECTION = ["-m", "performance"]
SELECTION_OF_FAULT = {"gateway_slow": PERFORMANCE_SELECTION}
# A faulty run stops after this many failures: enough to name what caught the fault.
FAULTY_RUN_OPTIONS = ["--maxfail", "3"]
# Stalled workflows need not be awaited for the profile's full timeout.
# A slowed load need not run for the profile's full duration either.
FAULT_RUN_ENV = {"E2E_TIMEOUT_WORKFLOW": "8", "E2E_SKIP_LEAK_CHECK": "1", "E2E_PERF_LOAD_MAX_SECONDS": "5"}
SHOWN_PER_FAULT = 6
BASELINE = "(none)"


@dataclass
class Outcome:
    fault: str
    failed: list[str] = field(default_factory=list)
    passed: int = 0
    seconds: float = 0.0

    @property
    def caught(self) -> bool:
        return bool(self.failed)


# What a faulty run strands where no API reaches: deletions whose workflow a fault stalled stay 'deleting' in
# budapp (the API deletes nothing in that state) and 'available' in budcluster, where budsim keeps ranking them;
# budapp asks budsim for its best 20 only, so enough of them crowd a later run's own cluster out of the list.
# Run after a cleanup pass, so what is still named so is a leftover; budcluster's row of a cluster budapp still
# has stays (the next pass deletes both through the API), and a budapp cluster budcluster no longer has goes.
STRANDED_ROWS = (
    "UPDATE endpoint SET status = 'deleted' WHERE status = 'deleting' AND name LIKE $1",
    "UPDATE cluster SET status = 'deleted' WHERE status = 'deleting' AND name LIKE $1",
    "UPDATE budcluster.cluster SET status = 'deleted' WHERE status <> 'deleted' AND name LIKE $1 "
    "AND id NOT IN (SELECT cluster_id FROM cluster WHERE status <> 'deleted')",
    "UPDATE cluster SET status = 'deleted' WHERE status <> 'deleted' AND name LIKE $1 "
    "AND cluster_id NOT IN (SELECT id FROM budcluster.cluster WHERE status <> 'deleted')",
)


def cleanup_all() -> str | None:
    result = subprocess.run(
        [sys.executable, "scripts/cleanup.py", "--all"], cwd=SUITE_ROOT, capture_output=True, text=True, timeout=300
    )
    return None if result.returncode == 0 else (result.stdout + result.stderr).strip()[-300:]


async def retire_stranded_rows(prefix: str) -> int:
    """Mark deleted what a faulty run stranded; the count of rows changed."""
    import asyncpg

    connection = await asyncpg.connect(get_settings().postgres_dsn, timeout=5)
    try:
        changed = 0
        for statement in STRANDED_ROWS:
            changed += int((await connection.execute(statement, f"{prefix}-%")).split()[-1])
        return changed
    finally:
        await connection.close()


def delete_leftovers() -> None:
    """A faulty run leaves resources behind (that is what some faults do): delete every e2e-* resource with the
    fault off, so later runs, and later CI runs on the same machine, start from a clean catalogue and a budsim
    that ranks only live clusters. What stranded deletions kept alive (projects with an endpoint 'deleting')
    goes in a second pass."""
    failure = cleanup_all()
    # the suite's names start with E2E_NAME_PREFIX (cleanup.py --all deletes the same)
    if asyncio.run(retire_stranded_rows(os.environ.get("E2E_NAME_PREFIX") or "e2e")):
        failure = cleanup_all()
    if failure:
        print(f"cleanup after the faulty run failed: {failure}")


async def switch_faults(names: list[str]) -> None:
    store = redis_client(get_settings().redis_url)
    try:
        await FaultSwitch(store).set(names)
    finally:
        await store.aclose()


def run_suite(fault: str, junit_dir: Path, pytest_args: list[str], label: str | None = None) -> Outcome:
    report = junit_dir / f"{(label or fault).strip('()')}.xml"
    faulty = fault != BASELINE
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--junitxml",
        str(report),
        "--html",
        str(report.with_suffix(".html")),
        *pytest_args,
        *(FAULTY_RUN_OPTIONS if faulty else []),
    ]
    env = {**os.environ, **(FAULT_RUN_ENV if faulty else {})}
    started = time.monotonic()
    subprocess.run(command, cwd=SUITE_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if not report.exists():
        raise SystemExit(f"pytest wrote no report for {fault}: run `{' '.join(command)}` to see why")
    failed, passed = read_junit(report)
    return Outcome(fault, failed, passed, time.monotonic() - started)


def print_table(outcomes: list[Outcome]) -> None:
    width = max(len(o.fault) for o in outcomes)
    print(f"\n{'fault'.ljust(width)}  caught  tests that failed")
    print(f"{'-' * width}  ------  ----------------")
    for outcome in outcomes:
        mark = "yes" if outcome.caught else "NO"
        tests = outcome.failed[:SHOWN_PER_FAULT] or ["-"]
        if len(outcome.failed) > SHOWN_PER_FAULT:
            tests.append(f"(+{len(outcome.failed) - SHOWN_PER_FAULT} more in {outcome.fault}.xml)")
        print(f"{outcome.fault.ljust(width)}  {mark:<6}  {tests[0]}")
        for test in tests[1:]:
            print(f"{' ' * width}          {test}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="fault-matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default="", help="comma list (default: every known fault)")
    parser.add_argument("--junit-dir", type=Path, default=SUITE_ROOT / "reports" / "fault-matrix")
    options = parser.parse_args(argv)
    faults = parse_fault_list(options.faults) or sorted(KNOWN_FAULTS)
    unknown = sorted(set(faults) - KNOWN_FAULTS.keys())
    if unknown:
        parser.error(f"unknown faults {unknown}; known: {', '.join(sorted(KNOWN_FAULTS))}")
    options.junit_dir.mkdir(parents=True, exist_ok=True)

    def selection_of(fault: str) -> list[str]:
        return pytest_args or SELECTION_OF_FAULT.get(fault, DEFAULT_SELECTION)

    outcomes: list[Outcome] = []
    try:
        asyncio.run(switch_faults([]))
        baselines: list[list[str]] = []
        for selection in (selection_of(fault) for fault in sorted(faults, key=lambda f: f in SELECTION_OF_FAULT)):
            if selection in baselines:
                continue
            label = BASELINE if not baselines else f"(none, {' '.join(selection)})"
            baselines.append(selection)
            baseline = run_suite(BASELINE, options.junit_dir, selection, label=label)
            print(
                f"baseline ({' '.join(selection)}): {baseline.passed} passed, {len(baseline.failed)} failed "
                f"in {baseline.seconds:.0f}s"
            )
            if baseline.failed:
                print("the suite fails without any fault; fix that first:", *baseline.failed, sep="\n  ")
                return 1
        for fault in faults:
            asyncio.run(switch_faults([fault]))
            outcome = run_suite(fault, options.junit_dir, selection_of(fault))
            asyncio.run(switch_faults([]))
            delete_leftovers()
            print(f"{fault}: {len(outcome.failed)} test(s) failed in {outcome.seconds:.0f}s")
            outcomes.append(outcome)
    finally:
        asyncio.run(switch_faults([]))
    print_table(outcomes)
    uncaught = [o.fault for o in outcomes if not o.caught]
    if uncaught:
        print(f"\nUNCAUGHT faults: {', '.join(uncaught)}")
        return 1
    print(f"\nall {len(outcomes)} faults caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
