"""Which Akua package a version goes to: ``package-id``, else the package of that name, else a new one.

The look-up and the import are publish steps of their own (the pure part, the
request and its checks, is ``package_import``): a first publish finds or
creates its package, and a re-run of it finds the package it created.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from akua_publish.errors import AkuaAuthError, AkuaRejectedError, InputError
from akua_publish.frontends.github.runner import Runner
from akua_publish.frontends.settings import Settings
from akua_publish.reference import Repository, parse_repository
from akua_publish.release.package_import import choose_package, default_repository, idempotency_key, import_body
from akua_publish.release.steps import choose_repository, register
from akua_publish.schema.version_body import build_body
from akua_publish.wording import setting

if TYPE_CHECKING:
    from akua_publish.clients.akua_api import AkuaClient
    from akua_publish.pipeline import Outcome


@dataclass(frozen=True)
class Destination:
    """Where this version goes: the package (``package_id`` "" for one to import) and its repository."""

    package_id: str
    repository: Repository
    versions: list[dict[str, Any]]
    registered: dict[str, Any] | None  # this semver, when Akua already has it


def destination(settings: Settings, akua: AkuaClient, name: str, semver: str, runner: Runner) -> Destination:
    """The package by ``package-id``, else the one named ``name``, else none yet (to import)."""
    if settings.package_id:
        found: dict[str, Any] | None = akua.get_package(settings.package_id)
    else:
        found = choose_package(list(akua.packages()), name)
    if found is None:
        repository = import_repository(settings, name)
        runner.info(f"No Akua package is named {name}: "
                    + ("a real run imports" if settings.dry_run else "importing")
                    + f" it from oci://{repository}, with {semver} as its first version.")
        return Destination("", repository, [], None)
    package_id = str(found.get("id", ""))
    repository = choose_repository(found, settings.repository)
    if not settings.package_id:
        runner.info(f"Found the Akua package {name} by name: {package_id} (set package-id: {package_id} to skip "
                    "the look-up).")
    elif found.get("name") != name:
        runner.warning(
            f"akua.toml names the package `{name}`, but Akua's package {package_id} is `{found.get('name')}`. "
            f"Check that {setting('package-id')} is the package you mean to publish.",
            title="Package name differs from Akua's",
        )
    versions = list(akua.versions(package_id))
    registered = next((v for v in versions if v.get("semver") == semver), None)
    runner.info(f"Akua package {package_id} publishes to oci://{repository}; "
                + (f"Akua already has {semver} ({registered.get('ref')})." if registered
                   else f"{semver} is not registered yet."))
    return Destination(package_id, repository, versions, registered)


def import_repository(settings: Settings, name: str) -> Repository:
    """Where a package that does not exist yet is pushed: the `repository` input, else GHCR on GitHub."""
    if settings.repository is not None:
        return settings.repository
    default = default_repository(settings.login.github_registry(), settings.repository_owner, name)
    if not default:
        raise InputError(
            f"No Akua package is named {name}, and there is no repository to import it from: {setting('repository')} "
            "is empty, and only a run on GitHub has a default (GHCR, under the repository's owner).",
            f"Set {setting('repository')} (host/name) for the first publish, or {setting('package-id')} to publish to "
            "an existing "
            "package.",
        )
    return parse_repository(default, "The default repository")


def import_version(akua: AkuaClient, settings: Settings, name: str, schema: dict[str, Any], outcome: Outcome, *,
                   repository: Repository, runner: Runner) -> Outcome:
    """Create the package with this first version (pushed to ``repository``); a 409 means another run
    created it a moment ago."""
    version = build_body(outcome.semver, outcome.digest, schema, settings.compatibility)
    key = idempotency_key(settings.workspace, name, repository, outcome.semver, outcome.digest)
    try:
        package = akua.import_package(import_body(name, repository, version, settings.display_image_url), key)
    except AkuaAuthError as exc:
        exc.message += f" The artifact is in the registry ({outcome.oci_ref}) but not registered in Akua."
        raise
    if package is None:
        runner.info(f"Akua already has a package named {name}: it was created by another run a moment ago; "
                    "registering the version on it.")
        found = choose_package(list(akua.packages()), name)
        if found is None:
            raise AkuaRejectedError(f"Akua answered 409 Conflict to the import of {name}, but lists no such package.",
                                    "Re-run the job; if it persists, contact Akua support.")
        choose_repository(found, repository)
        return register(akua, schema, settings.compatibility, replace(outcome, package_id=str(found["id"])), runner)
    package_id, url = str(package.get("id", "")), str(package.get("html_url", ""))
    runner.info(f"Created the Akua package {name} ({package_id}, {url}) with its first version {outcome.semver}. "
                f"Pin it in the workflow: package-id: {package_id}")
    recorded = akua.find_version(package_id, outcome.semver) or {}
    return replace(outcome, package_id=package_id, status="imported", created_url=url,
                   version_id=str(recorded.get("id", "")), published_at=str(recorded.get("published_at", "")))
