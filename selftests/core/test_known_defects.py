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
    result = run(
        registry(entry("BUD-001", "test_platform.py::test_defect_shows")),
        "sandbox",
        "test_platform.py::test_defect_shows",
        "test_platform.py::test_unrelated",
        "-rx",
    )
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*known defects*",
            "BUD-001 Defect BUD-001 [[]present here[]]",
            "  test_platform.py::test_defect_shows: still present",
            "*XFAIL test_platform.py::test_defect_shows - BUD-001: Defect BUD-001*",
        ]
    )


def test_a_passing_listed_test_fails_the_run_and_says_the_defect_looks_fixed(run):
    result = run(
        registry(entry("BUD-002", "test_platform.py::test_defect_fixed")), "k3d", "test_platform.py::test_defect_fixed"
    )
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*test_defect_fixed: FIXED? the test passed: remove BUD-002*", "*XPASS(strict)*BUD-002*"]
    )


def test_on_other_deployments_the_test_runs_normally(run):
    result = run(
        registry(entry("BUD-003", "test_platform.py::test_defect_shows")),
        "compose",
        "test_platform.py::test_defect_shows",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "BUD-003 Defect BUD-003 [[]not registered for compose[]]",
            "  test_platform.py::test_defect_shows: failed (call)",
        ]
    )


def test_every_parametrized_case_is_covered(run):
    result = run(registry(entry("BUD-004", "test_platform.py::test_cases")), "sandbox", "test_platform.py::test_cases")
    result.assert_outcomes(xfailed=2)
    result.stdout.fnmatch_lines(
        ["  test_platform.py::test_cases[[]a[]]: still present", "  test_platform.py::test_cases[[]b[]]: still present"]
    )


def test_an_error_that_is_not_an_assertion_stays_a_failure(run):
    result = run(
        registry(entry("BUD-005", "test_platform.py::test_broken_for_another_reason")),
        "sandbox",
        "test_platform.py::test_broken_for_another_reason",
    )
    result.assert_outcomes(failed=1)


def test_a_listed_test_that_does_not_exist_stops_the_run(run):
    result = run(
        registry(entry("BUD-006", "test_platform.py::test_renamed_away")), "sandbox", "test_platform.py::test_unrelated"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*known defects:*BUD-006 lists test_platform.py::test_renamed_away, "
            "but test_platform.py defines no test test_renamed_away*"
        ]
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (entry("BUD-007", "test_platform.py::test_unrelated", "[laptop]"), "*entry 1: applies_to.0: Input should be*"),
        (entry("BUD-008", "missing_file.py::test_x"), "*but missing_file.py does not exist*"),
        (
            entry("BUD-009", "test_platform.py::test_unrelated")
            + entry("BUD-009", "test_platform.py::test_defect_fixed"),
            "*defect id BUD-009 is listed twice*",
        ),
        (entry("oops", "test_platform.py::test_unrelated"), "*entry 1: id: String should match pattern*"),
    ],
)
def test_a_malformed_registry_stops_the_run(run, text, problem):
    result = run(registry(text), "sandbox", "test_platform.py::test_unrelated")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([problem])


def test_the_project_registry_is_valid():
    """config/known_defects.yaml itself: well formed, and every test it names exists."""
    from fixtures.known_defects import DEFECTS_FILE, load_registry
    from helpers.config import SUITE_ROOT

    assert load_registry(DEFECTS_FILE, SUITE_ROOT)


RACY_TESTS = """
    import os
    from pathlib import Path

    LOG = Path(os.environ["E2E_STATE_DIR"]) / "sandbox" / "logs" / "budapp.log"

    def test_meets_the_race():
        with LOG.open("a") as log:
            log.write(
                '{"levelname": "ERROR", "name": "budapp.shared.redis_service", "event": "Error setting Redis key"}\\n'
            )
        assert 500 == 200, "POST /credentials/ answered 500"

    def test_fails_otherwise_while_the_race_strikes():
        with LOG.open("a") as log:
            log.write(
                '{"levelname": "ERROR", "name": "budapp.shared.redis_service", "event": "Error setting Redis key"}\\n'
            )
        assert 404 == 200, "GET /projects/x answered 404"

    def test_answers_500_without_the_cause():
        assert 500 == 200, "POST /credentials/ answered 500"
"""

