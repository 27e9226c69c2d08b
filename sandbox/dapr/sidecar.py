"""A Dapr-compatible sidecar: state store, service invocation, pub/sub to budapp.

* ``/v1.0/state/{store}``: Dapr's Redis state store layout — a hash per key
  named ``<app-id>||<key>`` with fields ``data`` and ``version``; TTL by EXPIRE.
* ``/v1.0/invoke/{app-id}/method/{path}``: forwards the request to the service.
* ``/v1.0/publish/{pubsub}/{topic}``: delivers topic ``budAppMessages`` to budapp ``POST /notifications``
  (the subscription). As daprd: a body published as ``application/cloudevents+json`` already is the event
  and passes through with ``topic`` and ``pubsubname`` added; any other body is wrapped in a CloudEvent.
* ``/v1.0/healthz/outbound`` and ``/v1.0/metadata`` (the components budapp registers against).
* Paths starting with ``//`` are served as ``/`` (budapp's DAPR_BASE_URL ends with a slash), and every call the
  sidecar makes to an app carries ``dapr-api-token: <app API token>`` when one is configured, as daprd does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from fastapi import Request, Response

from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import start_in_background
from sandbox.common.http import HTTPFailure, PooledHTTP
from sandbox.settings import get_settings

log = logging.getLogger("sandbox.dapr")
SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway", "budconnect", "budnotify")
CLOUD_EVENT_TYPE = "application/cloudevents+json"
SUBSCRIPTIONS = {"budAppMessages": ("budapp", "/notifications")}
DELIVERY_ATTEMPTS = 5
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "dapr-app-id"}

settings = get_settings()
app = create_service_app("dapr", settings=settings, health=False)
http = PooledHTTP(timeout=60)


@app.middleware("http")
async def collapse_leading_slashes(request: Request, call_next):
    path = request.scope["path"]
    if path.startswith("//"):
        request.scope["path"] = "/" + path.lstrip("/")
    return await call_next(request)


def app_headers(headers: dict[str, str]) -> dict[str, str]:
    """What daprd sends an app: its own API token in place of whatever the caller presented."""
    cleaned = {k: v for k, v in headers.items() if k.lower() != "dapr-api-token"}
    return {**cleaned, "dapr-api-token": settings.app_api_token} if settings.app_api_token else cleaned


def app_id(request: Request) -> str:
    return request.headers.get("dapr-app-id") or "budapp"


@app.get("/v1.0/healthz")
@app.get("/v1.0/healthz/outbound")
async def healthz() -> Response:
    return Response(status_code=204)


@app.get("/v1.0/metadata")
async def metadata(request: Request) -> dict[str, Any]:
    return {
        "id": app_id(request), "runtimeVersion": "1.15.8-sandbox", "enabledFeatures": [],
        "components": [{"name": "statestore", "type": "state.redis", "version": "v1",
                        "capabilities": ["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"]},
                       {"name": "pubsub", "type": "pubsub.redis", "version": "v1"}],
        "subscriptions": [{"pubsubname": "pubsub", "topic": topic, "rules": [{"path": route}]}
                          for topic, (_, route) in SUBSCRIPTIONS.items()],
    }


@app.post("/v1.0/state/{store}")
async def save_state(store: str, request: Request) -> Response:
    items: list[dict[str, Any]] = await request.json()
    redis = request.app.state.redis
    async with redis.pipeline(transaction=True) as pipe:
        for item in items:
            key = f"{app_id(request)}||{item['key']}"
            pipe.hset(key, mapping={"data": json.dumps(item.get("value")), "version": 1})
            ttl = int((item.get("metadata") or {}).get("ttlInSeconds") or 0)
            if ttl > 0:
                pipe.expire(key, ttl)
            else:
                pipe.persist(key)
        await pipe.execute()
    return Response(status_code=204)


@app.get("/v1.0/state/{store}/{key:path}")
async def get_state(store: str, key: str, request: Request) -> Response:
    data = await request.app.state.redis.hget(f"{app_id(request)}||{key}", "data")
    if data is None:
        return Response(status_code=204)
    return Response(data, media_type="application/json")


@app.delete("/v1.0/state/{store}/{key:path}")
async def delete_state(store: str, key: str, request: Request) -> Response:
    await request.app.state.redis.delete(f"{app_id(request)}||{key}")
    return Response(status_code=204)


@app.api_route("/v1.0/invoke/{target}/method/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def invoke(target: str, path: str, request: Request) -> Response:
    if target not in SERVICES:
        return Response(json.dumps({"errorCode": "ERR_DIRECT_INVOKE", "message": f"app id {target} not found"}),
                        status_code=500, media_type="application/json")
    headers = app_headers({k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS})
    try:
        answer = await http.request(request.method, f"{settings.url(target)}/{path}",
                                    params=list(request.query_params.multi_items()), content=await request.body(),
                                    headers=headers)
    except HTTPFailure as exc:
        return Response(json.dumps({"errorCode": "ERR_DIRECT_INVOKE", "message": f"{target}: {exc}"}),
                        status_code=500, media_type="application/json")
    return Response(answer.content, status_code=answer.status, media_type=answer.content_type)


def cloud_event(source: str, pubsub: str, topic: str, data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "type": "com.dapr.event.sent", "source": source, "id": str(uuid.uuid4()),
            "datacontenttype": "application/json", "topic": topic, "pubsubname": pubsub, "data": data}


async def deliver(event: dict[str, Any], target: str, route: str) -> None:
    """POST the event to the subscriber, retrying with backoff like Dapr's resiliency policy."""
    for attempt in range(1, DELIVERY_ATTEMPTS + 1):
        try:
            response = await http.post(f"{settings.url(target)}{route}", json=event, headers=app_headers({}))
            if response.status < 300:
                return
            log.warning("subscriber %s%s answered %s", target, route, response.status)
        except HTTPFailure as exc:
            log.warning("delivery to %s%s failed: %s", target, route, type(exc).__name__)
        await asyncio.sleep(0.1 * 2**attempt)
    log.error("dropped event %s for %s%s after %d attempts", event.get("id", "(no id)"), target, route,
              DELIVERY_ATTEMPTS)


_queues: dict[str, asyncio.Queue] = {}


async def _consume(topic: str, queue: asyncio.Queue) -> None:
    """One consumer per topic: events reach the subscriber in the order they were published."""
    target, route = SUBSCRIPTIONS[topic]
    while True:
        event = await queue.get()
        try:
            await deliver(event, target, route)
        finally:
            queue.task_done()


def _queue_of(topic: str) -> asyncio.Queue:
    if topic not in _queues:
        _queues[topic] = asyncio.Queue()
        start_in_background(_consume(topic, _queues[topic]))
    return _queues[topic]


@app.post("/v1.0/publish/{pubsub}/{topic}")
async def publish(pubsub: str, topic: str, request: Request) -> Response:
    if topic in SUBSCRIPTIONS:
        body = await request.json()
        if request.headers.get("content-type", "").startswith(CLOUD_EVENT_TYPE) and isinstance(body, dict):
            event = {**body, "topic": topic, "pubsubname": pubsub}
        else:
            event = cloud_event(app_id(request), pubsub, topic, body)
        _queue_of(topic).put_nowait(event)
    return Response(status_code=204)
