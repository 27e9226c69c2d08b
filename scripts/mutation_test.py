"""Mutation gate: apply realistic regressions of the sandbox one at a time and see whether the suite notices.

    python -m scripts.mutation_test [--mutants FILE] [--only ID,ID] [--area AREA,AREA] [--sample N --seed S]
                                    [--time-budget SECONDS] [--min-score PCT] [--min-area-score PCT]
                                    [--work-dir DIR] [--logs DIR] [--report FILE] [--check] [--list]

Each mutant of the mutants file (config/mutants.yaml) names a sandbox file, a snippet that must occur in it exactly
once and its replacement. The checkout is never touched: for the baseline and for every mutant, the checkout's files
(tracked and untracked, not ignored) are copied to a work folder, the mutant is applied there, that copy's sandbox is
started with its own state folder, the suite (``-m "not performance" -n 2``, leak check on) runs against it, and the
sandbox is stopped. A mutant is killed when a test fails or errors, when the leak check finds leftovers, or when the
run exceeds its time limit; it survived when the run passes.

Exit status: 2 when the mutants file is invalid (one line per refused mutant) or the options are; 1 when the baseline
fails, a mutant's sandbox does not start, or the gate fails. The gate judges the score only when the full set ran
(no --only/--area/--sample, nothing left out by --time-budget): the overall score must reach --min-score and every
area --min-area-score. A partial run reports its score and fails only when it killed none of its mutants (then the
suite, or the gate itself, is not noticing anything).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import yaml

from scripts.junit_results import read_junit

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("auth", "projects", "models", "clusters", "deployment", "workflows", "gateway", "metrics", "security")
MUTANT_KEYS = ("id", "area", "file", "original", "replacement", "description")
# What is never copied into a work tree: the virtualenv is linked instead; state and reports are per run.
NOT_COPIED = (".venv", ".e2e-state", "reports", ".git")
LEAK_MARKER = "LEAK CHECK FAILED"
LEAK_CHECK = "(leak check)"
SUITE_SELECTION = ["-m", "not performance", "-n", "2", "--timeout", "60"]
MUTANT_RUN_OPTIONS = ["--maxfail", "3"]
# Stalled workflows need not be awaited for the profile's full timeout; the leak check always counts.
RUN_ENV = {"E2E_TIMEOUT_WORKFLOW": "8", "E2E_SKIP_LEAK_CHECK": "0"}
SHOWN_KILLERS = 3


class MutantError(ValueError):
    """The mutants file, or one mutant of it, cannot be used (message: one line)."""


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    file: str
    original: str
    replacement: str
    description: str


@dataclass
class Result:
    id: str
    area: str
    file: str
    description: str
    status: str  # killed | survived | error
    killed_by: list[str] = field(default_factory=list)
    leak_only: bool = False
    timed_out: bool = False
    seconds: float = 0.0
    log: str = ""

    @property
    def killed(self) -> bool:
        return self.status == "killed"


# -- the mutants file -----------------------------------------------------------------------------------


def validate_mutant(entry: object, root: Path, position: int) -> Mutant:
    """One mutant of the file, checked against the tree at root; MutantError (one line) when unusable."""
    if not isinstance(entry, dict):
        raise MutantError(f"mutant #{position}: expected a mapping with {', '.join(MUTANT_KEYS)}")
    name = entry.get("id") or f"#{position}"
    missing = [k for k in MUTANT_KEYS if not isinstance(entry.get(k), str) or (k != "replacement" and not entry[k])]
    if missing:
        raise MutantError(f"mutant {name}: missing or empty {', '.join(missing)}")
    unknown = sorted(set(entry) - set(MUTANT_KEYS))
    if unknown:
        raise MutantError(f"mutant {name}: unknown keys {', '.join(unknown)}")
    mutant = Mutant(**{k: entry[k] for k in MUTANT_KEYS})
    if mutant.area not in AREAS:
        raise MutantError(f"mutant {name}: unknown area '{mutant.area}' (one of {', '.join(AREAS)})")
    if not mutant.file.startswith("sandbox/"):
        raise MutantError(f"mutant {name}: {mutant.file} is not a sandbox file")
    if mutant.original == mutant.replacement:
        raise MutantError(f"mutant {name}: the replacement equals the original")
    path = root / mutant.file
    if not path.is_file():
        raise MutantError(f"mutant {name}: {mutant.file} does not exist (moved or renamed? refresh the mutant)")
    count = path.read_text().count(mutant.original)
    if count != 1:
        found = "is not found" if count == 0 else f"occurs {count} times"
        raise MutantError(
            f"mutant {name}: its original snippet {found} in {mutant.file} (must be exactly once; "
            f"the code changed? refresh 'original' from the current file)"
        )
    if path.suffix == ".py":
        try:
            compile(mutated_text(path.read_text(), mutant), mutant.file, "exec")
        except SyntaxError as exc:
            raise MutantError(
                f"mutant {name}: {mutant.file} does not compile once mutated (line {exc.lineno}: {exc.msg})"
            ) from None
    return mutant


def mutated_text(text: str, mutant: Mutant) -> str:
    return text.replace(mutant.original, mutant.replacement, 1)


def load_mutants(path: Path, root: Path = ROOT) -> tuple[list[Mutant], list[str]]:
    """(usable mutants, one error line per refused mutant); MutantError when the file itself is unusable."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MutantError(f"{path}: cannot be read as YAML ({exc.__class__.__name__})") from None
    entries = document.get("mutants") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise MutantError(f"{path}: expected a top-level 'mutants:' list")
    mutants, errors, seen = [], [], set()
    for position, entry in enumerate(entries, 1):
        try:
            mutant = validate_mutant(entry, root, position)
        except MutantError as exc:
            errors.append(str(exc))
            continue
        if mutant.id in seen:
            errors.append(f"mutant {mutant.id}: the id is used twice")
            continue
        seen.add(mutant.id)
        mutants.append(mutant)
    return mutants, errors


