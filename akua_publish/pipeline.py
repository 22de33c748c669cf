"""The publish, step by step: check locally, check Akua, pack, push, register.

Each step runs only when every earlier one passed, so a failure leaves nothing
half-done: nothing is pushed before every local and Akua-side check passed
(including whether Akua already has this semver, and with which artifact), and
nothing is registered that was not pushed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from akua_publish.clients.retry import RetryPolicy
from akua_publish.contract.policy import Contract
from akua_publish.deps.vendor import VendoredDependency, lock_entries
from akua_publish.errors import RetryableError, VersionConflictError
from akua_publish.frontends.github.runner import Runner
from akua_publish.frontends.settings import Settings
from akua_publish.package.loader import check_version_matches, load_package
from akua_publish.package.manifest import build_artifact, oci_annotations
from akua_publish.package.packing import pack
from akua_publish.release.destination import destination, import_version
from akua_publish.release.package_import import PLACEHOLDER_REPOSITORY, check_import_body, import_body
from akua_publish.release.steps import (
    already_published,
    input_contract,
    packed_as_file,
    push_unless_present,
    register,
    vendor_dependencies,
)
from akua_publish.schema.source import resolve_input_schema
from akua_publish.schema.version_body import PLACEHOLDER_REF, build_body, check_body
from akua_publish.versioning import is_prerelease, oci_tag, resolve_semver

if TYPE_CHECKING:
    from akua_publish.signing.sign import Signatures


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
    contract: Contract = field(default_factory=lambda: Contract(""))
    created_url: str = ""  # the html_url of a package this run imported
    input_schema: dict[str, Any] = field(default_factory=dict)

    def outputs(self) -> dict[str, str]:
        signed = self.signatures
        return {
            "package-id": self.package_id,
            "semver": self.semver,
            "prerelease": "true" if is_prerelease(self.semver) else "false",
            "tag": self.tag,
            "digest": self.digest,
            "oci-ref": self.oci_ref,
            "version-id": self.version_id,
            "published-at": self.published_at,
            "status": self.status,
            "signature-tag": signed.signature_tag if signed else "",
            "attestation-tag": signed.attestation_tag if signed else "",
            "signature-digest": signed.signature_digest if signed else "",
            "contract": self.contract.status,
        }


def publish(settings: Settings, runner: Runner, work_dir: Path) -> Outcome:
    policy = RetryPolicy(attempts=settings.max_attempts, deadline=settings.deadline, timeout=settings.timeout,
                         warn=lambda message: runner.warning(message, title="Retrying"))
    with runner.group("Check the package"):
        from akua_publish.signing.sign import (  # cryptography: this phase on
            planned_sidecars,
            publish_sidecars,
            signing_key,
        )

        semver = resolve_semver(settings.version, settings.github_ref, settings.tag_pattern)
        package = load_package(settings.package_dir, settings.package_shown)
        check_version_matches(package, semver, settings.package_shown)
        input_schema = resolve_input_schema(settings, runner)
        schema = input_schema.schema
        placeholder_body = build_body(semver, PLACEHOLDER_REF, schema, settings.compatibility)
        check_body(placeholder_body)
        name = settings.package_name or package.name
        if not settings.package_id:  # a first publish may import the package: its request is checked too
            check_import_body(import_body(name, settings.repository or PLACEHOLDER_REPOSITORY, placeholder_body,
                                          settings.display_image_url))
        key = signing_key(settings, package.manifest, runner)
        lock = lock_entries(settings.package_dir, settings.package_shown) if key else []
        if input_schema.warnings:
            runner.info(f"{package.name} {semver}: akua.toml, package.k and the input schema pass the checks that "
                        f"stop a publish, with {input_schema.warnings} warning(s) above.")
        else:
            runner.info(f"{package.name} {semver}: akua.toml, package.k and the input schema are valid.")

    with runner.group("Find the package in Akua"):
        from akua_publish.clients.akua_api import AkuaClient

        akua = AkuaClient(settings.api_url, settings.api_token, settings.workspace, policy, settings.ca_bundle)
        found = destination(settings, akua, name, semver, runner)
        settings = replace(settings, package_id=found.package_id)  # "" from here on means: import it
        repository, versions, registered = found.repository, found.versions, found.registered

    with runner.group("Compare the input contract with the previous version"):
        contract = input_contract(settings, akua, versions, schema, semver, runner=runner)

    with runner.group("Vendor dependencies"):
        vendoring = vendor_dependencies(settings, package.manifest, policy, work_dir, runner)

    with runner.group("Pack"):
        # A file only when it may be uploaded: a dry run, or a version Akua already has, needs the
        # digest alone (a re-run of a big package neither fills the disk nor waits to delete it).
        keep = not settings.dry_run and not registered
        started = time.monotonic()
        layer = pack(settings.package_dir, work_dir if keep else None, vendoring.files)
        artifact = build_artifact(layer, oci_annotations(semver, settings.source_url, settings.revision))
        runner.info(f"Packed {layer.files} files in {time.monotonic() - started:.2f} s: layer {layer.digest} "
                    f"({layer.size} bytes).")
        runner.info(f"Manifest digest: {artifact.digest}")

    tag = oci_tag(semver)
    outcome = Outcome(
        package_id=settings.package_id, package_name=name, semver=semver, tag=tag,
        digest=artifact.digest, oci_ref=repository.oci_ref(artifact.digest), status="dry-run",
        schema_origin=input_schema.origin, dependencies=tuple(vendoring.dependencies), contract=contract,
        input_schema=schema,
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
        from akua_publish.clients.registry import RegistryClient

        plain_http = repository.is_loopback if settings.plain_http is None else settings.plain_http
        credentials = settings.login.for_host(repository.host)
        registry = RegistryClient(repository, credentials, plain_http, policy, settings.ca_bundle)
        if registry.auth_scheme == "basic":
            runner.warning(
                f"The registry {repository.host} asks for HTTP Basic authentication. Akua's reader of published "
                "packages (inspectOciPackage in Akua's core) answers only Bearer token challenges, so Akua may "
                "not be able to read the version back (HTTP 422). Registries such as GHCR, Docker Hub and "
                "Harbor use tokens.", title="Akua may not read this registry")
        digest = push_unless_present(
            registry, semver, layer, artifact, registered=registered, runner=runner,
            layer_file=lambda: packed_as_file(layer, settings.package_dir, work_dir, vendoring.files))
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
            if not settings.package_id:
                return import_version(akua, settings, name, schema, outcome, repository=repository, runner=runner)
            return register(akua, schema, settings.compatibility, outcome, runner)
        except RetryableError as exc:
            exc.hint += (
                f" The artifact is already in the registry ({outcome.oci_ref}); re-running the "
                "job will find it there and finish the registration."
            )
            raise
