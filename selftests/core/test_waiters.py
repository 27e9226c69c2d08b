"""The one poll loop and the waits built on it: done, retry what is transient, stop at once on the rest, fail on
terminal states, time out with a useful message; every change of state logged and told to observers.

All of them run on a ManualClock: no test here sleeps.
"""

import logging
import re
from typing import Any

import httpx
import pytest

from helpers.api_client import APIClient, ServiceUnreachableError
from helpers.diagnostics import remember_wait, waits_section
from helpers.gateway import GatewayAPI
from helpers.waiting import (
    ManualClock,
    Polling,
    PollStats,
    TransientAnswer,
    UnexpectedAnswer,
    WaitFailed,
    WaitStopped,
    WaitTimeout,
    checked,
    holds_for,
    poll_until,
    retry_after_seconds,
)
from helpers.waiting.workflows import WorkflowWaiter, downstream_failure


def counter(values, clock=None, step=0.0):
    """A probe answering values[n] on its n-th call (the last one from then on); raises those that are exceptions.
    Each call takes ``step`` seconds on ``clock``."""
    state = {"calls": 0}

    async def probe():
        state["calls"] += 1
        if clock is not None:
            clock.advance(step)
        value = values[min(state["calls"], len(values)) - 1]
        if isinstance(value, BaseException):
            raise value
        return value

    return probe, state


def polling(clock, timeout=60.0, **options):
    return Polling(
        timeout=timeout,
        interval=options.pop("interval", 1.0),
        max_interval=options.pop("max_interval", 1.0),
        jitter=options.pop("jitter", 0),
        clock=clock,
        **options,
    )


def answer(status, body=None, headers=None, method="GET", url="http://budapp.test/workflows/w1"):
    return httpx.Response(
        status, json=body if body is not None else {}, headers=headers, request=httpx.Request(method, url)
    )


# -- the loop -------------------------------------------------------------------------------------------------------


async def test_returns_the_first_value_that_is_done():
    clock = ManualClock()
    probe, state = counter([1, 2, 3, 4])
    stats = PollStats()
    assert await poll_until(probe, lambda v: v >= 3, description="three", polling=polling(clock), stats=stats) == 3
    assert state["calls"] == 3 and stats.polls == 3 and clock.pauses == [1.0, 1.0]


async def test_backoff_grows_to_the_maximum():
    clock = ManualClock()
    probe, _ = counter([0] * 6 + [1])
    await poll_until(probe, bool, description="x", polling=polling(clock, interval=0.1, max_interval=0.3, backoff=2))
    assert [round(p, 3) for p in clock.pauses] == [0.1, 0.2, 0.3, 0.3, 0.3, 0.3]


async def test_pauses_are_jittered_within_the_interval():
    """A pause lies between (1 - jitter) and 1 times the interval."""
    clock = ManualClock()
    draws = iter([0.0, 0.5, 1.0])
    probe, _ = counter([0, 0, 0, 1])
    await poll_until(
        probe,
        bool,
        description="x",
        polling=polling(clock, interval=0.4, max_interval=0.4, jitter=0.5, random=lambda: next(draws)),
    )
    assert [round(p, 3) for p in clock.pauses] == [0.4, 0.3, 0.2]


async def test_the_last_pause_ends_at_the_deadline():
    clock = ManualClock()
    probe, state = counter(["pending"])
    with pytest.raises(WaitTimeout):
        await poll_until(probe, lambda v: v == "ready", description="it", polling=polling(clock, timeout=2.5))
    assert clock.pauses == [1.0, 1.0, 0.5] and state["calls"] == 4 and clock.now == 2.5


async def test_timeout_says_what_was_awaited_what_was_seen_last_and_for_how_long():
    clock = ManualClock()
    probe, _ = counter(["starting", "starting", "pending"])
    with pytest.raises(WaitTimeout) as error:
        await poll_until(
            probe, lambda v: v == "ready", description="the thing to be ready", polling=polling(clock, timeout=10)
        )
    assert str(error.value) == (
        "timed out after 10.0s (timeout 10s, 11 polls) waiting for the thing to be ready; "
        "last seen: 'pending' (unchanged for the last 8.0s)"
    )


