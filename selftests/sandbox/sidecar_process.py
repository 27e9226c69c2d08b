"""The Dapr sidecar as its own process on free ports, with a small subscriber standing in for budapp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from helpers.config import SUITE_ROOT
from selftests.sandbox.isolated import free_ports, redis_url

# state keys of the tests are unique per run, so this db is shared safely with parallel runs
REDIS_URL = redis_url(13)
APP_API_TOKEN = "selftest-app-token"


@dataclass
class Subscriber:
    """Records every POST it gets: (path, headers, JSON body)."""

    received: list[tuple[str, dict[str, str], dict]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def serve(self) -> ThreadingHTTPServer:
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
                with subscriber.arrived:
                    subscriber.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    subscriber.arrived.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[str, dict[str, str], dict]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@dataclass
class Sidecar:
    http_port: int
    grpc_port: int
    process: subprocess.Popen
    subscriber: Subscriber
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def start_sidecar(state: Path) -> tuple[Sidecar, ThreadingHTTPServer]:
    subscriber = Subscriber()
    server = subscriber.serve()
    http_port, grpc_port = free_ports(2)
    env = {
        **os.environ,
        "E2E_STATE_DIR": str(state),
        "SANDBOX_REDIS_URL": REDIS_URL,
        "SANDBOX_DAPR_PORT": str(http_port),
        "SANDBOX_DAPR_GRPC_PORT": str(grpc_port),
        "SANDBOX_BUDAPP_PORT": str(server.server_address[1]),
        "SANDBOX_APP_API_TOKEN": APP_API_TOKEN,
    }
    log = state / "dapr.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "sandbox.dapr.sidecar:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(http_port),
                "--log-level",
                "warning",
            ],
            cwd=SUITE_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    sidecar = Sidecar(http_port, grpc_port, process, subscriber, log)
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(f"{sidecar.url}/v1.0/healthz", timeout=1).status_code == 204:
                return sidecar, server
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_sidecar(sidecar, server)
            raise AssertionError(f"the sidecar did not start:\n{log.read_text()}")
        time.sleep(0.1)


def stop_sidecar(sidecar: Sidecar, server: ThreadingHTTPServer) -> None:
    sidecar.process.terminate()
    try:
        sidecar.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        sidecar.process.kill()
        sidecar.process.wait()
    server.shutdown()
