"""A budnotify stand-in: accepts the notifications and subscriber calls budapp makes, and keeps them in Redis.

budapp reaches it through Dapr (``/v1.0/invoke/budnotify/method/...``) for best-effort notifications and for the
subscriber that mirrors every user. Notifications are acknowledged and kept, newest first, in the list
``budnotify:notifications`` (the last ``KEPT_NOTIFICATIONS``); subscribers live in the hash ``budnotify:subscribers``.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timezone
from typing import Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from sandbox.common.app_factory import create_service_app
from sandbox.settings import SandboxSettings, get_settings

NOTIFICATIONS = "budnotify:notifications"
SUBSCRIBERS = "budnotify:subscribers"
KEPT_NOTIFICATIONS = 500


def error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"object": "error", "code": status, "type": kind, "message": message}, status_code=status)


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


async def remember(request: Request, notification: dict[str, Any]) -> str:
    transaction_id = str(uuid.uuid4())
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        pipe.lpush(NOTIFICATIONS, json.dumps({"transaction_id": transaction_id, **notification}))
        pipe.ltrim(NOTIFICATIONS, 0, KEPT_NOTIFICATIONS - 1)
        await pipe.execute()
    return transaction_id


def subscriber_view(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscriberId": record["subscriber_id"],
        "email": record.get("email"),
        "firstName": record.get("first_name"),
        "lastName": record.get("last_name"),
        "phone": record.get("phone"),
        "avatar": record.get("avatar"),
        "channels": record.get("channels") or [],
        "_id": record["id"],
        "createdAt": record["created_at"],
        "updatedAt": record["updated_at"],
    }


async def save_subscriber(request: Request, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    stamp = now()
    record = {
        **(existing or {"id": uuid.uuid4().hex, "created_at": stamp}),
        **{k: v for k, v in body.items() if v is not None},
        "updated_at": stamp,
    }
    await request.app.state.redis.hset(SUBSCRIBERS, record["subscriber_id"], json.dumps(record))
    return record


async def load_subscriber(request: Request, subscriber_id: str) -> dict[str, Any] | None:
    found = await request.app.state.redis.hget(SUBSCRIBERS, subscriber_id)
    return json.loads(found) if found else None


def create_app(settings: SandboxSettings) -> FastAPI:
    app = create_service_app("budnotify", settings=settings)

    @app.post("/notifications")
    @app.post("/notification")
    async def trigger_notification(request: Request, body: dict[str, Any] = Body(...)) -> JSONResponse:
        # a pub/sub delivery carries the notification as the CloudEvent's data
        notification = body.get("data", body) if "specversion" in body or "pubsubname" in body else body
        transaction_id = await remember(request, notification)
        return JSONResponse(
            {
                "object": "notification",
                "message": "",
                "acknowledged": True,
                "status": "processed",
                "transaction_id": transaction_id,
            }
        )

    @app.post("/subscribers")
    async def create_subscriber(request: Request, body: dict[str, Any] = Body(...)) -> JSONResponse:
        if not body.get("subscriber_id") or not body.get("email"):
            return error(400, "BadRequest", "Failed to create subscriber")
        record = await save_subscriber(request, body, await load_subscriber(request, body["subscriber_id"]))
        return JSONResponse({"object": "subscriber", "message": "", **subscriber_view(record)})

    @app.post("/subscribers/bulk-create")
    async def bulk_create(request: Request, body: list[dict[str, Any]] = Body(...)) -> JSONResponse:
        created: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for item in body:
            existing = await load_subscriber(request, item["subscriber_id"])
            await save_subscriber(request, item, existing)
            (updated if existing else created).append({"subscriberId": item["subscriber_id"]})
        return JSONResponse(
            {"object": "subscriber.bulk.create", "message": "", "created": created, "updated": updated, "failed": []}
        )

    @app.get("/subscribers")
    async def list_subscribers(
        request: Request, page: int = Query(1, ge=1), limit: int = Query(10, ge=1)
    ) -> JSONResponse:
        records = sorted(
            (json.loads(v) for v in (await request.app.state.redis.hvals(SUBSCRIBERS))), key=lambda r: r["created_at"]
        )
        chosen = records[(page - 1) * limit : page * limit]
        return JSONResponse(
            {
                "object": "subscriber.list",
                "message": "",
                "page": page,
                "limit": limit,
                "total_record": len(records),
                "total_pages": math.ceil(len(records) / limit) or 1,
                "subscribers": [subscriber_view(r) for r in chosen],
            }
        )

    @app.get("/subscribers/{subscriber_id}")
    async def show_subscriber(request: Request, subscriber_id: str) -> JSONResponse:
        record = await load_subscriber(request, subscriber_id)
        if record is None:
            return error(404, "NotFound", "Subscriber not found")
        return JSONResponse({"object": "subscriber", "message": "", **subscriber_view(record)})

    @app.put("/subscribers/{subscriber_id}")
    async def update_subscriber(request: Request, subscriber_id: str, body: dict[str, Any] = Body(...)) -> JSONResponse:
        existing = await load_subscriber(request, subscriber_id)
        if existing is None:
            return error(404, "NotFound", "Subscriber not found")
        record = await save_subscriber(request, {**body, "subscriber_id": subscriber_id}, existing)
        return JSONResponse({"object": "subscriber", "message": "", **subscriber_view(record)})

    @app.delete("/subscribers/{subscriber_id}")
    async def delete_subscriber(request: Request, subscriber_id: str) -> JSONResponse:
        if not await request.app.state.redis.hdel(SUBSCRIBERS, subscriber_id):
            return error(404, "NotFound", "Subscriber not found")
        return JSONResponse({"object": "info", "message": "Subscriber deleted successfully", "param": None})

    return app


app = create_app(get_settings())
