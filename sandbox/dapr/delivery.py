"""Delivering a pub/sub event to its subscriber app, with daprd's reading of the app's answer.

2xx is success unless the body says ``{"status": "RETRY"}`` (or ``"DROP"``); 404 drops the event (the app has
no such route); anything else, or no answer, is retried with backoff, then the event is dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sandbox.common.http import HTTPFailure, PooledHTTP
from sandbox.dapr.apps import app_headers, app_url
from sandbox.dapr.pubsub import CLOUD_EVENT_TYPE
from sandbox.settings import SandboxSettings

log = logging.getLogger("sandbox.dapr.delivery")
DELIVERY_ATTEMPTS = 5


def verdict(status: int, content: bytes) -> str:
    """SUCCESS, RETRY or DROP for the app's answer."""
    if status == 404:
        return "DROP"
    if not 200 <= status < 300:
        return "RETRY"
    try:
        said = json.loads(content).get("status") if content else None
    except (ValueError, AttributeError):
        said = None
    return said if said in ("RETRY", "DROP") else "SUCCESS"


class Delivery:
    def __init__(self, settings: SandboxSettings, http: PooledHTTP) -> None:
        self._settings = settings
        self._http = http

    async def __call__(self, event: dict[str, Any], app: str, route: str) -> None:
        base = app_url(self._settings, app)
        if base is None:
            return
        headers = app_headers(self._settings, app, {"content-type": CLOUD_EVENT_TYPE})
        body = json.dumps(event).encode()
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                answer = await self._http.request("POST", f"{base}{route}", content=body, headers=headers)
                outcome = verdict(answer.status, answer.content)
                if outcome == "SUCCESS":
                    return
                if outcome == "DROP":
                    log.warning(
                        "subscriber %s%s dropped event %s (%s)", app, route, event.get("id", "(no id)"), answer.status
                    )
                    return
                log.warning("subscriber %s%s answered %s", app, route, answer.status)
            except HTTPFailure as exc:
                log.warning("delivery to %s%s failed: %s", app, route, type(exc).__name__)
            await asyncio.sleep(0.1 * 2**attempt)
        log.error(
            "dropped event %s for %s%s after %d attempts", event.get("id", "(no id)"), app, route, DELIVERY_ATTEMPTS
        )
