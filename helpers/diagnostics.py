"""What a failed test's report carries: the HTTP exchanges it made (masked)."""

from __future__ import annotations

from helpers.api_client import APIClient

MAX_EXCHANGES = 12


def http_exchanges_section(since: float) -> str | None:
    """The last requests and responses made since ``since``, or None when there were none."""
    exchanges = APIClient.exchanges_since(since)
    if not exchanges:
        return None
    shown = exchanges[-MAX_EXCHANGES:]
    header = f"last {len(shown)} of {len(exchanges)} HTTP exchanges" if len(exchanges) > len(shown) else ""
    return "\n".join(filter(None, [header, *(e.render() for e in shown)]))
