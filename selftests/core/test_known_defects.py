"""The defect registry: listed tests are strict expected failures where the defect is present."""

import textwrap

import pytest

TESTS = """
    import pytest

    def test_defect_shows():
        assert 1 + 1 == 3, "the platform is still wrong"

    def test_defect_fixed():
        assert True

    @pytest.mark.parametrize("case", ["a", "b"])
    def test_cases(case):
        assert case == "never"

    def test_unrelated():
        assert True

    def test_broken_for_another_reason():
        raise RuntimeError("the deployment is down")
"""


def registry(*entries: str) -> str:
    return "\n".join(textwrap.dedent(entry) for entry in entries)


def entry(defect_id: str, test: str, applies_to: str = "[sandbox, k3d]") -> str:
    return f"""
        - id: {defect_id}
          title: Defect {defect_id}
          tests: [{test}]
          evidence: services/x.py:1
          since: bud-runtime abc
          applies_to: {applies_to}
        """


@pytest.fixture
def run(pytester, monkeypatch):
    pytester.makepyfile(test_platform=textwrap.dedent(TESTS))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")

    def run_with(registry_text: str, deployment: str = "sandbox", *args: str):
        path = pytester.path / "known_defects.yaml"
        path.write_text(registry_text)
        monkeypatch.setenv("E2E_KNOWN_DEFECTS_FILE", str(path))
        monkeypatch.setenv("E2E_DEPLOYMENT", deployment)
        return pytester.runpytest_inprocess("-p", "fixtures.known_defects", "-p", "no:cacheprovider", *args)

    return run_with


def test_a_present_defect_is_an_expected_failure_and_listed_in_the_summary(run):
    result = run(registry(entry("BUD-001", "test_platform.py::test_defect_shows")), "sandbox",
                 "test_platform.py::test_defect_shows", "test_platform.py::test_unrelated", "-rx")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines([
        "*known defects*",
        "BUD-001 Defect BUD-001 [[]present here[]]",
        "  test_platform.py::test_defect_shows: still present",
        "*XFAIL test_platform.py::test_defect_shows - BUD-001: Defect BUD-001*",
    ])


def test_a_passing_listed_test_fails_the_run_and_says_the_defect_looks_fixed(run):
    result = run(registry(entry("BUD-002", "test_platform.py::test_defect_fixed")), "k3d",
                 "test_platform.py::test_defect_fixed")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*test_defect_fixed: FIXED? the test passed: remove BUD-002*", "*XPASS(strict)*BUD-002*"])


def test_on_other_deployments_the_test_runs_normally(run):
    result = run(registry(entry("BUD-003", "test_platform.py::test_defect_shows")), "compose",
                 "test_platform.py::test_defect_shows")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["BUD-003 Defect BUD-003 [[]not registered for compose[]]",
                                 "  test_platform.py::test_defect_shows: failed (call)"])


def test_every_parametrized_case_is_covered(run):
    result = run(registry(entry("BUD-004", "test_platform.py::test_cases")), "sandbox", "test_platform.py::test_cases")
    result.assert_outcomes(xfailed=2)
    result.stdout.fnmatch_lines(["  test_platform.py::test_cases[[]a[]]: still present",
                                 "  test_platform.py::test_cases[[]b[]]: still present"])


def test_an_error_that_is_not_an_assertion_stays_a_failure(run):
    result = run(registry(entry("BUD-005", "test_platform.py::test_broken_for_another_reason")), "sandbox",
                 "test_platform.py::test_broken_for_another_reason")
    result.assert_outcomes(failed=1)


def test_a_listed_test_that_does_not_exist_stops_the_run(run):
    result = run(registry(entry("BUD-006", "test_platform.py::test_renamed_away")), "sandbox",
                 "test_platform.py::test_unrelated")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*known defects:*BUD-006 lists test_platform.py::test_renamed_away, "
                                 "but test_platform.py defines no test test_renamed_away*"])


@pytest.mark.parametrize(("text", "problem"), [
    (entry("BUD-007", "test_platform.py::test_unrelated", "[laptop]"), "*entry 1: applies_to.0: Input should be*"),
    (entry("BUD-008", "missing_file.py::test_x"), "*but missing_file.py does not exist*"),
    (entry("BUD-009", "test_platform.py::test_unrelated") + entry("BUD-009", "test_platform.py::test_defect_fixed"),
     "*defect id BUD-009 is listed twice*"),
    (entry("oops", "test_platform.py::test_unrelated"), "*entry 1: id: String should match pattern*"),
])
def test_a_malformed_registry_stops_the_run(run, text, problem):
    result = run(registry(text), "sandbox", "test_platform.py::test_unrelated")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([problem])


def test_the_project_registry_is_valid():
    """config/known_defects.yaml itself: well formed, and every test it names exists."""
    from fixtures.known_defects import DEFECTS_FILE, load_registry
    from helpers.config import SUITE_ROOT

    assert load_registry(DEFECTS_FILE, SUITE_ROOT)
