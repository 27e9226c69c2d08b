"""The inference table budgateway's telemetry fills and budmetrics reads, over ClickHouse's HTTP interface."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from typing import Any

from sandbox.common.http import PooledHTTP

# budmetrics' database in the chart (CLICKHOUSE_DB_NAME); InferenceFact is its flat table of inferences, which the
# deployment fills from the gateway's OTel spans and budmetrics lists from. The columns here are the subset of
# budmetrics' migration that the gateway stand-in fills, with the same names and types.
DATABASE = os.environ.get("SANDBOX_CLICKHOUSE_DB", "metrics")

SCHEMA = [
    f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
    f"""CREATE TABLE IF NOT EXISTS {DATABASE}.InferenceFact (
        id UUID DEFAULT generateUUIDv4(), trace_id String, span_id String,
        inference_id Nullable(UUID), project_id Nullable(UUID), endpoint_id Nullable(UUID), model_id Nullable(UUID),
        api_key_id Nullable(UUID), api_key_project_id Nullable(UUID), user_id Nullable(String),
        timestamp DateTime64(3), request_arrival_time Nullable(DateTime64(3)),
        request_forward_time Nullable(DateTime64(3)),
        is_success Bool DEFAULT true, cost Nullable(Float64), inference_cost Nullable(Float64),
        status_code Nullable(UInt16), request_ip Nullable(IPv4), response_analysis Nullable(String),
        error_code Nullable(String), error_message Nullable(String), error_type Nullable(String),
        model_inference_id Nullable(UUID), model_name LowCardinality(String) DEFAULT '',
        model_provider LowCardinality(String) DEFAULT '', endpoint_type LowCardinality(String) DEFAULT 'chat',
        input_tokens Nullable(UInt32), output_tokens Nullable(UInt32), response_time_ms Nullable(UInt32),
        ttft_ms Nullable(UInt32), cached Bool DEFAULT false,
        finish_reason Nullable(Enum8('stop' = 1, 'length' = 2, 'tool_call' = 3, 'content_filter' = 4, 'unknown' = 5)),
        system_prompt Nullable(String), input_messages Nullable(String), output Nullable(String),
        raw_request Nullable(String), raw_response Nullable(String),
        date Date MATERIALIZED toDate(timestamp), hour DateTime MATERIALIZED toStartOfHour(timestamp)
    ) ENGINE = ReplacingMergeTree(timestamp) PARTITION BY toYYYYMMDD(timestamp) ORDER BY (trace_id, span_id)
    SETTINGS allow_nullable_key = 1""",
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
        response = await self.http.post(
            "/", params={"query": sql} if body is not None else None, content=body if body is not None else sql.encode()
        )
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
