"""What a wait tells its observers: each change of the state it sees, each transient answer, and how it ended.

Observers are plain callables taking a ``WaitEvent``; failure reports collect the last state of every wait this
way (``helpers.diagnostics.remember_wait``). Every wait also logs its events to the ``e2e.wait`` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

STARTED = "started"
CHANGED = "changed"  # the state seen differs from the one before (the first poll's state counts as a change)
TRANSIENT = "transient"  # a poll got an answer worth retrying, or no answer
DONE = "done"
FAILED = "failed"
STOPPED = "stopped"
TIMED_OUT = "timed out"
ENDINGS = frozenset({DONE, FAILED, STOPPED, TIMED_OUT})

log = logging.getLogger("e2e.wait")


@dataclass(frozen=True)
class WaitEvent:
    kind: str
    description: str  # what is awaited: "cluster_onboarding <id> to complete"
    elapsed: float  # seconds since the wait started
    polls: int
    state: str = ""  # the state seen, described


WaitObserver = Callable[[WaitEvent], None]


def log_event(event: WaitEvent) -> None:
    level = logging.WARNING if event.kind in (FAILED, STOPPED, TIMED_OUT) else logging.INFO
    if event.kind == STARTED:
        log.log(level, "waiting for %s", event.description)
    else:
        log.log(
            level,
            "%s: %s after %.1fs (poll %d): %s",
            event.description,
            event.kind,
            event.elapsed,
            event.polls,
            event.state,
        )
