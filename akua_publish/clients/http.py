"""HTTP sessions with timeouts and trust settings, and what their failures mean.

``requests`` has no default timeout, so a stalled server would hang the job:
every session made here applies connect and read timeouts to each request.
Sessions never retry on their own (urllib3's retries stay off): the adapters
raise a ``RetryableError`` for a failure worth a retry and ``RetryPolicy.run``
tries the whole operation again, so a request is tried at most ``max-attempts``
times in all, never that number squared.

TLS is always verified. A private CA comes from ``REQUESTS_CA_BUNDLE`` or
``SSL_CERT_FILE`` (``Options.ca_bundle``); ``requests`` alone would ignore
the latter and trust only certifi's bundle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import requests

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_PLAIN_HTTP_ANSWER = ("wrong_version_number", "wrong version number", "record layer failure",
                      "packet length too long", "unknown protocol")
_CERT_REASON = re.compile(r"certificate verify failed: ([^(']+)")
_MISMATCH = re.compile(r"((?:Hostname|IP address) mismatch[^'\"]*)")


class TimeoutSession(requests.Session):
    """A session whose every request has connect and read timeouts and the configured CA bundle.

    ``timeout`` is asked before each request (``RetryPolicy.timeouts``), so the read timeout shrinks
    as the run's deadline nears and no request starts after it.
    """

    def __init__(self, timeout: Callable[[], tuple[float, float]], ca_bundle: str = "", user_agent: str = "") -> None:
        super().__init__()
        self._timeout = timeout
        if ca_bundle:
            self.verify = ca_bundle
        if user_agent:
            self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout()
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.verify  # else REQUESTS_CA_BUNDLE of the environment would win
        response: requests.Response = super().request(method, url, *args, **kwargs)
        return response


def tls_problem(exc: requests.RequestException) -> tuple[str, str] | None:
    """``(kind, detail)`` for a TLS failure, else None.

    ``kind`` is ``"plain-http"`` when the server answered an https request in
    plain HTTP, or ``"certificate"`` with what is wrong with the certificate.
    """
    if not isinstance(exc, requests.exceptions.SSLError):
        return None
    text = str(exc)
    if any(marker in text.lower() for marker in _PLAIN_HTTP_ANSWER):
        return "plain-http", "the server answered in plain HTTP, not TLS"
    found = _CERT_REASON.search(text) or _MISMATCH.search(text)
    return "certificate", (found.group(1).strip() if found else "the TLS handshake failed")


def connection_reason(exc: Exception) -> str:
    """A short, secret-free reason for a failed connection (URLs and headers left out)."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Temporary failure in name resolution", "Connection reset", "Connection aborted",
                   "Remote end closed connection", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked to wait (``Retry-After``: seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
