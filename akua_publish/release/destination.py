"""Which Akua package a version goes to: ``package-id``, else the package of that name, else a new one.

The look-up is a publish step of its own (the pure part, the import request and
its checks, is ``package_import``): a first publish finds or creates its package,
and a re-run of it finds the package it created. Akua verifies a version at the
package's recorded repository and nowhere else, so that is where it is pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from akua_publish.clients.akua_types import Package, PackageVersion
from akua_publish.errors import HostedPackageError, InputError, RepositoryMismatchError
from akua_publish.options import CiContext, PackageOptions
from akua_publish.reference import Repository, parse_repository
from akua_publish.release.package_import import choose_package
from akua_publish.reporter import Reporter
from akua_publish.wording import setting

if TYPE_CHECKING:  # requests loads with the client, in the step that talks to Akua
    from akua_publish.clients.akua_api import AkuaClient


@dataclass(frozen=True)
class Destination:
    """Where this version goes: the package (``package_id`` "" for one to import) and its repository."""

    package_id: str
    repository: Repository
    versions: tuple[PackageVersion, ...]
    registered: PackageVersion | None  # this semver, when Akua already has it


def destination(package: PackageOptions, ci: CiContext, akua: AkuaClient, name: str, semver: str, *,
                dry_run: bool, reporter: Reporter, known: Sequence[Package] | None = None) -> Destination:
    """The package by ``package-id``, else the one named ``name`` (among ``known``, Akua's packages a batch
    listed once, else listed now), else none yet (to import)."""
    found: Package | None
    if package.package_id:
        found = akua.get_package(package.package_id)
    else:
        found = choose_package(list(akua.packages() if known is None else known), name)
    if found is None:
        repository = import_repository(package, ci, name)
        reporter.info(f"No Akua package is named {name}: " + ("a real run imports" if dry_run else "importing")
                      + f" it from oci://{repository}, with {semver} as its first version.")
        return Destination("", repository, (), None)
    repository = choose_repository(found, package.repository)
    if not package.package_id:
        reporter.info(f"Found the Akua package {name} by name: {found.id} (set {setting('package-id')} to "
                      f"{found.id} to skip the look-up).")
    elif found.name != name:
        reporter.warning(f"akua.toml names the package `{name}`, but Akua's package {found.id} is `{found.name}`. "
                         f"Check that {setting('package-id')} is the package you mean to publish.",
                         title="Package name differs from Akua's")
    versions = tuple(akua.versions(found.id))
    registered = next((v for v in versions if v.semver == semver), None)
    reporter.info(f"Akua package {found.id} publishes to oci://{repository}; "
                  + (f"Akua already has {semver} ({registered.ref})." if registered
                     else f"{semver} is not registered yet."))
    return Destination(found.id, repository, versions, registered)


def import_repository(package: PackageOptions, ci: CiContext, name: str) -> Repository:
    """Where a package that does not exist yet is pushed: the repository option, else the CI's namespace
    (GHCR under the repository's owner, on GitHub)."""
    if package.repository is not None:
        return package.repository
    if not ci.registry_namespace:
        raise InputError(
            f"No Akua package is named {name}, and there is no repository to import it from: "
            f"{setting('repository')} is empty, and only a run on GitHub has a default (GHCR, under the "
            "repository's owner).",
            f"Set {setting('repository')} (host/name) for the first publish, or {setting('package-id')} to publish "
            "to an existing package.")
    return parse_repository(f"{ci.registry_namespace}/{name}".lower(), "The default repository")


def choose_repository(package: Package, requested: Repository | None) -> Repository:
    """The package's recorded repository: Akua verifies the version there and nowhere else."""
    if not package.oci_backed:
        raise HostedPackageError(
            f"Akua package {package.id} is a {package.source.kind or 'unknown'} package, not an OCI-backed one; "
            "versions of it are not published from a registry.",
            "Use the id of an OCI-backed package (one imported from a registry).")
    recorded = parse_repository(package.source.oci_ref, "Akua's recorded oci_ref")
    if requested is not None and requested != recorded:
        raise RepositoryMismatchError(
            f"{setting('repository')} is oci://{requested}, but Akua reads this package from oci://{recorded}.",
            f"Leave {setting('repository')} empty (the default is Akua's), or change the package's source in Akua.")
    return recorded
