"""The retry policy shared by every outside party: attempts, deadline, timeouts, backoff.

Kept apart from the HTTP sessions so the orchestration can build it without
importing ``requests`` before the first log line. It is the only place that
retries: an operation (one request, or a whole blob upload) is tried at most
``attempts`` times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from akua_publish.errors import DeadlineError, RetryableError
from akua_publish.wording import setting

T = TypeVar("T")
DEADLINE_SLACK = 1.0  # seconds: a read that timed out with less than this left was cut short by the deadline


def quiet(_: str) -> None:
    """Default warning sink: adapters used outside a run log nothing."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for answers and how hard to try again."""

    attempts: int = 5  # tries per request or operation, the first included
    deadline: float = 300.0  # no retry starts once this many seconds have passed
    timeout: float = 60.0  # read timeout of each request (less when the deadline is nearer)
    connect_timeout: float = 10.0
    backoff: float = 1.0  # first wait; doubled on each retry, with jitter
    max_wait: float = 30.0  # cap of one wait, Retry-After included
    warn: Callable[[str], None] = field(default=quiet, compare=False)
    started: float = field(default_factory=time.monotonic, compare=False)

    def timeouts(self) -> tuple[float, float]:
        """Connect and read timeouts for the next request: no read waits past the deadline, and no
        request starts after it (``DeadlineError``), so the run ends within ``deadline`` plus one connect."""
        left = self.time_left()
        if left <= 0:
            raise DeadlineError(
                f"The run's deadline ({self.deadline:g} s) passed; nothing more was sent.",
                f"A registry or Akua answered too slowly. Re-run the job, or raise {setting('deadline')}.",
            )
        return self.connect_timeout, min(self.timeout, left)

    def time_left(self) -> float:
        return self.deadline - (time.monotonic() - self.started)

    def deadline_error(self, waiting: str) -> DeadlineError | None:
        """For a request that timed out: a ``DeadlineError`` when the run's deadline cut its wait short (its
        read timeout is the time left), else None (it waited its whole ``timeout``)."""
        if self.time_left() > DEADLINE_SLACK:
            return None
        return DeadlineError(
            f"The run's deadline ({self.deadline:g} s) passed while waiting for {waiting}; nothing more was sent.",
            f"Raise {setting('deadline')} (a large package takes longer to upload), then re-run the job: it "
            "finds what is already there.")

    def expired(self) -> bool:
        return self.time_left() <= 0

    def wait_before(self, attempt: int, asked: float | None = None) -> float:
        """Seconds to wait before try number ``attempt`` (2, 3, ...).

        The server's ``Retry-After`` when it sent one, else doubling with jitter;
        capped at ``max_wait`` either way.
        """
        if asked is not None:
            return min(self.max_wait, asked)
        return min(self.max_wait, self.backoff * 2.0 ** (attempt - 2)) * random.uniform(0.5, 1.0)

    def run(self, operation: Callable[[], T], what: str) -> T:
        """Run ``operation`` again from the start when it fails in a way worth a retry."""
        attempt = 1
        while True:
            try:
                return operation()
            except RetryableError as exc:
                attempt += 1
                if attempt > self.attempts or self.expired():
                    raise
                wait = self.wait_before(attempt, exc.retry_after)
                if wait >= self.time_left():  # the retry could not start before the deadline
                    raise
                self.warn(f"{what} failed: {exc.wording.message} Retrying in {wait:.1f} s "
                          f"(attempt {attempt} of {self.attempts}).")
                time.sleep(wait)
