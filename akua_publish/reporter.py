"""How the library talks while it works: the ``Reporter`` a front end gives ``publish``.

Failures are not reported, they are raised (``errors``), and the result is
returned; a reporter only carries what happens on the way: log lines, warnings,
the steps, the progress of long work, and the secrets found during the run that
must not be shown (a key file read from the checkout). Texts may hold terms (``wording``) that
the reporter renders in its front end's words.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from akua_publish.progress import Meter, Reading
from akua_publish.wording import library_words, render

LOG_INTERVAL = 10.0  # seconds between progress lines in a log (CI, logging)


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """A line of the log."""

    def warning(self, message: str, title: str = "") -> None:
        """Something the user should fix or know, though the run goes on."""

    def step(self, title: str) -> AbstractContextManager[None]:
        """The lines of one step of the publish, grouped."""

    def secret(self, value: str) -> None:
        """A value that must never be shown (masked from here on, where the front end can)."""

    def progress(self, label: str, total: int) -> Meter:
        """A meter for long work (``total`` bytes, 0 if unknown), showing its readings as the front end
        chooses (``progress.no_progress``: never)."""


class LogReporter:
    """A reporter for code that calls the library: Python's ``logging``, settings named plainly."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("akua_publish")

    def info(self, message: str) -> None:
        self._log.info(render(message, library_words))

    def warning(self, message: str, title: str = "") -> None:
        self._log.warning(render(f"{title}: {message}" if title else message, library_words))

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self._log.info("== %s ==", render(title, library_words))
        yield

    def secret(self, value: str) -> None:
        """logging has no masking: nothing of the library logs a secret's value."""

    def progress(self, label: str, total: int) -> Meter:
        """A log record every 10 s while the work lasts."""
        return Meter(label, total, self._reading, LOG_INTERVAL)

    def _reading(self, reading: Reading) -> None:
        if not reading.finished:
            self._log.info("%s", reading)
