"""Providers and the cloud-model catalog budapp syncs from BudConnect: seeded here from the same catalogue file
the BudConnect stand-in serves (``data/catalog/cloud-models.yaml``), as the sync would write them."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import asyncpg

from sandbox.common.catalog_data import providers


def cloud_models(provider: dict[str, Any]) -> list[dict[str, Any]]:
    return provider.get("models") or []


def stable_id(*parts: str) -> UUID:
    """Same id on every start (so references survive a restart), shaped as a UUID4 as budapp requires."""
    digest = hashlib.sha256(("bud-sandbox:" + ":".join(parts)).encode()).digest()
    return UUID(bytes=digest[:16], version=4)


async def seed(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection, connection.transaction():
        for provider in providers():
            kind = provider["type"]
            await connection.execute(
                "INSERT INTO provider (id, name, description, type, icon, capabilities) VALUES ($1,$2,$3,$4,$5,$6) "
                "ON CONFLICT (type) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, "
                "icon = EXCLUDED.icon, capabilities = EXCLUDED.capabilities",
                stable_id("provider", kind),
                provider["name"],
                provider["description"],
                kind,
                provider["icon"],
                provider["capabilities"],
            )
            for model in cloud_models(provider):
                uri = model["uri"]
                # the sync names a model after the last part of its uri and sets no description, tags or tasks
                await connection.execute(
                    "INSERT INTO cloud_model (id, name, modality, source, uri, provider_id, supported_endpoints) "
                    "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (uri, source) DO UPDATE SET name = EXCLUDED.name, "
                    "modality = EXCLUDED.modality, supported_endpoints = EXCLUDED.supported_endpoints, "
                    "description = NULL",
                    stable_id("cloud_model", kind, uri),
                    uri.split("/")[-1],
                    model["modality"],
                    kind,
                    uri,
                    stable_id("provider", kind),
                    model["endpoints"],
                )
