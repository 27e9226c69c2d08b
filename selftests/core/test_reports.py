"""Reports count a rerun test once, with its final outcome, and say that it was rerun."""

import xml.etree.ElementTree as ET

FLAKY_ONCE = """
import pytest

attempts = {"n": 0}


@pytest.mark.flaky(reruns=2)
def test_fails_once_then_passes():
    attempts["n"] += 1
    assert attempts["n"] > 1, "first attempt fails"


def test_steady():
    pass
"""


def test_a_rerun_is_one_test_with_its_final_outcome(pytester):
    pytester.makepyfile(test_flaky=FLAKY_ONCE)
    report = pytester.path / "junit.xml"
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\njunit_family = xunit2\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--junitxml={report}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 passed*1 rerun*"])
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None, "the JUnit report has no testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"test_fails_once_then_passes", "test_steady"}
    assert cases["test_fails_once_then_passes"].find("failure") is None
