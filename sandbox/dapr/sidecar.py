"""A Dapr-compatible sidecar: state store, service invocation, pub/sub to budapp.

* ``/v1.0/state/{store}``: Dapr's Redis state store layout — a hash per key
  named ``<app-id>||<key>`` with fields ``data`` and ``version``; TTL by EXPIRE.
* ``/v1.0/invoke/{app-id}/method/{path}``: forwards the request to the service.
* ``/v1.0/publish/{pubsub}/{topic}``: wraps the body in a CloudEvent and delivers
  topic ``budAppMessages`` to budapp ``POST /notifications`` (the subscription).
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
SERVICES = ("budapp", "budcluster", "budsim", "budmodel", "budmetrics", "budgateway")
SUBSCRIPTIONS = {"budAppMessages": ("budapp", "/notifications")}
DELIVERY_ATTEMPTS = 5
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "dapr-app-id"}

settings = get_settings()
app = create_service_app("dapr", settings=settings, health=False)
http = PooledHTTP(timeout=60)


def app_id(request: Request) -> str:
    return request.headers.get("dapr-app-id") or "budapp"


@app.get("/v1.0/healthz")
async def healthz() -> Response:
    return Response(status_code=204)


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
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
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
            response = await http.post(f"{settings.url(target)}{route}", json=event)
            if response.status < 300:
                return
            log.warning("subscriber %s%s answered %s", target, route, response.status)
        except HTTPFailure as exc:
            log.warning("delivery to %s%s failed: %s", target, route, type(exc).__name__)
        await asyncio.sleep(0.1 * 2**attempt)
    log.error("dropped event %s for %s%s after %d attempts", event["id"], target, route, DELIVERY_ATTEMPTS)


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
        _queue_of(topic).put_nowait(cloud_event(app_id(request), pubsub, topic, await request.json()))
    return Response(status_code=204)
