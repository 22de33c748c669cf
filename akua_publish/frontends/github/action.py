"""The one place that turns the outcome or an error into log lines, outputs,
the job summary and the exit code."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from akua_publish.errors import EXIT_INTERNAL, EXIT_OK, ProblemsError, PublishError
from akua_publish.frontends.github.runner import Runner
from akua_publish.frontends.github.summary import success_summary
from akua_publish.frontends.settings import load_settings, secrets_of
from akua_publish.pipeline import publish
from akua_publish.wording import action_words, cli_words


def main(environ: Mapping[str, str] = os.environ, out: TextIO = sys.stdout,
         report: Callable[[dict[str, str]], object] | None = None, *, command_line: bool = False) -> int:
    """Run the action; ``report`` gets the outputs of a successful run (the CLI prints them as JSON).
    ``command_line``: the command line's run, which names its settings as flags and takes any path."""
    runner = Runner(environ, out, cli_words if command_line else action_words)
    for secret in secrets_of(runner):
        runner.mask(secret)
    try:
        settings = load_settings(runner, Path.cwd(), confined=not command_line)
        temp_root = runner.env("RUNNER_TEMP") or None
        with tempfile.TemporaryDirectory(prefix="akua-publish-", dir=temp_root) as work:
            outcome = publish(settings, runner, Path(work))
    except PublishError as exc:
        report_failure(runner, exc)
        return exc.exit_code
    except Exception as exc:  # a bug: say so plainly, keep the details for debug logs
        runner.error(
            f"Internal error in akua-publish: {type(exc).__name__}: {exc}. Nothing further was "
            "done. Please report this with the log (re-run with debug logging for details).",
            title="akua-publish internal error",
        )
        if runner.env("RUNNER_DEBUG") == "1":
            traceback.print_exc(file=out)
        return EXIT_INTERNAL
    outputs = outcome.outputs()
    for name, value in outputs.items():
        runner.info(f"{name}: {value}")
    try:
        runner.set_outputs(outputs)
    except PublishError as exc:
        exc.hint += (f" The version itself is {outcome.status} ({outcome.oci_ref}); a re-run reports it "
                     "as already-published and sets the outputs.")
        report_failure(runner, exc)
        return exc.exit_code
    runner.summary(success_summary(outcome))
    if report is not None:
        report(outputs)
    return EXIT_OK


def report_failure(runner: Runner, exc: PublishError) -> None:
    """One annotation per problem (``akua.toml`` and ``package.k`` may have several), then the summary."""
    problems = exc.problems if isinstance(exc, ProblemsError) else [(exc.message, exc.line)]
    for problem, line in problems:
        text = f"{exc.intro}: {problem}." if isinstance(exc, ProblemsError) else problem
        runner.error(text + (f" Fix: {exc.hint}" if exc.hint else ""), title=exc.title, file=exc.file or "",
                     line=line)
    runner.summary(
        f"### :x: Akua publish failed: {exc.title}\n\n{exc.message}\n\n"
        + (f"**How to fix:** {exc.hint}\n" if exc.hint else "")
    )
