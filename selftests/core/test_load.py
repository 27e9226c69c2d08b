"""The load generator against a small local HTTP server: counts, caps, concurrency, errors, masking."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from aiohttp import web

from helpers.gateway import is_chat_completion
from helpers.load import LoadRequest, run_load
from helpers.masking import MASK, register_secret


class Server:
    """Answers /ok, /slow, /flaky (every second request fails) and /chat; remembers what it saw."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen: list[dict] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = await request.read()
            self.seen.append(
                {
                    "path": request.path,
                    "auth": request.headers.get("Authorization"),
                    "body": json.loads(body) if body else None,
                }
            )
            if request.path == "/slow":
                await asyncio.sleep(0.05)
            if request.path == "/flaky" and len(self.seen) % 2 == 0:
                return web.json_response({"error": "broken for key sk-live-abcdefghijklmnop"}, status=500)
            if request.path == "/chat":
                return web.json_response({"choices": [{"message": {"content": "hi"}}]})
            await asyncio.sleep(0.002)
            return web.json_response({"status": "ok"})
        finally:
            self.in_flight -= 1

    async def start(self) -> Server:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        assert self._runner is not None, "the server was never started"
        await self._runner.cleanup()


@pytest.fixture
async def server():
    running = await Server().start()
    yield running
    await running.stop()


async def test_every_request_is_sent_counted_and_timed(server):
    result = await run_load(server.url, LoadRequest("GET", "/ok"), requests=50, concurrency=4, max_seconds=10)
    assert (result.sent, result.errors, len(result.latencies_ms)) == (50, 0, 50)
    assert len(server.seen) == 50
    assert result.throughput_rps > 0 and 0 < result.percentile(50) <= result.percentile(99)
    summary = result.summary()
    assert summary["requests"] == 50 and summary["error_rate"] == 0.0


async def test_no_more_requests_in_flight_than_the_concurrency(server):
    await run_load(server.url, LoadRequest("GET", "/slow"), requests=24, concurrency=3, max_seconds=10)
    assert server.max_in_flight == 3


async def test_the_load_stops_at_its_time_limit(server):
    started = time.monotonic()
    result = await run_load(server.url, LoadRequest("GET", "/slow"), requests=10**6, concurrency=2, max_seconds=0.3)
    assert time.monotonic() - started < 2
    assert 0 < result.sent < 40


async def test_each_request_carries_its_body_and_token(server):
    await run_load(
        server.url,
        lambda i: LoadRequest("POST", "/ok", {"n": i}, token="t0ken"),
        requests=5,
        concurrency=1,
        max_seconds=10,
    )
    assert sorted(s["body"]["n"] for s in server.seen) == [0, 1, 2, 3, 4]
    assert {s["auth"] for s in server.seen} == {"Bearer t0ken"}


async def test_failed_answers_are_errors_with_masked_samples(server):
    register_secret("sk-live-abcdefghijklmnop")
    result = await run_load(server.url, LoadRequest("GET", "/flaky"), requests=10, concurrency=1, max_seconds=10)
    assert (result.sent, result.errors, result.error_rate) == (10, 5, 0.5)
    assert result.error_samples and all(s.startswith("500 ") for s in result.error_samples)
    assert not any("sk-live-abcdefghijklmnop" in s for s in result.error_samples)
    assert any(MASK in s for s in result.error_samples)


async def test_a_custom_check_judges_the_body(server):
    chat = await run_load(
        server.url,
        LoadRequest("POST", "/chat", {}),
        requests=3,
        concurrency=1,
        max_seconds=10,
        check=is_chat_completion,
    )
    not_chat = await run_load(
        server.url, LoadRequest("GET", "/ok"), requests=3, concurrency=1, max_seconds=10, check=is_chat_completion
    )
    assert (chat.errors, not_chat.errors) == (0, 3)


async def test_an_unreachable_service_gives_errors_not_a_hang():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    result = await run_load(
        f"http://127.0.0.1:{port}", LoadRequest("GET", "/ok"), requests=4, concurrency=2, max_seconds=5, timeout=2
    )
    assert time.monotonic() - started < 5
    assert result.errors == result.sent == 4
    assert "ClientConnectorError" in result.error_samples[0]


@pytest.mark.parametrize(("requests", "concurrency", "seconds"), [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
async def test_nonsense_limits_are_refused(requests, concurrency, seconds):
    with pytest.raises(ValueError, match="load needs"):
        await run_load(
            "http://127.0.0.1:9",
            LoadRequest("GET", "/"),
            requests=requests,
            concurrency=concurrency,
            max_seconds=seconds,
        )
