"""Many packages, one run (``Options.packages``): every package the globs find, published as one run publishes
it, at the version its akua.toml declares (on a tag push, only the package the tag's prefix names, at the tag's
version).

Akua's packages are listed once for the batch. A version Akua has is compared by its content first (the tar
hashed, against the artifact Akua records): the same content comes out ``unchanged`` with nothing else done
(no schema export, contract or upload), other content ``failed`` (the version was not bumped), like any package
whose checks fail. A failing package stops the packages that depend on it, not the others; each package's own
checks pass before anything of it is pushed, as in a single run. A cancelled run stops the batch where it is.

A plan (``Options.plan``) runs each package as a dry run instead, and ``Batch.matrix`` lists the packages a real
run would publish, for a CI's matrix to spread over its machines (``matrix.py``).
"""

from __future__ import annotations

import contextlib
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
from akua_publish.pipeline.matrix import MatrixEntry, plan_matrix
from akua_publish.pipeline.steps import Shared, publish_in, retry_policy
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult, Status
from akua_publish.wording import setting


class Outcome(StrEnum):
    PUBLISHED = "published"  # published now (or the package was created with it)
    UNCHANGED = "unchanged"  # Akua has this version with this content
    FAILED = "failed"
    DRY_RUN = "dry-run"
    PLANNED = "planned"  # a plan's: checked as a dry run, for a real run to publish


@dataclass(frozen=True)
class PackageRun:
    """What happened to one package of the batch."""

    name: str
    folder: str  # relative to the workspace
    outcome: Outcome
    result: PublishResult | None = None
    error: PublishError | None = None
    needs: tuple[str, ...] = ()  # the packages of the batch whose new version it depends on


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

    @property
    def matrix(self) -> tuple[MatrixEntry, ...]:
        """A plan's packages to publish, dependencies first (empty when the batch was no plan)."""
        return plan_matrix([(run.name, run.folder, run.result.semver, run.needs) for run in self.runs
                            if run.outcome is Outcome.PLANNED and run.result is not None])


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
    if options.plan:
        spaced = [member.shown for member in members if any(c.isspace() for c in member.shown)]
        if spaced:
            raise InputError(f"The folder `{spaced[0]}` has whitespace in its name, which a plan's matrix cannot name "
                             f"in {setting('packages')} (a list separated by spaces).",
                             "Rename the folder, or publish these packages in one step without a plan.")
    reporter.info(f"{len(members)} package(s): " + ", ".join(f"{m.name or '?'} ({m.shown})" for m in members) + ".")
    with contextlib.ExitStack() as clients:
        shared = _shared(options, reporter, clients)
        runs: list[PackageRun] = []
        for member in members:
            runs.append(_one(options, member, runs, reporter, shared, from_package=not tag))
    return Batch(tuple(runs))


def _shared(options: Options, reporter: Reporter, clients: contextlib.ExitStack) -> Shared:
    """One Akua client for the batch, and Akua's packages listed once. A version Akua has is compared by content
    first in a plan and in a real run (not in a dry run, which reads no registry)."""
    from akua_publish.clients.akua_api import AkuaClient

    akua = clients.enter_context(AkuaClient(options.akua.api_url, options.akua.token, options.akua.workspace,
                                            retry_policy(options, reporter), options.ca_bundle))
    with reporter.step("List the packages in Akua"):
        packages = tuple(akua.packages())
        reporter.info(f"Akua lists {len(packages)} package(s) in the workspace.")
    return Shared(akua, packages, look_first=options.plan or not options.policy.dry_run)


def _one(options: Options, member: Member, earlier: list[PackageRun], reporter: Reporter, shared: Shared, *,
         from_package: bool) -> PackageRun:
    failed = {run.name for run in earlier if run.outcome is Outcome.FAILED}
    planned = {run.name: run.result for run in earlier if run.outcome is Outcome.PLANNED and run.result}
    reporter.info(f"Package {member.name or member.shown} ({member.shown}):")
    blocked = [name for name in member.needs if name in failed]
    if blocked:
        left = "left out of the plan" if options.plan else "not published"
        error = DependencyError(f"{member.name} was {left}: it depends on {', '.join(blocked)}, which failed in this "
                                "run.", "Fix the package it depends on; a re-run publishes both.")
        return PackageRun(member.name, member.shown, Outcome.FAILED, error=error, needs=member.needs)
    package = replace(options.package, path=member.folder, shown=member.shown, version_from_package=from_package)
    policy = replace(options.policy, dry_run=True) if options.plan else options.policy
    waiting = {(name, planned[name].semver): planned[name].layer_digest for name in member.needs if name in planned}
    try:
        result = publish_in(replace(options, package=package, policy=policy, packages=(), plan=False), reporter,
                            replace(shared, waiting_on=waiting))
    except RunCancelledError:
        raise
    except PublishError as exc:
        return PackageRun(member.name, member.shown, Outcome.FAILED, error=exc, needs=member.needs)
    outcome = {Status.ALREADY_PUBLISHED: Outcome.UNCHANGED,
               Status.DRY_RUN: Outcome.PLANNED if options.plan else Outcome.DRY_RUN}.get(result.status,
                                                                                         Outcome.PUBLISHED)
    return PackageRun(result.package_name, member.shown, outcome, result=result, needs=member.needs)
