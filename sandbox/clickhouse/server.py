"""ClickHouse's HTTP interface in front of chdb (the ClickHouse engine, embedded).

    python -m sandbox.clickhouse.server --host 127.0.0.1 --port 18123 --path DATA_DIR

Enough of the interface for clickhouse-connect and plain HTTP clients: the query in
the ``query`` parameter and/or the body, ``database``, ``default_format``, settings as
parameters, server-side ``param_*`` bindings, INSERT with its data in the body (any
input format; ``Content-Encoding`` lz4/zstd/gzip/deflate/br or ``decompress=1``),
ClickHouse's response headers, error bodies and HTTP statuses, optional credentials.
One chdb session holds the data under ``--path``; statements run one at a time on a
dedicated thread, off the event loop. Responses are never compressed.
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
import socket
import sys
import threading
import time
import uuid
import zlib
from base64 import b64decode
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger("sandbox.clickhouse")

# URL parameters of the HTTP interface that are not settings of the query.
RESERVED_PARAMS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "close_session",
        "user",
        "password",
        "quota_key",
        "role",
        "buffer_size",
        "wait_end_of_query",
        "compress",
        "decompress",
        "client_protocol_version",
        "stacktrace",
        "readonly",
        "enable_http_compression",
        "http_zlib_compression_level",
        "http_native_compression_disable_checksumming_on_decompress",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
    }
)
# Output "formats" that chdb turns into Python objects instead of bytes.
CHDB_PSEUDO_FORMATS = frozenset({"dataframe", "datastore", "arrowtable", "debug"})
RESULT_STATEMENTS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "("})
# From ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp; anything else is 500.
HTTP_STATUS_BY_ERROR = {
    "REQUIRED_PASSWORD": 401,
    **dict.fromkeys(
        ("UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"), 403
    ),
    **dict.fromkeys(
        (
            "BAD_ARGUMENTS",
            "CANNOT_COMPILE_REGEXP",
            "CANNOT_PARSE_TEXT",
            "CANNOT_PARSE_ESCAPE_SEQUENCE",
            "CANNOT_PARSE_QUOTED_STRING",
            "CANNOT_PARSE_DATE",
            "CANNOT_PARSE_DATETIME",
            "CANNOT_PARSE_NUMBER",
            "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
            "CANNOT_PARSE_IPV4",
            "CANNOT_PARSE_IPV6",
            "CANNOT_PARSE_UUID",
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            "DUPLICATE_COLUMN",
            "ILLEGAL_COLUMN",
            "THERE_IS_NO_COLUMN",
            "UNKNOWN_ELEMENT_IN_AST",
            "UNKNOWN_TYPE_OF_AST_NODE",
            "TOO_DEEP_AST",
            "TOO_BIG_AST",
            "UNEXPECTED_AST_STRUCTURE",
            "SYNTAX_ERROR",
            "INCORRECT_DATA",
            "TYPE_MISMATCH",
            "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
        ),
        400,
    ),
    **dict.fromkeys(
        (
            "UNKNOWN_TABLE",
            "UNKNOWN_FUNCTION",
            "UNKNOWN_IDENTIFIER",
            "UNKNOWN_TYPE",
            "UNKNOWN_STORAGE",
            "UNKNOWN_DATABASE",
            "UNKNOWN_SETTING",
            "UNKNOWN_DIRECTION_OF_SORTING",
            "UNKNOWN_AGGREGATE_FUNCTION",
            "UNKNOWN_FORMAT",
            "UNKNOWN_DATABASE_ENGINE",
            "UNKNOWN_TYPE_OF_QUERY",
            "UNKNOWN_ROLE",
        ),
        404,
    ),
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    **dict.fromkeys(("SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"), 503),
    "HTTP_LENGTH_REQUIRED": 411,
    "TIMEOUT_EXCEEDED": 408,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}
BINARY_FORMATS = (
    "native",
    "rowbinary",
    "parquet",
    "arrow",
    "orc",
    "avro",
    "msgpack",
    "bson",
    "protobuf",
    "capnproto",
    "npy",
)

ENGINE_MESSAGE = re.compile(r"Code: (\d+)\. DB::Exception: (.*)", re.DOTALL)
NESTED_PREFIX = re.compile(r"^(?:Code: \d+\. DB::Exception: )+")
ERROR_SUFFIX = re.compile(r"(?:\.?\s*\(([A-Z][A-Z0-9_]*)\)(?:\s*\(version [^)]*\))?)+\s*$")
PASSWORD_LITERAL = re.compile(r"(?i)(\bBY\s+)'(?:[^'\\]|\\.)*'")
TOKEN = re.compile(
    rb"""(?P<skip>\s+|--[^\n]*|/\*.*?\*/)
       |(?P<literal>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`\\]|\\.|``)*`)
       |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
       |(?P<number>[0-9][A-Za-z0-9_.]*)
       |(?P<symbol>.)""",
    re.DOTALL | re.VERBOSE,
)


class ClickHouseError(Exception):
    """An error, reported to the client the way ClickHouse reports it."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(message)
        self.code, self.name, self.message = code, name, message

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """The engine's ``Code: N. DB::Exception: ... (NAME)``, unwrapped from chdb's nesting."""
        if isinstance(exc, ClickHouseError):
            return exc
        text = str(exc).strip()
        match = ENGINE_MESSAGE.search(text)
        if not match:
            return cls(1002, "UNKNOWN_EXCEPTION", text or type(exc).__name__)
        message = NESTED_PREFIX.sub("", match.group(2))
        suffix = ERROR_SUFFIX.search(message)
        name = suffix.group(1) if suffix else "UNKNOWN_EXCEPTION"
        return cls(int(match.group(1)), name, message[: suffix.start()] if suffix else message)

    @property
    def status(self) -> int:
        return HTTP_STATUS_BY_ERROR.get(self.name, 500)

    def body(self, version: str) -> str:
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) (version {version})\n"


