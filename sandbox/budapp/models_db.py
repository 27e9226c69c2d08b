"""Providers, the cloud-model catalog and onboarded models: queries and wire shapes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from sandbox.budapp.db import insert_row, row
from sandbox.budapp.schemas import serialized_endpoints, serialized_modality


class Catalog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def provider(self, provider_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM provider WHERE id = $1", provider_id))

    async def providers(self, name: str | None, offset: int, limit: int | None) -> tuple[list[dict], int]:
        condition, args = ("WHERE name ILIKE $1", [f"%{name}%"]) if name else ("", [])
        total = await self.pool.fetchval(f"SELECT count(*) FROM provider {condition}", *args)
        limit_sql = f"LIMIT {int(limit)}" if limit else ""
        rows = await self.pool.fetch(
            f"SELECT * FROM provider {condition} ORDER BY name OFFSET {offset} {limit_sql}", *args
        )
        return [dict(r) for r in rows], total

    async def cloud_model(self, cloud_model_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM cloud_model WHERE id = $1", cloud_model_id))

    async def cloud_models(self, filters: dict[str, Any], offset: int, limit: int | None) -> tuple[list[dict], int]:
        return await _search(self.pool, "cloud_model", filters, offset, limit, "name")

    async def set_cloud_model_present(self, cloud_model_id: UUID, present: bool) -> None:
        await self.pool.execute(
            "UPDATE cloud_model SET is_present_in_model = $2 WHERE id = $1", cloud_model_id, present
        )


class Models:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, model_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM model WHERE id = $1 AND status = 'active'", model_id))

    async def name_taken(self, name: str, case_sensitive: bool = False) -> bool:
        condition = "name = $1" if case_sensitive else "lower(name) = lower($1)"
        return bool(await self.pool.fetchval(f"SELECT 1 FROM model WHERE {condition} AND status = 'active'", name))

    async def uri_taken(self, uri: str, source: str) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM model WHERE uri = $1 AND source = $2 AND status = 'active'", uri, source
            )
        )

    async def insert(self, **fields: Any) -> dict:
        return await insert_row(self.pool, "model", **fields)

    async def mark_deleted(self, model_id: UUID) -> None:
        await self.pool.execute(
            "UPDATE model SET status = 'deleted', modified_at = now() AT TIME ZONE 'utc' WHERE id = $1", model_id
        )

    async def search(self, filters: dict[str, Any], offset: int, limit: int | None) -> tuple[list[dict], int]:
        return await _search(self.pool, "model", {**filters, "status": "active"}, offset, limit, "created_at DESC")


async def _search(pool, table: str, filters: dict[str, Any], offset: int, limit: int | None, order: str):
    clauses, args = [], []
    for column, value in filters.items():
        if value is None:
            continue
        args.append(value)
        clauses.append(f"{column} = ${len(args)}")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    total = await pool.fetchval(f"SELECT count(*) FROM {table} {where}", *args)
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    rows = await pool.fetch(f"SELECT * FROM {table} {where} ORDER BY {order}, id OFFSET {offset} {limit_sql}", *args)
    return [dict(r) for r in rows], total


def provider_info(provider: dict | None) -> dict | None:
    if provider is None:
        return None
    return {k: provider[k] for k in ("id", "name", "description", "type", "icon", "capabilities")}


def cloud_model_info(model: dict) -> dict:
    return {
        "id": model["id"],
        "name": model["name"],
        "description": model["description"],
        "modality": serialized_modality(model["modality"]),
        "source": model["source"],
        "provider_type": model["provider_type"],
        "uri": model["uri"],
        "model_size": None,
        "tags": model["tags"],
        "tasks": model["tasks"],
        "is_present_in_model": model["is_present_in_model"],
        "supported_endpoints": serialized_endpoints(model["supported_endpoints"]),
    }


def cloud_model_listed(model: dict, provider: dict | None) -> dict:
    """A catalogue row as GET /models/ lists it: budapp validates the row into a ModelResponse."""
    return {
        "id": model["id"],
        "name": model["name"],
        "author": None,
        "modality": serialized_modality(model["modality"]),
        "source": model["source"],
        "uri": model["uri"],
        "local_path": None,
        "created_user": None,
        "model_size": None,
        "tasks": model["tasks"],
        "tags": model["tags"],
        "icon": None,
        "description": model["description"],
        "provider_type": model["provider_type"],
        "created_at": model["created_at"],
        "modified_at": model["modified_at"],
        "provider": provider_info(provider),
        "is_present_in_model": model["is_present_in_model"],
        "model_cluster_recommended": None,
        "supported_endpoints": serialized_endpoints(model["supported_endpoints"]),
        "architecture_text_config": None,
        "architecture_audio_config": None,
    }


def model_info(model: dict, provider: dict | None) -> dict:
    """ModelResponse."""
    return {
        "id": model["id"],
        "name": model["name"],
        "author": model["author"],
        "modality": serialized_modality(model["modality"]),
        "source": model["source"],
        "uri": model["uri"],
        "local_path": model["local_path"],
        "created_user": None,
        "model_size": model["model_size"],
        "tasks": model["tasks"],
        "tags": model["tags"],
        "icon": model["icon"],
        "description": model["description"],
        "provider_type": model["provider_type"],
        "created_at": model["created_at"],
        "modified_at": model["modified_at"],
        "provider": provider_info(provider),
        "is_present_in_model": None,
        "model_cluster_recommended": None,
        "supported_endpoints": serialized_endpoints(model["supported_endpoints"]),
        "architecture_text_config": None,
        "architecture_audio_config": None,
    }


def workflow_model(model: dict, provider: dict | None) -> dict:
    """The model a workflow record shows (budapp's Model schema: no local path, no status)."""
    return {
        "id": model["id"],
        "name": model["name"],
        "description": model["description"],
        "tags": model["tags"],
        "tasks": model["tasks"],
        "github_url": None,
        "huggingface_url": None,
        "website_url": None,
        "icon": model["icon"],
        "modality": serialized_modality(model["modality"]),
        "source": model["source"],
        "provider_type": model["provider_type"],
        "uri": model["uri"],
        "model_size": model["model_size"],
        "created_by": model["created_by"],
        "author": model["author"],
        "created_at": model["created_at"],
        "modified_at": model["modified_at"],
        "provider": provider_info(provider),
        "supported_endpoints": serialized_endpoints(model["supported_endpoints"]),
        "architecture_text_config": None,
        "architecture_vision_config": None,
        "architecture_audio_config": None,
    }


def model_detail(model: dict, provider: dict | None) -> dict:
    """ModelDetailResponse (fields the sandbox knows; the rest null or false)."""
    detail: dict[str, Any] = {
        key: None
        for key in (
            "github_url",
            "huggingface_url",
            "website_url",
            "scan_verified",
            "strengths",
            "limitations",
            "languages",
            "use_cases",
            "minimum_requirements",
            "examples",
            "base_model",
            "model_type",
            "family",
            "model_weights_size",
            "kv_cache_size",
            "architecture_text_config",
            "architecture_vision_config",
            "architecture_audio_config",
            "paper_published",
            "model_licenses",
            "pricing",
        )
    }
    detail.update(
        id=model["id"],
        name=model["name"],
        description=model["description"],
        tags=model["tags"],
        tasks=model["tasks"],
        author=model["author"],
        model_size=model["model_size"],
        icon=model["icon"],
        bud_verified=False,
        eval_verified=False,
        modality=serialized_modality(model["modality"]),
        source=model["source"],
        provider_type=model["provider_type"],
        uri=model["uri"],
        local_path=model["local_path"],
        provider=provider_info(provider),
        supported_endpoints=serialized_endpoints(model["supported_endpoints"]),
        created_at=model["created_at"],
    )
    return detail
