"""Masking of secrets in pytest's failure reports (terminal, JUnit XML, xdist)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from helpers.masking import mask_text


class MaskedLongRepr:
    """Stands in for a failure representation whose text contained a secret."""

    def __init__(self, text: str, crash: Any) -> None:
        self.text = text
        self.reprcrash = (
            SimpleNamespace(path=crash.path, lineno=crash.lineno, message=mask_text(crash.message))
            if crash is not None
            else None
        )

    def __str__(self) -> str:
        return self.text

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)


def mask_report(report: Any) -> None:
    """Replace secrets in ``report`` in place; leaves clean reports untouched."""
    longrepr = report.longrepr
    if longrepr is not None and not isinstance(longrepr, tuple):
        text = str(longrepr)
        masked = mask_text(text)
        if masked != text:
            report.longrepr = MaskedLongRepr(masked, getattr(longrepr, "reprcrash", None))
    report.sections = [(title, mask_text(content)) for title, content in report.sections]
