"""User sessions in Redis: a refresh works while its session lives; logging out ends it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from uuid import uuid4

import redis.asyncio as redis

SESSION_KEY = "sandbox:kc:session:{realm}:{sid}"


@dataclass
class Session:
    sid: str
    realm: str
    user_id: str
    client_id: str
    scope: str
    offline: bool
    started: int


class Sessions:
    def __init__(self, store: redis.Redis) -> None:
        self.store = store

    async def start(self, realm: str, user_id: str, client_id: str, scope: str, offline: bool, ttl: int) -> Session:
        session = Session(str(uuid4()), realm, user_id, client_id, scope, offline, int(time.time()))
        await self.keep(session, ttl)
        return session

    async def keep(self, session: Session, ttl: int) -> None:
        """Store (or extend, on refresh) a session for ``ttl`` more seconds."""
        key = SESSION_KEY.format(realm=session.realm, sid=session.sid)
        await self.store.set(key, json.dumps(asdict(session)), ex=max(1, ttl))

    async def get(self, realm: str, sid: str) -> Session | None:
        raw = await self.store.get(SESSION_KEY.format(realm=realm, sid=sid))
        return Session(**json.loads(raw)) if raw else None

    async def end(self, realm: str, sid: str) -> None:
        await self.store.delete(SESSION_KEY.format(realm=realm, sid=sid))
