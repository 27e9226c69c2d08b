"""The mutation gate's own logic (scripts/mutation_test.py): the mutants file, sampling, scoring, the work copy.

No suite runs here: the parts that start sandboxes are exercised by ./scripts/mutation-test.sh itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts import mutation_test as gate
from scripts.junit_results import outcomes, read_junit
from selftests.scripts.script_harness import REPO

ROUTES = """def status(user):
    if user["status"] == "deleted":
        return 400
    return 200
"""


def mutant_entry(**change) -> dict:
    entry = {
        "id": "auth-deleted-user",
        "area": "auth",
        "file": "sandbox/routes.py",
        "original": 'if user["status"] == "deleted":',
        "replacement": 'if user["status"] == "gone":',
        "description": "a deleted user is let in",
    }
    return {**entry, **change}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small checkout: a git repository with one sandbox file, an ignored state folder and an untracked file."""
    root = tmp_path / "checkout"
    (root / "sandbox").mkdir(parents=True)
    (root / "sandbox" / "routes.py").write_text(ROUTES)
    (root / ".gitignore").write_text(".e2e-state/\n")
    (root / ".e2e-state").mkdir()
    (root / ".e2e-state" / "deployment.env").write_text("E2E_DEPLOYMENT=sandbox\n")
    (root / ".venv" / "bin").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    (root / "sandbox" / "new_module.py").write_text("NEW = 1\n")  # uncommitted work is measured too
    return root


def write_mutants(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "mutants.yaml"
    path.write_text(json.dumps({"mutants": list(entries)}))  # JSON is YAML
    return path


# -- the mutants file -----------------------------------------------------------------------------------------


def test_a_valid_mutant_is_loaded(tree, tmp_path):
    mutants, errors = gate.load_mutants(write_mutants(tmp_path, mutant_entry()), tree)
    assert errors == []
    assert mutants == [gate.Mutant(**mutant_entry())]


def test_a_snippet_that_is_missing_is_refused_in_one_line(tree, tmp_path):
    entry = mutant_entry(original='if user["state"] == "deleted":')
    mutants, errors = gate.load_mutants(write_mutants(tmp_path, entry), tree)
    assert mutants == []
    assert errors == [
        "mutant auth-deleted-user: its original snippet is not found in sandbox/routes.py (must be "
        "exactly once; the code changed? refresh 'original' from the current file)"
    ]


def test_a_snippet_that_occurs_twice_is_refused(tree, tmp_path):
    entry = mutant_entry(original="return")
    _, errors = gate.load_mutants(write_mutants(tmp_path, entry), tree)
    assert errors == [
        "mutant auth-deleted-user: its original snippet occurs 2 times in sandbox/routes.py (must be "
        "exactly once; the code changed? refresh 'original' from the current file)"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"area": "billing"}, "unknown area 'billing'"),
        ({"description": ""}, "missing or empty description"),
        ({"file": "helpers/routes.py"}, "helpers/routes.py is not a sandbox file"),
        ({"file": "sandbox/gone.py"}, "sandbox/gone.py does not exist"),
        ({"replacement": 'if user["status"] == "deleted":'}, "the replacement equals the original"),
        ({"replacement": 'if user["status"] == "gone"'}, "sandbox/routes.py does not compile once mutated (line 2"),
        ({"extra": 1}, "unknown keys extra"),
    ],
)
def test_unusable_mutants_are_refused_with_the_reason(tree, tmp_path, change, message):
    _, errors = gate.load_mutants(write_mutants(tmp_path, mutant_entry(**change)), tree)
    assert len(errors) == 1 and errors[0].startswith("mutant auth-deleted-user: "), errors
    assert message in errors[0]


def test_an_id_used_twice_is_refused_and_the_others_kept(tree, tmp_path):
    mutants, errors = gate.load_mutants(write_mutants(tmp_path, mutant_entry(), mutant_entry()), tree)
    assert [m.id for m in mutants] == ["auth-deleted-user"]
    assert errors == ["mutant auth-deleted-user: the id is used twice"]


