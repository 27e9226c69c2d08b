"""budapp's PostgreSQL access: pool, schema and the queries the routes need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
SCHEMA_LOCK = 7_019_082  # advisory lock id: one process creates the schema at a time


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10, init=_init_connection)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await connection.execute(SCHEMA_FILE.read_text())
    return pool


def row(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


def stored_row(record: asyncpg.Record | None) -> dict[str, Any]:
    """The row a statement that always returns one (INSERT ... RETURNING, a read of a row just written) gave."""
    if record is None:
        raise LookupError("the statement returned no row")
    return dict(record)


async def insert_row(executor: asyncpg.Pool | asyncpg.Connection, table: str, **fields: Any) -> dict[str, Any]:
    """INSERT one row (a new uuid4 id unless given) and return it."""
    fields.setdefault("id", uuid4())
    columns = ", ".join(f'"{c}"' for c in fields)
    marks = ", ".join(f"${i}" for i in range(1, len(fields) + 1))
    return stored_row(
        await executor.fetchrow(f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) RETURNING *', *fields.values())
    )


async def update_row(
    executor: asyncpg.Pool | asyncpg.Connection, table: str, row_id: UUID, **fields: Any
) -> dict | None:
    """UPDATE one row by id, stamping modified_at, and return it."""
    sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(fields, start=2))
    return row(
        await executor.fetchrow(
            f"UPDATE \"{table}\" SET {sets}, modified_at = now() AT TIME ZONE 'utc' WHERE id = $1 RETURNING *",
            row_id,
            *fields.values(),
        )
    )


class Users:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def by_email(self, email: str) -> dict[str, Any] | None:
        return row(await self.pool.fetchrow('SELECT * FROM "user" WHERE lower(email) = lower($1)', email))

    async def by_id(self, user_id: UUID) -> dict[str, Any] | None:
        return row(await self.pool.fetchrow('SELECT * FROM "user" WHERE id = $1', user_id))

    async def by_auth_id(self, auth_id: UUID) -> dict[str, Any] | None:
        return row(await self.pool.fetchrow('SELECT * FROM "user" WHERE auth_id = $1', auth_id))

    async def active_or_invited(self, user_ids: set[UUID]) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            """SELECT * FROM "user" WHERE id = ANY($1::uuid[]) AND status IN ('active', 'invited')""", list(user_ids)
        )
        return [dict(r) for r in rows]

    async def another_than(self, user_id: UUID) -> dict[str, Any] | None:
        return row(await self.pool.fetchrow('SELECT * FROM "user" WHERE id <> $1 ORDER BY created_at LIMIT 1', user_id))

    async def insert(self, connection: asyncpg.Connection, **fields: Any) -> dict[str, Any]:
        return await insert_row(connection, "user", **fields)

    async def update(self, user_id: UUID, **fields: Any) -> dict[str, Any] | None:
        return await update_row(self.pool, "user", user_id, **fields)

    async def search(self, filters: dict[str, Any], offset: int, limit: int | None) -> tuple[list[dict], int]:
        where, args = _where(filters)
        total = await self.pool.fetchval(f'SELECT count(*) FROM "user" {where}', *args)
        page = await self.pool.fetch(
            f'SELECT * FROM "user" {where} ORDER BY created_at, id OFFSET {offset} {_limit(limit)}', *args
        )
        return [dict(r) for r in page], total


class Projects:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def by_id(self, project_id: UUID) -> dict[str, Any] | None:
        return row(await self.pool.fetchrow("SELECT * FROM project WHERE id = $1 AND status = 'active'", project_id))

    async def name_taken(
        self, name: str, project_type: str, member_id: UUID | None, except_id: UUID | None = None
    ) -> bool:
        """client_app names are unique among the member's projects; admin_app names globally."""
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM project p WHERE lower(p.name) = lower($1) AND p.status = 'active' "
                "AND p.project_type = $2 AND ($3::uuid IS NULL OR p.id <> $3) AND ($4::uuid IS NULL OR EXISTS "
                "(SELECT 1 FROM project_user_association a WHERE a.project_id = p.id AND a.user_id = $4))",
                name,
                project_type,
                except_id,
                member_id if project_type == "client_app" else None,
            )
        )

    async def insert(self, connection: asyncpg.Connection, member_id: UUID, **fields: Any) -> dict[str, Any]:
        project = await insert_row(connection, "project", **fields)
        await connection.execute(
            "INSERT INTO project_user_association (project_id, user_id) VALUES ($1, $2)", project["id"], member_id
        )
        return project

    async def update(self, project_id: UUID, **fields: Any) -> dict[str, Any] | None:
        return await update_row(self.pool, "project", project_id, **fields)

    async def member_ids(self, project_id: UUID) -> set[UUID]:
        rows = await self.pool.fetch("SELECT user_id FROM project_user_association WHERE project_id = $1", project_id)
        return {r["user_id"] for r in rows}

    async def add_member(self, project_id: UUID, user_id: UUID) -> None:
        await self.pool.execute(
            "INSERT INTO project_user_association (project_id, user_id) VALUES ($1, $2)", project_id, user_id
        )

    async def is_member(self, project_id: UUID, user_id: UUID) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM project_user_association WHERE project_id = $1 AND user_id = $2", project_id, user_id
            )
        )

    async def users_count(self, project_id: UUID) -> int:
        return await self.pool.fetchval(
            'SELECT count(*) FROM project_user_association a JOIN "user" u ON u.id = a.user_id '
            "WHERE a.project_id = $1 AND u.status <> 'deleted'",
            project_id,
        )

    async def listing(
        self,
        *,
        member_id: UUID | None,
        project_type: str,
        name: str | None,
        partial: bool,
        offset: int,
        limit: int | None,
    ) -> tuple[list[dict], int]:
        conditions = ["p.status = 'active'", "p.benchmark = FALSE", "p.project_type = $1"]
        args: list[Any] = [project_type]
        if member_id is not None:
            args.append(member_id)
            conditions.append(
                "EXISTS (SELECT 1 FROM project_user_association a "
                f"WHERE a.project_id = p.id AND a.user_id = ${len(args)})"
            )
        if name:
            args.append(f"%{name}%" if partial else name)
            conditions.append(f"p.name {'ILIKE' if partial else '='} ${len(args)}")
        where = " AND ".join(conditions)
        total = await self.pool.fetchval(f"SELECT count(*) FROM project p WHERE {where}", *args)
        page = await self.pool.fetch(
            f"SELECT p.* FROM project p WHERE {where} ORDER BY p.created_at DESC, p.id OFFSET {offset} {_limit(limit)}",
            *args,
        )
        return [dict(r) for r in page], total


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for column, value in filters.items():
        if value is None:
            continue
        args.append(value)
        clauses.append(f'"{column}" = ${len(args)}')
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def _limit(limit: int | None) -> str:
    return f"LIMIT {int(limit)}" if limit else ""
