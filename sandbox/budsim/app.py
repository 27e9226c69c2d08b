"""budsim (sandbox): deployment simulation ranking the clusters budcluster knows."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from pydantic import BaseModel

from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import DownstreamWorkflow, Step, StepFailed, start_in_background
from sandbox.common.simulated_models import find_model
from sandbox.settings import get_settings


async def start(app: FastAPI) -> None:
    app.state.pool = await asyncpg.create_pool(app.state.settings.postgres_dsn, min_size=1, max_size=3)


async def stop(app: FastAPI) -> None:
    await app.state.pool.close()


app = create_service_app("budsim", settings=get_settings(), on_startup=start, on_shutdown=stop)


class SimulationRequest(BaseModel):
    pretrained_model_uri: str
    input_tokens: int
    output_tokens: int
    concurrency: int
    hardware_mode: str | None = None
    notification_metadata: dict[str, Any] = {}
    source_topic: str | None = None
    model_config = {"extra": "allow"}


async def available_clusters(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    try:
        rows = await pool.fetch("SELECT id, name, nodes FROM budcluster.cluster WHERE status = 'available'")
    except asyncpg.UndefinedTableError:
        return []
    return [{"id": str(r["id"]), "name": r["name"], "nodes": json.loads(r["nodes"])} for r in rows]


def recommendation(cluster: dict[str, Any], request: SimulationRequest) -> dict[str, Any]:
    devices = [d for n in cluster["nodes"] for d in n.get("devices", [])]
    kind = "gpu" if any(d.get("type") == "gpu" for d in devices) else "cpu"
    available = sum(int(d.get("available_count", d.get("count", 0))) for d in devices if d.get("type") == kind)
    needed = 1 if kind == "gpu" else max(1, min(available, request.concurrency * 2))
    return {
        "cluster_id": cluster["id"], "cost_per_token": round((0.2 if kind == "gpu" else 0.05) / max(available, 1), 6),
        "total_resources": available, "resources_used": needed,
        "resource_details": [{"type": kind, "available": available, "required": needed}],
        "required_devices": [{"device_type": kind, "num_replicas": 1, "concurrency": request.concurrency}],
        "benchmarks": {"replicas": 1, "concurrency": request.concurrency, "ttft": 120.0, "e2e_latency": 900.0,
                       "per_session_tokens_per_sec": 40.0, "throughput_per_user": 40.0},
        "tool_calling_parser_type": None, "reasoning_parser_type": None, "chat_template": None,
        "supports_lora": False, "supports_pipeline_parallelism": False,
    }


@app.post("/simulator/run")
async def run(body: SimulationRequest, request: Request):
    state = request.app.state

    async def validation(context: dict) -> str:
        if find_model(body.pretrained_model_uri) is None and not body.pretrained_model_uri.startswith("models-registry/"):
            raise StepFailed(f"Unknown model {body.pretrained_model_uri}")
        return "Request validated"

    async def estimation(context: dict) -> str:
        context["clusters"] = await available_clusters(state.pool)
        if await state.faults.is_on("simulation_fails"):
            raise StepFailed("Performance estimation failed: no device meets the targets")
        if not context["clusters"]:
            raise StepFailed("No available cluster can serve this model")
        return f"Estimated performance on {len(context['clusters'])} cluster(s)"

    async def ranking(context: dict) -> str:
        context["ranked"] = sorted((recommendation(c, body) for c in context["clusters"]),
                                   key=lambda r: r["cost_per_token"])
        return "Clusters ranked"

    async def results(context: dict) -> dict:
        return {"recommendations": context["ranked"]}

    workflow = DownstreamWorkflow(
        name="run_simulation", payload_type="get_cluster_recommendations", source="budsim",
        steps=[Step("validation", "Validation", "Check the simulation request", validation),
               Step("performance_estimation", "Performance estimation", "Estimate each cluster", estimation),
               Step("ranking", "Ranking", "Rank the candidate clusters", ranking)],
        notification_metadata=body.notification_metadata, dapr_url=state.settings.url("dapr"),
    )
    stall = 1 if await state.faults.is_on("workflow_stalls") else None
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()
