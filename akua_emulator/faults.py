"""Fault switches: make a server fail the way real ones do, a set number of times.

Used by the emulator (Akua's side) and by the tests' fault-injecting proxy in
front of the registry, so both sides of a publish can be broken on purpose.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Fault:
    """Answer matching requests with ``action`` for the next ``times`` matches.

    Actions: ``status`` (HTTP ``status``, with ``Retry-After`` when set); ``drop``
    (close the connection without an answer, before handling); ``commit-drop``
    (handle the request, then close without an answer, as a server that
    committed and crashed); ``cut`` (read half the body, then close: a dropped
    upload); ``stall`` (say nothing for ``seconds``, then close); ``before`` (run
    ``before``, then handle the request: another client acting just in time); the registry's
    fault proxy also has ``corrupt`` (a bit of the answer flipped).
    """

    method: str
    path: str  # regular expression searched in the request path
    action: str = "status"
    status: int = 503
    times: int = 1
    retry_after: str = ""
    seconds: float = 30.0
    before: Callable[[], object] | None = None
    body: str = ""  # the registry proxy's answer with ``status`` (else an UNAVAILABLE error)


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.hits: list[tuple[str, str, str]] = []  # (method, path, action) of every fault served

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.hits.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (each match uses up one of its ``times``)."""
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method in (method, "*") and re.search(fault.path, path):
                    fault.times -= 1
                    self.hits.append((method, path, fault.action))
                    return fault
        return None