async def test_a_terminal_state_fails_at_once():
    clock = ManualClock()
    probe, state = counter(["running", "broken", "ready"])
    with pytest.raises(WaitFailed) as error:
        await poll_until(
            probe,
            lambda v: v == "ready",
            description="it",
            polling=polling(clock),
            failed=lambda v: "it broke" if v == "broken" else None,
        )
    assert str(error.value) == "it: failed after 1.0s (2 polls): it broke"
    assert state["calls"] == 2


async def test_what_else_a_probe_raises_ends_the_wait_as_it_is():
    clock = ManualClock()
    probe, state = counter([AssertionError("listing failed: 422")])
    with pytest.raises(AssertionError, match=r"^listing failed: 422$"):
        await poll_until(probe, bool, description="x", polling=polling(clock))
    assert state["calls"] == 1 and clock.pauses == []


async def test_holding_for_a_while_polls_until_the_duration_is_over():
    clock = ManualClock()
    probe, state = counter([401] * 10)
    assert await holds_for(probe, lambda v: v == 401, duration=3, description="refused", polling=polling(clock)) == 401
    assert state["calls"] == 4 and clock.now == 3.0


async def test_holding_fails_at_the_first_value_that_breaks_it():
    clock = ManualClock()
    probe, state = counter([401, 401, 200, 401])
    with pytest.raises(WaitFailed) as error:
        await holds_for(probe, lambda v: v == 401, duration=10, description="refused", polling=polling(clock))
    assert str(error.value) == "refused (for 10s): failed after 2.0s (3 polls): it stopped holding: 200"
    assert state["calls"] == 3


# -- the retry rule -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_statuses_are_retried(status):
    with pytest.raises(TransientAnswer) as error:
        checked(answer(status, {"detail": "busy"}))
    assert error.value.status == status


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
def test_other_unexpected_statuses_are_not(status):
    with pytest.raises(UnexpectedAnswer) as error:
        checked(answer(status, {"detail": "no"}))
    assert not isinstance(error.value, TransientAnswer)
    assert str(error.value) == f'GET http://budapp.test/workflows/w1 answered HTTP {status}: {{"detail": "no"}}'


def test_expected_statuses_pass():
    response = answer(401, {"error": "Invalid API key"})
    assert checked(response, expected=(200, 401)) is response