RACY_DEFECT = """
    - id: BUD-009
      title: Redis pool race
      evidence: services/budapp/budapp/shared/redis_service.py:16-34
      since: bud-runtime abc
      applies_to: [source]
      intermittent:
        log: budapp
        pattern: '"name": "budapp\\.shared\\.redis_service".*"Error setting Redis key'
        failure: '\\b500\\b'
    """


@pytest.fixture
def run_racy(pytester, monkeypatch, tmp_path):
    pytester.makepyfile(test_racy=textwrap.dedent(RACY_TESTS))
    logs = tmp_path / "state" / "sandbox" / "logs"
    logs.mkdir(parents=True)
    (logs / "budapp.log").write_text('{"name": "budapp.shared.redis_service", "event": "Error setting Redis key"}\n')
    monkeypatch.setenv("E2E_STATE_DIR", str(tmp_path / "state"))
    path = pytester.path / "known_defects.yaml"
    path.write_text(textwrap.dedent(RACY_DEFECT))
    monkeypatch.setenv("E2E_KNOWN_DEFECTS_FILE", str(path))

    def run_on(deployment: str):
        monkeypatch.setenv("E2E_DEPLOYMENT", deployment)
        return pytester.runpytest_inprocess("-p", "fixtures.known_defects", "-p", "no:cacheprovider", "-rxf")

    return run_on


def test_a_failure_showing_an_intermittent_defect_is_expected_and_names_the_log_line(run_racy):
    """Only the failure with the symptom (a 500) whose test saw the cause logged is the defect; a cause logged before
    the test started (the log's first line) counts for nothing."""
    result = run_racy("source")
    result.assert_outcomes(failed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*known defects*",
            "BUD-009 Redis pool race [[]present here[]]",
            "  test_racy.py::test_meets_the_race: failed by this defect (its log: *Error setting Redis key*",
            "*XFAIL test_racy.py::test_meets_the_race - BUD-009: Redis pool race (recognised: *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED test_racy.py::test_fails_otherwise_while_the_race_strikes*",
            "FAILED test_racy.py::test_answers_500_without_the_cause*",
        ],
        consecutive=False,
    )


def test_an_intermittent_defect_is_not_recognised_where_it_is_not_registered(run_racy):
    run_racy("sandbox").assert_outcomes(failed=3)


def test_an_intermittent_signature_that_is_not_a_regular_expression_stops_the_run(run, monkeypatch):
    text = textwrap.dedent(RACY_DEFECT).replace("Error setting Redis key'", "Error (setting'")
    result = run(text, "source")
    result.stderr.fnmatch_lines(["*BUD-009 intermittent.pattern is not a regular expression*"])


def test_a_defect_with_several_signs_is_recognised_by_any_of_them(run_racy, pytester):
    """BUD-009 shows as a 500 or as a route its delete left behind: a failure with either sign and its cause is it."""
    text = (
        textwrap.dedent(RACY_DEFECT).split("  intermittent:")[0]
        + "  "
        + textwrap.dedent(
            """\
          intermittent:
            - log: budapp
              pattern: 'Error setting Redis key'
              failure: '\\b500\\b'
            - log: budapp
              pattern: 'Failed to delete endpoint details from redis'
              failure: 'the route outlived the deletion request'
        """
        ).replace("\n", "\n  ")
    )
    (pytester.path / "known_defects.yaml").write_text(text)
    pytester.makepyfile(
        test_route=textwrap.dedent(
            """
            import os
            from pathlib import Path

            LOG = Path(os.environ["E2E_STATE_DIR"]) / "sandbox" / "logs" / "budapp.log"

            def test_route_outlives_its_delete():
                with LOG.open("a") as log:
                    log.write('{"event": "Failed to delete endpoint details from redis: Connection lost."}\\n')
                assert "route" is None, "the route outlived the deletion request"
            """
        )
    )
    result = run_racy("source")
    result.assert_outcomes(failed=2, xfailed=2)
    result.stdout.fnmatch_lines(["  test_route.py::test_route_outlives_its_delete: failed by this defect*"])
