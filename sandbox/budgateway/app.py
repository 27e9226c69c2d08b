"""budgateway (sandbox): OpenAI-compatible inference routed by budapp's Redis records.

Keys are looked up as ``api_key:<sha256("bud-"+key)>``; the request's ``model`` is an
endpoint (deployment) name; ``model_table:<endpoint_id>`` says where it goes. A
deterministic stand-in engine answers, and every inference is recorded as one row of
budmetrics' InferenceFact table (which a deployment fills from the gateway's traces),
written in batches off the request path (``SANDBOX_INFERENCE_FLUSH_INTERVAL`` seconds
apart at most).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sandbox.budgateway import engine
from sandbox.budgateway.batcher import InferenceBatcher
from sandbox.common.app_factory import create_service_app
from sandbox.common.clickhouse import ClickHouseHTTP
from sandbox.settings import get_settings

log = logging.getLogger("sandbox.budgateway")
VERSION = "sandbox"
KINDS = {"/v1/chat/completions": "chat", "/v1/embeddings": "embedding"}
SLOW_FAULT_DELAY = 0.3  # seconds the gateway_slow fault adds to every inference


async def start(app: FastAPI) -> None:
    app.state.clickhouse = ClickHouseHTTP(app.state.settings.url("clickhouse"))
    try:
        await app.state.clickhouse.create_schema()
    except Exception as exc:
        log.error("ClickHouse schema not created: %s", exc)
    app.state.batcher = InferenceBatcher(
        app.state.clickhouse, flush_interval=app.state.settings.inference_flush_interval
    )
    app.state.batcher.start()


async def stop(app: FastAPI) -> None:
    await app.state.batcher.stop()
    await app.state.clickhouse.aclose()


app = create_service_app("budgateway", settings=get_settings(), on_startup=start, on_shutdown=stop, health=False)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "code": status}}, status_code=status
    )


@app.get("/health")
async def health(request: Request) -> JSONResponse:
    try:
        await request.app.state.clickhouse.execute("SELECT 1")
        return JSONResponse({"gateway": "ok", "clickhouse": "ok"})
    except Exception:
        return JSONResponse({"gateway": "ok", "clickhouse": "error"}, status_code=503)


@app.get("/status")
async def status() -> dict:
    return {"status": "ok", "version": VERSION}


async def key_record(request: Request) -> dict[str, Any] | JSONResponse:
    header = request.headers.get("authorization")
    if not header:
        return error(401, "Missing authorization header")
    key = header[7:] if header.lower().startswith("bearer ") else header
    raw = await request.app.state.gateway_redis.get(
        "api_key:" + hashlib.sha256(f"bud-{key.strip()}".encode()).hexdigest()
    )
    if raw is None:
        return error(401, "Invalid API key")
    return json.loads(raw)


@app.get("/v1/models")
async def models(request: Request):
    record = await key_record(request)
    if isinstance(record, JSONResponse):
        return record
    names = sorted(k for k in record if not k.startswith("__") and not k.startswith("prompt:"))
    return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "bud"} for n in names]}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request):
    return await infer(request, "/v1/chat/completions")


@app.post("/v1/embeddings")
async def embeddings(request: Request):
    return await infer(request, "/v1/embeddings")


async def infer(request: Request, path: str):
    arrived = datetime.now(timezone.utc)
    started = time.perf_counter()
    record = await key_record(request)
    if isinstance(record, JSONResponse):
        return record
    try:
        body = await request.json()
        assert isinstance(body, dict)
    except (ValueError, AssertionError):
        return error(400, "Invalid request body")
    name = body.get("model")
    if not name:
        return error(400, "Missing model name in request body")
    target = record.get(name)
    if target is None:
        return error(404, f"Model not found: {name}")
    state = request.app.state
    faults = await state.faults.active()
    if "gateway_wrong_route" in faults:
        target = await wrong_target(state, record, target)
    route_raw = await state.gateway_redis.get(f"model_table:{target['endpoint_id']}")
    route = json.loads(route_raw)[target["endpoint_id"]] if route_raw else None
    if route is None:
        return error(404, f"Model not found: {name}")
    # budgateway checks a capability only for embeddings (a chat request is forwarded whatever the model is);
    # the model is named by its endpoint id, and the body is its plain error string
    if path == "/v1/embeddings" and "embedding" not in route.get("endpoints", []):
        return JSONResponse(
            {
                "error": f"Model `{target['endpoint_id']}` is not configured to support capability "
                f'`embedding`. Add `endpoints = ["embedding"]` to the model configuration.'
            },
            status_code=400,
        )
    provider = route["routing"][0]
    upstream_model = route["providers"][provider]["model_name"]
    answer = engine.chat(name, upstream_model, body) if path.endswith("completions") else engine.embed(name, body)
    if "gateway_slow" in faults:
        await asyncio.sleep(SLOW_FAULT_DELAY)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    if "inference_rows_not_written" not in faults:
        record_inference(
            state, answer, body, target, record, provider, upstream_model, KINDS[path], arrived, elapsed_ms
        )
    return answer


async def wrong_target(state: Any, record: dict, target: dict) -> dict:
    """The fault: another endpoint than the one asked for."""
    for name, other in record.items():
        if not name.startswith("__") and other.get("endpoint_id") != target["endpoint_id"]:
            return other
    async for key in state.gateway_redis.scan_iter("model_table:*"):
        endpoint_id = key.split(":", 1)[1]
        if endpoint_id != target["endpoint_id"]:
            return {**target, "endpoint_id": endpoint_id}
    return target


def record_inference(state, answer, body, target, record, provider, upstream_model, kind, arrived, elapsed_ms):
    """Queue the inference's InferenceFact row: what the deployment derives from the gateway's span."""
    usage = answer["usage"]
    metadata = record.get("__metadata__") or {}
    moment = arrived.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    state.batcher.add(
        "InferenceFact",
        {
            "trace_id": engine.new_id().hex,
            "span_id": engine.new_id().hex[:16],
            "inference_id": answer["id"],
            "project_id": target["project_id"],
            "endpoint_id": target["endpoint_id"],
            "model_id": target["model_id"],
            "api_key_project_id": metadata.get("api_key_project_id"),
            "user_id": metadata.get("user_id"),
            "timestamp": moment,
            "request_arrival_time": moment,
            "request_forward_time": moment,
            "is_success": True,
            "cost": None,
            "status_code": 200,
            "request_ip": "127.0.0.1",
            "model_inference_id": str(engine.new_id()),
            "model_name": upstream_model,
            "model_provider": provider,
            "endpoint_type": kind,
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": usage.get("completion_tokens", 0),
            "response_time_ms": elapsed_ms,
            "ttft_ms": elapsed_ms,
            "cached": False,
            "finish_reason": "stop",
            "input_messages": json.dumps(body.get("messages") or body.get("input")),
            "output": engine.output_text(answer),
            "raw_request": json.dumps(body),
            "raw_response": json.dumps(answer),
        },
    )
