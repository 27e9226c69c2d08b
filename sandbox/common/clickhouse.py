"""The inference tables budgateway writes and budmetrics reads, over ClickHouse's HTTP interface."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from typing import Any

from sandbox.common.http import PooledHTTP

DATABASE = os.environ.get("SANDBOX_CLICKHOUSE_DB", "bud")

SCHEMA = [
    f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
    f"""CREATE TABLE IF NOT EXISTS {DATABASE}.ModelInference (
        id UUID, inference_id UUID, raw_request String, raw_response String,
        model_name LowCardinality(String), model_provider_name LowCardinality(String),
        input_tokens Nullable(UInt32), output_tokens Nullable(UInt32), response_time_ms Nullable(UInt32),
        ttft_ms Nullable(UInt32), timestamp DateTime MATERIALIZED UUIDv7ToDateTime(id), system Nullable(String),
        input_messages String, output String, cached Bool DEFAULT false,
        finish_reason Nullable(Enum8('stop' = 1, 'length' = 2, 'tool_call' = 3, 'content_filter' = 4, 'unknown' = 5)),
        endpoint_type LowCardinality(String) DEFAULT 'chat'
    ) ENGINE = MergeTree() ORDER BY (model_name, timestamp, inference_id)""",
    f"""CREATE TABLE IF NOT EXISTS {DATABASE}.ModelInferenceDetails (
        inference_id UUID, request_ip Nullable(IPv4), project_id UUID, endpoint_id UUID, model_id UUID,
        cost Nullable(Float64), response_analysis Nullable(String), is_success Bool,
        request_arrival_time DateTime, request_forward_time DateTime, created_at DateTime DEFAULT now(),
        api_key_project_id Nullable(UUID), user_id Nullable(UUID)
    ) ENGINE = MergeTree() ORDER BY (project_id, model_id, endpoint_id, request_arrival_time, inference_id)""",
]


def uuid7() -> uuid.UUID:
    """A time-ordered UUIDv7 (ClickHouse derives ModelInference.timestamp from it)."""
    millis = int(time.time() * 1000)
    value = (millis << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62) | secrets.randbits(62)
    return uuid.UUID(int=value)


class ClickHouseHTTP:
    def __init__(self, url: str) -> None:
        self.http = PooledHTTP(url, timeout=10)

    async def execute(self, sql: str, body: bytes | None = None) -> str:
        response = await self.http.post("/", params={"query": sql} if body is not None else None,
                                        content=body if body is not None else sql.encode())
        if response.status != 200:
            raise RuntimeError(response.text.strip())
        return response.text

    async def create_schema(self) -> None:
        for statement in SCHEMA:
            await self.execute(statement)

    async def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        body = "".join(json.dumps(row, default=str) + "\n" for row in rows).encode()
        await self.execute(f"INSERT INTO {DATABASE}.{table} FORMAT JSONEachRow", body)

    async def select(self, sql: str) -> list[dict[str, Any]]:
        text = await self.execute(f"{sql} FORMAT JSONEachRow")
        return [json.loads(line) for line in text.splitlines() if line]

    async def aclose(self) -> None:
        await self.http.aclose()


def quote(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
