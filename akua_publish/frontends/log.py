"""The plain-text log both front ends write off GitHub: a ``Reporter`` that prints lines.

``Warning: ...``, ``Error: <title> (<file>:<line>): <message>``, ``== step ==``,
every term in the front end's words, and every secret the run knows replaced
by ``***`` before a line is written: a runner masks secrets, a terminal or
another CI does not.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from akua_publish.wording import Vocabulary, render

REDACTED = "***"


class PlainLog:
    def __init__(self, out: TextIO = sys.stdout, vocabulary: Vocabulary | None = None) -> None:
        from akua_publish.frontends.vocabulary import cli_words

        self._out = out
        self._words = vocabulary or cli_words
        self._secrets: set[str] = set()

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

    # --- the front end's own -------------------------------------------------------------------

    def error(self, message: str, title: str = "", file: str = "", line: int | None = None) -> None:
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self.write(f"Error: {self.say(title) + where + ': ' if title else ''}{self.say(message)}")

    def say(self, text: str) -> str:
        """``text`` in the front end's words."""
        return render(text, self._words)

    def write(self, line: str) -> None:
        self._out.write(self.redacted(line) + "\n")
        self._out.flush()

    def redacted(self, text: str) -> str:
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text