# -- request bodies -----------------------------------------------------------------


def decode_body(body: bytes, content_encoding: str | None) -> bytes:
    """The body without its ``Content-Encoding`` (each encoding may span several frames)."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    for encoding in reversed(encodings):
        if not body or encoding == "identity":
            continue
        try:
            body = _decoders()[encoding](body)
        except KeyError:
            raise ClickHouseError(36, "BAD_ARGUMENTS", f"Unknown HTTP compression method: {encoding}") from None
        except Exception as exc:
            raise ClickHouseError(271, "CANNOT_DECOMPRESS", f"Cannot decompress {encoding} body: {exc}") from None
    return body


def _decoders() -> dict:
    decoders = {
        "gzip": gzip.decompress,
        "x-gzip": gzip.decompress,
        "deflate": _inflate,
        "lz4": _lz4_frames,
        "zstd": _zstd().decompress,
    }
    try:
        import brotli
    except ImportError:
        return decoders
    return {**decoders, "br": brotli.decompress}


def _zstd():
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def _inflate(body: bytes) -> bytes:
    """zlib-wrapped deflate, as HTTP specifies it, or the raw deflate some clients send."""
    try:
        return zlib.decompress(body)
    except zlib.error:
        return zlib.decompress(body, -zlib.MAX_WBITS)


def _lz4_frames(body: bytes) -> bytes:
    import lz4.frame

    chunks, view = [], memoryview(body)
    while view:
        chunk, used = lz4.frame.decompress(view, return_bytes_read=True)
        chunks.append(chunk)
        view = view[used:]
    return b"".join(chunks)


def decode_native_blocks(body: bytes) -> bytes:
    """A body in ClickHouse's own compressed blocks (``decompress=1``); checksums are not verified."""
    import lz4.block

    out, position = [], 0
    while position < len(body):
        method = body[position + 16]
        size = int.from_bytes(body[position + 17 : position + 21], "little")
        raw_size = int.from_bytes(body[position + 21 : position + 25], "little")
        payload = body[position + 25 : position + 16 + size]
        if method == 0x02:
            out.append(payload)
        elif method == 0x82:
            out.append(lz4.block.decompress(payload, uncompressed_size=raw_size))
        elif method == 0x90:
            out.append(_zstd().decompress(payload))
        else:
            raise ClickHouseError(271, "CANNOT_DECOMPRESS", f"Unknown compression method 0x{method:02x}")
        position += 16 + size
    return b"".join(out)


