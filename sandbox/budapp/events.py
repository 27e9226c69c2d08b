"""POST /notifications: downstream services' workflow events, as delivered by Dapr pub/sub.

Each event fills the payload slot of its step in the workflow's event block
(``create_cluster_events``, ``bud_simulator_events``, ...) and in the workflow's
progress when that tracks the block, ``eta`` events set the block's ``eta``, and
the ``results`` event triggers the business action registered for the payload type.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.common.envelopes import success

log = logging.getLogger("sandbox.budapp.events")
router = APIRouter(tags=["notifications"])

EVENT_BLOCKS = {
    "get_cluster_recommendations": "bud_simulator_events",
    "deploy_model": "budserve_cluster_events",
    "register_cluster": "create_cluster_events",
    "perform_model_extraction": "model_extraction_events",
    "perform_model_security_scan": "model_security_scan_events",
    "delete_cluster": "delete_cluster_events",
    "delete_deployment": "delete_endpoint_events",
    "delete_worker": "delete_worker_events",
    "add_worker": "budserve_cluster_events",
}

ResultHandler = Callable[[Any, dict, dict], Awaitable[None]]
RESULT_HANDLERS: dict[str, ResultHandler] = {}
# budcluster's periodic cluster-status-update belongs to no budapp workflow.
CLUSTER_STATUS_UPDATE = "cluster-status-update"
StatusHandler = Callable[[Any, dict], Awaitable[None]]
STATUS_HANDLERS: list[StatusHandler] = []


def on_status_update(handler: StatusHandler) -> StatusHandler:
    """Register the action run on each cluster-status-update event."""
    STATUS_HANDLERS.append(handler)
    return handler


def on_results(payload_type: str) -> Callable[[ResultHandler], ResultHandler]:
    """Register the business action run when a workflow of ``payload_type`` reports results."""

    def register(handler: ResultHandler) -> ResultHandler:
        RESULT_HANDLERS[payload_type] = handler
        return handler

    return register


class NotificationContent(BaseModel):
    title: str | None = None
    message: str | None = None
    status: str | None = None
    result: dict[str, Any] | None = None
    primary_action: str | None = None
    secondary_action: str | None = None
    icon: str | None = None
    tag: str | None = None


class NotificationPayload(BaseModel):
    category: Literal["inapp", "internal"]
    type: str | None = None
    event: str | None = None
    workflow_id: str | None = None
    source: str
    content: NotificationContent


class NotificationRequest(BaseModel):
    """budapp's subscriber model: a CloudEvent whose own fields are the notification; anything else is a 422.

    A publisher must send the notification as the CloudEvent itself (``application/cloudevents+json``); an event
    daprd wraps around a JSON body carries ``id`` and ``datacontenttype``, which this model refuses.
    """

    model_config = ConfigDict(extra="forbid")

    specversion: str | None = None
    topic: str | None = None
    pubsubname: str | None = None
    source: str | None = None
    source_topic: str | None = None
    data: dict[str, Any] | None = None
    traceid: str | None = None
    tracestate: str | None = None
    traceparent: str | None = None
    type: str | None = None
    time: str | None = None
    debug: bool = False
    notification_type: Literal["event", "topic", "broadcast"] = "event"
    name: str
    subscriber_ids: str | list[str] | None = None
    actor: str | None = None
    topic_keys: str | list[str] | None = None
    payload: NotificationPayload = Field(...)


def apply_event(block: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The event block with this event recorded in it: an ``eta`` event sets the block's eta, any other fills the
    payload of the step it names. The block's own status stays what the downstream service first answered
    (budapp never updates it)."""
    event, content = payload.get("event"), payload.get("content") or {}
    if event == "eta":
        with contextlib.suppress(KeyError, TypeError, ValueError):
            block["eta"] = int(content["message"])
        return block
    for step in block.get("steps") or []:
        if step.get("id") == event:
            step["payload"] = payload
    return block


@router.post("/notifications")
async def notifications(request: Request, notification: NotificationRequest):
    """Unauthenticated, as budapp's: a harness can inject downstream events directly."""
    payload = notification.payload.model_dump()
    if payload.get("category") != "internal":
        return success("notification", "Ignored: not an internal notification")
    state = request.app.state
    if payload.get("type") == CLUSTER_STATUS_UPDATE:
        for handler in STATUS_HANDLERS:
            try:
                await handler(state, payload)
            except Exception:
                log.exception("cluster status update failed")
        return success("notification", "Update cluster status in db")
    block_name = EVENT_BLOCKS.get(payload.get("type", ""))
    try:
        workflow_id = UUID(str(payload.get("workflow_id")))
    except ValueError:
        return success("notification", "Ignored: no workflow id")
    if block_name is None:
        return success("notification", f"Ignored: unhandled payload type {payload.get('type')!r}")
    workflow = await state.workflows.record_event(workflow_id, block_name, lambda block: apply_event(block, payload))
    if workflow is None:
        return success("notification", "Ignored: unknown workflow")
    if payload.get("event") == "results" and (payload.get("content") or {}).get("status") != "FAILED":
        result_handler = RESULT_HANDLERS.get(payload["type"])
        if result_handler:
            try:
                await result_handler(state, workflow, payload)
            except Exception:
                log.exception("handling results of %s for workflow %s failed", payload["type"], workflow_id)
    return success("notification", "Notification processed successfully")
