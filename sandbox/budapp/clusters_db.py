"""Clusters: queries and the ClusterResponse wire shape."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from sandbox.budapp.db import insert_row, row, update_row

RESOURCE_FIELDS = (
    "cpu_count",
    "gpu_count",
    "hpu_count",
    "cpu_total_workers",
    "gpu_total_workers",
    "hpu_total_workers",
    "cpu_available_workers",
    "gpu_available_workers",
    "hpu_available_workers",
    "total_nodes",
    "available_nodes",
)


class Clusters:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, cluster_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM cluster WHERE id = $1 AND status <> 'deleted'", cluster_id))

    async def by_budcluster_id(self, cluster_id: UUID) -> dict | None:
        return row(
            await self.pool.fetchrow("SELECT * FROM cluster WHERE cluster_id = $1 AND status <> 'deleted'", cluster_id)
        )

    async def name_taken(self, name: str) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM cluster WHERE lower(name) = lower($1) AND status <> 'deleted'", name
            )
        )

    async def insert(self, **fields: Any) -> dict:
        return await insert_row(self.pool, "cluster", **fields)

    async def update(self, cluster_id: UUID, **fields: Any) -> dict | None:
        return await update_row(self.pool, "cluster", cluster_id, **fields)

    async def search(self, name: str | None, offset: int, limit: int | None) -> tuple[list[dict], int]:
        condition, args = "status <> 'deleted'", []
        if name:
            args.append(name)
            condition += " AND name = $1"
        total = await self.pool.fetchval(f"SELECT count(*) FROM cluster WHERE {condition}", *args)
        limit_sql = f"LIMIT {int(limit)}" if limit else ""
        rows = await self.pool.fetch(
            f"SELECT * FROM cluster WHERE {condition} ORDER BY created_at DESC OFFSET {offset} {limit_sql}", *args
        )
        return [dict(r) for r in rows], total


def cluster_info(cluster: dict) -> dict:
    """ClusterResponse."""
    info = {
        k: cluster[k]
        for k in (
            "id",
            "cluster_id",
            "name",
            "icon",
            "ingress_url",
            "cluster_type",
            "status",
            "created_at",
            "modified_at",
        )
    }
    info.update({k: cluster[k] for k in RESOURCE_FIELDS})
    return info


DEVICE_KINDS = {"cpu": "cpu", "cpu_high": "cpu", "gpu": "gpu", "cuda": "gpu", "hpu": "hpu"}


def resources_from_nodes(nodes: list[dict]) -> dict[str, int]:
    """budapp's counts from budcluster's node list: ``<kind>_count`` device entries, workers their
    ``available_count`` (every worker counted available); nodes with a true ``status`` are available."""
    totals = dict.fromkeys(RESOURCE_FIELDS, 0)
    totals["total_nodes"] = len(nodes)
    totals["available_nodes"] = sum(1 for node in nodes if node.get("status", False))
    for node in nodes:
        for device in node.get("devices", []):
            kind = DEVICE_KINDS.get(str(device.get("type", "")).lower())
            if kind is None:
                continue
            workers = int(device.get("available_count", 0))
            totals[f"{kind}_count"] += 1
            totals[f"{kind}_total_workers"] += workers
            totals[f"{kind}_available_workers"] += workers
    return totals


def range_label(value: float, target: int | list[int], higher_is_better: bool = True) -> str:
    """budapp's label of a simulated figure against the requested target (a value or a [min, max] range)."""
    low, high = (target, target) if isinstance(target, (int, float)) else target
    if value < low:
        return "Worse" if higher_is_better else "Better"
    if value > high:
        return "Better" if higher_is_better else "Worse"
    return "Expected"


def _figure(value: float, target: int | list[int] | None, higher_is_better: bool = True) -> dict:
    label = range_label(value, target, higher_is_better) if target is not None else None
    return {"label": label, "value": value}


def recommended_cluster(cluster: dict, item: dict, deploy_config: dict, local: bool = True) -> dict:
    """RecommendedCluster: budsim's ClusterMetrics ``item`` for one of budapp's clusters."""
    metrics = item["metrics"]
    details = [
        {
            "type": kind.upper(),
            "available": cluster[f"{kind}_available_workers"],
            "total": cluster[f"{kind}_total_workers"],
        }
        for kind in ("cpu", "gpu", "hpu")
        if cluster[f"{kind}_count"] > 0
    ]
    total = sum(d["total"] for d in details)
    benchmarks = {
        "replicas": metrics["replica"],
        "concurrency": {
            "label": range_label(metrics["concurrency"], deploy_config["concurrent_requests"]),
            "value": metrics["concurrency"],
        },
        "ttft": None,
        "e2e_latency": None,
        "per_session_tokens_per_sec": None,
        "over_all_throughput": None,
    }
    if local:
        throughput = _figure(metrics["throughput_per_user"], deploy_config.get("per_session_tokens_per_sec"))
        benchmarks.update(
            ttft=_figure(metrics["ttft"], deploy_config.get("ttft"), higher_is_better=False),
            e2e_latency=_figure(metrics["e2e_latency"], deploy_config.get("e2e_latency"), higher_is_better=False),
            per_session_tokens_per_sec=throughput,
            over_all_throughput={
                "label": throughput["label"],
                "value": metrics["concurrency"] * metrics["throughput_per_user"],
            },
        )
    return {
        "id": str(cluster["id"]),
        "cluster_id": str(cluster["cluster_id"]),
        "name": cluster["name"],
        "cost_per_token": metrics["cost_per_million_tokens"],
        "total_resources": total,
        "resources_used": total - sum(d["available"] for d in details),
        "resource_details": details,
        "required_devices": metrics.get("device_types", []),
        "benchmarks": benchmarks,
        **{
            key: item.get(key)
            for key in (
                "tool_calling_parser_type",
                "reasoning_parser_type",
                "chat_template",
                "supports_lora",
                "supports_pipeline_parallelism",
            )
        },
    }