# -- statements ---------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement as received; an INSERT with data is split into its head and its data."""

    kind: str
    sql: bytes
    output_format: str | None = None
    data_format: str | None = None
    data: bytes | None = None

    @property
    def produces_result(self) -> bool:
        return self.kind in RESULT_STATEMENTS


def significant_tokens(text: bytes) -> Iterator[re.Match[bytes]]:
    return (m for m in TOKEN.finditer(text) if m.lastgroup != "skip")


def keyword(token: re.Match[bytes] | None) -> bytes:
    return token.group().upper() if token is not None and token.lastgroup == "word" else b""


def parse_statement(text: bytes) -> Statement:
    """Classify the statement; find an INSERT's inline data or a query's FORMAT clause."""
    tokens = significant_tokens(text)
    first = next(tokens, None)
    if first is None:
        raise ClickHouseError(62, "SYNTAX_ERROR", "Empty query")
    kind = (keyword(first) or first.group()).decode(errors="replace")
    if kind == "INSERT":
        return split_insert(text, tokens) or Statement(kind, text)
    return Statement(kind, text, output_format=format_clause(first, tokens))


def split_insert(text: bytes, tokens: Iterator[re.Match[bytes]]) -> Statement | None:
    """``INSERT ... FORMAT name <data>`` or ``INSERT ... VALUES <data>``; None for INSERT ... SELECT."""
    depth, previous = 0, b""
    for token in tokens:
        value, word = token.group(), keyword(token)
        if value in (b"(", b"["):
            depth += 1
        elif value in (b")", b"]"):
            depth -= 1
        elif depth == 0 and word and previous not in (b"INTO", b"TABLE", b"FUNCTION", b"."):
            if word == b"FORMAT":
                name = next(tokens, None)
                if name is None or not keyword(name):
                    return None
                return Statement(
                    "INSERT",
                    text[: token.start()].rstrip(),
                    data_format=name.group().decode(),
                    data=text[data_start(text, name.end()) :],
                )
            if word == b"VALUES":
                return Statement(
                    "INSERT", text[: token.start()].rstrip(), data_format="Values", data=text[token.end() :]
                )
            if word in (b"SELECT", b"WITH"):
                return None
        previous = word or value
    return None


def data_start(text: bytes, position: int) -> int:
    """Inline data starts after the first newline, if there is one, else after the spaces (as in ClickHouse)."""
    while position < len(text) and text[position] in b" \t\f":
        position += 1
    if text.startswith(b"\r", position):
        position += 1
    if text.startswith(b"\n", position):
        position += 1
    return position


def format_clause(first: re.Match[bytes], rest: Iterator[re.Match[bytes]]) -> str | None:
    """The name in a trailing ``FORMAT name [SETTINGS ...]``; rejects several statements."""
    tokens, depth, found = [first, *rest], 0, None
    for index, token in enumerate(tokens):
        value = token.group()
        if value in (b"(", b"["):
            depth += 1
        elif value in (b")", b"]"):
            depth -= 1
        elif depth == 0 and value == b";" and index + 1 < len(tokens):
            raise ClickHouseError(62, "SYNTAX_ERROR", "Multi-statements are not allowed")
        elif depth == 0 and keyword(token) == b"FORMAT" and index + 1 < len(tokens) and keyword(tokens[index + 1]):
            after = tokens[index + 2] if index + 2 < len(tokens) else None
            if after is None or after.group() == b";" or keyword(after) == b"SETTINGS":
                found = tokens[index + 1].group().decode()
    return found


# -- engine -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    body: bytes
    summary: dict[str, str]


