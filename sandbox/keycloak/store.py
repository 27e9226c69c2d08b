"""The stand-in's persistent state in PostgreSQL (schema ``keycloak``): realms with their signing keys, and
every object a realm holds (roles, users, clients and the authorization objects of a client).

Objects share one table: ``kind`` says what it is, ``owner`` is the client whose resource server holds an
authorization object, ``body`` is its Keycloak representation (minus ``id``), ``secret`` a user's password
hash or a client's secret. Names are unique per realm, kind and owner, as Keycloak's are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from sandbox.common.tokens import SigningKey

SCHEMA_LOCK = 7_019_180  # advisory lock id: one process creates the schema at a time
SCHEMA = """
CREATE SCHEMA IF NOT EXISTS keycloak;
CREATE TABLE IF NOT EXISTS keycloak.kc_realm (
    name TEXT PRIMARY KEY,
    id UUID NOT NULL,
    body JSONB NOT NULL,
    key_id TEXT NOT NULL,
    key_pem TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS keycloak.kc_object (
    id UUID PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES keycloak.kc_realm (name) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    owner UUID,
    name TEXT NOT NULL,
    body JSONB NOT NULL,
    secret TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX IF NOT EXISTS kc_object_unique_name
    ON keycloak.kc_object (realm, kind, COALESCE(owner, '00000000-0000-0000-0000-000000000000'::uuid), name);
CREATE UNIQUE INDEX IF NOT EXISTS kc_object_unique_email
    ON keycloak.kc_object (realm, lower(body->>'email'))
    WHERE kind = 'user' AND coalesce(body->>'email', '') <> '';
CREATE INDEX IF NOT EXISTS kc_object_owner ON keycloak.kc_object (owner);
"""


class Conflict(Exception):
    """A realm or object with the same name (or a user with the same email) exists."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.on_email = "email" in constraint


@dataclass
class Obj:
    """One stored object: its representation is ``{"id": id, **body}``."""

    id: UUID
    kind: str
    name: str
    body: dict[str, Any]
    owner: UUID | None = None
    secret: str | None = None

    @property
    def sid(self) -> str:
        return str(self.id)


@dataclass
class Realm:
    name: str
    id: UUID
    body: dict[str, Any]
    key: SigningKey


def _object(record: asyncpg.Record) -> Obj:
    return Obj(
        id=record["id"],
        kind=record["kind"],
        name=record["name"],
        body=record["body"],
        owner=record["owner"],
        secret=record["secret"],
    )


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Store:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._realms: dict[str, Realm] = {}  # signing keys never change, so realms are cached once read

    @classmethod
    async def open(cls, dsn: str) -> Store:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10, init=_init_connection)
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await connection.execute(SCHEMA)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    # -- realms ---------------------------------------------------------------

    async def realm(self, name: str) -> Realm | None:
        cached = self._realms.get(name)
        if cached is not None:
            return cached
        record = await self.pool.fetchrow("SELECT * FROM keycloak.kc_realm WHERE name = $1", name)
        if record is None:
            return None
        realm = Realm(
            record["name"], record["id"], record["body"], SigningKey.from_pem(record["key_id"], record["key_pem"])
        )
        self._realms[name] = realm
        return realm

    async def realms(self) -> list[Realm]:
        names = await self.pool.fetch("SELECT name FROM keycloak.kc_realm ORDER BY created_at, name")
        return [realm for r in names if (realm := await self.realm(r["name"])) is not None]

    async def create_realm(self, name: str, body: dict[str, Any]) -> Realm:
        key = SigningKey.generate()
        realm_id = uuid4()
        try:
            await self.pool.execute(
                "INSERT INTO keycloak.kc_realm (name, id, body, key_id, key_pem) VALUES ($1, $2, $3, $4, $5)",
                name,
                realm_id,
                body,
                key.kid,
                key.private_pem(),
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(exc.constraint_name or "") from None
        realm = Realm(name, realm_id, body, key)
        self._realms[name] = realm
        return realm

    async def update_realm(self, realm: Realm, body: dict[str, Any]) -> None:
        await self.pool.execute("UPDATE keycloak.kc_realm SET body = $2 WHERE name = $1", realm.name, body)
        realm.body = body

    async def delete_realm(self, name: str) -> None:
        await self.pool.execute("DELETE FROM keycloak.kc_realm WHERE name = $1", name)
        self._realms.pop(name, None)

    # -- objects --------------------------------------------------------------

    async def insert(
        self,
        realm: str,
        kind: str,
        name: str,
        body: dict[str, Any],
        *,
        owner: UUID | None = None,
        secret: str | None = None,
        object_id: UUID | None = None,
    ) -> Obj:
        obj = Obj(object_id or uuid4(), kind, name, body, owner, secret)
        try:
            await self.pool.execute(
                "INSERT INTO keycloak.kc_object (id, realm, kind, owner, name, body, secret) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                obj.id,
                realm,
                kind,
                owner,
                name,
                body,
                secret,
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(exc.constraint_name or "") from None
        return obj

    async def save(self, obj: Obj) -> None:
        try:
            await self.pool.execute(
                "UPDATE keycloak.kc_object SET name = $2, body = $3, secret = $4 WHERE id = $1",
                obj.id,
                obj.name,
                obj.body,
                obj.secret,
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(exc.constraint_name or "") from None

    async def get(self, realm: str, kind: str, object_id: str, owner: UUID | None = None) -> Obj | None:
        try:
            key = UUID(object_id)
        except ValueError:
            return None
        record = await self.pool.fetchrow(
            "SELECT * FROM keycloak.kc_object WHERE id = $1 AND realm = $2 AND kind = $3 "
            "AND owner IS NOT DISTINCT FROM $4",
            key,
            realm,
            kind,
            owner,
        )
        return _object(record) if record else None

    async def by_name(self, realm: str, kind: str, name: str, owner: UUID | None = None) -> Obj | None:
        record = await self.pool.fetchrow(
            "SELECT * FROM keycloak.kc_object WHERE realm = $1 AND kind = $2 AND name = $3 "
            "AND owner IS NOT DISTINCT FROM $4",
            realm,
            kind,
            name,
            owner,
        )
        return _object(record) if record else None

    async def all(self, realm: str, kind: str, owner: UUID | None = None) -> list[Obj]:
        """Every object of a kind, in name order (Keycloak lists users, roles, clients and authz objects so)."""
        records = await self.pool.fetch(
            "SELECT * FROM keycloak.kc_object WHERE realm = $1 AND kind = $2 AND owner IS NOT DISTINCT FROM $3 "
            "ORDER BY name",
            realm,
            kind,
            owner,
        )
        return [_object(r) for r in records]

    async def owned_by(self, owner: UUID) -> list[Obj]:
        """Every authorization object of one client (resources, scopes, policies), oldest first."""
        records = await self.pool.fetch("SELECT * FROM keycloak.kc_object WHERE owner = $1 ORDER BY created_at", owner)
        return [_object(r) for r in records]

    async def delete(self, obj: Obj) -> None:
        await self.pool.execute("DELETE FROM keycloak.kc_object WHERE id = $1 OR owner = $1", obj.id)
