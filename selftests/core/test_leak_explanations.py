"""The leak check lets a registered defect account for what it leaves behind, one logged line per leftover."""

import re
from pathlib import Path

import pytest

from fixtures.known_defects import DEFECTS_FILE, KnownDefect, RegistryError, load_registry
from fixtures.leak_check import explain
from helpers.config import SUITE_ROOT

ROUTE_LEFT = (
    '{"name": "budapp.endpoint_ops.services", "message": "Failed to delete endpoint details from redis: '
    'Connection closed by server."}'
)
CACHE_NOT_UPDATED = (
    '{"name": "budapp.endpoint_ops.services", "message": "Failed to delete endpoint details from '
    'redis: Error setting Redis key api_key:abc"}'
)


class LoggedLines:
    """ServiceLogs as the leak check asks it: the lines one service logged that match a pattern."""

    def __init__(self, lines: dict[str, list[str]]) -> None:
        self.lines = lines

    def find_lines(self, service: str, pattern: re.Pattern[str], marks: dict[str, int], since: float) -> list[str]:
        return [line for line in self.lines.get(service, []) if pattern.search(line)]


def route_defect() -> KnownDefect:
    return KnownDefect(
        id="BUD-900",
        title="Routes stay",
        tests=[],
        evidence="x.py:1",
        since="abc",
        applies_to=["source"],
        leftovers={"kind": "gateway route", "log": "budapp", "pattern": "Failed to delete endpoint"},
    )


def test_leftovers_the_defect_logged_for_are_explained_and_the_rest_still_fail_the_check():
    found = {"gateway route": ["e2e-1-a", "e2e-1-b"], "project": ["e2e-1-p"]}
    logs = LoggedLines({"budapp": [ROUTE_LEFT, ROUTE_LEFT]})

    unexplained, explained = explain(found, [route_defect()], logs, {}, 0.0)

    assert unexplained == {"project": ["e2e-1-p"]}
    assert [(e.defect.id, e.kind, e.names, e.lines) for e in explained] == [
        ("BUD-900", "gateway route", ["e2e-1-a", "e2e-1-b"], [ROUTE_LEFT, ROUTE_LEFT])
    ]


def test_more_leftovers_than_logged_failures_are_not_explained():
    found = {"gateway route": ["e2e-1-a", "e2e-1-b"]}

    unexplained, explained = explain(found, [route_defect()], LoggedLines({"budapp": [ROUTE_LEFT]}), {}, 0.0)

    assert unexplained == found
    assert explained == []


def test_a_defect_of_another_service_log_explains_nothing():
    found = {"gateway route": ["e2e-1-a"]}

    unexplained, explained = explain(found, [route_defect()], LoggedLines({"budgateway": [ROUTE_LEFT]}), {}, 0.0)

    assert (unexplained, explained) == (found, [])


def test_the_registered_route_defect_counts_failed_route_deletes_only():
    """BUD-009: a raw Redis error of the route delete leaves the route; RedisService's own errors come later."""
    defect = next(d for d in load_registry(DEFECTS_FILE, SUITE_ROOT) if d.leftovers)
    assert defect.leftovers is not None
    assert (defect.id, defect.leftovers.kind, defect.leftovers.log) == ("BUD-009", "gateway route", "budapp")

    unexplained, explained = explain(
        {"gateway route": ["e2e-1-a"]}, [defect], LoggedLines({"budapp": [CACHE_NOT_UPDATED]}), {}, 0.0
    )
    assert unexplained == {"gateway route": ["e2e-1-a"]}

    unexplained, explained = explain(
        {"gateway route": ["e2e-1-a"]}, [defect], LoggedLines({"budapp": [CACHE_NOT_UPDATED, ROUTE_LEFT]}), {}, 0.0
    )
    assert unexplained == {}
    assert explained[0].lines == [ROUTE_LEFT]


def test_a_leftovers_pattern_that_is_not_a_regular_expression_stops_the_run(tmp_path: Path):
    path = tmp_path / "known_defects.yaml"
    path.write_text(
        "- id: BUD-900\n  title: t\n  tests: []\n  evidence: e\n  since: s\n  applies_to: [source]\n"
        "  leftovers: {kind: gateway route, log: budapp, pattern: '(unclosed'}\n"
    )

    with pytest.raises(RegistryError, match=r"BUD-900 leftovers\.pattern is not a regular expression"):
        load_registry(path, tmp_path)
