"""The GitHub Actions runner: inputs, workflow commands, step outputs, job summary.

Workflow commands (``::add-mask::``, ``::error::``, ``::group::``...) are written
only when ``GITHUB_ACTIONS=true``: elsewhere nothing consumes them, and an
``::add-mask::<secret>`` line would print the secret it is meant to hide. There
the log is the plain text of ``PlainLog``, in the Action's words.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from akua_publish.errors import PublishError
from akua_publish.frontends.log import PlainLog
from akua_publish.frontends.vocabulary import action_words


class RunnerFileError(PublishError):
    """A file of the runner (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``) cannot be written: the Action's own
    failure, not the library's."""

    title = "Cannot write a runner file"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Runner(PlainLog):
    def __init__(self, environ: Mapping[str, str], out: TextIO = sys.stdout) -> None:
        super().__init__(out, action_words)
        self.environ = environ
        self.on_github = environ.get("GITHUB_ACTIONS", "").strip().lower() == "true"

    def env(self, name: str) -> str:
        return self.environ.get(name, "").strip()

    def input(self, name: str) -> str:
        """An input as the runner passes it: ``INPUT_<NAME>``, hyphens kept or underscored."""
        key = "INPUT_" + name.upper().replace(" ", "_")
        for candidate in (key, key.replace("-", "_")):
            if candidate in self.environ:
                return self.environ[candidate].strip()
        return ""

    def _command(self, name: str, message: str, **props: str) -> None:
        shown = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items() if v)
        self.write(f"::{name}{' ' + shown if shown else ''}::{_escape_data(message)}")

    def secret(self, value: str) -> None:
        """On GitHub, ask the runner to hide a secret, line by line; everywhere, keep it out of every line."""
        if self.on_github:
            for line in {value.strip(), *value.splitlines()}:
                if line.strip():
                    self._out.write(f"::add-mask::{_escape_data(line.strip())}\n")
            self._out.flush()
        super().secret(value)

    def warning(self, message: str, title: str = "") -> None:
        if not self.on_github:
            super().warning(message, title)
            return
        self._command("warning", self.say(message), title=self.say(title))

    def error(self, message: str, title: str = "", file: str = "", line: int | None = None) -> None:
        if not self.on_github:
            super().error(message, title, file, line)
            return
        self._command("error", self.say(message), title=self.say(title), file=file,
                      line=str(line) if line and file else "")

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        if not self.on_github:
            with super().step(title):
                yield
            return
        self._command("group", self.say(title))
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
            self._append(path, self.redacted(self.say(markdown)).rstrip("\n") + "\n", "GITHUB_STEP_SUMMARY")
        except RunnerFileError as exc:
            self.warning(f"{exc.wording.message} The job summary is missing; the log above has everything it "
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
            ) from exc
