"""Connections to the sandbox's backing stores."""

from __future__ import annotations

import redis.asyncio as redis


def redis_client(url: str) -> redis.Redis:
    return redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=10)
