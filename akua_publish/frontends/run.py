"""A run as both front ends make it: build the options, mask their secrets, publish, and turn a failure
into annotations and an exit code (never a traceback, but under debug logging)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from akua_publish.cancellation import Cancelled, RunCancelledError
from akua_publish.errors import EXIT_INTERNAL, EXIT_OK, PublishError, Wording
from akua_publish.frontends.log import PlainLog
from akua_publish.frontends.rendering import cause_chain, problems
from akua_publish.options import Options
from akua_publish.pipeline import Batch, publish, publish_all
from akua_publish.result import PublishResult


@dataclass(frozen=True)
class Ran:
    """How a run ended: its exit code, and the result or what failed (with its terms: the front end's words)."""

    code: int
    result: PublishResult | None = None
    error: PublishError | None = None
    failure: Wording | None = None
    batch: Batch | None = None  # with ``packages``: what happened to each


def run(log: PlainLog, build: Callable[[], Options], *, debug: bool) -> Ran:
    try:
        try:
            options = build()
            for secret in options.secrets():
                log.secret(secret)
            if options.packages:
                batch = publish_all(options, log)
                for package in batch.runs:
                    if package.error is not None:
                        _report(log, package.error, debug)
                return Ran(batch.exit_code, batch=batch)
            return Ran(EXIT_OK, result=publish(options, log))
        except Cancelled as exc:  # before the publish started: nothing done yet
            raise RunCancelledError(exc.signum, "Nothing was pushed or registered.") from exc
    except PublishError as exc:
        _report(log, exc, debug)
        return Ran(exc.exit_code, error=exc, failure=exc.wording)
    except Exception as exc:  # a bug: say so plainly, keep the details for debug logs
        bug = Wording("akua-publish internal error", f"Internal error in akua-publish: {type(exc).__name__}: {exc}. "
                      "Nothing further was done.", "Please report this with the log (re-run with debug logging for "
                      "details).")
        log.error(f"{bug.message} {bug.hint}", title=bug.title)
        if debug:
            log.write(cause_chain(exc))
        return Ran(EXIT_INTERNAL, failure=bug)


def _report(log: PlainLog, exc: PublishError, debug: bool) -> None:
    """One annotation per problem of the error (its file and line where it names them)."""
    for text, line in problems(exc):
        log.error(text + (f" Fix: {exc.wording.hint}" if exc.wording.hint else ""), title=exc.wording.title,
                  file=exc.file or "", line=line)
    if debug:
        log.write(cause_chain(exc))
