"""budgateway's inference batcher: when it writes, in which order, and what it does when ClickHouse fails."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest

from sandbox.budgateway import batcher as batcher_module
from sandbox.budgateway.batcher import InferenceBatcher
from sandbox.common.clickhouse import ClickHouseHTTP


class FakeClickHouse:
    def __init__(self, failures: int = 0) -> None:
        self.inserts: list[tuple[str, list[dict]]] = []
        self.failures = failures

    async def insert(self, table: str, rows: list[dict]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("Code: 241. DB::Exception: Memory limit exceeded")
        self.inserts.append((table, list(rows)))


async def wait_for(condition, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the batcher did not write in time"
        await asyncio.sleep(0.005)


@pytest.fixture
async def running():
    started: list[InferenceBatcher] = []

    def start(clickhouse: FakeClickHouse, **options) -> InferenceBatcher:
        batcher = InferenceBatcher(cast(ClickHouseHTTP, clickhouse), **options)
        batcher.start()
        started.append(batcher)
        return batcher

    yield start
    for batcher in started:
        await batcher.stop()


async def test_a_full_batch_is_written_before_the_interval(running):
    clickhouse = FakeClickHouse()
    batcher = running(clickhouse, batch_size=3, flush_interval=30)
    for i in range(3):
        batcher.add("InferenceFact", {"n": i})
    await wait_for(lambda: clickhouse.inserts)
    assert clickhouse.inserts == [("InferenceFact", [{"n": 0}, {"n": 1}, {"n": 2}])]


async def test_a_partial_batch_is_written_after_the_interval(running):
    clickhouse = FakeClickHouse()
    batcher = running(clickhouse, batch_size=500, flush_interval=0.05)
    batcher.add("InferenceFact", {"n": 1})
    await asyncio.sleep(0.02)
    assert clickhouse.inserts == []
    await wait_for(lambda: clickhouse.inserts)
    assert clickhouse.inserts == [("InferenceFact", [{"n": 1}])]


async def test_the_fact_table_is_written_first(running):
    clickhouse = FakeClickHouse()
    batcher = running(clickhouse, batch_size=500, flush_interval=0.05)
    batcher.add("SomeOtherTable", {"id": "a"})
    batcher.add("InferenceFact", {"id": "a"})
    await wait_for(lambda: len(clickhouse.inserts) == 2)
    assert [table for table, _ in clickhouse.inserts] == ["InferenceFact", "SomeOtherTable"]


async def test_stopping_writes_what_is_pending():
    clickhouse = FakeClickHouse()
    batcher = InferenceBatcher(cast(ClickHouseHTTP, clickhouse), batch_size=500, flush_interval=30)
    batcher.start()
    batcher.add("InferenceFact", {"n": 1})
    await asyncio.wait_for(batcher.stop(), timeout=2)
    assert clickhouse.inserts == [("InferenceFact", [{"n": 1}])]


async def test_a_failed_write_is_logged_and_later_rows_still_go_through(running, caplog):
    clickhouse = FakeClickHouse(failures=1)
    batcher = running(clickhouse, batch_size=1, flush_interval=30)
    with caplog.at_level(logging.ERROR, logger="sandbox.budgateway.batcher"):
        batcher.add("InferenceFact", {"n": 1})
        await wait_for(lambda: "not written" in caplog.text)
    batcher.add("InferenceFact", {"n": 2})
    await wait_for(lambda: clickhouse.inserts)
    assert clickhouse.inserts == [("InferenceFact", [{"n": 2}])]
    assert "Memory limit exceeded" in caplog.text


async def test_a_full_buffer_drops_rows_instead_of_growing(monkeypatch, caplog):
    monkeypatch.setattr(batcher_module, "BUFFER_LIMIT", 2)
    batcher = InferenceBatcher(cast(ClickHouseHTTP, FakeClickHouse()), batch_size=500, flush_interval=30)
    with caplog.at_level(logging.ERROR, logger="sandbox.budgateway.batcher"):
        for i in range(3):
            batcher.add("InferenceFact", {"n": i})
    assert "buffer full" in caplog.text
    assert batcher._pending["InferenceFact"] == [{"n": 0}, {"n": 1}]
