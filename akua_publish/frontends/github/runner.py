"""The GitHub Actions runner adapter: inputs, outputs, log commands, job summary.

Everything the runner reads from or writes to goes through here, so the rest
of the code runs the same on GitHub, under act, and from any other CI or a
shell. Workflow commands (``::add-mask::``, ``::error::``, ``::group::``...) are
written only when ``GITHUB_ACTIONS=true``: elsewhere nothing consumes them, and
an ``::add-mask::<secret>`` line would print the secret it is meant to hide.
There the log is plain text (``Error: ...``, ``Warning: ...``, ``== title ==``).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from akua_publish.errors import RunnerFileError
from akua_publish.wording import Vocabulary, action_words, render


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Runner:
    def __init__(self, environ: Mapping[str, str], out: TextIO = sys.stdout,
                 vocabulary: Vocabulary = action_words) -> None:
        self._env = environ
        self._out = out
        self._words = vocabulary  # every text written names the settings as this front end does
        self.on_github = environ.get("GITHUB_ACTIONS", "").strip().lower() == "true"

    def env(self, name: str) -> str:
        return self._env.get(name, "").strip()

    def input(self, name: str) -> str:
        """An input as the runner passes it: ``INPUT_<NAME>``, hyphens kept or underscored."""
        key = "INPUT_" + name.upper().replace(" ", "_")
        for candidate in (key, key.replace("-", "_")):
            if candidate in self._env:
                return self._env[candidate].strip()
        return ""

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()

    def _say(self, text: str) -> str:
        return render(text, self._words)

    def _command(self, name: str, message: str, **props: str) -> None:
        shown = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items() if v)
        self._write(f"::{name}{' ' + shown if shown else ''}::{_escape_data(message)}")

    def mask(self, secret: str) -> None:
        """On GitHub, ask the runner to hide a secret, line by line; elsewhere write nothing."""
        if not self.on_github:
            return
        for line in {secret.strip(), *secret.splitlines()}:
            if line.strip():
                self._command("add-mask", line.strip())

    def info(self, message: str) -> None:
        self._write(self._say(message))

    def warning(self, message: str, title: str = "") -> None:
        message, title = self._say(message), self._say(title)
        if self.on_github:
            self._command("warning", message, title=title)
        else:
            self._write(f"Warning: {title + ': ' if title else ''}{message}")

    def error(self, message: str, title: str = "", file: str = "", line: int | None = None) -> None:
        message, title = self._say(message), self._say(title)
        if self.on_github:
            self._command("error", message, title=title, file=file, line=str(line) if line and file else "")
            return
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self._write(f"Error: {title + where + ': ' if title else ''}{message}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        title = self._say(title)
        if not self.on_github:
            self._write(f"== {title} ==")
            yield
            return
        self._command("group", title)
        try:
            yield
        finally:
            self._command("endgroup", "")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Append to ``GITHUB_OUTPUT`` with a random delimiter, so no value can break out."""
        path = self.env("GITHUB_OUTPUT")
        if not path:
            return
        text = ""
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            text += f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}"
        self._append(path, text, "GITHUB_OUTPUT")

    def summary(self, markdown: str) -> None:
        """Append to the job summary; a summary that cannot be written is only a warning."""
        path = self.env("GITHUB_STEP_SUMMARY")
        if not path:
            return
        try:
            self._append(path, render(markdown, self._words).rstrip("\n") + "\n", "GITHUB_STEP_SUMMARY")
        except RunnerFileError as exc:
            self.warning(f"{exc.message} The job summary is missing; the log above has everything it "
                         "would have shown.", title=exc.title)

    @staticmethod
    def _append(path: str, text: str, name: str) -> None:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise RunnerFileError(
                f"{name} ({path}) cannot be written: {exc.strerror}.",
                "The runner sets this file; check that the job's file system is writable, or unset "
                f"{name} when running outside GitHub Actions.",
            ) from None
