"""Shared configuration of the E2E suite: fixtures, secret masking, markers."""

from __future__ import annotations

import time

import pytest

from helpers.config import ConfigError, get_settings
from helpers.diagnostics import ServiceLogs, http_exchanges_section, waits_section
from helpers.masking import install_log_masking
from helpers.report_masking import mask_report

pytest_plugins = [
    "fixtures.contract",  # before fixtures.services, which wires it into the budapp client
    "fixtures.services",
    "fixtures.waiting",
    "fixtures.auth",
    "fixtures.infrastructure",
    "fixtures.cleanup",
    "fixtures.data",
    "fixtures.leak_check",
    "fixtures.performance",
    "fixtures.known_defects",
]

install_log_masking()

TEST_STARTED = pytest.StashKey[float]()
LOG_MARKS = pytest.StashKey[dict]()


def _service_logs() -> ServiceLogs | None:
    try:
        return ServiceLogs(get_settings().deployment)
    except ConfigError:
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[TEST_STARTED] = time.time()
    logs = _service_logs()
    item.stash[LOG_MARKS] = logs.mark() if logs else {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach diagnostics to failures; mask secrets in every report and its captured output."""
    report = yield
    if report.failed and not item.nodeid.startswith("selftests/"):
        since = item.stash.get(TEST_STARTED, 0.0)
        logs = _service_logs()
        for title, section in (
            ("HTTP exchanges (masked)", http_exchanges_section(since)),
            ("what the test waited for (last state seen)", waits_section(since)),
            ("service logs during the test", logs.section(item.stash.get(LOG_MARKS, {}), since) if logs else None),
        ):
            if section:
                report.sections.append((title, section))
    mask_report(report)
    return report
