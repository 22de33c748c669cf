"""The GitHub Action: the inputs (``INPUT_*``) become the options, the result becomes step outputs,
a job summary and the exit code. ``RUNNER_DEBUG=1`` (the workflow's debug logging) prints the causes
behind a failure."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from akua_publish.errors import EXIT_OK
from akua_publish.frontends.ci import github_context, github_token_credentials
from akua_publish.frontends.github.runner import Runner, RunnerFileError
from akua_publish.frontends.github.summary import batch_summary, success_summary
from akua_publish.frontends.rendering import batch_outputs, failure_summary, outputs
from akua_publish.frontends.run import run
from akua_publish.frontends.settings import build_options, secret_texts, value_of
from akua_publish.options import Options
from akua_publish.pipeline import Batch


def main(environ: Mapping[str, str] = os.environ, out: TextIO = sys.stdout) -> int:
    runner = Runner(environ, out)
    for secret in secret_texts(runner.input, environ):  # before anything is written
        runner.secret(secret)
    ran = run(runner, lambda: action_options(runner), debug=runner.env("RUNNER_DEBUG") == "1")
    if ran.batch is not None:
        too_many = matrix_limit(ran.batch)
        if too_many:
            runner.warning(too_many, title="Too many jobs for one matrix")
        runner.summary(batch_summary(ran.batch))
        try:
            runner.set_outputs(batch_outputs(ran.batch))
        except RunnerFileError as exc:
            runner.error(f"{exc.wording.message} Fix: {exc.wording.hint}", title=exc.title)
            return exc.exit_code
        return ran.code
    if ran.error is not None:
        runner.summary(failure_summary(ran.error))
    if ran.result is None:
        return ran.code
    values = outputs(ran.result)
    for name, value in values.items():
        runner.info(f"{name}: {value}")
    try:
        runner.set_outputs(values)
    except RunnerFileError as exc:
        failed = RunnerFileError(exc.wording.message, f"{exc.wording.hint} The version itself is {ran.result.status} "
                                 f"({ran.result.oci_ref}); a re-run reports it as already-published and sets the "
                                 "outputs.")
        runner.error(f"{failed.wording.message} Fix: {failed.wording.hint}", title=failed.title)
        runner.summary(failure_summary(failed))
        return failed.exit_code
    runner.summary(success_summary(ran.result))
    return EXIT_OK


GITHUB_MATRIX_JOBS = 256  # the most jobs GitHub runs of one matrix


def matrix_limit(batch: Batch) -> str:
    """A plan's word when its matrix has more entries than GitHub runs ("" when it fits)."""
    planned = len(batch.matrix)
    if planned <= GITHUB_MATRIX_JOBS:
        return ""
    return (f"The plan lists {planned} packages to publish; a GitHub matrix runs at most {GITHUB_MATRIX_JOBS} jobs, "
            "so the matrix job fails. Publish them in one step (the `packages` input without `plan`), or split "
            "them over several plans, a glob each.")


def action_options(runner: Runner) -> Options:
    """The options the inputs give: paths inside the workspace, the job's token for GHCR only."""
    environ = runner.environ
    text = value_of(runner.input, environ)
    return build_options(
        text, environ, root=Path(runner.env("GITHUB_WORKSPACE") or Path.cwd()).resolve(), confined=True,
        ci=github_context(environ),
        host_credentials=github_token_credentials(text("registry-username"), text("github-token"), environ),
        temp_dir=Path(runner.env("RUNNER_TEMP")) if runner.env("RUNNER_TEMP") else None)

