"""The publish, step by step: check locally, check Akua, pack, push, register.

Each step runs only when every earlier one passed, so a failure leaves nothing
half-done: nothing is pushed before every local and Akua-side check passed,
and nothing is registered that was not pushed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Settings
from .errors import (
    AkuaRejectedError,
    HostedPackageError,
    RepositoryMismatchError,
    RetryableError,
    TagConflictError,
    VersionConflictError,
)
from .manifest import Artifact, build_artifact, oci_annotations
from .package import check_version_matches, load_package
from .packing import PackedLayer, pack
from .reference import Repository, parse_repository
from .retry import RetryPolicy
from .runner import Runner
from .schema_source import resolve_input_schema
from .version_body import PLACEHOLDER_REF, build_body, check_body
from .versioning import oci_tag, resolve_semver

if TYPE_CHECKING:  # imported for real in the phase that needs them (start-up time)
    from .akua_api import AkuaClient
    from .registry import RegistryClient


@dataclass(frozen=True)
class Outcome:
    package_id: str
    package_name: str
    semver: str
    tag: str
    digest: str
    oci_ref: str
    status: str
    schema_origin: str
    version_id: str = ""
    published_at: str = ""

    def outputs(self) -> dict[str, str]:
        return {
            "semver": self.semver,
            "tag": self.tag,
            "digest": self.digest,
            "oci-ref": self.oci_ref,
            "version-id": self.version_id,
            "published-at": self.published_at,
            "status": self.status,
        }


def publish(settings: Settings, runner: Runner, work_dir: Path) -> Outcome:
    policy = RetryPolicy(attempts=settings.max_attempts, deadline=settings.deadline, timeout=settings.timeout,
                         warn=lambda message: runner.warning(message, title="Retrying"))
    with runner.group("Check the package"):
        semver = resolve_semver(settings.version, settings.github_ref)
        package = load_package(settings.package_dir, settings.package_shown)
        check_version_matches(package, semver, settings.package_shown)
        input_schema = resolve_input_schema(settings, runner)
        schema = input_schema.schema
        check_body(build_body(semver, PLACEHOLDER_REF, schema, settings.compatibility))
        runner.info(f"{package.name} {semver}: akua.toml, package.k and the input schema are valid.")

    with runner.group("Check the package in Akua"):
        from .akua_api import AkuaClient

        akua = AkuaClient(settings.api_url, settings.api_token, settings.workspace, policy)
        repository = choose_repository(akua.get_package(settings.package_id), settings.repository)
        runner.info(f"Akua package {settings.package_id} publishes to oci://{repository}.")

    with runner.group("Pack"):
        layer = pack(settings.package_dir, work_dir)
        annotations = oci_annotations(semver, settings.source_url, settings.revision)
        artifact = build_artifact(layer, __version__, annotations)
        runner.info(f"Packed {layer.files} files: layer {layer.digest} ({layer.size} bytes).")
        runner.info(f"Manifest digest: {artifact.digest}")

    tag = oci_tag(semver)
    outcome = Outcome(
        package_id=settings.package_id,
        package_name=package.name,
        semver=semver,
        tag=tag,
        digest=artifact.digest,
        oci_ref=repository.oci_ref(artifact.digest),
        status="dry-run",
        schema_origin=input_schema.origin,
    )
    if settings.dry_run:
        runner.info("Dry run: nothing was pushed to the registry and nothing was registered in Akua.")
        return outcome

    with runner.group(f"Push to oci://{repository}:{tag}"):
        from .registry import RegistryClient

        plain_http = settings.plain_http or repository.is_loopback
        registry = RegistryClient(repository, settings.credentials, plain_http, policy)
        push_unless_present(registry, tag, layer, artifact, runner)
        runner.info(f"The registry holds {outcome.oci_ref}")

    with runner.group("Register the version in Akua"):
        try:
            return register(akua, schema, settings.compatibility, outcome, runner)
        except RetryableError as exc:
            exc.hint += (
                f" The artifact is already in the registry ({outcome.oci_ref}); re-running the "
                "job will find it there and finish the registration."
            )
            raise


def push_unless_present(registry: RegistryClient, tag: str, layer: PackedLayer, artifact: Artifact,
                        runner: Runner) -> None:
    """Upload only when the tag is absent: the same digest is a re-run, another one a conflict."""
    existing = registry.tag_digest(tag)
    if existing == artifact.digest:
        runner.info(f"Tag {tag} already holds {existing}: nothing to upload.")
        return
    if existing:
        raise TagConflictError(
            f"oci://{registry.repository}:{tag} already holds {existing}, not {artifact.digest}; "
            "nothing was overwritten.",
            "Published versions are immutable: bump the version in akua.toml and tag again. "
            "If the earlier push was a mistake and was never registered in Akua, delete the "
            "tag from the registry first.",
        )
    registry.push(tag, layer, artifact)


def register(
    akua: AkuaClient, schema: dict[str, Any], compatibility: dict[str, Any] | None, outcome: Outcome,
    runner: Runner,
) -> Outcome:
    """POST the version (the session retries it); a 409 is resolved by looking the semver up.

    Akua takes no idempotency key, so after a retried POST whose first attempt was
    committed, a 409 with the same digest is this run's own version.
    """
    body = build_body(outcome.semver, outcome.digest, schema, compatibility)
    version = akua.create_version(outcome.package_id, body)
    status = "published"
    if version is None:
        runner.info(f"Akua already has {outcome.semver}; looking it up.")
        version = akua.find_version(outcome.package_id, outcome.semver)
        if version is None:
            raise AkuaRejectedError(
                f"Akua answered 409 Conflict for {outcome.semver}, but lists no such version.",
                "Re-run the job; if it persists, contact Akua support with the package id.",
            )
        if version.get("ref") != outcome.digest:
            raise VersionConflictError(
                f"Akua already has {outcome.semver} with ref {version.get('ref')}, but this "
                f"build is {outcome.digest}.",
                "Versions are immutable: publish the change as a new version (bump "
                "akua.toml and tag again).",
            )
        status = "already-published"
    runner.info(f"Version {outcome.semver} is {status} as {version.get('id')}.")
    return replace(
        outcome,
        status=status,
        version_id=str(version.get("id", "")),
        published_at=str(version.get("published_at", "")),
    )


def choose_repository(package: dict[str, Any], requested: Repository | None) -> Repository:
    """The package's recorded repository: Akua verifies the version there and nowhere else."""
    source = package.get("source") or {}
    if source.get("kind") != "oci":
        raise HostedPackageError(
            f"Akua package {package.get('id')} is a {source.get('kind', 'unknown')} package, "
            "not an OCI-backed one; versions of it are not published from a registry.",
            "Use the id of an OCI-backed package (one imported from a registry).",
        )
    recorded = parse_repository(str(source.get("oci_ref", "")), "Akua's recorded oci_ref")
    if requested is not None and requested != recorded:
        raise RepositoryMismatchError(
            f"The `repository` input is oci://{requested}, but Akua reads this package from "
            f"oci://{recorded}.",
            "Remove the `repository` input (the default is Akua's), or change the package's "
            "source in Akua.",
        )
    return recorded
