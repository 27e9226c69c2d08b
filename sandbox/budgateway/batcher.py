"""Inference rows written to ClickHouse in batches, off the request path.

Like budgateway's inference batcher: handlers hand rows over without waiting;
a background task writes them when a batch is full or the flush interval has
passed, whichever comes first. A full buffer drops rows (logged) rather than
slowing requests down; stopping the service flushes what is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

from sandbox.common.clickhouse import ClickHouseHTTP

log = logging.getLogger("sandbox.budgateway.batcher")

# Tables written first, in this order; any other table follows in the order its rows arrived.
TABLES = ("InferenceFact",)
BUFFER_LIMIT = 10_000


class InferenceBatcher:
    def __init__(self, clickhouse: ClickHouseHTTP, *, batch_size: int = 500, flush_interval: float = 0.25) -> None:
        self.clickhouse = clickhouse
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._batch_full = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closing = False

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one row of ``table`` for the next flush."""
        rows = self._pending[table]
        if len(rows) >= BUFFER_LIMIT:
            log.error("%s buffer full (%d rows): inference row dropped", table, BUFFER_LIMIT)
            return
        rows.append(row)
        if len(rows) >= self.batch_size:
            self._batch_full.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inference-batcher")

    async def stop(self) -> None:
        self._closing = True
        self._batch_full.set()
        if self._task is not None:
            await self._task

    async def flush(self) -> None:
        for table in (*TABLES, *(t for t in list(self._pending) if t not in TABLES)):
            rows, self._pending[table] = self._pending[table], []
            if not rows:
                continue
            try:
                await self.clickhouse.insert(table, rows)
            except Exception as exc:
                log.error("%d %s rows not written: %s", len(rows), table, exc)

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._batch_full.wait(), timeout=self.flush_interval)
            self._batch_full.clear()
            await self.flush()
        await self.flush()
