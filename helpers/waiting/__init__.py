"""Waiting for the platform: one poll loop (``poll_until``), its retry rule and its clock.

* ``poll``: ``Polling`` (timeout, intervals, clock, observers), ``poll_until`` and ``holds_for`` (what must stay
  true for a while);
* ``retry_rule``: ``checked(response)``, which answers poll on and which stop a wait at once;
* ``errors``: how waits end (``WaitTimeout``, ``WaitFailed``, ``WaitStopped``) and the answers probes raise;
* ``events``: what observers are told (and the ``e2e.wait`` log);
* ``clock``: ``SYSTEM_CLOCK`` and ``ManualClock``;
* ``workflows``: budapp workflows and the deployment recommendations, awaited.

Waits take their ``Polling`` as an argument and read no configuration: fixtures build it from
``settings.timeouts`` (see ``fixtures/waiting.py``).
"""

from helpers.waiting.clock import SYSTEM_CLOCK, Clock, ManualClock, SystemClock
from helpers.waiting.errors import (
    TransientAnswer,
    UnexpectedAnswer,
    WaitError,
    WaitFailed,
    WaitStopped,
    WaitTimeout,
)
from helpers.waiting.events import WaitEvent, WaitObserver
from helpers.waiting.poll import Polling, PollStats, holds_for, poll_until
from helpers.waiting.retry_rule import TRANSIENT_STATUSES, checked, retry_after_seconds

__all__ = [
    "SYSTEM_CLOCK",
    "TRANSIENT_STATUSES",
    "Clock",
    "ManualClock",
    "PollStats",
    "Polling",
    "SystemClock",
    "TransientAnswer",
    "UnexpectedAnswer",
    "WaitError",
    "WaitEvent",
    "WaitFailed",
    "WaitObserver",
    "WaitStopped",
    "WaitTimeout",
    "checked",
    "holds_for",
    "poll_until",
    "retry_after_seconds",
]
