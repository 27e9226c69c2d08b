"""The chdb HTTP front speaks enough of ClickHouse's HTTP interface for clickhouse-connect and plain HTTP clients."""

from __future__ import annotations

import datetime
import gzip
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import clickhouse_connect
import httpx
import lz4.block
import lz4.frame
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from sandbox.clickhouse.server import decode_body, decode_native_blocks, loggable, parse_statement

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["name", "n", "score", "at", "id"]
ROWS = [
    ["alpha", 1, 1.5, datetime.datetime(2026, 1, 1, 12, 0, 1), uuid.UUID(int=1)],
    ["beta 'quoted'\t\n", 2, -2.25, datetime.datetime(2026, 1, 2, 0, 0, 0), uuid.uuid4()],
    ["", 3, 0.0, datetime.datetime(1970, 1, 1, 0, 0, 0), uuid.uuid4()],
]
TABLE_DDL = "(name String, n UInt64, score Float64, at DateTime, id UUID) ENGINE = MergeTree ORDER BY n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Front:
    """One server process on a free loopback port, with its data directory and its log."""

    def __init__(self, path: Path, *options: str) -> None:
        self.path, self.options, self.port = path, options, free_port()
        self.log = path.parent / f"{path.name}.log"
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.startup_seconds = 0.0

    def start(self) -> Front:
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sandbox.clickhouse.server",
                    "--port",
                    str(self.port),
                    "--path",
                    str(self.path),
                    *self.options,
                ],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.monotonic() - started < 20:
            try:
                if httpx.get(f"{self.url}ping", timeout=1).text == "Ok.\n":
                    self.startup_seconds = time.monotonic() - started
                    return self
            except httpx.HTTPError:
                assert self.process.poll() is None, self.log.read_text()
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"no answer on /ping within 20 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        assert self.process is not None, "the server was never started"
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def client(self, **options):
        return clickhouse_connect.get_client(
            host="127.0.0.1", port=self.port, username="default", password="", **options
        )


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    server = Front(tmp_path_factory.mktemp("chdb") / "data").start()
    yield server
    server.stop()


def test_ping_and_root_answer_ok(front):
    assert front.startup_seconds < 10
    assert httpx.get(f"{front.url}ping").text == "Ok.\n"
    assert httpx.get(front.url).text == "Ok.\n"


@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "plain"])
def test_create_insert_query_round_trip(front, compress):
    client = front.client(compress=compress)
    database = f"round_trip_{'compressed' if compress else 'plain'}"
    client.command(f"CREATE DATABASE {database}")
    client.command(f"CREATE TABLE {database}.items {TABLE_DDL}")
    summary = client.insert(f"{database}.items", ROWS, column_names=COLUMNS)
    assert summary.written_rows == len(ROWS)
    assert [list(row) for row in client.query(f"SELECT * FROM {database}.items ORDER BY n").result_rows] == ROWS
    assert client.command(f"SELECT count() FROM {database}.items") == len(ROWS)
    bound = client.query(f"SELECT name FROM {database}.items WHERE n = {{n:UInt64}}", parameters={"n": 1})
    assert bound.result_rows == [("alpha",)]
    assert client.query(
        f"SELECT n FROM {database}.items WHERE n > %(n)s ORDER BY n", parameters={"n": 1}
    ).result_rows == [(2,), (3,)]


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip"])
def test_insert_of_several_compressed_blocks(front, compress):
    client = front.client(compress=compress)
    table = f"default.big_{compress}"
    client.command(f"CREATE TABLE {table} (n UInt64, text String) ENGINE = MergeTree ORDER BY n")
    client.insert(table, [[n, "x" * 300_000] for n in range(25)], column_names=["n", "text"])  # about 8 rows a block
    assert client.query(f"SELECT count(), sum(length(text)) FROM {table}").result_rows == [(25, 25 * 300_000)]


def test_engine_errors_reach_the_client(front):
    client = front.client()
    with pytest.raises(DatabaseError, match="Unknown table expression identifier 'no_such_table'") as raised:
        client.query("SELECT * FROM no_such_table")
    assert "UNKNOWN_TABLE" in str(raised.value) and raised.value.code == 60
    with pytest.raises(DatabaseError, match="Syntax error"):
        client.command("SELEKT 1")
    assert client.command("SELECT 1") == 1


def test_plain_http_queries(front):
    answer = httpx.post(
        front.url, params={"query": "SELECT number AS n FROM numbers(2) FORMAT JSONEachRow", "query_id": "q-1"}
    )
    assert answer.status_code == 200 and answer.text == '{"n":0}\n{"n":1}\n'
    assert answer.headers["X-ClickHouse-Query-Id"] == "q-1"
    assert answer.headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert answer.headers["X-ClickHouse-Timezone"] == "UTC"
    assert json.loads(answer.headers["X-ClickHouse-Summary"])["result_rows"] == "2"
    assert httpx.post(front.url, content=b"SELECT 'body'").text == "body\n"
    assert httpx.post(front.url, params={"query": "SELECT 40"}, content=b"+ 2").text == "42\n"
    assert httpx.get(front.url, params={"query": "SELECT {x:UInt8} + 1", "param_x": "6"}).text == "7\n"
    assert (
        httpx.get(
            front.url,
            params={"query": "SELECT currentDatabase()", "database": "system", "default_format": "JSONEachRow"},
        ).text
        == '{"currentDatabase()":"system"}\n'
    )


def test_settings_apply_to_their_request_only(front):
    ask = {"query": "SELECT getSetting('max_result_rows')"}
    assert httpx.get(front.url, params={**ask, "max_result_rows": "7"}).text == "7\n"
    assert httpx.get(front.url, params=ask).text == "0\n"


