"""A live progress bar on a terminal, drawn with the standard library (a carriage return and an erase).

One line, redrawn at most ten times a second and cut to the terminal's width;
cleared when the work ends or before a log line is written, so that the log
reads as it would without it. Only for a terminal: in a CI log the readings are
lines of their own, every 10 s (``frontends/log.py``).
"""

from __future__ import annotations

import shutil
from typing import TextIO

from akua_publish.progress import Reading, duration, size

INTERVAL = 0.1  # seconds between redraws
ERASE = "\r\033[K"


class TerminalBar:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._drawn = False

    def show(self, reading: Reading) -> None:
        if reading.finished:
            self.clear()
            return
        self._out.write("\r" + self.line(reading, shutil.get_terminal_size().columns) + "\033[K")
        self._out.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self._out.write(ERASE)
            self._out.flush()
            self._drawn = False

    @staticmethod
    def line(reading: Reading, columns: int) -> str:
        """``Packing [########------------] 40% 400.0 MiB/1.0 GiB 31.2 MiB/s 19 s``, at most ``columns - 1`` wide."""
        left = reading.seconds_left
        facts = f"{size(reading.done)}" + (f"/{size(reading.total)}" if reading.total else "")
        facts += f" {size(reading.rate)}/s" + (f" {duration(left)}" if left is not None else "")
        if reading.total:
            share = min(reading.done / reading.total, 1.0)
            width = max(10, min(30, columns - len(reading.label) - len(facts) - 10))
            filled = int(share * width)
            facts = f"[{'#' * filled}{'-' * (width - filled)}] {share * 100:3.0f}% {facts}"
        return f"{reading.label} {facts}"[: max(columns - 1, 0)]
