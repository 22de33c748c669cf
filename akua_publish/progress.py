"""Progress of long work (packing, downloads, uploads): a ``Meter`` the work feeds, a ``Reading`` it shows.

The work calls ``Meter.add`` with each chunk's size, as often as every 64 KiB; a
meter only adds and, when its interval is up, hands a ``Reading`` to the
front end's ``show``. How often is the front end's choice (a CI log: every 10 s,
a terminal bar: several times a second), so that the work itself never decides
how it is shown and costs nothing measurable to watch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reading:
    """Where one task stands: ``total`` is 0 when it is not known."""

    label: str
    done: int
    total: int
    elapsed: float
    finished: bool = False

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        if not self.total or not self.rate or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate

    def __str__(self) -> str:
        """``Packing: 312.0 MiB of 1.0 GiB (30%), 31.2 MiB/s, about 23 s left``."""
        amount = f"{size(self.done)} of {size(self.total)} ({self.done * 100 // self.total}%)" if self.total \
            else size(self.done)
        left = self.seconds_left
        eta = f", about {duration(left)} left" if left is not None else ""
        return f"{self.label}: {amount}, {size(self.rate)}/s{eta}"


class Meter:
    """Counts the bytes of one task; shows a reading when ``every`` seconds have passed since the last."""

    __slots__ = ("_due", "_every", "_show", "_started", "done", "label", "total")

    def __init__(self, label: str, total: int, show: Callable[[Reading], None], every: float) -> None:
        self.label, self.total, self.done = label, total, 0
        self._show, self._every = show, every
        self._started = time.monotonic()
        self._due = self._started + every

    def add(self, count: int) -> None:
        self.done += count
        if (now := time.monotonic()) >= self._due:
            self._due = now + self._every
            self._show(self.reading(now))

    def reading(self, now: float | None = None, finished: bool = False) -> Reading:
        at = time.monotonic() if now is None else now
        return Reading(self.label, self.done, self.total, at - self._started, finished)

    def close(self) -> None:
        """The task is over (done or failed): the front end may clear what it showed."""
        self._show(self.reading(finished=True))

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Progress(Protocol):
    """What long work is given: ``progress(label, total)`` starts a meter (a ``Reporter`` method)."""

    def __call__(self, label: str, total: int, /) -> Meter: ...


def _ignore(_: Reading) -> None:
    """Nothing is shown."""


def no_progress(label: str, total: int) -> Meter:
    """A meter that never shows anything (its interval never comes)."""
    return Meter(label, total, _ignore, math.inf)


def size(count: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole} s" if whole < 120 else f"{whole // 60} min {whole % 60:02d} s"
