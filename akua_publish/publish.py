"""The publish, step by step: check locally, check Akua, pack, push, register.

Each step runs only when every earlier one passed, so a failure leaves nothing
half-done: nothing is pushed before every local and Akua-side check passed
(including whether Akua already has this semver, and with which artifact), and
nothing is registered that was not pushed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .dependencies import VendoredDependency, Vendoring, lock_entries, vendor
from .errors import (
    AkuaRejectedError,
    HostedPackageError,
    RepositoryMismatchError,
    RetryableError,
    TagConflictError,
    VersionConflictError,
)
from .manifest import Artifact, build_artifact, content_layer_digest, oci_annotations
from .package import check_version_matches, load_package
from .packing import PackedLayer, pack
from .reference import Repository, parse_repository
from .retry import RetryPolicy
from .runner import Runner
from .schema_source import resolve_input_schema
from .signing import Signatures, planned_sidecars, publish_sidecars, signing_key
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
    dependencies: tuple[VendoredDependency, ...] = ()
    signatures: Signatures | None = None

    def outputs(self) -> dict[str, str]:
        signed = self.signatures
        return {
            "semver": self.semver,
            "tag": self.tag,
            "digest": self.digest,
            "oci-ref": self.oci_ref,
            "version-id": self.version_id,
            "published-at": self.published_at,
            "status": self.status,
            "signature-tag": signed.signature_tag if signed else "",
            "attestation-tag": signed.attestation_tag if signed else "",
            "signature-digest": signed.signature_digest if signed else "",
        }


def publish(settings: Settings, runner: Runner, work_dir: Path) -> Outcome:
    policy = RetryPolicy(attempts=settings.max_attempts, deadline=settings.deadline, timeout=settings.timeout,
                         warn=lambda message: runner.warning(message, title="Retrying"))
    with runner.group("Check the package"):
        semver = resolve_semver(settings.version, settings.github_ref, settings.tag_pattern)
        package = load_package(settings.package_dir, settings.package_shown)
        check_version_matches(package, semver, settings.package_shown)
        input_schema = resolve_input_schema(settings, runner)
        schema = input_schema.schema
        check_body(build_body(semver, PLACEHOLDER_REF, schema, settings.compatibility))
        key = signing_key(settings, package.manifest, runner)
        lock = lock_entries(settings.package_dir, settings.package_shown) if key else []
        runner.info(f"{package.name} {semver}: akua.toml, package.k and the input schema are valid.")

    with runner.group("Check the package in Akua"):
        from .akua_api import AkuaClient

        akua = AkuaClient(settings.api_url, settings.api_token, settings.workspace, policy, settings.ca_bundle)
        recorded = akua.get_package(settings.package_id)
        repository = choose_repository(recorded, settings.repository)
        if recorded.get("name") != package.name:
            runner.warning(
                f"akua.toml names the package `{package.name}`, but Akua's package {settings.package_id} is "
                f"`{recorded.get('name')}`. Check that `package-id` is the package you mean to publish.",
                title="Package name differs from Akua's",
            )
        registered = akua.find_version(settings.package_id, semver)
        runner.info(f"Akua package {settings.package_id} publishes to oci://{repository}; "
                    + (f"Akua already has {semver} ({registered.get('ref')})." if registered
                       else f"{semver} is not registered yet."))

    with runner.group("Vendor dependencies"):
        vendoring = vendor_dependencies(settings, package.manifest, policy, work_dir, runner)

    with runner.group("Pack"):
        layer = pack(settings.package_dir, work_dir, vendoring.files)
        artifact = build_artifact(layer, oci_annotations(semver, settings.source_url, settings.revision))
        runner.info(f"Packed {layer.files} files: layer {layer.digest} ({layer.size} bytes).")
        runner.info(f"Manifest digest: {artifact.digest}")

    tag = oci_tag(semver)
    outcome = Outcome(
        package_id=settings.package_id, package_name=package.name, semver=semver, tag=tag,
        digest=artifact.digest, oci_ref=repository.oci_ref(artifact.digest), status="dry-run",
        schema_origin=input_schema.origin, dependencies=tuple(vendoring.dependencies),
    )
    # Signed now, so that a key that cannot sign fails before the push.
    sidecars = planned_sidecars(key, str(repository), artifact.digest, tag, lock=lock, build=settings.build,
                                attest=settings.signing.attest) if key else []
    if settings.dry_run:
        if sidecars:
            runner.info("A real run signs the artifact: " + ", ".join(s.tag for s in sidecars) + ".")
        if registered and registered.get("ref") != artifact.digest:
            runner.warning(f"Akua already has {semver} as {registered.get('ref')}, not {artifact.digest}: "
                           "unless the registry holds the same content under that digest, a real run fails.",
                           title=VersionConflictError.title)
        runner.info("Dry run: nothing was pushed to the registry and nothing was registered in Akua.")
        return outcome

    with runner.group(f"Push to oci://{repository}:{tag}"):
        from .registry import RegistryClient

        plain_http = repository.is_loopback if settings.plain_http is None else settings.plain_http
        credentials = settings.login.for_host(repository.host)
        registry = RegistryClient(repository, credentials, plain_http, policy, settings.ca_bundle)
        if registry.auth_scheme == "basic":
            runner.warning(
                f"The registry {repository.host} asks for HTTP Basic authentication. Akua's reader of published "
                "packages (inspectOciPackage in Akua's core) answers only Bearer token challenges, so Akua may "
                "not be able to read the version back (HTTP 422). Registries such as GHCR, Docker Hub and "
                "Harbor use tokens.", title="Akua may not read this registry")
        digest = push_unless_present(registry, semver, layer, artifact, registered=registered,
                                     runner=runner)
        outcome = replace(outcome, digest=digest, oci_ref=repository.oci_ref(digest))
        runner.info(f"The registry holds {outcome.oci_ref}")

    if key:
        with runner.group("Sign: cosign signature" + (" and SLSA provenance" if settings.signing.attest else "")):
            if digest != artifact.digest:  # Akua's version, or the same content packed by another release
                sidecars = planned_sidecars(key, str(repository), digest, tag, lock=lock, build=settings.build,
                                            attest=settings.signing.attest)
            signatures = publish_sidecars(registry, key, sidecars, digest, work_dir=work_dir, runner=runner)
            outcome = replace(outcome, signatures=signatures)

    with runner.group("Register the version in Akua"):
        if registered:
            return already_published(outcome, registered, runner)
        try:
            return register(akua, schema, settings.compatibility, outcome, runner)
        except RetryableError as exc:
            exc.hint += (
                f" The artifact is already in the registry ({outcome.oci_ref}); re-running the "
                "job will find it there and finish the registration."
            )
            raise


def vendor_dependencies(settings: Settings, manifest: dict[str, Any], policy: RetryPolicy, work_dir: Path,
                        runner: Runner) -> Vendoring:
    """Fetch the OCI and git dependencies Akua vendors (nothing when akua.toml declares none)."""
    from .dependency_fetch import NetworkFetcher

    fetcher = NetworkFetcher(policy, settings.dependency_credentials, settings.ca_bundle)
    done = vendor(settings.package_dir, manifest, work_dir, fetcher, settings.package_shown)
    for dependency in done.dependencies:
        runner.info(f"Vendored {dependency.alias}: {dependency.source} {dependency.version} ({dependency.digest}), "
                    f"{dependency.files} files under .akua/vendor/{dependency.alias}/.")
    if not done.dependencies:
        runner.info("No OCI or git dependencies to vendor.")
    return done


def push_unless_present(registry: RegistryClient, semver: str, layer: PackedLayer, artifact: Artifact,
                        *, registered: dict[str, Any] | None, runner: Runner) -> str:
    """Make the registry hold this content under ``tag``; return the manifest digest to register.

    Content counts as this publish when the manifest digest is the same, or when
    the manifest's content layer is this layer: the same package packed by
    another release of akua-publish. When Akua already has the semver, its
    recorded artifact must be this content, and the registry must still hold
    it (a deleted tag is pushed again); anything else fails before any push.
    """
    tag = oci_tag(semver)
    current = registry.manifest(tag)
    if registered:
        ref = str(registered.get("ref", ""))
        stored = current if current and current.digest == ref else registry.manifest(ref)
        if ref != artifact.digest and (stored is None or content_layer_digest(stored.content) != layer.digest):
            raise VersionConflictError(
                f"Akua already has {semver} with ref {ref}, but this build is {artifact.digest} "
                f"(layer {layer.digest}); nothing was pushed.",
                "Versions are immutable: publish the change as a new version (bump akua.toml and tag again).",
            )
        if current is not None and current.digest == ref:
            runner.info(f"Tag {tag} already holds {ref}: nothing to upload.")
        elif current is not None:
            raise TagConflictError(
                f"Akua's {semver} is {ref}, but oci://{registry.repository}:{tag} now holds "
                f"{current.digest}; nothing was overwritten.",
                "Someone re-tagged the version in the registry. Point the tag back at Akua's digest, or "
                "publish a new version.",
            )
        elif stored is not None:
            runner.info(f"Tag {tag} was deleted from the registry; tagging {ref} again.")
            registry.put_manifest(tag, stored.raw)
        else:
            runner.info(f"The registry no longer holds {ref}; pushing it again.")
            registry.push(tag, layer, artifact)
        return ref
    if current is None:
        return registry.push(tag, layer, artifact)
    if current.digest == artifact.digest:
        runner.info(f"Tag {tag} already holds {current.digest}: nothing to upload.")
        return current.digest
    if content_layer_digest(current.content) == layer.digest:
        runner.info(f"Tag {tag} holds {current.digest} with this very content (packed by another release of "
                    "akua-publish): nothing to upload; registering that digest.")
        return current.digest
    raise TagConflictError(
        f"oci://{registry.repository}:{tag} already holds {current.digest}, not {artifact.digest}; "
        "nothing was overwritten.",
        "Published versions are immutable: bump the version in akua.toml and tag again. "
        "If the earlier push was a mistake and was never registered in Akua, delete the "
        "tag from the registry first.",
    )


def already_published(outcome: Outcome, version: dict[str, Any], runner: Runner) -> Outcome:
    runner.info(f"Version {outcome.semver} is already-published as {version.get('id')}.")
    return replace(outcome, status="already-published", version_id=str(version.get("id", "")),
                   published_at=str(version.get("published_at", "")))


def register(
    akua: AkuaClient, schema: dict[str, Any], compatibility: dict[str, Any] | None, outcome: Outcome,
    runner: Runner,
) -> Outcome:
    """POST the version (retried by the policy); a 409 is resolved by looking the semver up.

    Akua takes no idempotency key, so after a retried POST whose first attempt was
    committed, a 409 with the same digest is this run's own version.
    """
    body = build_body(outcome.semver, outcome.digest, schema, compatibility)
    version = akua.create_version(outcome.package_id, body)
    if version is not None:
        runner.info(f"Version {outcome.semver} is published as {version.get('id')}.")
        return replace(outcome, status="published", version_id=str(version.get("id", "")),
                       published_at=str(version.get("published_at", "")))
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
    return already_published(outcome, version, runner)


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