@pytest.mark.parametrize(
    ("sql", "status", "code"),
    [
        ("SELECT * FROM no_such_table", 404, "60"),
        ("SELEKT 1", 400, "62"),
        ("SELECT 1; SELECT 2", 400, "62"),
        ("", 400, "62"),
    ],
)
def test_plain_http_errors(front, sql, status, code):
    answer = httpx.post(front.url, content=sql.encode())
    assert answer.status_code == status
    assert answer.headers["X-ClickHouse-Exception-Code"] == code
    assert answer.text.startswith(f"Code: {code}. DB::Exception: ")


def test_plain_http_inserts(front):
    def post(sql: str, body: bytes = b"", headers=None, **params) -> httpx.Response:
        answer = httpx.post(
            front.url,
            params={"query": sql, **params} if body else params,
            content=body or sql.encode(),
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        return answer

    post("CREATE TABLE default.events (n UInt64, tag String DEFAULT 'none') ENGINE = MergeTree ORDER BY n")
    written = post("INSERT INTO default.events FORMAT JSONEachRow", b'{"tag": "json", "n": 1}\n{"n": 2}\n')
    assert json.loads(written.headers["X-ClickHouse-Summary"])["written_rows"] == "2"
    post("INSERT INTO default.events (n, tag) VALUES (3, 'values')")
    post("INSERT INTO default.events FORMAT CSV", gzip.compress(b"4,gzip\n"), {"Content-Encoding": "gzip"})
    post("INSERT INTO default.events FORMAT TSV", lz4.frame.compress(b"5\tlz4\n"), {"Content-Encoding": "lz4"})
    post("INSERT INTO default.events FORMAT TSV", native_block(b"6\tclickhouse-compressed\n"), decompress="1")
    stored = post("SELECT n, tag FROM default.events ORDER BY n FORMAT JSONCompactEachRow").text
    assert [json.loads(line) for line in stored.splitlines()] == [
        [1, "json"],
        [2, "none"],
        [3, "values"],
        [4, "gzip"],
        [5, "lz4"],
        [6, "clickhouse-compressed"],
    ]


def native_block(data: bytes) -> bytes:
    """``data`` in one of ClickHouse's own compressed blocks (LZ4), checksum zeroed."""
    block = lz4.block.compress(data, store_size=False)
    return b"\x00" * 16 + b"\x82" + (9 + len(block)).to_bytes(4, "little") + len(data).to_bytes(4, "little") + block


def test_form_encoded_parameters(front):
    client = front.client(form_encode_query_params=True)
    assert client.query("SELECT {text:String}", parameters={"text": "via a form"}).result_rows == [("via a form",)]


def test_data_survives_a_restart(front):
    client = front.client()
    client.command("CREATE TABLE default.kept (v UInt8) ENGINE = MergeTree ORDER BY v")
    client.insert("default.kept", [[7], [8]], column_names=["v"])
    front.stop()
    front.start()
    assert front.client().command("SELECT sum(v) FROM default.kept") == 15


def test_credentials_are_enforced_when_configured(tmp_path):
    secret = "s3cret-pw"
    server = Front(tmp_path / "data", "--user", "e2e", "--password", secret).start()
    try:
        good = clickhouse_connect.get_client(host="127.0.0.1", port=server.port, username="e2e", password=secret)
        assert good.command("SELECT 1") == 1
        with pytest.raises(DatabaseError, match="AUTHENTICATION_FAILED"):
            clickhouse_connect.get_client(host="127.0.0.1", port=server.port, username="e2e", password="wrong")
        query = {"query": "SELECT 2"}
        assert (
            httpx.get(server.url, params=query, headers={"X-ClickHouse-User": "e2e", "X-ClickHouse-Key": secret}).text
            == "2\n"
        )
        assert httpx.get(server.url, params={**query, "user": "e2e", "password": secret}).text == "2\n"
        refused = httpx.get(server.url, params=query)
        assert refused.status_code == 403 and refused.headers["X-ClickHouse-Exception-Code"] == "516"
    finally:
        server.stop()
    log = server.log.read_text()
    assert "status=200" in log and "sql=SELECT 2" in log and secret not in log


def test_inline_insert_data_is_split_from_its_statement():
    insert = parse_statement(b"INSERT INTO db.format (a, `format`) SETTINGS x = 'FORMAT' FORMAT Native \n\x00FORMAT")
    assert (insert.kind, insert.sql, insert.data_format, insert.data) == (
        "INSERT",
        b"INSERT INTO db.format (a, `format`) SETTINGS x = 'FORMAT'",
        "Native",
        b"\x00FORMAT",
    )
    values = parse_statement(b"insert into t values (1, 'a')")
    assert (values.sql, values.data_format, values.data) == (b"insert into t", "Values", b" (1, 'a')")
    assert parse_statement(b"INSERT INTO t SELECT 1 FORMAT x").data is None
    query = parse_statement(b"SELECT format('{}', 1) AS format -- FORMAT CSV\nFORMAT JSON;")
    assert (query.kind, query.output_format, query.produces_result) == ("SELECT", "JSON", True)
    assert parse_statement(b"CREATE TABLE t (format String) ENGINE = Log").produces_result is False


def test_request_bodies_are_decoded():
    assert decode_body(lz4.frame.compress(b"one ") + lz4.frame.compress(b"two"), "lz4") == b"one two"
    assert decode_body(gzip.compress(b"gz"), "gzip") == b"gz"
    assert decode_native_blocks(native_block(b"one ") + native_block(b"two")) == b"one two"
    assert "pw" not in loggable(b"CREATE USER u IDENTIFIED WITH sha256_password BY 'pw'")
