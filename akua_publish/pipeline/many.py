"""Many packages, one run (``Options.packages``): every package the globs find, published as one run publishes
it, at the version its akua.toml declares (on a tag push, only the package the tag's prefix names, at the tag's
version).

A version Akua has with this content comes out ``unchanged`` (the run hashed the tar and uploaded nothing), one
it has with other content ``failed`` (the version was not bumped), like any package whose checks fail. A failing
package stops the packages that depend on it, not the others; each package's own checks pass before anything of
it is pushed, as in a single run. A cancelled run stops the batch where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from akua_publish.cancellation import RunCancelledError
from akua_publish.errors import (
    EXIT_OK,
    EXIT_RETRY,
    EXIT_USER,
    DependencyError,
    InputError,
    PublishError,
    RetryableError,
)
from akua_publish.options import Options
from akua_publish.package.discovery import Member, discover
from akua_publish.package.version import TAG_PREFIX
from akua_publish.pipeline.steps import publish
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult, Status
from akua_publish.wording import setting


class Outcome(StrEnum):
    PUBLISHED = "published"  # published now (or the package was created with it)
    UNCHANGED = "unchanged"  # Akua has this version with this content
    FAILED = "failed"
    DRY_RUN = "dry-run"


@dataclass(frozen=True)
class PackageRun:
    """What happened to one package of the batch."""

    name: str
    folder: str  # relative to the workspace
    outcome: Outcome
    result: PublishResult | None = None
    error: PublishError | None = None


@dataclass(frozen=True)
class Batch:
    runs: tuple[PackageRun, ...]

    @property
    def published(self) -> tuple[str, ...]:
        return tuple(run.name for run in self.runs if run.outcome is Outcome.PUBLISHED)

    @property
    def exit_code(self) -> int:
        """0 when nothing failed; 75 when every failure may pass on a re-run (a service's); else 1."""
        failures = [run.error for run in self.runs if run.error is not None]
        if not failures:
            return EXIT_OK
        return EXIT_RETRY if all(isinstance(error, RetryableError) for error in failures) else EXIT_USER


def publish_all(options: Options, reporter: Reporter) -> Batch:
    """Publish every package ``options.packages`` finds below ``options.package.path``."""
    members = discover(options.package.path, options.packages)
    tag = options.ci.ref.removeprefix(TAG_PREFIX) if options.ci.ref.startswith(TAG_PREFIX) else ""
    if tag:
        owner = tag.rpartition("/")[0].rpartition("/")[2]
        members = tuple(member for member in members if member.name == owner)
        if not members:
            raise InputError(f"The tag `{tag}` names no package {setting('packages')} finds (a tag of one package is "
                             "`<name>/v<version>`).", "Tag the package as <name>/v<version>, or push to a branch to "
                             "publish every package whose version Akua does not have.")
    reporter.info(f"{len(members)} package(s): " + ", ".join(f"{m.name or '?'} ({m.shown})" for m in members) + ".")
    runs: list[PackageRun] = []
    for member in members:
        runs.append(_one(options, member, runs, reporter, from_package=not tag))
    return Batch(tuple(runs))


def _one(options: Options, member: Member, earlier: list[PackageRun], reporter: Reporter, *,
         from_package: bool) -> PackageRun:
    failed = {run.name for run in earlier if run.outcome is Outcome.FAILED}
    reporter.info(f"Package {member.name or member.shown} ({member.shown}):")
    blocked = [name for name in member.needs if name in failed]
    if blocked:
        error = DependencyError(f"{member.name} was not published: it depends on {', '.join(blocked)}, which failed "
                                "in this run.", "Fix the package it depends on; a re-run publishes both.")
        return PackageRun(member.name, member.shown, Outcome.FAILED, error=error)
    package = replace(options.package, path=member.folder, shown=member.shown, version_from_package=from_package)
    try:
        result = publish(replace(options, package=package, packages=()), reporter)
    except RunCancelledError:
        raise
    except PublishError as exc:
        return PackageRun(member.name, member.shown, Outcome.FAILED, error=exc)
    outcome = {Status.ALREADY_PUBLISHED: Outcome.UNCHANGED, Status.DRY_RUN: Outcome.DRY_RUN}.get(
        result.status, Outcome.PUBLISHED)
    return PackageRun(result.package_name, member.shown, outcome, result=result)