def test_the_body_excerpt_is_masked_and_short():
    with pytest.raises(UnexpectedAnswer) as error:
        checked(answer(403, {"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "pad": "x" * 1000}))
    assert "eyJ" not in str(error.value) and '"access_token": "***"' in str(error.value)
    assert len(error.value.body) < 400


def test_retry_after_is_read_as_seconds_or_a_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


async def test_transient_answers_and_connection_errors_are_polled_through():
    clock = ManualClock()
    probe, state = counter(
        [
            ServiceUnreachableError("budapp is unreachable at http://budapp.test"),
            TransientAnswer(503, "GET", "http://budapp.test/workflows/w1", '{"detail": "starting"}'),
            httpx.ConnectError("connection refused"),
            "ready",
        ]
    )
    assert await poll_until(probe, lambda v: v == "ready", description="x", polling=polling(clock)) == "ready"
    assert state["calls"] == 4 and clock.pauses == [1.0, 1.0, 1.0]


async def test_a_429_waits_as_long_as_retry_after_asks():
    clock = ManualClock()
    probe, _ = counter([checked_429(), "ready"])
    await poll_until(probe, lambda v: v == "ready", description="x", polling=polling(clock))
    assert clock.pauses == [5.0]


def checked_429():
    try:
        checked(
            answer(429, {"detail": "Rate limit exceeded. Please try again in 5 seconds."}, headers={"Retry-After": "5"})
        )
    except TransientAnswer as error:
        return error
    raise AssertionError("a 429 is transient")


async def test_a_transient_answer_seen_last_is_named_in_the_timeout():
    clock = ManualClock()
    probe, _ = counter([TransientAnswer(502, "GET", "http://budapp.test/workflows/w1", "Bad Gateway")])
    with pytest.raises(WaitTimeout) as error:
        await poll_until(probe, bool, description="x", polling=polling(clock, timeout=3))
    assert "last seen: transient answer: GET http://budapp.test/workflows/w1 answered HTTP 502: Bad Gateway" in str(
        error.value
    )


async def test_a_404_stops_the_wait_at_once_naming_it():
    clock = ManualClock()
    probe, state = counter(
        [
            TransientAnswer(503, "GET", "http://budapp.test/workflows/w1", "starting"),
            UnexpectedAnswer(404, "GET", "http://budapp.test/workflows/w1", '{"message": "Workflow not found"}'),
        ]
    )
    with pytest.raises(WaitStopped) as error:
        await poll_until(
            probe, bool, description="cluster_onboarding w1 to complete", polling=polling(clock, timeout=900)
        )
    assert str(error.value) == (
        "cluster_onboarding w1 to complete: stopped after 1.0s (2 polls): "
        'GET http://budapp.test/workflows/w1 answered HTTP 404: {"message": "Workflow not found"}'
    )
    assert error.value.answer.status == 404
    assert state["calls"] == 2 and clock.now == 1.0


# -- what a wait tells: the e2e.wait log and its observers ----------------------------------------------------------


async def test_each_change_of_state_is_logged_with_the_elapsed_time(caplog):
    clock = ManualClock()
    probe, _ = counter(["queued", "queued", "running", "running", "done"])
    with caplog.at_level(logging.INFO, logger="e2e.wait"):
        await poll_until(
            probe, lambda v: v == "done", description="job j1 to finish", polling=polling(clock), describe=str
        )
    assert [r.getMessage() for r in caplog.records if r.name == "e2e.wait"] == [
        "waiting for job j1 to finish",
        "job j1 to finish: changed after 0.0s (poll 1): queued",
        "job j1 to finish: changed after 2.0s (poll 3): running",
        "job j1 to finish: changed after 4.0s (poll 5): done",
        "job j1 to finish: done after 4.0s (poll 5): done",
    ]


async def test_observers_are_told_and_the_failure_report_shows_the_last_state(monkeypatch):
    monkeypatch.setattr("helpers.diagnostics._waits", {})
    clock = ManualClock()
    told: list[Any] = []
    probe, _ = counter([TransientAnswer(503, "GET", "http://x.test/y", "busy"), "pending"])
    with pytest.raises(WaitTimeout):
        await poll_until(
            probe,
            lambda v: v == "ready",
            description="y to be ready",
            describe=str,
            polling=polling(clock, timeout=2, observers=(told.append, remember_wait)),
        )
    assert [(e.kind, e.polls, e.state) for e in told] == [
        ("started", 0, ""),
        ("changed", 1, "transient answer: GET http://x.test/y answered HTTP 503: busy"),
        ("transient", 1, "transient answer: GET http://x.test/y answered HTTP 503: busy"),
        ("changed", 2, "pending"),
        ("timed out", 3, "pending"),
    ]
    assert waits_section(0) == "y to be ready: [timed out after 2.0s, 3 polls] pending"


def test_polling_comes_from_the_configured_timeouts():
    class Timeouts:
        workflow, poll_interval, poll_max_interval = 900.0, 0.5, 5.0

    built = Polling.from_timeouts(Timeouts(), observers=[remember_wait])
    assert (built.timeout, built.interval, built.max_interval, built.observers) == (900.0, 0.5, 5.0, (remember_wait,))
    assert built.within(30).timeout == 30 and built.within(None).timeout == 900.0
    assert Polling.from_timeouts(Timeouts(), interval=2.0).interval == 2.0


# -- budapp workflows -----------------------------------------------------------------------------------------------


def record(status, events=None):
    return {
        "object": "workflow.get",
        "workflow_id": "w1",
        "status": status,
        "current_step": 2,
        "total_steps": 3,
        "reason": None,
        "workflow_steps": {"create_cluster_events": events, "model": None},
    }


FAILED_EVENTS = {
    "status": "RUNNING",
    "steps": [
        {"id": "verify_cluster_connection", "payload": {"content": {"status": "COMPLETED", "message": "ok"}}},
        {"id": "configure_cluster", "payload": {"content": {"status": "FAILED", "message": "no nodes"}}},
    ],
}


def test_downstream_failure_is_found_in_step_payloads():
    assert (
        downstream_failure(record("in_progress", FAILED_EVENTS))
        == "create_cluster_events step 'configure_cluster' FAILED: no nodes"
    )
    assert downstream_failure(record("in_progress", {"steps": [{"id": "a", "payload": {}}]})) is None


def budapp_answering(answers):
    """An APIClient (not retrying by itself) whose n-th request is answered answers[n] (status, body); the last one
    from then on."""
    calls = {"n": 0}

    def reply(request):
        calls["n"] += 1
        status, body = answers[min(calls["n"], len(answers)) - 1]
        return httpx.Response(status, json=body)

    client = APIClient("budapp", "http://budapp.test", transport=httpx.MockTransport(reply), retry_attempts=1)
    return client, calls


def waiter_for(answers, timeout=60.0):
    client, calls = budapp_answering(answers)
    clock = ManualClock()
    return WorkflowWaiter(client, "token", polling(clock, timeout=timeout)), calls, clock


async def test_waiter_returns_the_completed_record():
    waiter, calls, _ = waiter_for(
        [(200, record("in_progress")), (200, record("in_progress")), (200, record("completed"))]
    )
    final = await waiter.wait_for_workflow(workflow_id="w1")
    assert final["status"] == "completed" and calls["n"] == 3 and waiter.last_stats.polls == 3


async def test_waiter_fails_fast_on_failed_status():
    waiter, calls, _ = waiter_for([(200, {**record("failed"), "reason": "budcluster refused"})])
    with pytest.raises(WaitFailed) as error:
        await waiter.wait_for_workflow(workflow_type="cluster_onboarding", workflow_id="w1")
    assert (
        str(error.value)
        == "cluster_onboarding w1 to complete: failed after 0.0s (1 polls): status failed, reason 'budcluster refused'"
    )
    assert calls["n"] == 1


async def test_waiter_fails_fast_on_downstream_failure_while_in_progress():
    waiter, calls, _ = waiter_for([(200, record("in_progress")), (200, record("in_progress", FAILED_EVENTS))])
    with pytest.raises(WaitFailed, match="configure_cluster' FAILED: no nodes"):
        await waiter.wait_for_workflow(workflow_id="w1")
    assert calls["n"] == 2


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_waiter_stops_at_once_when_budapp_does_not_show_the_workflow(status):
    waiter, calls, clock = waiter_for([(status, {"object": "error", "message": "Workflow not found"})], timeout=900)
    with pytest.raises(WaitStopped) as error:
        await waiter.wait_for_workflow(workflow_type="cluster_onboarding", workflow_id="w1")
    assert str(error.value) == (
        f"cluster_onboarding w1 to complete: stopped after 0.0s (1 polls): GET http://budapp.test/workflows/w1 "
        f'answered HTTP {status}: {{"object": "error", "message": "Workflow not found"}}'
    )
    assert calls["n"] == 1 and clock.pauses == []


async def test_waiter_polls_through_a_503():
    waiter, calls, _ = waiter_for([(503, {"detail": "unavailable"}), (200, record("completed"))])
    assert (await waiter.wait_for_workflow(workflow_id="w1"))["status"] == "completed"
    assert calls["n"] == 2


async def test_waiter_timeout_names_workflow_and_last_state():
    waiter, _, _ = waiter_for([(200, record("in_progress", {"status": "RUNNING", "steps": []}))])
    with pytest.raises(WaitTimeout) as error:
        await waiter.wait_for_workflow(workflow_type="cluster_onboarding", workflow_id="w1", timeout=5)
    assert str(error.value) == (
        "timed out after 5.0s (timeout 5s, 6 polls) waiting for cluster_onboarding w1 to complete; "
        "last seen: status=in_progress, step=2/3, create_cluster_events=RUNNING reported=[] "
        "(unchanged for the last 5.0s)"
    )


# -- the gateway learning a key -------------------------------------------------------------------------------------


def gateway_answering(answers):
    client, calls = budapp_answering(answers)
    return GatewayAPI(client, polling(ManualClock())), calls


async def test_an_unknown_key_is_awaited_until_the_gateway_lists_the_endpoint():
    gateway, calls = gateway_answering(
        [
            (401, {"error": "Invalid API key"}),
            (200, {"object": "list", "data": []}),
            (200, {"object": "list", "data": [{"id": "e2e-endpoint"}]}),
        ]
    )
    await gateway.wait_for_key("bud_client_0123456789", ["e2e-endpoint"])
    assert calls["n"] == 3


async def test_the_gateway_wait_stops_at_once_on_a_403():
    gateway, calls = gateway_answering([(403, {"error": "forbidden"})])
    with pytest.raises(WaitStopped, match=re.escape('answered HTTP 403: {"error": "forbidden"}')):
        await gateway.wait_for_key("bud_client_0123456789", ["e2e-endpoint"])
    assert calls["n"] == 1
