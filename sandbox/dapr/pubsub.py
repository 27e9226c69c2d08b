"""Pub/sub as daprd does it: CloudEvents, the platform's declared subscriptions, ordered delivery with retries.

* A body published as ``application/cloudevents+json`` already is the event: it passes through with ``topic``
  and ``pubsubname`` set and the trace fields added when absent (budmicroframe publishers; budapp's subscriber
  model forbids unknown fields, so nothing else may be added). Any other body is wrapped in a CloudEvent, whose
  attributes a publisher may override with ``cloudevent.<name>`` metadata.
* Subscriptions are the chart's declarative ones (topic, routing rules, default route, dead-letter topic).
* Each (topic, app) pair has one consumer: events reach a subscriber in the order they were published.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sandbox.common.downstream import start_in_background

log = logging.getLogger("sandbox.dapr.pubsub")
CLOUD_EVENT_TYPE = "application/cloudevents+json"
PUBSUB_NAME = "pubsub"
DEAD_LETTER_TOPIC = "poisonMessages"


@dataclass(frozen=True)
class Subscription:
    app: str
    topic: str
    default_route: str | None
    rules: tuple[tuple[str, str], ...] = ()  # (CEL match, route), first match wins

    def route_for(self, event: dict[str, Any]) -> str | None:
        for match, route in self.rules:
            if matches(match, event):
                return route
        return self.default_route


# services/*/.dapr/components/subscriptions.yaml and the chart's Subscription resources
SUBSCRIPTIONS = (
    Subscription(
        "budapp", "budAppMessages", "/notifications", (('event.type == "credential_update"', "/credentials/update"),)
    ),
    Subscription("budnotify", "notificationMessages", "/notifications"),
    Subscription("budcluster", "budClusterMessages", "/notifications"),
    Subscription("budsim", "budSimMessages", "/notifications"),
    Subscription("budmodel", "modelEvalMessages", "/notifications"),
    Subscription(
        "budmetrics", "budMetricsMessages", None, (('event.type == "add_observability_metrics"', "/observability/add"),)
    ),
)

_EQUALS = re.compile(r'^\s*event\.(\w+)\s*==\s*"([^"]*)"\s*$')


def matches(expression: str, event: dict[str, Any]) -> bool:
    """The one CEL form the platform's routing rules use: ``event.<attribute> == "<value>"``."""
    found = _EQUALS.match(expression)
    return found is not None and str(event.get(found.group(1))) == found.group(2)


def subscriptions_of(app: str) -> list[Subscription]:
    return [s for s in SUBSCRIPTIONS if s.app == app]


def trace_fields() -> dict[str, str]:
    traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    return {"traceid": traceparent, "traceparent": traceparent, "tracestate": ""}


def passthrough(event: dict[str, Any], pubsub: str, topic: str) -> dict[str, Any]:
    return {**trace_fields(), **event, "topic": topic, "pubsubname": pubsub}


def wrap(
    data: Any, content_type: str, source: str, pubsub: str, topic: str, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    overrides = {k.removeprefix("cloudevent."): v for k, v in (metadata or {}).items() if k.startswith("cloudevent.")}
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": "com.dapr.event.sent",
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "datacontenttype": content_type,
        **trace_fields(),
        **overrides,
        "topic": topic,
        "pubsubname": pubsub,
        "data": data,
    }


def event_of(
    body: bytes, content_type: str, source: str, pubsub: str, topic: str, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    """The event daprd would put on the topic for this publish request."""
    content_type = content_type or "application/json"
    if content_type.startswith(CLOUD_EVENT_TYPE):
        event = json.loads(body or b"null")
        if not isinstance(event, dict):
            raise ValueError("a CloudEvent must be a JSON object")
        return passthrough(event, pubsub, topic)
    if "json" in content_type:
        data: Any = json.loads(body) if body else None
    else:
        data = body.decode(errors="replace")
    return wrap(data, content_type, source, pubsub, topic, metadata)


Deliver = Callable[[dict[str, Any], str, str], Awaitable[None]]  # (event, app, route)


class Topics:
    """Per-subscriber queues; a publish returns once the event is queued, as daprd returns once the broker has it."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._queues: dict[tuple[str, str], asyncio.Queue] = {}

    def publish(self, event: dict[str, Any]) -> int:
        """Queue the event for every subscriber of its topic; how many there are."""
        subscribers = [s for s in SUBSCRIPTIONS if s.topic == event["topic"]]
        for subscription in subscribers:
            self._queue_of(subscription).put_nowait(event)
        return len(subscribers)

    def _queue_of(self, subscription: Subscription) -> asyncio.Queue:
        key = (subscription.topic, subscription.app)
        if key not in self._queues:
            self._queues[key] = asyncio.Queue()
            start_in_background(self._consume(subscription, self._queues[key]))
        return self._queues[key]

    async def _consume(self, subscription: Subscription, queue: asyncio.Queue) -> None:
        while True:
            event = await queue.get()
            try:
                route = subscription.route_for(event)
                if route is None:
                    log.info(
                        "no route of %s on %s matches event %s",
                        subscription.app,
                        subscription.topic,
                        event.get("id", "(no id)"),
                    )
                else:
                    await self._deliver(event, subscription.app, route)
            except Exception:
                log.exception("delivery of an event on %s to %s crashed", subscription.topic, subscription.app)
            finally:
                queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests, shutdown)."""
        for queue in list(self._queues.values()):
            await queue.join()
