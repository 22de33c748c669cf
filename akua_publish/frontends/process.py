"""The process around a front end: what only a program that owns its process may set.

A library must not change the interpreter for its caller; a program can. Both
front ends start through ``begin`` and end through ``finish``.
"""

from __future__ import annotations

import gc
import signal
import sys
from types import FrameType
from typing import NoReturn

from akua_publish.cancellation import Cancelled

SWITCH_INTERVAL = 0.0002  # seconds


CANCELLING = (signal.SIGTERM, signal.SIGINT)


def begin() -> None:
    """Hand the GIL over every 0.2 ms instead of every 5: the second thread that packing and vendoring
    hash or compress in (``ChunkWorker``) is woken by each chunk, and would otherwise wait that long for
    the GIL, which costs more than the overlap gains. With one thread the interval changes nothing.

    SIGTERM (a cancelled job, ``docker stop``; a container's first process ignores it unless it handles
    it) and SIGINT (Ctrl-C) raise ``Cancelled`` in the main thread, so the run unwinds: its scratch
    files go, and it says what it had pushed or registered."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    for signum in CANCELLING:
        signal.signal(signum, _cancel)


def _cancel(signum: int, _: FrameType | None) -> None:
    """The first signal cancels; any later one is ignored, so that the clean-up it started runs to the end."""
    for other in CANCELLING:
        signal.signal(other, signal.SIG_IGN)
    raise Cancelled(signum)


def finish(code: int) -> NoReturn:
    """End the process with ``code``, sparing the interpreter its last garbage collections.

    Everything still alive lives until the process ends, yet at exit the collector
    walks every object the imports made (requests, oras, kcl_lib, jsonschema) only
    to free them: about 0.1 s, a tenth of a small package's whole run. Frozen, they
    are out of its reach; atexit handlers and the flushing of output run as usual.
    """
    gc.freeze()
    sys.exit(code)
