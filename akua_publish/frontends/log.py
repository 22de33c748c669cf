"""The plain-text log both front ends write off GitHub: a ``Reporter`` that prints lines.

``Warning: ...``, ``Error: <title> (<file>:<line>): <message>``, ``== step ==``,
every term in the front end's words, and every secret the run knows replaced
by ``***`` before a line is written: a runner masks secrets, a terminal or
another CI does not. Long work shows its progress as a line every 10 s (a CI
log), as a live bar (a terminal), or not at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TextIO

from akua_publish.frontends.bar import INTERVAL, TerminalBar
from akua_publish.progress import Meter, Reading, no_progress
from akua_publish.reporter import LOG_INTERVAL
from akua_publish.wording import Vocabulary, render

REDACTED = "***"


class ProgressStyle(StrEnum):
    LINES = "lines"  # a log line every 10 s
    BAR = "bar"  # a live bar on a terminal (stderr)
    NONE = "none"


class PlainLog:
    def __init__(self, out: TextIO = sys.stdout, vocabulary: Vocabulary | None = None, *,
                 progress: ProgressStyle = ProgressStyle.LINES, bar_out: TextIO = sys.stderr) -> None:
        from akua_publish.frontends.vocabulary import cli_words

        self._out = out
        self._words = vocabulary or cli_words
        self._secrets: set[str] = set()
        self._style = progress
        self._bar = TerminalBar(bar_out) if progress is ProgressStyle.BAR else None

    # --- the Reporter --------------------------------------------------------------------------

    def info(self, message: str) -> None:
        self.write(self.say(message))

    def warning(self, message: str, title: str = "") -> None:
        self.write(f"Warning: {self.say(title) + ': ' if title else ''}{self.say(message)}")

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.write(f"== {self.say(title)} ==")
        yield

    def secret(self, value: str) -> None:
        """Remember a secret (each line of a multi-line one too) so that no line written shows it."""
        for part in {value.strip(), *value.splitlines()}:
            if len(part.strip()) >= 4:  # shorter pieces would blank out ordinary words
                self._secrets.add(part.strip())

    def progress(self, label: str, total: int) -> Meter:
        if self._bar is not None:
            return Meter(label, total, self._bar.show, INTERVAL)
        if self._style is ProgressStyle.LINES:
            return Meter(label, total, self._reading, LOG_INTERVAL)
        return no_progress(label, total)

    def _reading(self, reading: Reading) -> None:
        if not reading.finished:
            self.write(str(reading))

    # --- the front end's own -------------------------------------------------------------------

    def error(self, message: str, title: str = "", file: str = "", line: int | None = None) -> None:
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self.write(f"Error: {self.say(title) + where + ': ' if title else ''}{self.say(message)}")

    def say(self, text: str) -> str:
        """``text`` in the front end's words."""
        return render(text, self._words)

    def write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.clear()  # redrawn with the next reading, below the line
        self._out.write(self.redacted(line) + "\n")
        self._out.flush()

    def redacted(self, text: str) -> str:
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text