# -- choosing what runs ---------------------------------------------------------------------------------


def sample_mutants(mutants: Sequence[Mutant], size: int, seed: int) -> list[Mutant]:
    """A deterministic sample spread over the areas: each area shuffled with the seed, then taken round-robin
    (areas in a seeded order), so the same file, size and seed always give the same mutants."""
    if size >= len(mutants):
        return list(mutants)
    rng = random.Random(seed)
    by_area: dict[str, list[Mutant]] = {}
    for mutant in sorted(mutants, key=lambda m: m.id):
        by_area.setdefault(mutant.area, []).append(mutant)
    areas = sorted(by_area)
    rng.shuffle(areas)
    for area in areas:
        rng.shuffle(by_area[area])
    chosen: list[Mutant] = []
    while len(chosen) < size:
        for area in areas:
            if by_area[area] and len(chosen) < size:
                chosen.append(by_area[area].pop(0))
    return chosen


def select(
    mutants: Sequence[Mutant], only: Sequence[str], areas: Sequence[str], sample: int | None, seed: int
) -> list[Mutant]:
    known = {m.id for m in mutants}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise MutantError(f"unknown mutant ids: {', '.join(unknown)}")
    bad_areas = [a for a in areas if a not in AREAS]
    if bad_areas:
        raise MutantError(f"unknown areas: {', '.join(bad_areas)} (one of {', '.join(AREAS)})")
    chosen = [m for m in mutants if (not only or m.id in only) and (not areas or m.area in areas)]
    return sample_mutants(chosen, sample, seed) if sample is not None else chosen


# -- the work tree --------------------------------------------------------------------------------------


def tree_files(root: Path) -> list[str]:
    """The checkout's files: tracked and untracked-but-not-ignored (so uncommitted work is measured too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(f for f in listed.split("\0") if f and f.split("/")[0] not in NOT_COPIED and (root / f).is_file())


def copy_tree(root: Path, destination: Path, files: Sequence[str]) -> None:
    """destination becomes a fresh copy of files (mtimes kept, so a shared bytecode cache stays valid) with the
    checkout's virtualenv linked in."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    venv = root / ".venv"
    if venv.exists():
        (destination / ".venv").symlink_to(venv.resolve(), target_is_directory=True)


def apply_mutant(tree: Path, mutant: Mutant) -> None:
    """Apply the mutant to the copy at tree (never to the checkout); refuses when the snippet is not there once."""
    path = tree / mutant.file
    text = path.read_text()
    if text.count(mutant.original) != 1:
        raise MutantError(f"mutant {mutant.id}: its original snippet is not exactly once in the copy of {mutant.file}")
    path.write_text(mutated_text(text, mutant))


