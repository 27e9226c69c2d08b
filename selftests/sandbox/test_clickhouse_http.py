"""The chdb HTTP front speaks enough ClickHouse HTTP for clickhouse-connect and curl-style clients."""

import datetime
import socket
import subprocess
import sys
import time
import uuid

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from helpers.config import SUITE_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.clickhouse.server", "--port", str(port), "--path", str(path), *extra],
        cwd=SUITE_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).text == "Ok.\n":
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the ClickHouse front did not answer /ping on port {port} within 30s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("chdb")
    port = free_port()
    state = {"port": port, "path": path, "process": start_server(port, path)}
    yield state
    state["process"].terminate()  # the latest one: a test may have restarted it
    state["process"].wait(10)


ROWS = [
    ["alpha", 1, 1.5, datetime.datetime(2026, 1, 1, 12, 0, 1), uuid.UUID(int=1)],
    ["beta", 2, 2.25, datetime.datetime(2026, 1, 2, 0, 0, 0), uuid.UUID(int=2)],
]
COLUMNS = ["name", "n", "score", "at", "id"]


@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "plain"])
def test_create_insert_query_round_trip(server, compress):
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server["port"], compress=compress)
    database = f"rt_{'c' if compress else 'p'}"
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.command(f"CREATE TABLE {database}.items (name String, n UInt64, score Float64, at DateTime, id UUID) "
                   "ENGINE = MergeTree ORDER BY n")
    client.insert(f"{database}.items", ROWS, column_names=COLUMNS)
    assert [list(r) for r in client.query(f"SELECT * FROM {database}.items ORDER BY n").result_rows] == ROWS
    assert client.command(f"SELECT count() FROM {database}.items") == 2
    bound = client.query(f"SELECT name FROM {database}.items WHERE n = {{n:UInt64}}", parameters={"n": 2})
    assert bound.result_rows == [("beta",)]


def test_engine_errors_reach_the_client(server):
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server["port"])
    with pytest.raises(DatabaseError, match="UNKNOWN_TABLE"):
        client.query("SELECT * FROM no_such_table")


def test_plain_http_clients(server):
    url = f"http://127.0.0.1:{server['port']}/"
    answer = httpx.post(url, params={"query": "SELECT number AS n FROM system.numbers LIMIT 2 FORMAT JSONEachRow"})
    assert answer.status_code == 200 and answer.text == '{"n":0}\n{"n":1}\n'
    assert answer.headers["X-ClickHouse-Timezone"] == "UTC" and answer.headers["X-ClickHouse-Query-Id"]
    failed = httpx.post(url, content=b"SELEKT 1")
    assert failed.status_code == 400 and failed.text.startswith("Code: 62.")
    assert failed.headers["X-ClickHouse-Exception-Code"] == "62"


def test_data_survives_a_restart(server):
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server["port"])
    client.command("CREATE TABLE IF NOT EXISTS default.kept (v UInt8) ENGINE = MergeTree ORDER BY v")
    client.insert("default.kept", [[7]], column_names=["v"])
    server["process"].terminate()
    server["process"].wait(10)
    server["process"] = start_server(server["port"], server["path"])
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server["port"])
    assert client.command("SELECT sum(v) FROM default.kept") == 7


def test_credentials_are_enforced_when_configured(tmp_path):
    port = free_port()
    process = start_server(port, tmp_path, "--user", "e2e", "--password", "s3cret-pw")
    try:
        good = clickhouse_connect.get_client(host="127.0.0.1", port=port, username="e2e", password="s3cret-pw")
        assert good.command("SELECT 1") == 1
        with pytest.raises(DatabaseError, match="AUTHENTICATION_FAILED"):
            clickhouse_connect.get_client(host="127.0.0.1", port=port, username="e2e", password="wrong")
    finally:
        process.terminate()
        process.wait(10)
