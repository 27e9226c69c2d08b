"""How a wait ends when it does not get what it waited for."""

from __future__ import annotations


class WaitError(AssertionError):
    """A wait ended without its condition holding."""


class WaitTimeout(WaitError):
    """The condition did not hold in time."""


class WaitFailed(WaitError):
    """The awaited thing reached a state it cannot come back from (a workflow FAILED, ...)."""


class WaitStopped(WaitError):
    """The wait was answered something no further polling can change (a 401, 403, 404, 400, 500, ...)."""

    def __init__(self, message: str, answer: UnexpectedAnswer) -> None:
        super().__init__(message)
        self.answer = answer


class UnexpectedAnswer(AssertionError):
    """A service answered a status the caller did not expect; the message names the status, method, URL and a
    masked excerpt of the body."""

    def __init__(self, status: int, method: str, url: str, body: str) -> None:
        super().__init__(f"{method} {url} answered HTTP {status}: {body}")
        self.status, self.method, self.url, self.body = status, method, url, body


class TransientAnswer(UnexpectedAnswer):
    """An answer that says "try again" (429, 502, 503, 504); ``retry_after`` is the server's wish in seconds."""

    def __init__(self, status: int, method: str, url: str, body: str, retry_after: float | None = None) -> None:
        super().__init__(status, method, url, body)
        self.retry_after = retry_after
