"""Shared configuration of the E2E suite: fixtures, secret masking, markers."""

from __future__ import annotations

import pytest

from helpers.masking import install_log_masking
from helpers.report_masking import mask_report

pytest_plugins = [
    "fixtures.services",
    "fixtures.auth",
    "fixtures.infrastructure",
    "fixtures.data",
]

install_log_masking()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mask secrets in failure reports and in the captured output attached to them."""
    report = yield
    mask_report(report)
    return report