class Engine:
    """The embedded ClickHouse: one chdb session, one statement at a time."""

    def __init__(self, path: Path) -> None:
        from chdb import session as chdb_session

        path.mkdir(parents=True, exist_ok=True)
        self._session = chdb_session.Session(str(path))
        self._lock = threading.Lock()
        self._database: str | None = None
        self._settings: dict[str, str | None] = {}
        self.version, self.timezone = (
            self._session.query("SELECT version(), timezone()", "TSV").bytes().decode().split()
        )
        self.setting_names = frozenset(
            self._session.query("SELECT name FROM system.settings", "TSV").bytes().decode().split()
        )

    def execute(
        self, statement: Statement, database: str, settings: dict[str, str], params: dict[str, str], fmt: str
    ) -> Outcome:
        """Run one statement in ``database`` with these settings and ``{name:Type}`` parameters."""
        if fmt.lower() in CHDB_PSEUDO_FORMATS:
            raise ClickHouseError(73, "UNKNOWN_FORMAT", f"Unknown format {fmt}")
        with self._lock:
            try:
                self._use(database)
                self._apply(settings)
                started = time.perf_counter()
                if statement.data is not None:
                    return self._insert(statement, started)
                result = self._session.query(statement.sql, fmt, params=params or None)
                body = result.bytes()
                return Outcome(
                    body,
                    summary(
                        result.storage_rows_read(),
                        result.storage_bytes_read(),
                        result.rows_written(),
                        result.bytes_written(),
                        result.rows_read(),
                        len(body),
                        result.elapsed(),
                    ),
                )
            except Exception as exc:
                raise ClickHouseError.from_engine(exc) from None
            finally:
                if statement.kind == "USE":
                    self._database = None
                elif statement.kind == "SET":
                    self._settings = dict.fromkeys(self._settings)

    def close(self) -> None:
        with self._lock:
            self._session.close()

    def _insert(self, statement: Statement, started: float) -> Outcome:
        with self._session.send_insert(statement.sql.decode(), statement.data_format) as inserter:
            if statement.data:
                inserter.append(statement.data)
            written = inserter.finish()
        return Outcome(
            b"", summary(0, 0, written.rows_written, written.bytes_written, 0, 0, time.perf_counter() - started)
        )

    def _use(self, database: str) -> None:
        if database != self._database:
            self._database = None
            self._session.query(f"USE {quote_identifier(database)}")
            self._database = database

    def _apply(self, settings: dict[str, str]) -> None:
        """SET this request's settings and reset the previous request's others to DEFAULT."""
        changes = [
            f"{name} = {sql_string(value)}" for name, value in settings.items() if self._settings.get(name) != value
        ]
        changes += [f"{name} = DEFAULT" for name in self._settings if name not in settings]
        if changes:
            self._settings = dict.fromkeys({**self._settings, **settings})
            self._session.query("SET " + ", ".join(changes))
            self._settings = dict(settings)


def summary(
    read_rows: int,
    read_bytes: int,
    written_rows: int,
    written_bytes: int,
    result_rows: int,
    result_bytes: int,
    elapsed: float,
) -> dict[str, str]:
    """The ``X-ClickHouse-Summary`` of a statement (ClickHouse sends the numbers as strings)."""
    return {
        "read_rows": str(read_rows),
        "read_bytes": str(read_bytes),
        "written_rows": str(written_rows),
        "written_bytes": str(written_bytes),
        "total_rows_to_read": str(read_rows),
        "result_rows": str(result_rows),
        "result_bytes": str(result_bytes),
        "elapsed_ns": str(int(elapsed * 1e9)),
    }


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


# -- HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def accepts(self, user: str, password: str) -> bool:
        return secrets.compare_digest(user.encode(), self.user.encode()) and secrets.compare_digest(
            password.encode(), self.password.encode()
        )


def given_credentials(request: Request, params: dict[str, str]) -> tuple[str, str]:
    """User and password from X-ClickHouse-User/Key, basic auth or user/password parameters."""
    headers = request.headers
    if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
        return headers.get("x-clickhouse-user") or "default", headers.get("x-clickhouse-key", "")
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = b64decode(value.strip()).decode().partition(":")
        except ValueError:
            return "", ""
        return user or "default", password
    if scheme:
        return "", ""
    return params.get("user") or "default", params.get("password", "")


def content_type(fmt: str) -> str:
    name = fmt.lower()
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        return "text/csv; charset=UTF-8; header=absent"
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name.startswith(BINARY_FORMATS):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


def loggable(sql: bytes) -> str:
    """The statement for the log: one line, shortened, password literals hidden."""
    text = " ".join(sql[:2000].decode(errors="replace").split())
    return PASSWORD_LITERAL.sub(r"\1'[HIDDEN]'", text)[:500]


