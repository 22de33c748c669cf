"""The publish, step by step: check locally, check Akua, vendor, pack, push, sign, register.

Each step runs only when every earlier one passed, so a failure leaves nothing
half-done: nothing is pushed before every local and Akua-side check passed
(including whether Akua already has this semver, and with which artifact), and
nothing is registered that was not pushed. Heavy libraries load in the step that
needs them (requests with the first request, oras with the push, cryptography
with a key, kcl-lib with the schema), so the first log line comes before any.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import PushedNotRegisteredError, RetryableError, VersionConflictError
from akua_publish.options import Options
from akua_publish.package.akua_lock import LockEntry
from akua_publish.package.loader import PackageInfo, check_version_matches, load_package
from akua_publish.package.version import oci_tag, resolve_semver
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult, Status

if TYPE_CHECKING:
    from akua_publish.signing.keys import SigningKey


def publish(options: Options, reporter: Reporter) -> PublishResult:
    """Publish one version of the package ``options`` describe; raise a ``PublishError`` when it cannot be."""
    limits = options.limits
    policy = RetryPolicy(attempts=limits.max_attempts, deadline=limits.deadline, timeout=limits.timeout,
                         warn=lambda message: reporter.warning(message, title="Retrying"))
    with tempfile.TemporaryDirectory(prefix="akua-publish-", dir=options.temp_dir) as work:
        return _publish(options, reporter, policy, Path(work))


@dataclass(frozen=True)
class _Checked:
    """What the local checks found."""

    semver: str
    package: PackageInfo
    name: str  # the name to find or create the package by
    schema: dict[str, Any]
    schema_origin: str
    key: SigningKey | None
    lock: list[LockEntry]


def _publish(options: Options, reporter: Reporter, policy: RetryPolicy, work: Path) -> PublishResult:
    with reporter.step("Check the package"):
        checked = _check(options, reporter)

    with reporter.step("Find the package in Akua"):
        from akua_publish.clients.akua_api import AkuaClient
        from akua_publish.release.destination import destination

        akua = AkuaClient(options.akua.api_url, options.akua.token, options.akua.workspace, policy, options.ca_bundle)
        found = destination(options.package, options.ci, akua, checked.name, checked.semver,
                            dry_run=options.policy.dry_run, reporter=reporter)
        repository, registered = found.repository, found.registered

    with reporter.step("Compare the input contract with the previous version"):
        from akua_publish.contract.check import input_contract

        contract = input_contract(options.policy.contract_check, akua, found.package_id, found.versions,
                                  schema=checked.schema, semver=checked.semver, reporter=reporter)

    with reporter.step("Vendor dependencies"):
        from akua_publish.deps.oci import NetworkFetcher
        from akua_publish.deps.vendor import vendor

        fetcher = NetworkFetcher(policy, options.dependencies.credentials, work, options.ca_bundle,
                                 options.dependencies.limits)
        vendoring = vendor(options.package.path, checked.package.manifest, work, fetcher, options.package.shown)
        for dependency in vendoring.dependencies:
            reporter.info(f"Vendored {dependency.alias}: {dependency.source} {dependency.version} "
                          f"({dependency.digest}), {dependency.files} files under .akua/vendor/{dependency.alias}/.")
        if not vendoring.dependencies:
            reporter.info("No OCI or git dependencies to vendor.")

    with reporter.step("Pack"):
        from akua_publish.package.manifest import build_artifact, oci_annotations
        from akua_publish.package.packing import pack

        # A file only when it may be uploaded: a dry run, or a version Akua already has, needs the
        # digest alone (a re-run of a big package neither fills the disk nor waits to delete it).
        keep = not options.policy.dry_run and not registered
        started = time.monotonic()
        layer = pack(options.package.path, work if keep else None, vendoring.files)
        artifact = build_artifact(layer, oci_annotations(checked.semver, options.ci.repository_url,
                                                         options.ci.commit))
        reporter.info(f"Packed {layer.files} files in {time.monotonic() - started:.2f} s: layer {layer.digest} "
                      f"({layer.size} bytes).")
        reporter.info(f"Manifest digest: {artifact.digest}")

    tag = oci_tag(checked.semver)
    result = PublishResult(
        status=Status.DRY_RUN, package_id=found.package_id, package_name=checked.name, semver=checked.semver,
        tag=tag, digest=artifact.digest, oci_ref=repository.oci_ref(artifact.digest),
        schema_origin=checked.schema_origin, input_schema=checked.schema, dependencies=vendoring.dependencies,
        contract=contract)
    from akua_publish.signing.sign import planned_sidecars

    # Signed now, so that a key that cannot sign fails before the push.
    sidecars = planned_sidecars(checked.key, str(repository), artifact.digest, tag, lock=checked.lock,
                                build=options.ci, attest=options.signing.attest) if checked.key else []
    if options.policy.dry_run:
        if sidecars:
            reporter.info("A real run signs the artifact: " + ", ".join(s.tag for s in sidecars) + ".")
        if registered and registered.ref != artifact.digest:
            reporter.warning(f"Akua already has {checked.semver} as {registered.ref}, not {artifact.digest}: unless "
                             "the registry holds the same content under that digest, a real run fails.",
                             title=VersionConflictError.title)
        reporter.info("Dry run: nothing was pushed to the registry and nothing was registered in Akua.")
        return result

    with reporter.step(f"Push to oci://{repository}:{tag}"):
        from akua_publish.clients.registry import RegistryClient
        from akua_publish.release.push import packed_as_file, push_unless_present

        plain_http = repository.is_loopback if options.registry.plain_http is None else options.registry.plain_http
        registry = RegistryClient(repository, options.registry.credentials_for(repository.host), plain_http, policy,
                                  options.ca_bundle)
        if registry.auth_scheme == "basic":
            reporter.warning(
                f"The registry {repository.host} asks for HTTP Basic authentication. Akua's reader of published "
                "packages (inspectOciPackage in Akua's core) answers only Bearer token challenges, so Akua may "
                "not be able to read the version back (HTTP 422). Registries such as GHCR, Docker Hub and "
                "Harbor use tokens.", title="Akua may not read this registry")
        digest = push_unless_present(
            registry, checked.semver, layer, artifact, registered=registered, reporter=reporter,
            layer_file=lambda: packed_as_file(layer, options.package.path, work, vendoring.files))
        result = replace(result, digest=digest, oci_ref=repository.oci_ref(digest))
        reporter.info(f"The registry holds {result.oci_ref}")

    if checked.key:
        with reporter.step("Sign: cosign signature" + (" and SLSA provenance" if options.signing.attest else "")):
            from akua_publish.signing.sign import publish_sidecars

            if digest != artifact.digest:  # Akua's version, or the same content packed by another release
                sidecars = planned_sidecars(checked.key, str(repository), digest, tag, lock=checked.lock,
                                            build=options.ci, attest=options.signing.attest)
            signatures = publish_sidecars(registry, checked.key, sidecars, digest, work_dir=work, reporter=reporter)
            result = replace(result, signatures=signatures)

    with reporter.step("Register the version in Akua"):
        from akua_publish.release.register import already_published, import_version, register

        if registered:
            return already_published(result, registered, reporter)
        try:
            if not found.package_id:
                return import_version(akua, result, repository=repository, workspace=options.akua.workspace,
                                      display_image_url=options.package.display_image_url,
                                      compatibility=options.package.compatibility, reporter=reporter)
            return register(akua, options.package.compatibility, result, reporter)
        except RetryableError as exc:
            raise PushedNotRegisteredError(exc, result.oci_ref) from exc


def _check(options: Options, reporter: Reporter) -> _Checked:
    """Everything that can be checked before anything leaves the machine."""
    from akua_publish.deps.vendor import lock_entries
    from akua_publish.release.package_import import PLACEHOLDER_REPOSITORY, check_import_body, import_body
    from akua_publish.schema.source import resolve_input_schema
    from akua_publish.schema.version_body import PLACEHOLDER_REF, build_body, check_body
    from akua_publish.signing.sign import signing_key  # cryptography loads only when there is a key

    package_options = options.package
    semver = resolve_semver(package_options.version, options.ci.ref, package_options.tag_pattern)
    package = load_package(package_options.path, package_options.shown)
    check_version_matches(package, semver, package_options.shown)
    input_schema = resolve_input_schema(package_options, options.policy.schema_check, reporter)
    placeholder = build_body(semver, PLACEHOLDER_REF, input_schema.schema, package_options.compatibility)
    check_body(placeholder)
    name = package_options.package_name or package.name
    if not package_options.package_id:  # a first publish may import the package: its request is checked too
        check_import_body(import_body(name, package_options.repository or PLACEHOLDER_REPOSITORY, placeholder,
                                      package_options.display_image_url))
    key = signing_key(options.signing, package_options, package.manifest, reporter)
    lock = lock_entries(package_options.path, package_options.shown) if key else []
    if input_schema.warnings:
        reporter.info(f"{package.name} {semver}: akua.toml, package.k and the input schema pass the checks that "
                      f"stop a publish, with {input_schema.warnings} warning(s) above.")
    else:
        reporter.info(f"{package.name} {semver}: akua.toml, package.k and the input schema are valid.")
    return _Checked(semver, package, name, input_schema.schema, input_schema.origin, key, lock)
