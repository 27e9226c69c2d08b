"""Bounded chat-completion load on the gateway: throughput, latency percentiles, error rate."""

import pytest

from helpers.gateway import chat_body, is_chat_completion
from helpers.load import LoadRequest, run_load
from helpers.metrics import wait_for_recorded_inferences

pytestmark = [pytest.mark.e2e, pytest.mark.performance, pytest.mark.priority_p2, pytest.mark.slow]


@pytest.mark.timeout(300)
async def test_gateway_chat_completions_under_load(
    test_endpoint, gateway_key, settings, clickhouse_client, performance_report, polling
):
    """
    Many users chat with one endpoint at once.

    Flow: send up to `load_requests` chat completions, `load_concurrency` at a time, for at most
    `load_max_seconds`; report throughput, p50/p95/p99 latency and error rate, and fail past the
    configured limits. Every answered request must then be recorded once in ClickHouse: load
    loses no inference. Traffic stays on the configured gateway URL (loopback for the sandbox).
    """
    limits = settings.performance
    result = await run_load(
        settings.services.budgateway,
        lambda i: LoadRequest(
            "POST", "/v1/chat/completions", chat_body(test_endpoint["name"], f"load request {i}"), token=gateway_key
        ),
        requests=limits.load_requests,
        concurrency=limits.load_concurrency,
        max_seconds=limits.load_max_seconds,
        timeout=settings.timeouts.request,
        check=is_chat_completion,
    )
    figures = result.summary()
    performance_report({**figures, "concurrency": limits.load_concurrency, "error_samples": result.error_samples})
    assert result.sent > 0, "no request was sent"
    assert result.error_rate <= limits.max_error_rate, f"error rate {result.error_rate:.2%}: {result.error_samples}"
    assert figures["latency_p95_ms"] <= limits.max_latency_p95_ms, f"p95 {figures['latency_p95_ms']} ms over the limit"
    assert figures["throughput_rps"] >= limits.min_throughput_rps, f"{figures['throughput_rps']} req/s under the limit"
    answered = result.sent - result.errors
    assert await wait_for_recorded_inferences(clickhouse_client, test_endpoint["id"], answered, polling) == answered
