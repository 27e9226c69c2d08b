"""poll_until and WorkflowWaiter: done, fail fast, time out with a useful message."""

import time

import httpx
import pytest

from helpers.api_client import APIClient
from helpers.waiters import PollStats, WaitFailed, WaitTimeout, poll_until
from helpers.workflow_waiter import WorkflowWaiter, downstream_failure


def counter(values):
    state = {"calls": 0}

    async def probe():
        state["calls"] += 1
        return values[min(state["calls"], len(values)) - 1]

    return probe, state


async def test_returns_the_first_value_that_is_done():
    probe, state = counter([1, 2, 3, 4])
    stats = PollStats()
    assert await poll_until(probe, lambda v: v >= 3, description="three", timeout=5, interval=0.001, stats=stats) == 3
    assert state["calls"] == 3 and stats.polls == 3


async def test_timeout_says_what_was_awaited_and_last_seen():
    probe, _ = counter(["pending"])
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as error:
        await poll_until(probe, lambda v: v == "ready", description="the thing to be ready", timeout=0.2, interval=0.01)
    assert time.monotonic() - started < 1.0
    message = str(error.value)
    assert "timed out after 0s" in message and "waiting for the thing to be ready" in message
    assert "last seen: 'pending'" in message and "polls" in message


async def test_failure_stops_early():
    probe, state = counter(["running", "broken", "ready"])
    with pytest.raises(WaitFailed, match="it: failed after .* broke"):
        await poll_until(probe, lambda v: v == "ready", description="it", timeout=5, interval=0.001,
                         failed=lambda v: "broke" if v == "broken" else None)
    assert state["calls"] == 2


async def test_backoff_grows_to_the_maximum(monkeypatch):
    delays = []

    async def fake_sleep(seconds):
        delays.append(round(seconds, 3))

    monkeypatch.setattr("helpers.waiters.asyncio.sleep", fake_sleep)
    probe, _ = counter([0] * 6 + [1])
    await poll_until(probe, bool, description="x", timeout=60, interval=0.1, max_interval=0.3, backoff=2, jitter=0)
    assert delays == [0.1, 0.2, 0.3, 0.3, 0.3, 0.3]


async def test_pauses_are_jittered_within_the_interval(monkeypatch):
    """A pause lies between (1 - jitter) and 1 times the interval, and pauses differ."""
    delays = []

    async def fake_sleep(seconds):
        delays.append(seconds)

    monkeypatch.setattr("helpers.waiters.asyncio.sleep", fake_sleep)
    probe, _ = counter([0] * 40 + [1])
    await poll_until(probe, bool, description="x", timeout=60, interval=0.3, max_interval=0.3, jitter=0.5)
    assert all(0.15 <= d <= 0.3 for d in delays), delays
    assert len({round(d, 4) for d in delays}) > 10, "pauses should not repeat the same length"


def record(status, events=None):
    return {"object": "workflow.get", "workflow_id": "w1", "status": status, "current_step": 2, "total_steps": 3,
            "reason": None, "workflow_steps": {"create_cluster_events": events, "model": None}}


FAILED_EVENTS = {"status": "RUNNING", "steps": [
    {"id": "verify_cluster_connection", "payload": {"content": {"status": "COMPLETED", "message": "ok"}}},
    {"id": "configure_cluster", "payload": {"content": {"status": "FAILED", "message": "no nodes"}}},
]}


def test_downstream_failure_is_found_in_step_payloads():
    assert downstream_failure(record("in_progress", FAILED_EVENTS)) == \
        "create_cluster_events step 'configure_cluster' FAILED: no nodes"
    assert downstream_failure(record("in_progress", {"steps": [{"id": "a", "payload": {}}]})) is None


def waiter_for(records, settings_env):
    calls = {"n": 0}

    def answer(request):
        calls["n"] += 1
        body = records[min(calls["n"], len(records)) - 1]
        return httpx.Response(200, json=body)

    client = APIClient("budapp", "http://budapp.test", transport=httpx.MockTransport(answer), retry_backoff=0)
    return WorkflowWaiter(client, "token", interval=0.001, max_interval=0.002), calls


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    from helpers.config import get_settings

    monkeypatch.setenv("E2E_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("E2E_ADMIN_PASSWORD", "x")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_waiter_returns_the_completed_record(settings_env):
    waiter, calls = waiter_for([record("in_progress"), record("in_progress"), record("completed")], settings_env)
    final = await waiter.wait_for_workflow(workflow_id="w1", timeout=5)
    assert final["status"] == "completed" and calls["n"] == 3 and waiter.last_stats.polls == 3


async def test_waiter_fails_fast_on_failed_status(settings_env):
    waiter, calls = waiter_for([record("failed")], settings_env)
    with pytest.raises(WaitFailed, match="status failed"):
        await waiter.wait_for_workflow(workflow_type="cluster_onboarding", workflow_id="w1", timeout=5)
    assert calls["n"] == 1


async def test_waiter_fails_fast_on_downstream_failure_while_in_progress(settings_env):
    waiter, _ = waiter_for([record("in_progress", FAILED_EVENTS)], settings_env)
    with pytest.raises(WaitFailed, match="configure_cluster' FAILED: no nodes"):
        await waiter.wait_for_workflow(workflow_id="w1", timeout=5)


async def test_waiter_timeout_names_workflow_and_last_state(settings_env):
    waiter, _ = waiter_for([record("in_progress", {"status": "RUNNING", "steps": []})], settings_env)
    with pytest.raises(WaitTimeout) as error:
        await waiter.wait_for_workflow(workflow_type="cluster_onboarding", workflow_id="w1", timeout=0.1)
    message = str(error.value)
    assert "waiting for cluster_onboarding w1 to complete" in message
    assert "status=in_progress, step=2/3" in message and "create_cluster_events=RUNNING" in message
