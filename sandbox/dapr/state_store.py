"""Dapr's Redis state store layout, shared by the sidecar's HTTP and gRPC state APIs.

A key is a hash named ``<app-id>||<key>`` with fields ``data`` (the value as
saved) and ``version`` (raised on every save; it is the key's ETag). TTL is an
EXPIRE on the hash. Store names are accepted but not told apart: there is one
store, as in a cluster where every component points at the same Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis


class ETagMismatch(Exception):
    """A save or delete named an ETag that is not the key's current version."""


@dataclass(frozen=True)
class StateItem:
    key: str
    data: str
    etag: str | None = None
    ttl: int | None = None  # seconds; None or <= 0 keeps the key forever
    # Dapr's first-write concurrency: without an ETag the save only creates, never overwrites
    first_write: bool = False


def redis_key(app_id: str, key: str) -> str:
    return f"{app_id}||{key}"


def ttl_of(metadata: dict[str, str] | None) -> int | None:
    value = (metadata or {}).get("ttlInSeconds")
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise ValueError(f"ttlInSeconds must be a whole number of seconds, got {value!r}") from None


async def _check_etag(store: redis.Redis, name: str, etag: str | None) -> None:
    if etag:
        current = await store.hget(name, "version")
        if current != etag:
            raise ETagMismatch(f"possible etag mismatch: key has version {current!s}, request named {etag}")


async def save(store: redis.Redis, app_id: str, items: list[StateItem]) -> None:
    for item in items:
        name = redis_key(app_id, item.key)
        await _check_etag(store, name, item.etag)
        if item.first_write and not item.etag and await store.exists(name):
            raise ETagMismatch(f"possible etag mismatch: first-write save of existing key {item.key}")
        async with store.pipeline(transaction=True) as pipe:
            pipe.hset(name, "data", item.data)
            pipe.hincrby(name, "version", 1)
            if item.ttl and item.ttl > 0:
                pipe.expire(name, item.ttl)
            else:
                pipe.persist(name)
            await pipe.execute()


async def get(store: redis.Redis, app_id: str, key: str) -> tuple[str | None, str]:
    """(data, etag) of the key; (None, "") when it is absent."""
    found = await store.hmget(redis_key(app_id, key), ["data", "version"])
    return (str(found[0]), str(found[1] or "")) if found[0] is not None else (None, "")


async def get_many(store: redis.Redis, app_id: str, keys: list[str]) -> list[tuple[str | None, str]]:
    """(data, etag) per key, in the order asked."""
    async with store.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hmget(redis_key(app_id, key), ["data", "version"])
        found = await pipe.execute()
    return [(data, version or "") if data is not None else (None, "") for data, version in found]


async def delete(store: redis.Redis, app_id: str, key: str, etag: str | None = None) -> None:
    name = redis_key(app_id, key)
    await _check_etag(store, name, etag)
    await store.delete(name)
