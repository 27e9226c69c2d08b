"""Polling with a deadline, in the manner of Tempest's waiters.

``poll_until`` calls ``probe`` until ``done(value)`` holds, backing off from
``interval`` to ``max_interval``; on timeout it raises ``WaitTimeout`` saying what
it waited for, what it saw last and for how long. ``failed(value)`` may return a
reason to stop early.

Each pause is jittered (a random part of it, up to ``jitter``, is left out): work
that takes a fixed time would otherwise finish just after the same poll every
time and be noticed a whole interval late, every time.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

from helpers.config import get_settings

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold in time."""


class WaitFailed(AssertionError):
    """The awaited thing reached a state it cannot come back from."""


def configured_polling(timeout: float | None = None) -> dict[str, float]:
    """``poll_until``'s timeout and intervals from the configuration (``timeout`` replaces the workflow timeout)."""
    timeouts = get_settings().timeouts
    return {"timeout": timeout or timeouts.workflow, "interval": timeouts.poll_interval,
            "max_interval": timeouts.poll_max_interval}


@dataclass
class PollStats:
    polls: int = 0
    elapsed: float = 0.0


async def poll_until(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    description: str,
    timeout: float,
    interval: float = 0.2,
    max_interval: float = 2.0,
    backoff: float = 1.5,
    jitter: float = 0.5,
    failed: Callable[[T], str | None] | None = None,
    describe: Callable[[T], str] = repr,
    stats: PollStats | None = None,
) -> T:
    """Return the first value for which ``done`` holds (see module docstring)."""
    stats = stats or PollStats()
    started = time.monotonic()
    delay = interval
    last: Any = "<nothing yet>"
    while True:
        value = await probe()
        stats.polls += 1
        stats.elapsed = time.monotonic() - started
        last = value
        if done(value):
            return value
        reason = failed(value) if failed else None
        if reason:
            raise WaitFailed(f"{description}: failed after {stats.elapsed:.1f}s ({stats.polls} polls): {reason}")
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise WaitTimeout(
                f"timed out after {timeout:.0f}s ({stats.polls} polls) waiting for {description}; "
                f"last seen: {describe(last)}"
            )
        await asyncio.sleep(min(delay * (1 - jitter * random.random()), remaining))
        delay = min(delay * backoff, max_interval)
