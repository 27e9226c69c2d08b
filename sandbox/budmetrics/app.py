"""budmetrics (sandbox): inference analytics read from ClickHouse."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sandbox.common.app_factory import create_service_app
from sandbox.common.clickhouse import DATABASE, ClickHouseHTTP, quote
from sandbox.settings import get_settings


async def start(app: FastAPI) -> None:
    app.state.clickhouse = ClickHouseHTTP(app.state.settings.url("clickhouse"))
    await app.state.clickhouse.create_schema()


async def stop(app: FastAPI) -> None:
    await app.state.clickhouse.aclose()


app = create_service_app("budmetrics", settings=get_settings(), on_startup=start, on_shutdown=stop)


class InferenceListRequest(BaseModel):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=1000)
    project_id: UUID | None = None
    endpoint_id: UUID | None = None
    model_id: UUID | None = None
    from_date: datetime
    to_date: datetime | None = None
    is_success: bool | None = None
    endpoint_type: str | None = None


SELECT = f"""
SELECT toString(inference_id) AS inference_id, timestamp, model_name,
       substring(ifNull(input_messages, ''), 1, 100) AS prompt_preview,
       substring(ifNull(output, ''), 1, 100) AS response_preview,
       ifNull(input_tokens, 0) AS input_tokens, ifNull(output_tokens, 0) AS output_tokens,
       ifNull(response_time_ms, 0) AS response_time_ms, cost, is_success, cached,
       toString(project_id) AS project_id, toString(api_key_project_id) AS api_key_project_id,
       toString(endpoint_id) AS endpoint_id, toString(model_id) AS model_id, endpoint_type,
       error_code, error_message, error_type, status_code
FROM {DATABASE}.InferenceFact
"""


def _conditions(body: InferenceListRequest) -> str:
    clauses = [
        "inference_id IS NOT NULL",
        f"timestamp >= parseDateTime64BestEffort({quote(body.from_date.isoformat())}, 3)",
    ]
    if body.to_date:
        clauses.append(f"timestamp <= parseDateTime64BestEffort({quote(body.to_date.isoformat())}, 3)")
    # compared as text: the listing's SELECT aliases these columns to their text form, and ClickHouse resolves a
    # WHERE name to the alias
    for column in ("project_id", "endpoint_id", "model_id"):
        value = getattr(body, column)
        if value is not None:
            clauses.append(f"toString({column}) = {quote(str(value))}")
    if body.is_success is not None:
        clauses.append(f"is_success = {str(body.is_success).lower()}")
    if body.endpoint_type:
        clauses.append(f"endpoint_type = {quote(body.endpoint_type)}")
    return " AND ".join(clauses)


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "total_tokens": row["input_tokens"] + row["output_tokens"]}


@app.post("/observability/inferences/list")
async def list_inferences(body: InferenceListRequest, request: Request):
    clickhouse = request.app.state.clickhouse
    where = _conditions(body)
    total = int((await clickhouse.select(f"SELECT count() AS n FROM {DATABASE}.InferenceFact WHERE {where}"))[0]["n"])
    rows = await clickhouse.select(
        f"{SELECT} WHERE {where} ORDER BY timestamp DESC LIMIT {body.limit} OFFSET {body.offset}"
    )
    return {
        "object": "inference_list",
        "message": "Inferences listed successfully",
        "items": [_item(r) for r in rows],
        "total_count": total,
        "offset": body.offset,
        "limit": body.limit,
        "has_more": body.offset + len(rows) < total,
    }


@app.get("/observability/inferences/{inference_id}")
async def get_inference(inference_id: UUID, request: Request):
    rows = await request.app.state.clickhouse.select(f"{SELECT} WHERE inference_id = toUUID({quote(inference_id)})")
    if not rows:
        return JSONResponse(
            {"object": "error", "message": f"Inference {inference_id} not found", "code": 404}, status_code=404
        )
    return {
        "object": "inference_detail",
        "message": "Inference retrieved successfully",
        **_item(rows[0]),
        "raw_request": None,
        "raw_response": None,
    }
