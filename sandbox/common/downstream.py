"""Downstream services' Dapr workflows as budapp sees them.

A service answers the starting request at once with ``workflow_metadata`` (its
step list, status PENDING, an eta), then runs the steps in the background and
publishes one notification per step — and a final ``results`` — to the
``budAppMessages`` topic through its Dapr sidecar.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.common.http import PooledHTTP

log = logging.getLogger("sandbox.downstream")
PUBSUB = "pubsub-redis"
TOPIC = "budAppMessages"
CLOUD_EVENT = "application/cloudevents+json"
# budmicroframe's CloudEventBase.source_topic: one topic or several (budapp names a list when a caller asks for a
# callback topic beside its own, and always for an endpoint deletion)
SourceTopic = str | list[str] | None
# each service's own topic, which budmicroframe adds to what it publishes as source_topic
OWN_TOPIC = {
    "budcluster": "budClusterMessages",
    "budsim": "budSimMessages",
    "budmodel": "modelEvalMessages",
    "budmetrics": "budMetricsMessages",
}


@functools.cache
def sidecar_client(dapr_url: str) -> PooledHTTP:
    """The process's pooled client of its sidecar (a client per publish would open a connection each time)."""
    return PooledHTTP(dapr_url, timeout=10)


class StepFailed(Exception):
    """Raised by a step to report FAILED with this message."""


@dataclass
class Step:
    id: str
    title: str
    description: str
    run: Callable[[dict[str, Any]], Awaitable[str | None]] | None = None


@dataclass
class DownstreamWorkflow:
    """One run of a service's workflow, reporting to one budapp workflow."""

    name: str
    payload_type: str
    source: str
    steps: list[Step]
    notification_metadata: dict[str, Any]
    dapr_url: str
    eta: int = 30
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    context: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "object": "workflow_metadata",
            "workflow_id": self.id,
            "workflow_name": self.name,
            "steps": [{"id": s.id, "title": s.title, "description": s.description, "payload": {}} for s in self.steps],
            "status": "PENDING",
            "eta": self.eta,
        }

    def notification(self, event: str, status: str, message: str, result: Any = None) -> dict[str, Any]:
        return {
            "notification_type": "event",
            "name": self.notification_metadata.get("name", "bud-internal"),
            "subscriber_ids": self.notification_metadata.get("subscriber_ids"),
            "payload": {
                "category": "internal",
                "type": self.payload_type,
                "event": event,
                "source": self.source,
                "workflow_id": self.notification_metadata.get("workflow_id"),
                "content": {
                    "title": event.replace("_", " ").capitalize(),
                    "message": message,
                    "status": status,
                    "result": result,
                },
            },
        }

    async def publish(self, body: dict[str, Any]) -> None:
        """Publish as budmicroframe does: the notification itself is the CloudEvent (budapp's subscriber model
        forbids the attributes a wrapping envelope would add, such as ``id`` and ``datacontenttype``)."""
        event = {**body, "source": self.source, "source_topic": OWN_TOPIC.get(self.source)}
        response = await sidecar_client(self.dapr_url).post(
            f"/v1.0/publish/{PUBSUB}/{TOPIC}",
            content=json.dumps(event).encode(),
            headers={"dapr-app-id": self.source, "content-type": CLOUD_EVENT},
        )
        if response.status >= 300:
            log.error("publish of %s/%s failed: %s", self.name, body["payload"]["event"], response.status)

    async def execute(
        self,
        results: Callable[[dict[str, Any]], Awaitable[Any]],
        *,
        step_delay: float = 0.05,
        stall_after: int | None = None,
    ) -> None:
        """Run the steps, publishing each outcome; stop at the first failure.

        ``stall_after`` steps reported, the run goes silent (a stalled workflow).
        """
        await self.publish(self.notification("eta", "RUNNING", str(self.eta)))
        for index, step in enumerate(self.steps):
            if stall_after is not None and index >= stall_after:
                log.warning("workflow %s stalls before step %s", self.id, step.id)
                return
            await asyncio.sleep(step_delay)
            await self.publish(self.notification(step.id, "STARTED", f"{step.title} started"))
            try:
                message = await step.run(self.context) if step.run else None
            except StepFailed as failure:
                await self.publish(self.notification(step.id, "FAILED", str(failure)))
                return
            await self.publish(self.notification(step.id, "COMPLETED", message or f"{step.title} completed"))
        outcome = await results(self.context)
        await self.publish(self.notification("results", "COMPLETED", f"{self.name} completed", outcome))


def start_in_background(coroutine: Awaitable[None]) -> asyncio.Task:
    """Keep a reference so the task is not collected mid-run; log crashes."""
    task = asyncio.ensure_future(coroutine)
    _running.add(task)

    def finished(done: asyncio.Task) -> None:
        _running.discard(done)
        if not done.cancelled() and done.exception():
            log.error("background workflow crashed", exc_info=done.exception())

    task.add_done_callback(finished)
    return task


_running: set[asyncio.Task] = set()
