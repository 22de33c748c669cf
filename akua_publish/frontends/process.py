"""The process around a front end: what only a program that owns its process may set.

A library must not change the interpreter for its caller; a program can. Both
front ends start through ``begin`` and end through ``finish``.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

SWITCH_INTERVAL = 0.0002  # seconds


def begin() -> None:
    """Hand the GIL over every 0.2 ms instead of every 5: the second thread that packing and vendoring
    hash or compress in (``ChunkWorker``) is woken by each chunk, and would otherwise wait that long for
    the GIL, which costs more than the overlap gains. With one thread the interval changes nothing."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def finish(code: int) -> NoReturn:
    """End the process with ``code``, sparing the interpreter its last garbage collections.

    Everything still alive lives until the process ends, yet at exit the collector
    walks every object the imports made (requests, oras, kcl_lib, jsonschema) only
    to free them: about 0.1 s, a tenth of a small package's whole run. Frozen, they
    are out of its reach; atexit handlers and the flushing of output run as usual.
    """
    gc.freeze()
    sys.exit(code)
