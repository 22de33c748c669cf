"""HTTP sessions with timeouts and one retry policy for every outside party.

``requests`` has no default timeout, so a stalled server would hang the job:
every session made here applies connect and read timeouts to each request.
Transient failures (connection errors, timeouts, 408, 429, 500, 502, 503,
504) are retried by urllib3's own ``Retry``, with exponential backoff, jitter
and ``Retry-After`` (capped), within a number of attempts and an overall
deadline; each retry is logged as a warning. Other 4xx answers are never
retried. Operations that cannot simply be re-sent (a blob upload whose
connection dropped half-way) are restarted whole by ``RetryPolicy.run``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from .retry import RetryPolicy

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class _PolicyRetry(Retry):
    """urllib3's Retry, bounded by the policy's deadline, capped waits, and a warning per retry."""

    policy: RetryPolicy

    def new(self, **kwargs: Any) -> _PolicyRetry:
        fresh = super().new(**kwargs)
        fresh.policy = self.policy
        return fresh

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.policy.max_wait)

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Retry:
        fresh = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.policy.expired():
            raise MaxRetryError(_pool, url or "", error or ValueError("retry deadline passed"))
        host = f"{_pool.host}:{_pool.port}" if _pool is not None else "the server"
        reason = f"HTTP {response.status}" if response is not None and response.status else type(
            error).__name__ if error else "an error"
        done = len(fresh.history)
        self.policy.warn(f"{method} {host}{urlsplit(url or '').path} failed ({reason}); "
                         f"retrying (attempt {done + 1} of {self.policy.attempts}).")
        return fresh


class TimeoutSession(requests.Session):
    """A session whose every request has connect and read timeouts."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(policy: RetryPolicy, methods: frozenset[str], user_agent: str = "") -> TimeoutSession:
    """A session that retries ``methods`` (connection failures of any request are always retried)."""
    session = TimeoutSession((policy.connect_timeout, policy.timeout))
    retry = _PolicyRetry(
        total=policy.attempts - 1,
        connect=policy.attempts - 1,
        read=policy.attempts - 1,
        status=policy.attempts - 1,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=methods,
        backoff_factor=policy.backoff,
        backoff_max=policy.max_wait,
        backoff_jitter=policy.backoff / 2,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.policy = policy
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session
