"""Run a tier K times and report every test whose outcome changed between runs.

    python -m scripts.flake_gate K [-- PYTEST_ARGS...]     (default selection: -m priority_p0)

Exits 1 when any test flipped (passed in one run, failed or errored in another),
when a run collected different tests, or when every run failed the same test
(that is a failure, not a flake, and is reported as such).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from scripts.junit_results import outcomes

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports" / "flake-gate"


def main(argv: list[str]) -> int:
    if not argv or not argv[0].isdigit() or int(argv[0]) < 2:
        print("usage: flake-gate K [-- PYTEST_ARGS...]   (K >= 2 runs)", file=sys.stderr)
        return 2
    runs = int(argv[0])
    selection = argv[argv.index("--") + 1 :] if "--" in argv else ["-m", "priority_p0"]
    REPORTS.mkdir(parents=True, exist_ok=True)
    history: dict[str, list[str]] = defaultdict(list)
    for run in range(1, runs + 1):
        report = REPORTS / f"run-{run}.xml"
        started = time.monotonic()
        subprocess.run(
            [
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
                *selection,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        if not report.exists():
            print(f"run {run}: pytest wrote no report; run the selection by hand to see why", file=sys.stderr)
            return 1
        seen = outcomes(report)
        for test_id, outcome in seen.items():
            history[test_id].append(outcome)
        counts = {o: list(seen.values()).count(o) for o in ("passed", "failed", "skipped")}
        print(
            f"run {run}/{runs}: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped in {time.monotonic() - started:.0f}s"
        )
    flaky = {t: o for t, o in history.items() if len(set(o)) > 1 or len(o) != runs}
    broken = {t: o for t, o in history.items() if t not in flaky and o[0] == "failed"}
    for test_id, sequence in sorted(flaky.items()):
        print(f"FLAKY  {test_id}: {' '.join(sequence)}")
    for test_id in sorted(broken):
        print(f"FAILED {test_id}: failed in every run")
    print(f"{len(history)} tests, {runs} runs: {len(flaky)} flaky, {len(broken)} failing")
    return 1 if flaky or broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
