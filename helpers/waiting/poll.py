"""The one poll loop of the suite, in the manner of Tempest's waiters.

``poll_until`` calls ``probe`` until ``done(value)`` holds, pausing from ``interval`` up to ``max_interval``
between polls. It ends

* with the value, once ``done`` holds;
* with ``WaitFailed`` as soon as ``failed(value)`` gives a reason (a terminal state of the awaited thing);
* with ``WaitStopped`` as soon as the probe meets an unexpected answer (``UnexpectedAnswer``, see ``retry_rule``);
* with ``WaitTimeout`` at the deadline, saying what it waited for, what it saw last and since when.

Transient trouble (``TransientAnswer``, connection errors) is polled through until the deadline; a Retry-After
lengthens the next pause. Anything else the probe raises (an assertion, a bug) ends the wait as it is.

Each pause is jittered (a random part of it, up to ``jitter``, is left out): work that takes a fixed time would
otherwise finish just after the same poll every time and be noticed a whole interval late, every time.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from helpers.waiting import events
from helpers.waiting.clock import SYSTEM_CLOCK, Clock
from helpers.waiting.errors import TransientAnswer, UnexpectedAnswer, WaitFailed, WaitStopped, WaitTimeout
from helpers.waiting.events import WaitEvent, WaitObserver
from helpers.waiting.retry_rule import TRANSIENT_ERRORS

T = TypeVar("T")


@dataclass(frozen=True)
class Polling:
    """How long a wait lasts and how often it looks, the clock it uses and who watches it."""

    timeout: float
    interval: float = 0.2
    max_interval: float = 2.0
    backoff: float = 1.5
    jitter: float = 0.5
    clock: Clock = SYSTEM_CLOCK
    observers: tuple[WaitObserver, ...] = ()
    random: Callable[[], float] = field(default=random.random, repr=False)

    @classmethod
    def from_timeouts(cls, timeouts: Any, observers: Iterable[WaitObserver] = (), **options: Any) -> Polling:
        """The configured workflow timeout and poll intervals (``settings.timeouts``); ``options`` replace any."""
        configured = {
            "timeout": timeouts.workflow,
            "interval": timeouts.poll_interval,
            "max_interval": timeouts.poll_max_interval,
        }
        return cls(**{**configured, **options}, observers=tuple(observers))

    def within(self, timeout: float | None) -> Polling:
        """The same polling with another timeout (None keeps this one)."""
        return replace(self, timeout=timeout) if timeout else self


@dataclass
class PollStats:
    polls: int = 0
    elapsed: float = 0.0


def _transient_state(error: BaseException) -> str:
    if isinstance(error, TransientAnswer):
        wish = f", Retry-After {error.retry_after:.0f}s" if error.retry_after is not None else ""
        return f"transient answer: {error}{wish}"
    return f"no answer: {type(error).__name__}: {error}"


async def poll_until(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    description: str,
    polling: Polling,
    failed: Callable[[T], str | None] | None = None,
    describe: Callable[[T], str] = repr,
    stats: PollStats | None = None,
) -> T:
    """Return the first value for which ``done`` holds (see module docstring)."""
    clock = polling.clock
    stats = stats if stats is not None else PollStats()
    observers = (events.log_event, *polling.observers)
    started = clock.monotonic()
    last_state, changed_at = "<nothing yet>", started
    delay = polling.interval

    def tell(kind: str, state: str = "") -> None:
        stats.elapsed = clock.monotonic() - started
        event = WaitEvent(kind, description, stats.elapsed, stats.polls, state)
        for observe in observers:
            observe(event)

    def seen(state: str) -> None:
        nonlocal last_state, changed_at
        if state != last_state:
            last_state, changed_at = state, clock.monotonic()
            tell(events.CHANGED, state)

    tell(events.STARTED)
    while True:
        retry_after = None
        stats.polls += 1
        try:
            value = await probe()
        except TransientAnswer as error:
            seen(_transient_state(error))
            tell(events.TRANSIENT, last_state)
            retry_after = error.retry_after
        except UnexpectedAnswer as error:
            message = f"{description}: stopped after {clock.monotonic() - started:.1f}s ({stats.polls} polls): {error}"
            tell(events.STOPPED, str(error))
            raise WaitStopped(message, error) from None
        except TRANSIENT_ERRORS as error:
            seen(_transient_state(error))
            tell(events.TRANSIENT, last_state)
        else:
            seen(describe(value))
            if done(value):
                tell(events.DONE, last_state)
                return value
            reason = failed(value) if failed else None
            if reason:
                tell(events.FAILED, reason)
                raise WaitFailed(f"{description}: failed after {stats.elapsed:.1f}s ({stats.polls} polls): {reason}")
        now = clock.monotonic()
        remaining = polling.timeout - (now - started)
        if remaining <= 0:
            tell(events.TIMED_OUT, last_state)
            raise WaitTimeout(
                f"timed out after {now - started:.1f}s (timeout {polling.timeout:g}s, {stats.polls} polls) waiting for "
                f"{description}; last seen: {last_state} (unchanged for the last {now - changed_at:.1f}s)"
            )
        pause = delay * (1 - polling.jitter * polling.random())
        if retry_after is not None:
            pause = max(pause, retry_after)
        await clock.sleep(min(pause, remaining))
        delay = min(delay * polling.backoff, polling.max_interval)


async def holds_for(
    probe: Callable[[], Awaitable[T]],
    holds: Callable[[T], bool],
    *,
    duration: float,
    description: str,
    polling: Polling,
    describe: Callable[[T], str] = repr,
    stats: PollStats | None = None,
) -> T:
    """Poll ``probe`` for ``duration`` seconds and return its last value; ``WaitFailed`` as soon as ``holds`` does not.

    For what must stay true over time (a revoked token stays refused): one look proves nothing about the next.
    """
    clock = polling.clock
    until = clock.monotonic() + duration

    def lasted(value: T) -> bool:
        return holds(value) and clock.monotonic() >= until

    def broke(value: T) -> str | None:
        return None if holds(value) else f"it stopped holding: {describe(value)}"

    return await poll_until(
        probe,
        lasted,
        description=f"{description} (for {duration:g}s)",
        polling=polling.within(duration + polling.max_interval + 5),
        failed=broke,
        describe=describe,
        stats=stats,
    )
