"""ClickHouse's HTTP interface in front of chdb (the ClickHouse engine, embedded).

    python -m sandbox.clickhouse.server --host 127.0.0.1 --port 18123 --path DATA_DIR

Enough of the interface for clickhouse-connect and plain HTTP clients: queries
in the ``query`` parameter and/or the body, ``database`` and ``default_format``,
server-side ``param_*`` bindings, INSERT with data in the body (any format,
compressed or not), ClickHouse's response headers and error bodies, optional
credentials. chdb is not thread-safe: queries run one at a time off the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import uuid
import zlib
from base64 import b64decode
from pathlib import Path

import uvicorn
from chdb import session as chdb_session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger("sandbox.clickhouse")

INSERT_WITH_FORMAT = re.compile(
    rb"^\s*INSERT\s+INTO\s+(?P<table>[\w.`\"]+)\s*(?P<columns>\([^)]*\))?\s*FORMAT\s+(?P<format>\w+)[ \t]*(\r?\n|$)",
    re.IGNORECASE,
)
ERROR_CODE = re.compile(r"Code:\s*(\d+)")
HTTP_STATUS_BY_CODE = {60: 404, 81: 404, 62: 400, 47: 400, 516: 401}
SELF_DESCRIBING_FORMATS = {"native", "parquet", "arrow", "arrowstream", "avro", "orc", "jsoneachrow", "csvwithnames",
                           "csvwithnamesandtypes", "tabseparatedwithnames", "tabseparatedwithnamesandtypes", "rowbinarywithnamesandtypes"}


class Engine:
    """One chdb session, used by one query at a time."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.session = chdb_session.Session(str(path))
        self.lock = threading.Lock()
        self.scratch = Path(tempfile.mkdtemp(prefix="chdb-http-"))

    def run(self, sql: str, fmt: str, database: str, params: dict[str, str]) -> bytes:
        with self.lock:
            self.session.query(f"USE {quote_identifier(database)}")
            result = self.session.query(sql, fmt, params=params or None)
            return result.bytes()

    def insert(self, table: str, columns: str | None, fmt: str, data: bytes, database: str) -> None:
        """INSERT ... FORMAT X with its data: staged in a file the engine reads with file()."""
        staged = self.scratch / f"{uuid.uuid4().hex}.{fmt.lower()}"
        staged.write_bytes(data)
        try:
            structure = "" if fmt.lower() in SELF_DESCRIBING_FORMATS else f", {sql_string(self.structure(table, columns, database))}"
            target = f"{table} {columns or ''}"
            self.run(f"INSERT INTO {target} SELECT * FROM file({sql_string(str(staged))}, {sql_string(fmt)}{structure})",
                     "TabSeparated", database, {})
        finally:
            staged.unlink(missing_ok=True)

    def structure(self, table: str, columns: str | None, database: str) -> str:
        """'name Type, ...' of the target columns, for formats that carry no types."""
        db, _, name = table.replace("`", "").replace('"', "").rpartition(".")
        rows = self.run(
            f"SELECT name, type FROM system.columns WHERE database = {sql_string(db or database)} "
            f"AND table = {sql_string(name)} ORDER BY position", "TabSeparated", "default", {},
        ).decode().splitlines()
        types = dict(line.split("\t", 1) for line in rows if line)
        wanted = [c.strip().strip("`\"") for c in columns.strip("()").split(",")] if columns else list(types)
        return ", ".join(f"{c} {types[c]}" for c in wanted)


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "") + "`"


def decode_body(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "").lower()
    if not body or encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.decompress(body)
    if encoding == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    raise ValueError(f"unsupported Content-Encoding {encoding}")


def split_insert(url_query: str, body: bytes) -> tuple[re.Match | None, bytes]:
    """An ``INSERT ... FORMAT X`` and its data: the query in the URL and data in the body, or both in the body."""
    if url_query:
        match = INSERT_WITH_FORMAT.match(url_query.encode()) if body else None
        return match, body
    match = INSERT_WITH_FORMAT.match(body)
    return (match, body[match.end():]) if match else (None, body)


