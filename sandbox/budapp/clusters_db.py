"""Clusters: queries and the ClusterResponse wire shape."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from sandbox.budapp.db import insert_row, row, update_row

RESOURCE_FIELDS = (
    "cpu_count", "gpu_count", "hpu_count", "cpu_total_workers", "gpu_total_workers", "hpu_total_workers",
    "cpu_available_workers", "gpu_available_workers", "hpu_available_workers", "total_nodes", "available_nodes",
)


class Clusters:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, cluster_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM cluster WHERE id = $1 AND status <> 'deleted'", cluster_id))

    async def by_budcluster_id(self, cluster_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM cluster WHERE cluster_id = $1 AND status <> 'deleted'", cluster_id))

    async def name_taken(self, name: str) -> bool:
        return bool(await self.pool.fetchval(
            "SELECT 1 FROM cluster WHERE lower(name) = lower($1) AND status <> 'deleted'", name))

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
            f"SELECT * FROM cluster WHERE {condition} ORDER BY created_at DESC OFFSET {offset} {limit_sql}", *args)
        return [dict(r) for r in rows], total


def cluster_info(cluster: dict) -> dict:
    """ClusterResponse."""
    info = {k: cluster[k] for k in ("id", "cluster_id", "name", "icon", "ingress_url", "cluster_type", "status",
                                    "created_at", "modified_at")}
    info.update({k: cluster[k] for k in RESOURCE_FIELDS})
    return info


def resources_from_nodes(nodes: list[dict]) -> dict[str, int]:
    """Counts of devices and workers from budcluster's node list."""
    totals = dict.fromkeys(RESOURCE_FIELDS, 0)
    for node in nodes:
        totals["total_nodes"] += 1
        totals["available_nodes"] += 1 if node.get("status", True) in (True, "Ready", "available") else 0
        for device in node.get("devices", []):
            kind = str(device.get("type", "cpu")).lower()
            if kind not in ("cpu", "gpu", "hpu"):
                continue
            count = int(device.get("available_count", device.get("count", 1)))
            totals[f"{kind}_count"] += int(device.get("count", 1))
            totals[f"{kind}_total_workers"] += int(device.get("count", 1))
            totals[f"{kind}_available_workers"] += count
    return totals
