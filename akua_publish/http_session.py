"""One way to make HTTP sessions: with timeouts and bounded retries.

``requests`` has no default timeout, so a stalled server would hang the job;
every session made here applies one to each request. Only requests that are
safe to repeat are retried, by urllib3's own Retry, with backoff that honours
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)


class TimeoutSession(requests.Session):
    """A session whose every request has connect and read timeouts."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(user_agent: str = "", attempts: int = 3) -> TimeoutSession:
    session = TimeoutSession((CONNECT_TIMEOUT, READ_TIMEOUT))
    retry = Retry(
        total=attempts,
        connect=attempts,
        read=0,
        status=attempts,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=0.5,
        backoff_max=10,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if user_agent:
        session.headers["User-Agent"] = user_agent
    return session
