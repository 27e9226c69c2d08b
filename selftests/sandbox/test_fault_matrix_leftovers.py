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
CREATE TABLE cluster (name VARCHAR, status VARCHAR, cluster_id INTEGER);
CREATE TABLE budcluster.cluster (name VARCHAR, status VARCHAR, id INTEGER);
"""
ROWS: dict[str, list[tuple[object, ...]]] = {
    "endpoint": [
        ("e2e-1-gw0-endpoint-a", "deleting"),
        ("e2e-1-gw0-endpoint-b", "running"),
        ("prod-endpoint", "deleting"),
    ],
    # b: budapp still has it, and so does budcluster (the API deletes both); e: budcluster lost it
    "cluster": [
        ("e2e-1-gw0-cluster-a", "deleting", 1),
        ("e2e-1-gw0-cluster-b", "available", 2),
        ("prod-cluster", "deleting", 9),
        ("e2e-1-gw0-cluster-e", "available", 5),
    ],
    "budcluster.cluster": [
        ("e2e-1-gw0-cluster-a", "available", 1),
        ("e2e-1-gw0-cluster-b", "available", 2),
        ("e2e-1-gw0-cluster-c", "not_available", 3),
        ("e2e-1-gw0-cluster-d", "deleted", 4),
        ("e2e-1-gw0-cluster-e", "deleted", 5),
        ("prod-cluster", "available", 9),
    ],
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
            marks = ", ".join(f"${i + 1}" for i in range(len(rows[0])))
            await connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
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
    assert asyncio.run(fault_matrix.retire_stranded_rows("e2e")) == 5
    assert asyncio.run(statuses(database)) == {
        "endpoint": {"e2e-1-gw0-endpoint-a": "deleted", "e2e-1-gw0-endpoint-b": "running", "prod-endpoint": "deleting"},
        "cluster": {
            "e2e-1-gw0-cluster-a": "deleted",
            "e2e-1-gw0-cluster-b": "available",
            "prod-cluster": "deleting",
            "e2e-1-gw0-cluster-e": "deleted",
        },
        "budcluster.cluster": {
            "e2e-1-gw0-cluster-a": "deleted",
            "e2e-1-gw0-cluster-b": "available",
            "e2e-1-gw0-cluster-c": "deleted",
            "e2e-1-gw0-cluster-d": "deleted",
            "e2e-1-gw0-cluster-e": "deleted",
            "prod-cluster": "available",
        },
    }
    assert asyncio.run(fault_matrix.retire_stranded_rows("e2e")) == 0
