"""Shared configuration of the E2E suite: fixtures, secret masking, markers."""

from __future__ import annotations

import time

import pytest

from helpers.diagnostics import http_exchanges_section
from helpers.masking import install_log_masking
from helpers.report_masking import mask_report

pytest_plugins = [
    "fixtures.services",
    "fixtures.auth",
    "fixtures.infrastructure",
    "fixtures.cleanup",
    "fixtures.data",
    "fixtures.leak_check",
]

install_log_masking()

TEST_STARTED = pytest.StashKey[float]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[TEST_STARTED] = time.time()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mask secrets in failure reports and in the captured output attached to them."""
    report = yield
    if report.failed:
        section = http_exchanges_section(item.stash.get(TEST_STARTED, 0.0))
        if section:
            report.sections.append(("HTTP exchanges (masked)", section))
    mask_report(report)
    return report