# -- scoring and reporting ------------------------------------------------------------------------------


def area_scores(results: Sequence[Result]) -> dict[str, dict[str, float | int]]:
    """Per area: killed, survived, scored (killed + survived; errors do not count) and score in percent."""
    scores: dict[str, dict[str, float | int]] = {}
    for area in AREAS:
        ran = [r for r in results if r.area == area and r.status in ("killed", "survived")]
        if not ran:
            continue
        killed = sum(r.killed for r in ran)
        scores[area] = {
            "killed": killed,
            "survived": len(ran) - killed,
            "scored": len(ran),
            "score": round(100.0 * killed / len(ran), 1),
        }
    return scores


def overall_score(results: Sequence[Result]) -> float | None:
    ran = [r for r in results if r.status in ("killed", "survived")]
    return round(100.0 * sum(r.killed for r in ran) / len(ran), 1) if ran else None


def judge(results: Sequence[Result], full_set: bool, min_score: float, min_area_score: float) -> tuple[bool, str]:
    """(passed, why) of the gate; see the module's docstring for the rule."""
    errors = [r.id for r in results if r.status == "error"]
    if errors:
        return False, f"the sandbox did not start with {', '.join(errors)} (a mutant must leave it startable)"
    score = overall_score(results)
    if score is None:
        return True, "no mutant ran"
    if not full_set:
        if not any(r.killed for r in results):
            return False, "a partial run killed none of its mutants"
        return True, f"partial run: score {score:.1f}% is reported, not gated (the gate judges the full set)"
    low_areas = [f"{a} {s['score']:.1f}%" for a, s in area_scores(results).items() if s["score"] < min_area_score]
    if score < min_score or low_areas:
        reasons = [f"score {score:.1f}% < {min_score:g}%"] if score < min_score else []
        if low_areas:
            reasons.append(f"areas below {min_area_score:g}%: {', '.join(low_areas)}")
        return False, "; ".join(reasons)
    return True, f"score {score:.1f}% >= {min_score:g}%, every area >= {min_area_score:g}%"


def summary_lines(results: Sequence[Result]) -> list[str]:
    lines = []
    scores = area_scores(results)
    for area in AREAS:
        in_area = [r for r in results if r.area == area]
        if not in_area:
            continue
        score = scores.get(area)
        head = f"{area}: {score['killed']}/{score['scored']} killed ({score['score']:.0f}%)" if score else f"{area}:"
        lines.append(head)
        for r in in_area:
            if r.status == "killed":
                shown = r.killed_by[:SHOWN_KILLERS]
                more = f" (+{len(r.killed_by) - SHOWN_KILLERS} more)" if len(r.killed_by) > SHOWN_KILLERS else ""
                note = " [only the leak check]" if r.leak_only else ""
                lines.append(f"  killed    {r.id}{note}: {', '.join(shown)}{more}")
            elif r.status == "survived":
                lines.append(f"  SURVIVED  {r.id}: {r.description}")
            else:
                lines.append(f"  ERROR     {r.id}: the sandbox did not start; see {r.log}")
    overall = overall_score(results)
    if overall is not None:
        killed = sum(r.killed for r in results)
        scored = sum(r.status in ("killed", "survived") for r in results)
        lines.append(f"overall: {killed}/{scored} killed ({overall:.1f}%)")
    return lines


