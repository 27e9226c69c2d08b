"""Endpoints (deployments) and provider credentials: queries, wire shapes, gateway routing cache."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from sandbox.budapp.db import insert_row, row
from sandbox.budapp.schemas import ENDPOINT_LABELS

# the gateway's name of each endpoint path: budapp's endpoint enum names, lower-cased (plus the completions path of
# the engines budcluster deploys)
ENDPOINT_KINDS = {path: key for key, (path, _) in ENDPOINT_LABELS.items()} | {"/v1/completions": "completion"}


class Endpoints:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, endpoint_id: UUID) -> dict | None:
        return row(
            await self.pool.fetchrow("SELECT * FROM endpoint WHERE id = $1 AND status <> 'deleted'", endpoint_id)
        )

    async def name_taken(self, name: str) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM endpoint WHERE lower(name) = lower($1) AND status <> 'deleted'", name
            )
        )

    async def active_count(self, column: str, value: UUID) -> int:
        return await self.pool.fetchval(
            f"SELECT count(*) FROM endpoint WHERE {column} = $1 AND status <> 'deleted'", value
        )

    async def insert(self, **fields: Any) -> dict:
        return await insert_row(self.pool, "endpoint", **fields)

    async def set_status(self, endpoint_id: UUID, status: str) -> None:
        await self.pool.execute(
            "UPDATE endpoint SET status = $2, modified_at = now() AT TIME ZONE 'utc' WHERE id = $1", endpoint_id, status
        )

    async def search(self, filters: dict[str, Any], offset: int, limit: int | None) -> tuple[list[dict], int]:
        clauses, args = ["status <> 'deleted'"], []
        for column, value in filters.items():
            if value is not None:
                args.append(value)
                clauses.append(f"{column} = ${len(args)}")
        where = " AND ".join(clauses)
        total = await self.pool.fetchval(f"SELECT count(*) FROM endpoint WHERE {where}", *args)
        limit_sql = f"LIMIT {int(limit)}" if limit else ""
        rows = await self.pool.fetch(
            f"SELECT * FROM endpoint WHERE {where} ORDER BY created_at DESC OFFSET {offset} {limit_sql}", *args
        )
        return [dict(r) for r in rows], total


class Credentials:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, **fields: Any) -> dict:
        return await insert_row(self.pool, "proprietary_credential", **fields)

    async def get(self, credential_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM proprietary_credential WHERE id = $1", credential_id))

    async def page_of_user(self, user_id: UUID, offset: int, limit: int | None) -> tuple[list[dict], int]:
        """A page of the user's credentials, with their provider's icon and number of running endpoints."""
        total = await self.pool.fetchval("SELECT count(*) FROM proprietary_credential WHERE user_id = $1", user_id)
        rows = await self.pool.fetch(
            "SELECT c.*, p.icon AS provider_icon, (SELECT count(*) FROM endpoint e WHERE e.credential_id = c.id "
            "AND e.status = 'running') AS num_of_endpoints FROM proprietary_credential c "
            "LEFT JOIN provider p ON p.id = c.provider_id WHERE c.user_id = $1 ORDER BY c.created_at, c.id "
            f"OFFSET {int(offset)} {f'LIMIT {int(limit)}' if limit else ''}",
            user_id,
        )
        return [dict(r) for r in rows], total

    async def delete(self, credential_id: UUID) -> None:
        await self.pool.execute("DELETE FROM proprietary_credential WHERE id = $1", credential_id)


def gateway_route(endpoint: dict, provider_type: str, api_base: str, supported: list[str]) -> str:
    """The Redis ``model_table:<endpoint_id>`` value budgateway routes by."""
    key = str(endpoint["id"])
    return json.dumps(
        {
            key: {
                "routing": [provider_type],
                "providers": {
                    provider_type: {"type": provider_type, "model_name": endpoint["namespace"], "api_base": api_base}
                },
                "endpoints": [ENDPOINT_KINDS[e] for e in supported if e in ENDPOINT_KINDS],
            }
        }
    )


def credential_listed(credential: dict) -> dict:
    """budapp's ProprietaryCredentialResponseList."""
    return {
        "name": credential["name"],
        "type": credential["type"],
        "other_provider_creds": credential["other_provider_creds"],
        "id": credential["id"],
        "created_at": credential["created_at"],
        "num_of_endpoints": credential["num_of_endpoints"],
        "provider_icon": credential["provider_icon"],
    }