def build_app(engine: Engine, credentials: Credentials, display_name: str) -> Starlette:
    """The HTTP interface: /ping, and a query at any other path (as ClickHouse's default handlers)."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chdb")

    async def ping(request: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    async def query(request: Request) -> Response:
        params, body = dict(request.query_params), b""
        query_id = params.get("query_id") or str(uuid.uuid4())
        headers = {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Server-Display-Name": display_name,
            "X-ClickHouse-Timezone": params.get("session_timezone") or engine.timezone,
        }
        started, user, statement = time.perf_counter(), "default", Statement("", b"")
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                params.update(await form_fields(request))
            else:
                body = await request.body()
            if request.method in ("GET", "HEAD") and not params.get("query") and not body:
                return PlainTextResponse("Ok.\n")
            user, password = given_credentials(request, params)
            if not credentials.accepts(user, password):
                raise ClickHouseError(
                    516,
                    "AUTHENTICATION_FAILED",
                    f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
                )
            if params.get("compress", "0") not in ("0", "false"):
                raise ClickHouseError(
                    48, "NOT_IMPLEMENTED", "compress=1 (ClickHouse-compressed responses) is not supported"
                )
            body = decode_body(body, request.headers.get("content-encoding"))
            if params.get("decompress", "0") not in ("0", "false"):
                body = decode_native_blocks(body)
            url_query = params.get("query", "").encode()
            statement = parse_statement(url_query + b"\n" + body if url_query and body else url_query or body)
            fmt = request.headers.get("x-clickhouse-format") or params.get("default_format") or "TabSeparated"
            database = request.headers.get("x-clickhouse-database") or params.get("database") or "default"
            settings = {k: v for k, v in params.items() if k in engine.setting_names and k not in RESERVED_PARAMS}
            bindings = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
            outcome = await asyncio.get_running_loop().run_in_executor(
                worker, engine.execute, statement, database, settings, bindings, fmt
            )
        except ClickHouseError as error:
            log_query(query_id, user, error.status, started, statement, f"{error.name}: {error.message[:300]}")
            return PlainTextResponse(
                error.body(engine.version),
                status_code=error.status,
                headers={**headers, "X-ClickHouse-Exception-Code": str(error.code)},
            )
        log_query(
            query_id,
            user,
            200,
            started,
            statement,
            f"rows={outcome.summary['result_rows']} written={outcome.summary['written_rows']}",
        )
        headers["X-ClickHouse-Summary"] = json.dumps(outcome.summary, separators=(",", ":"))
        result_format = statement.output_format or fmt
        if statement.produces_result or outcome.body:
            headers["X-ClickHouse-Format"] = result_format
        return Response(outcome.body, headers=headers, media_type=content_type(result_format))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        worker.shutdown(wait=True)
        engine.close()

    return Starlette(
        routes=[Route("/ping", ping, methods=["GET"]), Route("/{path:path}", query, methods=["GET", "POST"])],
        lifespan=lifespan,
    )


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a multipart/form-data request; files (external tables) are not supported."""
    form = await request.form(max_part_size=64 * 1024 * 1024)
    fields = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise ClickHouseError(48, "NOT_IMPLEMENTED", f"External data ({name}) is not supported")
        fields[name] = value
    return fields


def log_query(query_id: str, user: str, status: int, started: float, statement: Statement, detail: str) -> None:
    log.info(
        "query_id=%s user=%s status=%d ms=%.1f %s sql=%s",
        query_id,
        user,
        status,
        (time.perf_counter() - started) * 1000,
        detail,
        loggable(statement.sql),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="ClickHouse's HTTP interface over chdb")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18123)
    parser.add_argument("--path", type=Path, required=True, help="data directory")
    parser.add_argument("--user", default=os.environ.get("CLICKHOUSE_USER") or "default")
    parser.add_argument("--password", default=os.environ.get("CLICKHOUSE_PASSWORD", ""))
    parser.add_argument("--timezone", default="UTC", help="the server's time zone")
    options = parser.parse_args()
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    os.environ["TZ"] = options.timezone
    engine = Engine(options.path)
    app = build_app(engine, Credentials(options.user, options.password), socket.gethostname())
    log.info(
        "chdb %s (time zone %s, data in %s) on http://%s:%d",
        engine.version,
        engine.timezone,
        options.path,
        options.host,
        options.port,
    )
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False, timeout_keep_alive=30)


if __name__ == "__main__":
    main()