def test_a_file_without_a_mutants_list_is_an_error(tree, tmp_path):
    path = tmp_path / "mutants.yaml"
    path.write_text("faults: []\n")
    with pytest.raises(gate.MutantError, match="expected a top-level 'mutants:' list"):
        gate.load_mutants(path, tree)


def test_the_projects_mutants_all_apply_to_the_current_sandbox():
    """config/mutants.yaml matches the code: when a sandbox change moves a snippet, refresh that mutant."""
    mutants, errors = gate.load_mutants(REPO / "config" / "mutants.yaml", REPO)
    assert errors == []
    assert len(mutants) >= 40
    assert {m.area for m in mutants} == set(gate.AREAS)


def test_the_gate_exits_2_and_runs_nothing_when_a_mutant_is_refused(tree, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gate, "ROOT", tree)
    path = write_mutants(tmp_path, mutant_entry(original="nowhere"))
    monkeypatch.setattr(gate, "run_gate", lambda *a, **k: pytest.fail("a refused mutants file must run nothing"))
    assert gate.main(["--mutants", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("ERROR: mutant auth-deleted-user: its original snippet is not found")
    assert err[-1] == "ERROR: 1 mutant(s) refused; nothing ran"


# -- choosing what runs ---------------------------------------------------------------------------------------


def many_mutants() -> list[gate.Mutant]:
    return [gate.Mutant(f"{area}-{n}", area, "sandbox/x.py", "a", "b", "d") for area in gate.AREAS for n in range(4)]


def test_sampling_is_deterministic_for_a_seed():
    mutants = many_mutants()
    first = gate.sample_mutants(mutants, 5, seed=7)
    assert gate.sample_mutants(list(reversed(mutants)), 5, seed=7) == first  # the file's order does not matter
    assert len(first) == len({m.id for m in first}) == 5
    assert {tuple(m.id for m in gate.sample_mutants(mutants, 5, seed=s)) for s in range(10)} != {
        tuple(m.id for m in first)
    }, "the seed chooses the sample"


def test_a_sample_spreads_over_the_areas():
    chosen = gate.sample_mutants(many_mutants(), len(gate.AREAS), seed=3)
    assert sorted(m.area for m in chosen) == sorted(gate.AREAS)
    twice = gate.sample_mutants(many_mutants(), 2 * len(gate.AREAS), seed=3)
    assert all(sum(m.area == a for m in twice) == 2 for a in gate.AREAS)


def test_a_sample_as_large_as_the_set_is_the_set():
    mutants = many_mutants()
    assert gate.sample_mutants(mutants, 1000, seed=1) == mutants


def test_only_and_area_select_and_unknown_names_are_errors():
    mutants = many_mutants()
    assert [m.id for m in gate.select(mutants, ["auth-1", "gateway-2"], [], None, 0)] == ["auth-1", "gateway-2"]
    assert {m.area for m in gate.select(mutants, [], ["metrics"], None, 0)} == {"metrics"}
    assert len(gate.select(mutants, [], ["metrics", "auth"], 3, 0)) == 3
    with pytest.raises(gate.MutantError, match="unknown mutant ids: auth-9"):
        gate.select(mutants, ["auth-9"], [], None, 0)
    with pytest.raises(gate.MutantError, match="unknown areas: billing"):
        gate.select(mutants, [], ["billing"], None, 0)


# -- scoring and reporting ------------------------------------------------------------------------------------


def result(mutant_id: str, area: str, status: str, *killers: str) -> gate.Result:
    return gate.Result(
        mutant_id,
        area,
        "sandbox/x.py",
        f"{mutant_id} breaks",
        status,
        list(killers),
        leak_only=list(killers) == [gate.LEAK_CHECK],
    )


def test_scores_per_area_and_overall_leave_out_errors():
    results = [
        result("auth-1", "auth", "killed", "t::a"),
        result("auth-2", "auth", "survived"),
        result("auth-3", "auth", "error"),
        result("gateway-1", "gateway", "killed", gate.LEAK_CHECK),
    ]
    assert gate.area_scores(results) == {
        "auth": {"killed": 1, "survived": 1, "scored": 2, "score": 50.0},
        "gateway": {"killed": 1, "survived": 0, "scored": 1, "score": 100.0},
    }
    assert gate.overall_score(results) == 66.7


def test_the_full_set_is_gated_on_the_score_and_every_area():
    passing = [result(f"auth-{n}", "auth", "killed", "t::a") for n in range(9)] + [result("auth-9", "auth", "survived")]
    assert gate.judge(passing, True, 90, 75) == (True, "score 90.0% >= 90%, every area >= 75%")
    low_area = [
        *passing,
        *(result(f"gateway-{n}", "gateway", "killed", "t::g") for n in range(10)),
        result("metrics-1", "metrics", "survived"),
        result("metrics-2", "metrics", "killed", "t::m"),
    ]
    assert gate.judge(low_area, True, 90, 75) == (False, "areas below 75%: metrics 50.0%")
    assert gate.judge(passing, True, 95, 75) == (False, "score 90.0% < 95%")


def test_a_partial_run_reports_its_score_and_fails_only_when_nothing_was_killed():
    some = [result("auth-1", "auth", "killed", "t::a"), result("auth-2", "auth", "survived")]
    assert gate.judge(some, False, 90, 75) == (
        True,
        "partial run: score 50.0% is reported, not gated (the gate judges the full set)",
    )
    none = [result("auth-2", "auth", "survived")]
    assert gate.judge(none, False, 90, 75) == (False, "a partial run killed none of its mutants")


def test_a_mutant_that_breaks_the_start_fails_the_gate():
    results = [result("auth-1", "auth", "killed", "t::a"), result("auth-2", "auth", "error")]
    passed, why = gate.judge(results, False, 90, 75)
    assert not passed and "the sandbox did not start with auth-2" in why


def test_the_summary_names_killers_survivors_and_leak_only_kills():
    lines = gate.summary_lines(
        [
            result("auth-1", "auth", "killed", "t::a", "t::b", "t::c", "t::d"),
            result("auth-2", "auth", "survived"),
            result("gateway-1", "gateway", "killed", gate.LEAK_CHECK),
        ]
    )
    assert lines == [
        "auth: 1/2 killed (50%)",
        "  killed    auth-1: t::a, t::b, t::c (+1 more)",
        "  SURVIVED  auth-2: auth-2 breaks",
        "gateway: 1/1 killed (100%)",
        f"  killed    gateway-1 [only the leak check]: {gate.LEAK_CHECK}",
        "overall: 2/3 killed (66.7%)",
    ]


def suite_run(tmp_path: Path, **change) -> gate.SuiteRun:
    values = {
        "returncode": 0,
        "failed": [],
        "passed": 10,
        "leaked": False,
        "timed_out": False,
        "seconds": 1.0,
        "log": tmp_path / "m.log",
    }
    return gate.SuiteRun(**{**values, **change})


def test_a_run_is_judged_by_failed_tests_the_leak_check_and_its_time(tmp_path):
    mutant = gate.Mutant(**mutant_entry())
    assert gate.judge_run(mutant, suite_run(tmp_path)).status == "survived"
    killed = gate.judge_run(mutant, suite_run(tmp_path, returncode=1, failed=["t::a"], leaked=True))
    assert (killed.status, killed.killed_by, killed.leak_only) == ("killed", ["t::a", gate.LEAK_CHECK], False)
    leak = gate.judge_run(mutant, suite_run(tmp_path, returncode=1, leaked=True))
    assert (leak.status, leak.leak_only) == ("killed", True)
    slow = gate.judge_run(mutant, suite_run(tmp_path, returncode=-9, timed_out=True))
    assert (slow.status, slow.killed_by, slow.timed_out) == ("killed", ["(suite time limit)"], True)
    odd = gate.judge_run(mutant, suite_run(tmp_path, returncode=3))
    assert odd.killed_by == [f"(pytest exit status 3, see {tmp_path / 'm.log'})"]


def test_the_report_holds_scores_per_area_and_each_mutant(tmp_path):
    path = tmp_path / "reports" / "mutation.json"
    results = [result("auth-1", "auth", "killed", "t::a"), result("auth-2", "auth", "survived")]
    gate.write_report(
        path,
        results,
        full_set=True,
        passed=False,
        why="score 50.0% < 90%",
        baseline={"passed": 91},
        not_run=[],
        seconds=12.3,
        options={"min_score": 90},
    )
    report = json.loads(path.read_text())
    assert (report["score"], report["full_set"], report["gate"]["passed"]) == (50.0, True, False)
    assert report["areas"] == {"auth": {"killed": 1, "survived": 1, "scored": 2, "score": 50.0}}
    assert [(m["id"], m["status"], m["killed_by"]) for m in report["mutants"]] == [
        ("auth-1", "killed", ["t::a"]),
        ("auth-2", "survived", []),
    ]


def git_status(root: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True).stdout


# -- the work copy --------------------------------------------------------------------------------------------


def test_a_mutant_is_applied_in_a_copy_and_the_checkout_stays_untouched(tree, tmp_path):
    mutant = gate.Mutant(**mutant_entry())
    status_before = git_status(tree)
    files = gate.tree_files(tree)
    assert files == [".gitignore", "sandbox/new_module.py", "sandbox/routes.py"]  # no state, no virtualenv
    copy = tmp_path / "work" / "tree"
    gate.copy_tree(tree, copy, files)
    gate.apply_mutant(copy, mutant)

    assert (tree / "sandbox" / "routes.py").read_text() == ROUTES
    assert (copy / "sandbox" / "routes.py").read_text() == ROUTES.replace('"deleted"', '"gone"')
    assert (copy / "sandbox" / "new_module.py").read_text() == "NEW = 1\n"
    assert not (copy / ".e2e-state").exists()
    assert (copy / ".venv").is_symlink() and (copy / ".venv").resolve() == (tree / ".venv").resolve()
    assert git_status(tree) == status_before

    gate.copy_tree(tree, copy, files)  # the next mutant starts from a clean copy
    assert (copy / "sandbox" / "routes.py").read_text() == ROUTES


def test_a_mutant_whose_snippet_is_gone_from_the_copy_is_refused(tree, tmp_path):
    copy = tmp_path / "copy"
    gate.copy_tree(tree, copy, gate.tree_files(tree))
    with pytest.raises(gate.MutantError, match=r"not exactly once in the copy of sandbox/routes\.py"):
        gate.apply_mutant(copy, gate.Mutant(**mutant_entry(original="nowhere")))


# -- JUnit results, shared with the fault matrix and the flake gate -------------------------------------------


def test_junit_results_tell_failed_passed_and_skipped(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="flows.a" name="test_ok"/>'
        '<testcase classname="flows.a" name="test_bad"><failure message="x"/></testcase>'
        '<testcase classname="flows.b" name="test_broken"><error message="y"/></testcase>'
        '<testcase classname="flows.b" name="test_xfail"><skipped message="z"/></testcase>'
        "</testsuite></testsuites>"
    )
    assert outcomes(report) == {
        "flows.a::test_ok": "passed",
        "flows.a::test_bad": "failed",
        "flows.b::test_broken": "failed",
        "flows.b::test_xfail": "skipped",
    }
    assert read_junit(report) == (["flows.a::test_bad", "flows.b::test_broken"], 1)


# -- the stores of the runs -----------------------------------------------------------------------------------


def test_runs_use_stores_apart_from_the_checkouts():
    stores = gate.run_stores(
        {
            "SANDBOX_POSTGRES_DSN": "postgresql://postgres@127.0.0.1:5432/bud_e2e_x?sslmode=disable",
            "SANDBOX_REDIS_URL": "redis://127.0.0.1:6400/3",
        }
    )
    assert stores == {
        "SANDBOX_POSTGRES_DSN": "postgresql://postgres@127.0.0.1:5432/bud_e2e_x_mutation?sslmode=disable",
        "SANDBOX_REDIS_URL": "redis://127.0.0.1:6400/11",
        "SANDBOX_GATEWAY_REDIS_URL": "redis://127.0.0.1:6400/13",
    }
    assert (
        gate.run_stores({"MUTATION_REDIS_URL": "redis://10.0.0.1:6379/5"})["SANDBOX_GATEWAY_REDIS_URL"]
        == "redis://10.0.0.1:6379/7"
    )
    assert (
        gate.run_stores({})["SANDBOX_POSTGRES_DSN"] == "postgresql://postgres@127.0.0.1:5432/bud_e2e_sandbox_mutation"
    )


def test_a_run_does_not_inherit_the_checkouts_deployment(tree, tmp_path, monkeypatch):
    monkeypatch.setenv("E2E_ROOT", str(tree))
    monkeypatch.setenv("E2E_BUDAPP_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("E2E_POSTGRES_DSN", "postgresql://elsewhere/db")
    monkeypatch.setenv("E2E_CONTRACT_STRICT", "1")
    bench = gate.Workbench(
        tree,
        tmp_path / "work",
        tmp_path / "logs",
        60,
        environ={"SANDBOX_POSTGRES_DSN": "postgresql://postgres@127.0.0.1:5432/db"},
    )
    env = bench.environment()
    assert not {"E2E_ROOT", "E2E_BUDAPP_URL", "E2E_POSTGRES_DSN"} & env.keys()
    assert (env["E2E_CONTRACT_STRICT"], env["E2E_SKIP_LEAK_CHECK"]) == ("1", "0")
    assert env["E2E_STATE_DIR"] == str(tmp_path / "work" / "state")
    assert env["SANDBOX_POSTGRES_DSN"] == "postgresql://postgres@127.0.0.1:5432/db_mutation"


def test_every_run_copies_the_checkout_as_it_was_when_the_gate_started(tree, tmp_path, monkeypatch):
    bench = gate.Workbench(tree, tmp_path / "work", tmp_path / "logs", 60, environ={})
    monkeypatch.setattr(bench, "reset_stores", lambda: None)
    (tree / "sandbox" / "routes.py").write_text("EDITED = True\n")  # an edit while the gate runs
    bench.prepare(gate.Mutant(**mutant_entry()))
    assert (bench.tree / "sandbox" / "routes.py").read_text() == ROUTES.replace('"deleted"', '"gone"')
    bench.prepare(None)
    assert (bench.tree / "sandbox" / "routes.py").read_text() == ROUTES


def test_the_suite_runs_in_the_copy_whatever_exists_at_the_report_paths(tree, tmp_path, monkeypatch):
    """Report paths go as option=value and the rootdir is the copy's: pytest would otherwise take an existing report
    path for where to look for its configuration and run the checkout's suite."""
    bench = gate.Workbench(tree, tmp_path / "work", tmp_path / "logs", 60, environ={})
    (tmp_path / "logs" / "auth-1.html").write_text("an earlier run's report")
    seen: dict[str, Any] = {}

    class FakePytest:
        pid = 0

        def __init__(self, command, cwd, **_):
            seen.update(command=command, cwd=cwd)
            (tmp_path / "logs" / "auth-1.xml").write_text(
                '<testsuites><testsuite><testcase classname="flows.a" name="test_ok"/></testsuite></testsuites>'
            )

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(gate.subprocess, "Popen", FakePytest)
    run = bench.run_suite("auth-1", ["--maxfail", "3"])
    assert (run.returncode, run.failed, run.passed, run.leaked) == (0, [], 1, False)
    assert seen["cwd"] == bench.tree
    assert f"--rootdir={bench.tree}" in seen["command"]
    assert f"--junitxml={tmp_path / 'logs' / 'auth-1.xml'}" in seen["command"]
    assert not any(Path(arg).exists() for arg in seen["command"][1:] if not arg.startswith("-"))
