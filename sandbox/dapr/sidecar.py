"""A Dapr-compatible sidecar, shared by the sandbox's services: daprd's HTTP API here, its gRPC API (state,
publish, metadata, workflows) on ``dapr_grpc_port`` from the same process.

* ``/v1.0/state/{store}``: Dapr's Redis state layout with ETags and TTL (state_store), shared with gRPC.
* ``/v1.0/invoke/{app-id}/method/{path}``: forwards to the app's stand-in (apps); unknown app ids answer as
  daprd does, at once.
* ``/v1.0/publish/{pubsub}/{topic}``: CloudEvents and ordered delivery to the declared subscriptions (pubsub).
* ``/v1.0/healthz``, ``/v1.0/healthz/outbound`` and ``/v1.0/metadata`` (the components budapp registers against).
* Paths starting with ``//`` are served as ``/`` (budapp's DAPR_BASE_URL ends with a slash).

The caller's app id is its ``dapr-app-id`` header (every stand-in sends its own), else budapp.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import grpc
from dapr.ext.workflow._durabletask.internal import orchestrator_service_pb2_grpc as workflow_grpc
from dapr.proto.runtime.v1 import dapr_pb2_grpc
from fastapi import FastAPI, Request, Response

from sandbox.common.app_factory import create_service_app
from sandbox.common.http import HTTPFailure, PooledHTTP
from sandbox.dapr import metadata, pubsub, state_store
from sandbox.dapr.apps import app_headers, app_url, not_found_body
from sandbox.dapr.delivery import Delivery
from sandbox.dapr.runtime_servicer import RuntimeServicer
from sandbox.dapr.workflow_engine import WorkflowEngine
from sandbox.dapr.workflow_servicer import WorkflowServicer
from sandbox.settings import SandboxSettings, get_settings

log = logging.getLogger("sandbox.dapr")
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "dapr-app-id"}
FIRST_WRITE = "first-write"


def app_id(request: Request) -> str:
    return request.headers.get("dapr-app-id") or "budapp"


def error(status: int, code: str, message: str) -> Response:
    return Response(
        json.dumps({"errorCode": code, "message": message}), status_code=status, media_type="application/json"
    )


async def start(app: FastAPI) -> None:
    settings: SandboxSettings = app.state.settings
    app.state.http = PooledHTTP(timeout=60)
    app.state.topics = pubsub.Topics(Delivery(settings, app.state.http))
    app.state.workflows = WorkflowEngine()
    server = grpc.aio.server()
    dapr_pb2_grpc.add_DaprServicer_to_server(RuntimeServicer(app.state.redis, app.state.topics), server)
    workflow_grpc.add_TaskHubSidecarServiceServicer_to_server(WorkflowServicer(app.state.workflows), server)
    server.add_insecure_port(f"{settings.host}:{settings.dapr_grpc_port}")
    await server.start()
    app.state.grpc = server


async def stop(app: FastAPI) -> None:
    await app.state.grpc.stop(grace=1)
    await app.state.http.aclose()


def create_app(settings: SandboxSettings) -> FastAPI:
    app = create_service_app("dapr", settings=settings, health=False, on_startup=start, on_shutdown=stop)

    @app.middleware("http")
    async def collapse_leading_slashes(request: Request, call_next):
        path = request.scope["path"]
        if path.startswith("//"):
            request.scope["path"] = "/" + path.lstrip("/")
        return await call_next(request)

    @app.get("/v1.0/healthz")
    @app.get("/v1.0/healthz/outbound")
    async def healthz() -> Response:
        return Response(status_code=204)

    @app.get("/v1.0/metadata")
    async def get_metadata(request: Request) -> dict[str, Any]:
        return metadata.document(app_id(request))

    @app.post("/v1.0/state/{store}")
    async def save_state(store: str, request: Request) -> Response:
        try:
            items = [
                state_store.StateItem(
                    key=item["key"],
                    data=json.dumps(item.get("value")),
                    etag=item.get("etag") or None,
                    ttl=state_store.ttl_of(item.get("metadata")),
                    first_write=(item.get("options") or {}).get("concurrency") == FIRST_WRITE,
                )
                for item in await request.json()
            ]
        except (ValueError, KeyError, TypeError) as exc:
            return error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        try:
            await state_store.save(request.app.state.redis, app_id(request), items)
        except state_store.ETagMismatch as exc:
            return error(409, "ERR_STATE_SAVE", f"failed saving state in state store {store}: {exc}")
        return Response(status_code=204)

    @app.post("/v1.0/state/{store}/bulk")
    async def get_bulk_state(store: str, request: Request) -> list[dict[str, Any]]:
        keys = list((await request.json()).get("keys") or [])
        found = await state_store.get_many(request.app.state.redis, app_id(request), keys)
        return [
            {"key": key, **({"data": json.loads(data), "etag": etag} if data is not None else {})}
            for key, (data, etag) in zip(keys, found, strict=False)
        ]

    @app.get("/v1.0/state/{store}/{key:path}")
    async def get_state(store: str, key: str, request: Request) -> Response:
        data, etag = await state_store.get(request.app.state.redis, app_id(request), key)
        if data is None:
            return Response(status_code=204)
        return Response(data, media_type="application/json", headers={"ETag": etag})

    @app.delete("/v1.0/state/{store}/{key:path}")
    async def delete_state(store: str, key: str, request: Request) -> Response:
        try:
            await state_store.delete(
                request.app.state.redis, app_id(request), key, request.headers.get("if-match") or None
            )
        except state_store.ETagMismatch as exc:
            return error(409, "ERR_STATE_DELETE", f"failed deleting state with key {key}: {exc}")
        return Response(status_code=204)

    @app.api_route("/v1.0/invoke/{target}/method/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def invoke(target: str, path: str, request: Request) -> Response:
        base = app_url(request.app.state.settings, target)
        if base is None:
            return Response(not_found_body(target), status_code=500, media_type="application/json")
        headers = app_headers(
            request.app.state.settings,
            target,
            {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS},
        )
        try:
            answer = await request.app.state.http.request(
                request.method,
                f"{base}/{path}",
                params=list(request.query_params.multi_items()),
                content=await request.body(),
                headers=headers,
            )
        except HTTPFailure as exc:
            return error(500, "ERR_DIRECT_INVOKE", f"failed to invoke, id: {target}, err: {exc}")
        return Response(answer.content, status_code=answer.status, media_type=answer.content_type)

    @app.post("/v1.0/publish/{pubsub_name}/{topic}")
    async def publish(pubsub_name: str, topic: str, request: Request) -> Response:
        publish_metadata = {
            k.removeprefix("metadata."): v for k, v in request.query_params.items() if k.startswith("metadata.")
        }
        try:
            event = pubsub.event_of(
                await request.body(),
                request.headers.get("content-type", ""),
                app_id(request),
                pubsub_name,
                topic,
                publish_metadata,
            )
        except ValueError as exc:
            return error(400, "ERR_PUBSUB_CLOUD_EVENTS_SER", f"error when publishing to topic {topic}: {exc}")
        request.app.state.topics.publish(event)
        return Response(status_code=204)

    return app


app = create_app(get_settings())