def write_report(
    path: Path,
    results: Sequence[Result],
    *,
    full_set: bool,
    passed: bool,
    why: str,
    baseline: dict,
    not_run: Sequence[str],
    seconds: float,
    options: dict,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "score": overall_score(results),
        "areas": area_scores(results),
        "full_set": full_set,
        "gate": {
            "passed": passed,
            "reason": why,
            "min_score": options.get("min_score"),
            "min_area_score": options.get("min_area_score"),
        },
        "seconds": round(seconds, 1),
        "baseline": baseline,
        "not_run": list(not_run),
        "options": options,
        "mutants": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


# -- running the suite against a copy -------------------------------------------------------------------


@dataclass
class SuiteRun:
    returncode: int
    failed: list[str]
    passed: int
    leaked: bool
    timed_out: bool
    seconds: float
    log: Path


class Workbench:
    """A work folder holding the copy of the checkout and each run's state folder; the logs and JUnit reports of
    every run go to a folder that is kept (default reports/mutation/<id>.log, .xml, .setup.log).

    Every run starts from empty stores, so that what one mutant broke cannot spill into the next run: a PostgreSQL
    database of its own (the checkout's name + ``_mutation``, dropped and created again) and two Redis databases
    of its own (MUTATION_REDIS_URL, default: the checkout's Redis server, database 8 above the checkout's, and the
    gateway's two above that), flushed before each run. ClickHouse lives in the run's state folder.
    """

    def __init__(self, root: Path, work: Path, logs: Path, suite_timeout: float, environ: dict[str, str] | None = None):
        self.root, self.work, self.logs, self.suite_timeout = root, work, logs, suite_timeout
        self.tree = work / "tree"
        self.state = work / "state"
        self.files = tree_files(root)
        # the checkout as it was when the gate started: edits made while it runs do not reach later runs
        self.pristine = work / "pristine"
        copy_tree(root, self.pristine, self.files)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.stores = run_stores(dict(os.environ if environ is None else environ))

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in CHECKOUT_ONLY and not (k.startswith("E2E_") and k.endswith("_URL"))
        }
        env.update(RUN_ENV, E2E_STATE_DIR=str(self.state), PYTHONPYCACHEPREFIX=str(self.work / "pycache"))
        env.update(self.stores)
        return env

    def release(self) -> None:
        """Leave no store of the runs behind: the database dropped, the Redis databases flushed."""
        self.reset_stores()
        shutil.rmtree(self.state, ignore_errors=True)

    def reset_stores(self) -> None:
        """Empty PostgreSQL database and Redis databases for the next run, and a new state folder."""
        import asyncio

        import asyncpg
        import redis

        if self.state.exists():
            shutil.rmtree(self.state)
        self.state.mkdir(parents=True)
        address, question, query = self.stores["SANDBOX_POSTGRES_DSN"].partition("?")
        base, database = address.rsplit("/", 1)

        async def recreate() -> None:
            connection = await asyncpg.connect(f"{base}/postgres{question}{query}", timeout=10)
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            finally:
                await connection.close()

        asyncio.run(recreate())
        for url in (self.stores["SANDBOX_REDIS_URL"], self.stores["SANDBOX_GATEWAY_REDIS_URL"]):
            client = redis.Redis.from_url(url, socket_connect_timeout=10)
            try:
                client.flushdb()
            finally:
                client.close()

    def _script(self, name: str, log: Path) -> int:
        with log.open("a") as output:
            return subprocess.run(
                [str(self.tree / "scripts" / name), *(["--mode", "sandbox"] if name == "setup.sh" else [])],
                cwd=self.tree,
                env=self.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            ).returncode

    def prepare(self, mutant: Mutant | None) -> None:
        self.reset_stores()
        copy_tree(self.pristine, self.tree, self.files)
        if mutant is not None:
            apply_mutant(self.tree, mutant)

    def start(self, label: str) -> tuple[bool, Path]:
        log = self.logs / f"{label}.setup.log"
        log.unlink(missing_ok=True)
        return self._script("setup.sh", log) == 0, log

    def stop(self, label: str) -> None:
        self._script("teardown.sh", self.logs / f"{label}.setup.log")

    def run_suite(self, label: str, extra: Sequence[str]) -> SuiteRun:
        report = self.logs / f"{label}.xml"
        log = self.logs / f"{label}.log"
        report.unlink(missing_ok=True)
        # option=value, and the rootdir named: pytest takes an existing path among separate option values for the
        # place to look for its configuration, and would run from the checkout instead of the copy
        command = [
            str(self.tree / ".venv" / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--rootdir={self.tree}",
            "-rfE",
            f"--junitxml={report}",
            f"--html={report.with_suffix('.html')}",
            *SUITE_SELECTION,
            *extra,
        ]
        started = time.monotonic()
        timed_out = False
        with log.open("w") as output:
            process = subprocess.Popen(
                command,
                cwd=self.tree,
                env=self.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                returncode = process.wait(timeout=self.suite_timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                returncode = process.wait()
            except BaseException:  # interrupted: the suite (its own session) must not outlive the gate
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise
        failed, passed = read_junit(report) if report.exists() else ([], 0)
        leaked = LEAK_MARKER in log.read_text(errors="replace")
        return SuiteRun(returncode, failed, passed, leaked, timed_out, time.monotonic() - started, log)


# What a run must not inherit from the checkout's environment: the deployment it points the suite at.
CHECKOUT_ONLY = ("E2E_ROOT", "E2E_DEPLOYMENT", "E2E_PROFILE", "E2E_POSTGRES_DSN")
MUTATION_DATABASE_SUFFIX = "_mutation"
MUTATION_REDIS_OFFSET = 8


def run_stores(environ: dict[str, str]) -> dict[str, str]:
    """The stores the runs use (SANDBOX_* settings), apart from the checkout's own."""
    dsn = environ.get("SANDBOX_POSTGRES_DSN") or "postgresql://postgres@127.0.0.1:5432/bud_e2e_sandbox"
    address, question, query = dsn.partition("?")
    base, _, database = address.rpartition("/")
    redis_url = environ.get("MUTATION_REDIS_URL")
    if not redis_url:
        checkout = urlparse(environ.get("SANDBOX_REDIS_URL") or "redis://127.0.0.1:6379/0")
        number = int(checkout.path.lstrip("/") or 0) + MUTATION_REDIS_OFFSET
        redis_url = urlunparse(checkout._replace(path=f"/{number}"))
    parsed = urlparse(redis_url)
    gateway = urlunparse(parsed._replace(path=f"/{int(parsed.path.lstrip('/') or 0) + 2}"))
    return {
        "SANDBOX_POSTGRES_DSN": f"{base}/{database}{MUTATION_DATABASE_SUFFIX}{question}{query}",
        "SANDBOX_REDIS_URL": redis_url,
        "SANDBOX_GATEWAY_REDIS_URL": gateway,
    }


def judge_run(mutant: Mutant, run: SuiteRun) -> Result:
    killers = list(run.failed)
    if run.leaked:
        killers.append(LEAK_CHECK)
    if run.timed_out:
        killers.append("(suite time limit)")
    if not killers and run.returncode != 0:
        killers.append(f"(pytest exit status {run.returncode}, see {run.log})")
    return Result(
        mutant.id,
        mutant.area,
        mutant.file,
        mutant.description,
        "killed" if killers else "survived",
        killers,
        leak_only=killers == [LEAK_CHECK],
        timed_out=run.timed_out,
        seconds=round(run.seconds, 1),
        log=str(run.log),
    )


def run_gate(
    mutants: Sequence[Mutant], bench: Workbench, time_budget: float | None, say: Callable[[str], None] = print
) -> tuple[dict, list[Result], list[str]]:
    """(baseline summary, results, ids not run for lack of time); SystemExit when the baseline fails."""
    started = time.monotonic()
    bench.prepare(None)
    up, setup_log = bench.start("baseline")
    try:
        if not up:
            raise SystemExit(f"ERROR: the unmutated sandbox did not start; see {setup_log}")
        baseline = bench.run_suite("baseline", [])
    finally:
        bench.stop("baseline")
    say(f"baseline: {baseline.passed} passed, {len(baseline.failed)} failed in {baseline.seconds:.0f}s")
    if baseline.failed or baseline.leaked or baseline.returncode != 0 or baseline.timed_out:
        problems = baseline.failed + ([LEAK_CHECK] if baseline.leaked else [])
        raise SystemExit(
            "ERROR: the suite does not pass without mutants (exit status "
            f"{baseline.returncode}{', timed out' if baseline.timed_out else ''}); fix that first: "
            f"{', '.join(problems) or 'see the log'} (log: {baseline.log})"
        )
    summary = {"passed": baseline.passed, "seconds": round(baseline.seconds, 1), "log": str(baseline.log)}
    results: list[Result] = []
    for position, mutant in enumerate(mutants):
        elapsed = time.monotonic() - started
        if time_budget is not None and elapsed > time_budget:
            not_run = [m.id for m in mutants[position:]]
            say(f"time budget of {time_budget:g}s exceeded after {elapsed:.0f}s: {len(not_run)} mutant(s) not run")
            return summary, results, not_run
        results.append(run_mutant(mutant, bench))
        result = results[-1]
        say(
            f"[{position + 1}/{len(mutants)}] {mutant.id}: {result.status} in {result.seconds:.0f}s"
            + (f" by {', '.join(result.killed_by[:SHOWN_KILLERS])}" if result.killed else "")
        )
    return summary, results, []


def run_mutant(mutant: Mutant, bench: Workbench) -> Result:
    started = time.monotonic()
    bench.prepare(mutant)
    up, setup_log = bench.start(mutant.id)
    try:
        if not up:
            return Result(
                mutant.id,
                mutant.area,
                mutant.file,
                mutant.description,
                "error",
                seconds=round(time.monotonic() - started, 1),
                log=str(setup_log),
            )
        result = judge_run(mutant, bench.run_suite(mutant.id, MUTANT_RUN_OPTIONS))
    finally:
        bench.stop(mutant.id)
    result.seconds = round(time.monotonic() - started, 1)
    return result


# -- command line ---------------------------------------------------------------------------------------


def comma_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mutation-test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=Path, default=ROOT / "config" / "mutants.yaml")
    parser.add_argument("--only", type=comma_list, default=[], help="comma list of mutant ids")
    parser.add_argument("--area", type=comma_list, default=[], help=f"comma list of areas ({', '.join(AREAS)})")
    parser.add_argument("--sample", type=int, help="run N mutants, spread over the areas, chosen by --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-budget", type=float, help="start no new mutant after this many seconds")
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--min-area-score", type=float, default=75.0)
    parser.add_argument("--suite-timeout", type=float, default=420.0, help="seconds one suite run may take")
    parser.add_argument("--work-dir", type=Path, help="default: a new temporary folder, removed afterwards")
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "mutation.json")
    parser.add_argument(
        "--logs",
        type=Path,
        default=ROOT / "reports" / "mutation",
        help="where each run's log and JUnit report are kept",
    )
    parser.add_argument("--check", action="store_true", help="only validate the mutants file against the tree")
    parser.add_argument("--list", action="store_true", help="print the selected mutants and run nothing")
    options = parser.parse_args(argv)
    if options.sample is not None and options.sample < 1:
        parser.error("--sample needs N >= 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        mutants, errors = load_mutants(options.mutants, ROOT)
        for line in errors:
            print(f"ERROR: {line}", file=sys.stderr)
        if errors:
            print(f"ERROR: {len(errors)} mutant(s) refused; nothing ran", file=sys.stderr)
            return 2
        chosen = select(mutants, options.only, options.area, options.sample, options.seed)
    except MutantError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    if options.check:
        print(f"{len(mutants)} mutants, all apply to the current tree")
        return 0
    if options.list:
        for m in chosen:
            print(f"{m.id:<28} {m.area:<11} {m.file}: {m.description}")
        return 0
    full_set = not (options.only or options.area or options.sample is not None)
    print(
        f"mutation gate: {len(chosen)} of {len(mutants)} mutants"
        + ("" if full_set else " (a partial run: the score is reported, not gated)")
    )
    started = time.monotonic()
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="bud-e2e-mutation-"))
    bench = None
    try:
        bench = Workbench(ROOT, work, options.logs, options.suite_timeout)
        baseline, results, not_run = run_gate(chosen, bench, options.time_budget)
    finally:
        if bench is not None:
            bench.release()
        if options.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    full_set = full_set and not not_run
    passed, why = judge(results, full_set, options.min_score, options.min_area_score)
    seconds = time.monotonic() - started
    print("", *summary_lines(results), sep="\n")
    if not_run:
        print(f"not run (time budget): {', '.join(not_run)}")
    write_report(
        options.report,
        results,
        full_set=full_set,
        passed=passed,
        why=why,
        baseline=baseline,
        not_run=not_run,
        seconds=seconds,
        options={
            "only": options.only,
            "area": options.area,
            "sample": options.sample,
            "seed": options.seed,
            "time_budget": options.time_budget,
            "min_score": options.min_score,
            "min_area_score": options.min_area_score,
        },
    )
    print(f"{'gate passed' if passed else 'GATE FAILED'}: {why} ({seconds:.0f}s; report {options.report})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
