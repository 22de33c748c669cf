"""The GitHub Actions runner adapter: inputs, outputs, log commands, job summary.

Everything the runner reads from or writes to goes through here, so the rest
of the code runs the same on GitHub, under act, and from a plain shell (where
the commands are simply readable log lines and the files are not set).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Runner:
    def __init__(self, environ: Mapping[str, str], out: TextIO = sys.stdout) -> None:
        self._env = environ
        self._out = out

    def env(self, name: str) -> str:
        return self._env.get(name, "").strip()

    def input(self, name: str) -> str:
        """An input as the runner passes it: ``INPUT_<NAME>``, hyphens kept or underscored."""
        key = "INPUT_" + name.upper().replace(" ", "_")
        for candidate in (key, key.replace("-", "_")):
            if candidate in self._env:
                return self._env[candidate].strip()
        return ""

    def _command(self, name: str, message: str, **props: str) -> None:
        shown = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items() if v)
        self._out.write(f"::{name}{' ' + shown if shown else ''}::{_escape_data(message)}\n")
        self._out.flush()

    def mask(self, secret: str) -> None:
        """Ask the runner to hide a secret, line by line, before anything else is logged."""
        for line in {secret.strip(), *secret.splitlines()}:
            if line.strip():
                self._command("add-mask", line.strip())

    def info(self, message: str) -> None:
        self._out.write(message + "\n")
        self._out.flush()

    def warning(self, message: str, title: str = "") -> None:
        self._command("warning", message, title=title)

    def error(self, message: str, title: str = "", file: str = "", line: int | None = None) -> None:
        self._command("error", message, title=title, file=file, line=str(line) if line and file else "")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
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
        with open(path, "a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
                handle.write(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")

    def summary(self, markdown: str) -> None:
        path = self.env("GITHUB_STEP_SUMMARY")
        if not path:
            return
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n")
