"""budsim (sandbox): deployment simulation ranking the clusters budcluster knows.

``POST /simulator/run`` schedules the ``run_simulation`` workflow; its ranking is stored per
workflow, and ``GET /simulator/recommendations`` pages through it as budsim does: no items
while the simulation runs, the clusters cheapest first once it has ranked them.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

import asyncpg
from fastapi import FastAPI, Query, Request
from pydantic import BaseModel

from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import DownstreamWorkflow, SourceTopic, Step, StepFailed, start_in_background
from sandbox.common.simulated_models import stored_model
from sandbox.settings import get_settings

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS budsim;
CREATE TABLE IF NOT EXISTS budsim.simulation_result (
    workflow_id UUID NOT NULL,
    cluster_id UUID NOT NULL,
    recommendation JSONB NOT NULL,
    cost_per_million_tokens DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    PRIMARY KEY (workflow_id, cluster_id)
);
"""
SCHEMA_LOCK = 7_019_002


async def start(app: FastAPI) -> None:
    app.state.pool = await asyncpg.create_pool(app.state.settings.postgres_dsn, min_size=1, max_size=3)
    async with app.state.pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await connection.execute(SCHEMA)


async def stop(app: FastAPI) -> None:
    await app.state.pool.close()


app = create_service_app("budsim", settings=get_settings(), on_startup=start, on_shutdown=stop)


class SimulationRequest(BaseModel):
    """budapp's RecommendedClusterRequest (the fields the sandbox reads; the rest is accepted)."""

    pretrained_model_uri: str
    input_tokens: int
    output_tokens: int
    concurrency: int
    hardware_mode: str | None = None
    notification_metadata: dict[str, Any] = {}
    source_topic: SourceTopic = None
    model_config = {"extra": "allow"}


async def available_clusters(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    try:
        rows = await pool.fetch("SELECT id, name, nodes FROM budcluster.cluster WHERE status = 'available'")
    except asyncpg.UndefinedTableError:
        return []
    return [{"id": str(r["id"]), "name": r["name"], "nodes": json.loads(r["nodes"])} for r in rows]


CPU_TYPES = ("cpu", "cpu_high")
CPU_HIGH_DEDICATED_MAX_CORE_USE = 0.05


def dedicated_workers(device: dict[str, Any]) -> int:
    """Workers a dedicated deployment may take: a busy high-performance CPU (5% of its cores in use or more) or a
    GPU with any utilisation reported gives none; otherwise the device's available_count."""
    kind = str(device.get("type", "")).lower()
    if kind == "cpu_high":
        cores = device.get("cores") or 0
        if not cores or (device.get("utilized_cores") or 0) / cores >= CPU_HIGH_DEDICATED_MAX_CORE_USE:
            return 0
    elif (
        kind not in CPU_TYPES
        and ("core_utilization_percent" in device or "memory_utilization_percent" in device)
        and ((device.get("core_utilization_percent") or 0) > 0 or (device.get("memory_utilization_percent") or 0) > 0)
    ):
        return 0
    return max(int(device.get("available_count", 0)), 0)


def shared_workers(device: dict[str, Any]) -> int:
    """A shared deployment takes one share of any device with memory left: a CPU's memory_gb beyond what is
    utilised, an accelerator's memory beyond what is allocated (accelerators reporting no allocation are skipped)."""
    if str(device.get("type", "")).lower() in CPU_TYPES:
        total, used = (
            device.get("memory_gb") or device.get("mem_per_GPU_in_GB") or 0,
            device.get("utilized_memory_gb") or 0,
        )
    else:
        if device.get("memory_allocated_gb") is None:
            return 0
        total, used = device.get("mem_per_GPU_in_GB") or device.get("memory_gb") or 0, device["memory_allocated_gb"]
    return 1 if total - used > 0 else 0


def usable_devices(cluster: dict[str, Any], hardware_mode: str | None) -> list[tuple[dict[str, Any], int]]:
    """The cluster's devices budsim may place a deployment on in the requested hardware mode (dedicated unless
    shared is asked for), each with the workers it offers."""
    workers = shared_workers if hardware_mode == "shared" else dedicated_workers
    offered = [(d, workers(d)) for n in cluster["nodes"] for d in n.get("devices", [])]
    return [(d, count) for d, count in offered if count > 0]


def cluster_metrics(cluster: dict[str, Any], request: SimulationRequest) -> dict[str, Any]:
    """budsim's ClusterMetrics of the best configuration found on one cluster (one it has usable devices in)."""
    devices = usable_devices(cluster, request.hardware_mode)
    accelerated = any(d.get("type") in ("gpu", "cuda") for d, _ in devices)
    kind = "cuda" if accelerated else "cpu"
    available = sum(count for d, count in devices if (d.get("type") in ("gpu", "cuda")) == accelerated)
    cost = round((200.0 if accelerated else 50.0) / max(available, 1), 6)
    return {
        "cluster_id": cluster["id"],
        "metrics": {
            "device_types": [
                {"device_type": kind, "num_replicas": 1, "concurrency": 1, "cost_per_million_tokens": cost}
            ],
            "replica": 1,
            "concurrency": request.concurrency,
            "ttft": 120.0,
            "throughput_per_user": 40.0,
            "e2e_latency": 900.0,
            "error_rate": 0.0,
            "cost_per_million_tokens": cost,
        },
        "quantized_metrics": None,
        "engine_version": None,
        "tool_calling_parser_type": None,
        "reasoning_parser_type": None,
        "architecture_family": None,
        "chat_template": None,
        "supports_lora": False,
        "supports_pipeline_parallelism": False,
    }


async def store_ranking(pool: asyncpg.Pool, workflow_id: str, ranked: list[dict[str, Any]]) -> None:
    await pool.executemany(
        "INSERT INTO budsim.simulation_result (workflow_id, cluster_id, recommendation, cost_per_million_tokens) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [
            (uuid.UUID(workflow_id), uuid.UUID(r["cluster_id"]), json.dumps(r), r["metrics"]["cost_per_million_tokens"])
            for r in ranked
        ],
    )


