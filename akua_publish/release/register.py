"""The registration: the one POST that records the version (or the import that creates the package with it).

Akua takes no idempotency key on versions, so after a retried POST whose first
attempt was committed, a 409 with the same digest is this run's own version. With
another digest, another run of the version got there first: when its artifact
holds this very content (``same_content``: another commit's annotations, another
gzip), that version is this publish; else it is a conflict, and this run's
artifact stays in the registry untagged. The import carries a key, and its 409
means another run created the package a moment ago: the version is registered on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.errors import AkuaAuthError, AkuaRejectedError, VersionConflictError
from akua_publish.reference import Repository
from akua_publish.release.destination import choose_repository
from akua_publish.release.package_import import choose_package, idempotency_key, import_body
from akua_publish.release.push import IMMUTABLE_HINT
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult, Status
from akua_publish.schema.version_body import build_body
from akua_publish.wording import setting

if TYPE_CHECKING:
    from akua_publish.clients.akua_api import AkuaClient


def already_published(result: PublishResult, version: PackageVersion, reporter: Reporter) -> PublishResult:
    reporter.info(f"Version {result.semver} is already-published as {version.id}.")
    return replace(result, status=Status.ALREADY_PUBLISHED, version_id=version.id, published_at=version.published_at)


SameContent = Callable[[str], bool]  # whether the artifact of that manifest digest holds this run's content


def warn_of_conflict(registered: PackageVersion | None, result: PublishResult, reporter: Reporter) -> None:
    """A dry run's word on what a real run would meet: Akua has the semver as another digest."""
    if registered and registered.ref != result.digest:
        reporter.warning(f"Akua already has {result.semver} as {registered.ref}, not {result.digest}: unless the "
                         "registry holds the same content under that digest, a real run fails.",
                         title=VersionConflictError.title)


def register(akua: AkuaClient, compatibility: Mapping[str, Any] | None, result: PublishResult,
             reporter: Reporter, same_content: SameContent) -> PublishResult:
    """POST the version (retried by the policy); a 409 is resolved by looking the semver up."""
    body = build_body(result.semver, result.digest, result.input_schema, compatibility)
    version = akua.create_version(result.package_id, body)
    if version is not None:
        reporter.info(f"Version {result.semver} is published as {version.id}.")
        return replace(result, status=Status.PUBLISHED, version_id=version.id, published_at=version.published_at)
    reporter.info(f"Akua already has {result.semver}; looking it up.")
    version = akua.find_version(result.package_id, result.semver)
    if version is None:
        raise AkuaRejectedError(f"Akua answered 409 Conflict for {result.semver}, but lists no such version.",
                                "Re-run the job; if it persists, contact Akua support with the package id.")
    if version.ref == result.digest:
        return already_published(result, version, reporter)
    if not same_content(version.ref):
        signed = result.signatures
        tags = ", ".join(t for t in (signed.signature_tag, signed.attestation_tag) if t) if signed else ""
        sidecars = f" Its signature sidecars stay too, under {tags}: they name that digest only." if tags else ""
        raise VersionConflictError(
            f"Akua already has {result.semver} with ref {version.ref} (another run registered it a moment ago), "
            f"but this build is {result.digest}, with other content. This run's artifact stays in the registry as "
            f"an untagged manifest, {result.oci_ref}: no tag names it, and the registry's garbage collection may "
            f"remove it.{sidecars}", IMMUTABLE_HINT)
    reporter.info(f"Another run registered {result.semver} a moment ago as {version.ref}, an artifact of this very "
                  f"content: that is this version. This run's {result.digest} stays in the registry untagged.")
    oci_ref = result.oci_ref.replace(result.digest, version.ref)
    return already_published(replace(result, digest=version.ref, oci_ref=oci_ref, signatures=None), version, reporter)


def import_version(akua: AkuaClient, result: PublishResult, *, repository: Repository, workspace: str,
                   display_image_url: str, compatibility: Mapping[str, Any] | None,
                   reporter: Reporter, same_content: SameContent) -> PublishResult:
    """Create the package with this first version (pushed to ``repository``); a 409 means another run
    created it a moment ago."""
    name = result.package_name
    version = build_body(result.semver, result.digest, result.input_schema, compatibility)
    key = idempotency_key(workspace, name, repository, result.semver, result.digest)
    try:
        package = akua.import_package(import_body(name, repository, version, display_image_url), key)
    except AkuaAuthError as exc:
        raise AkuaAuthError(f"{exc.wording.message} The artifact is in the registry ({result.oci_ref}) but not "
                            "registered in Akua.", exc.wording.hint) from exc
    if package is None:
        reporter.info(f"Akua already has a package named {name}: it was created by another run a moment ago; "
                      "registering the version on it.")
        found = choose_package(list(akua.packages()), name)
        if found is None:
            raise AkuaRejectedError(f"Akua answered 409 Conflict to the import of {name}, but lists no such package.",
                                    "Re-run the job; if it persists, contact Akua support.")
        choose_repository(found, repository)
        return register(akua, compatibility, replace(result, package_id=found.id), reporter, same_content)
    reporter.info(f"Created the Akua package {name} ({package.id}, {package.html_url}) with its first version "
                  f"{result.semver}. Pin it: set {setting('package-id')} to {package.id}.")
    recorded = akua.find_version(package.id, result.semver)
    return replace(result, package_id=package.id, status=Status.IMPORTED, created_url=package.html_url,
                   version_id=recorded.id if recorded else "", published_at=recorded.published_at if recorded else "")
