"""Reading budapp's PostgreSQL tables, to check what the API reports against what is stored."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

RESOURCE_TABLES = {  # table -> (name column, condition meaning "still there")
    "project": ("name", "status = 'active'"),
    "model": ("name", "status = 'active'"),
    "cluster": ("name", "status <> 'deleted'"),
    "endpoint": ("name", "status <> 'deleted'"),
}


async def row(connection: asyncpg.Connection, table: str, row_id: str) -> dict[str, Any] | None:
    """One row of a budapp table by id (as a dict), or None."""
    record = await connection.fetchrow(f'SELECT * FROM "{table}" WHERE id = $1', uuid.UUID(str(row_id)))
    return dict(record) if record else None


async def leftovers(connection: asyncpg.Connection, prefix: str) -> dict[str, list[str]]:
    """Names of live resources whose name starts with ``prefix``, per table, plus live users by email."""
    found: dict[str, list[str]] = {}
    for table, (column, alive) in RESOURCE_TABLES.items():
        names = await connection.fetch(
            f'SELECT {column} FROM "{table}" WHERE {column} LIKE $1 AND {alive}', f"{prefix}%"
        )
        if names:
            found[table] = [r[0] for r in names]
    users = await connection.fetch("SELECT email FROM \"user\" WHERE email LIKE $1 AND status = 'active'", f"{prefix}%")
    if users:
        found["user"] = [r[0] for r in users]
    return found


async def endpoint_ids(connection: asyncpg.Connection, prefix: str) -> dict[str, str]:
    """Every endpoint (deleted ones too) whose name starts with ``prefix``: id -> name."""
    rows = await connection.fetch('SELECT id, name FROM "endpoint" WHERE name LIKE $1', f"{prefix}%")
    return {str(r["id"]): r["name"] for r in rows}