def credentials(request: Request) -> tuple[str, str]:
    user = request.headers.get("x-clickhouse-user") or request.query_params.get("user")
    key = request.headers.get("x-clickhouse-key") or request.query_params.get("password")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        user, _, key = b64decode(auth[6:]).decode().partition(":")
    return user or "default", key or ""


def error_response(message: str, query_id: str) -> Response:
    match = ERROR_CODE.search(message)
    code = int(match.group(1)) if match else 1002
    text = message if message.startswith("Code:") else f"Code: {code}. DB::Exception: {message}"
    return PlainTextResponse(
        text.rstrip() + "\n", status_code=HTTP_STATUS_BY_CODE.get(code, 500),
        headers={"X-ClickHouse-Exception-Code": str(code), "X-ClickHouse-Query-Id": query_id},
    )


def build_app(engine: Engine, user: str, password: str, display_name: str) -> Starlette:
    async def handle(request: Request) -> Response:
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        given_user, given_key = credentials(request)
        if given_user != user or not secrets.compare_digest(given_key, password):
            return error_response(f"Code: 516. DB::Exception: {given_user}: Authentication failed. (AUTHENTICATION_FAILED)", query_id)
        try:
            body = decode_body(await request.body(), request.headers.get("content-encoding"))
        except Exception as exc:  # noqa: BLE001 - reported to the client as ClickHouse would
            return error_response(f"Code: 271. DB::Exception: Cannot decompress request body: {exc}", query_id)
        url_query = request.query_params.get("query", "")
        database = request.query_params.get("database") or "default"
        params = {k[6:]: v for k, v in request.query_params.items() if k.startswith("param_")}
        fmt = request.query_params.get("default_format") or "TabSeparated"
        if not url_query and not body:
            return PlainTextResponse("Ok.\n")
        insert, data = split_insert(url_query, body)
        started = asyncio.get_running_loop().time()
        try:
            if insert:
                table, columns, data_format = (g.decode() if g else None for g in insert.group("table", "columns", "format"))
                await asyncio.to_thread(engine.insert, table, columns, data_format, data, database)
                output = b""
            else:
                sql = f"{url_query}\n{body.decode()}" if url_query and body else (url_query or body.decode())
                output = await asyncio.to_thread(engine.run, sql, fmt, database, params)
        except Exception as exc:  # noqa: BLE001 - the engine's message goes back to the client
            log.info("query %s failed: %s", query_id, str(exc).splitlines()[0][:200])
            return error_response(str(exc), query_id)
        elapsed = asyncio.get_running_loop().time() - started
        log.info("query %s ok in %.1f ms (%d bytes)", query_id, elapsed * 1000, len(output))
        summary = {"read_rows": "0", "read_bytes": "0", "written_rows": "0", "written_bytes": "0",
                   "total_rows_to_read": "0", "result_rows": "0", "result_bytes": str(len(output)),
                   "elapsed_ns": str(int(elapsed * 1e9))}
        return Response(output, media_type="text/plain; charset=UTF-8", headers={
            "X-ClickHouse-Query-Id": query_id, "X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": "UTC",
            "X-ClickHouse-Server-Display-Name": display_name, "X-ClickHouse-Summary": json.dumps(summary),
        })

    async def ping(request: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    return Starlette(routes=[Route("/ping", ping), Route("/", handle, methods=["GET", "POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description="ClickHouse HTTP interface over chdb")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18123)
    parser.add_argument("--path", type=Path, required=True, help="data directory")
    parser.add_argument("--user", default=os.environ.get("CLICKHOUSE_USER", "default"))
    parser.add_argument("--password", default=os.environ.get("CLICKHOUSE_PASSWORD", ""))
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    engine = Engine(options.path)
    app = build_app(engine, options.user, options.password, f"chdb-sandbox-{options.port}")
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