@app.post("/simulator/run")
async def run(body: SimulationRequest, request: Request):
    state = request.app.state

    async def validation(context: dict) -> str:
        uri = body.pretrained_model_uri
        if await stored_model(state.redis, uri) is None:
            raise StepFailed(f"Unknown model {uri}")
        return "Compatible clusters identified"

    async def estimation(context: dict) -> str:
        context["clusters"] = [c for c in await available_clusters(state.pool) if usable_devices(c, body.hardware_mode)]
        if await state.faults.is_on("simulation_fails"):
            raise StepFailed("Performance estimation failed: no device meets the targets")
        if not context["clusters"]:
            raise StepFailed("No available cluster can serve this model")
        return f"Estimated performance on {len(context['clusters'])} cluster(s)"

    async def ranking(context: dict) -> str:
        context["ranked"] = sorted(
            (cluster_metrics(c, body) for c in context["clusters"]),
            key=lambda r: r["metrics"]["cost_per_million_tokens"],
        )
        await store_ranking(state.pool, workflow.id, context["ranked"])
        return "Clusters ranked"

    async def results(context: dict) -> dict:
        return {
            "object": "cluster_recommendations",
            "workflow_id": workflow.id,
            "recommendations": context["ranked"],
            "created": int(time.time()),
        }

    workflow = DownstreamWorkflow(
        name="run_simulation",
        payload_type="get_cluster_recommendations",
        source="budsim",
        steps=[
            Step("validation", "Identifying compatibles clusters", "Check runtime compatibility", validation),
            Step(
                "performance_estimation",
                "Generating best configuration for each cluster",
                "Estimate each cluster",
                estimation,
            ),
            Step("ranking", "Ranking the cluster based on performance", "Rank the candidate clusters", ranking),
        ],
        notification_metadata=body.notification_metadata,
        dapr_url=state.settings.url("dapr"),
    )
    stall = 1 if await state.faults.is_on("workflow_stalls") else None
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()


@app.get("/simulator/recommendations")
async def recommendations(
    request: Request,
    workflow_id: uuid.UUID,
    cluster_id: str | None = None,
    concurrency: int | None = None,
    error_rate_threshold: float = 0.5,
    page: int = Query(1, ge=1),
    limit: int = Query(1, ge=1),
):
    """budmicroframe's PaginatedResponse of ClusterMetrics, cheapest first (no items until ranked)."""
    condition, args = "workflow_id = $1", [workflow_id]
    if cluster_id:
        condition += " AND cluster_id = $2"
        args.append(uuid.UUID(cluster_id))
    pool = request.app.state.pool
    total = await pool.fetchval(f"SELECT count(*) FROM budsim.simulation_result WHERE {condition}", *args)
    rows = await pool.fetch(
        f"SELECT recommendation FROM budsim.simulation_result WHERE {condition} "
        f"ORDER BY cost_per_million_tokens, cluster_id OFFSET {(page - 1) * limit} LIMIT {limit}",
        *args,
    )
    return {
        "object": "cluster_recommendations",
        "page": page,
        "limit": limit,
        "total_items": total,
        "total_pages": math.ceil(total / limit),
        "items": [json.loads(r["recommendation"]) for r in rows],
    }
