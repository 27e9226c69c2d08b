"""The fault matrix retires what a faulty run stranded, and nothing else."""

import asyncio
import types

import asyncpg
import pytest

from sandbox import fault_matrix
from selftests.sandbox.isolated import database_name

SERVER = "postgresql://postgres@127.0.0.1:5432"
TABLES = """
CREATE SCHEMA budcluster;
CREATE TABLE endpoint (name VARCHAR, status VARCHAR);
CREATE TABLE cluster (name VARCHAR, status VARCHAR);
CREATE TABLE budcluster.cluster (name VARCHAR, status VARCHAR);
"""
ROWS = {
    "endpoint": [("e2e-1-gw0-endpoint-a", "deleting"), ("e2e-1-gw0-endpoint-b", "running"),
                 ("prod-endpoint", "deleting")],
    "cluster": [("e2e-1-gw0-cluster-a", "deleting"), ("e2e-1-gw0-cluster-b", "available"),
                ("prod-cluster", "deleting")],
    "budcluster.cluster": [("e2e-1-gw0-cluster-a", "available"), ("e2e-1-gw0-cluster-c", "not_available"),
                           ("e2e-1-gw0-cluster-d", "deleted"), ("prod-cluster", "available")],
}


@pytest.fixture
def database(monkeypatch):
    name = database_name("bud_e2e_selftest_stranded")

    async def create() -> None:
        server = await asyncpg.connect(f"{SERVER}/postgres")
        await server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await server.execute(f'CREATE DATABASE "{name}"')
        await server.close()
        connection = await asyncpg.connect(f"{SERVER}/{name}")
        await connection.execute(TABLES)
        for table, rows in ROWS.items():
            await connection.executemany(f"INSERT INTO {table} VALUES ($1, $2)", rows)
        await connection.close()

    asyncio.run(create())
    monkeypatch.setattr(fault_matrix, "get_settings", lambda: types.SimpleNamespace(postgres_dsn=f"{SERVER}/{name}"))
    yield f"{SERVER}/{name}"

    async def drop() -> None:
        server = await asyncpg.connect(f"{SERVER}/postgres")
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()

    asyncio.run(drop())


async def statuses(dsn: str) -> dict[str, dict[str, str]]:
    connection = await asyncpg.connect(dsn)
    try:
        return {table: dict(await connection.fetch(f"SELECT name, status FROM {table}")) for table in ROWS}
    finally:
        await connection.close()


def test_stranded_deletions_and_budcluster_orphans_of_the_prefix_are_retired(database):
    assert asyncio.run(fault_matrix.retire_stranded_rows("e2e")) == 4
    assert asyncio.run(statuses(database)) == {
        "endpoint": {"e2e-1-gw0-endpoint-a": "deleted", "e2e-1-gw0-endpoint-b": "running",
                     "prod-endpoint": "deleting"},
        "cluster": {"e2e-1-gw0-cluster-a": "deleted", "e2e-1-gw0-cluster-b": "available",
                    "prod-cluster": "deleting"},
        "budcluster.cluster": {"e2e-1-gw0-cluster-a": "deleted", "e2e-1-gw0-cluster-c": "deleted",
                               "e2e-1-gw0-cluster-d": "deleted", "prod-cluster": "available"},
    }
    assert asyncio.run(fault_matrix.retire_stranded_rows("e2e")) == 0
