"""Which answers a wait polls through and which end it.

Retried until the deadline: connection errors and request timeouts, 429 (after the server's Retry-After, when it
gives one), 502, 503 and 504. Any other status the caller did not name ends the wait at once, because polling
cannot change it: a 401 or 403 stays one until the test changes its credentials, a 404 until it creates the thing,
and a 400 or 500 says the request itself is wrong or the service broke.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

import httpx

from helpers.api_client import ServiceTimeoutError, ServiceUnreachableError
from helpers.masking import mask_body
from helpers.waiting.errors import TransientAnswer, UnexpectedAnswer

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# raised by APIClient (after its own retries) or by httpx directly: the service may come back
TRANSIENT_ERRORS = (ServiceUnreachableError, ServiceTimeoutError, httpx.TransportError)
BODY_EXCERPT = 300


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def checked(response: httpx.Response, expected: Iterable[int] = (200,)) -> httpx.Response:
    """``response`` when its status is one of ``expected``.

    Otherwise raises ``TransientAnswer`` for a status worth retrying (a wait polls on) and ``UnexpectedAnswer``
    for any other (a wait stops at once), naming the status, method, URL and a masked body excerpt.
    """
    status = response.status_code
    if status in set(expected):
        return response
    request = response.request
    body = mask_body(response.content, limit=BODY_EXCERPT)
    if status in TRANSIENT_STATUSES:
        raise TransientAnswer(
            status, request.method, str(request.url), body, retry_after_seconds(response.headers.get("retry-after"))
        )
    raise UnexpectedAnswer(status, request.method, str(request.url), body)
