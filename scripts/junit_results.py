"""Test outcomes from a pytest JUnit XML report.

Shared by the tools that run the suite and judge its results: the fault matrix
(sandbox/fault_matrix.py), the flake gate (scripts/flake_gate.py) and the mutation
gate (scripts/mutation_test.py). Test ids are ``<classname>::<name>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def outcomes(path: Path) -> dict[str, str]:
    """Every test of the report -> "passed", "failed" (failure or error) or "skipped" (xfail included)."""
    result = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            result[test_id] = "failed"
        elif case.find("skipped") is not None:
            result[test_id] = "skipped"
        else:
            result[test_id] = "passed"
    return result


def read_junit(path: Path) -> tuple[list[str], int]:
    """(failed or errored test ids in report order, passed count)."""
    seen = outcomes(path)
    return [t for t, o in seen.items() if o == "failed"], sum(o == "passed" for o in seen.values())
