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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from akua_publish.artifact import Artifact, PackedContent, PackedLayer
from akua_publish.cancellation import Cancelled, RunCancelledError, Trail
from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import (
    PushedNotRegisteredError,
    RegisteredNotTaggedError,
    RetryableError,
    VersionConflictError,
)
from akua_publish.options import CheckMode, Options
from akua_publish.package.akua_lock import LockEntry
from akua_publish.package.loader import PackageInfo, check_version_matches, load_package
from akua_publish.package.version import oci_tag, resolve_semver
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult, Status

if TYPE_CHECKING:
    from akua_publish.clients.akua_types import PackageVersion
    from akua_publish.package.packing import VendoredFile
    from akua_publish.reference import Repository
    from akua_publish.signing.keys import SigningKey


def publish(options: Options, reporter: Reporter) -> PublishResult:
    """Publish one version of the package ``options`` describe; raise a ``PublishError`` when it cannot be."""
    limits = options.limits
    policy = RetryPolicy(attempts=limits.max_attempts, deadline=limits.deadline, timeout=limits.timeout,
                         warn=lambda message: reporter.warning(message, title="Retrying"))
    trail = Trail()
    try:
        with tempfile.TemporaryDirectory(prefix="akua-publish-", dir=options.temp_dir) as work:
            return _publish(options, reporter, policy, Path(work), trail)
    except Cancelled as exc:  # the scratch folder is gone by now
        raise RunCancelledError(exc.signum, trail.said()) from exc


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


def _publish(options: Options, reporter: Reporter, policy: RetryPolicy, work: Path, trail: Trail) -> PublishResult:
    with reporter.step("Check the package"):
        checked = _check(options, reporter)

    with reporter.step("Find the package in Akua"):
        from akua_publish.clients.akua_api import AkuaClient
        from akua_publish.release.destination import destination
        from akua_publish.release.readability import check_connections

        akua = AkuaClient(options.akua.api_url, options.akua.token, options.akua.workspace, policy, options.ca_bundle)
        found = destination(options.package, options.ci, akua, checked.name, checked.semver,
                            dry_run=options.policy.dry_run, reporter=reporter)
        repository, registered = found.repository, found.registered
        # Whether Akua will read what is pushed matters only for a version it is to register.
        watch = options.policy.readability_check is not CheckMode.OFF and registered is None
        connections = check_connections(akua, repository, reporter) if watch else None

    with reporter.step("Compare the input contract with the previous version"):
        from akua_publish.contract.check import input_contract

        contract = input_contract(options.policy.contract_check, akua, found.package_id, found.versions,
                                  schema=checked.schema, semver=checked.semver, reporter=reporter)

    with reporter.step("Vendor dependencies"):
        from akua_publish.deps.oci import NetworkFetcher
        from akua_publish.deps.vendor import vendor

        fetcher = NetworkFetcher(policy, options.dependencies.credentials, work, options.ca_bundle,
                                 options.dependencies.limits, progress=reporter.progress)
        vendoring = vendor(options.package.path, checked.package.manifest, work, fetcher, options.package.shown,
                           file_root=options.dependencies.file_root)
        for dependency in vendoring.dependencies:
            reporter.info(f"Vendored {dependency.alias}: {dependency.source} {dependency.version} "
                          f"({dependency.digest}), {dependency.files} files under .akua/vendor/{dependency.alias}/.")
        if not vendoring.dependencies:
            reporter.info("No OCI or git dependencies to vendor.")

    tag = oci_tag(checked.semver)
    result = PublishResult(
        status=Status.DRY_RUN, package_id=found.package_id, package_name=checked.name, semver=checked.semver,
        tag=tag, digest="", oci_ref="", schema_origin=checked.schema_origin, input_schema=checked.schema,
        dependencies=vendoring.dependencies, contract=contract)
    if options.policy.dry_run:
        with reporter.step("Pack"):
            layer, artifact = _pack(options, checked, vendoring.files, None, reporter)
        result = replace(result, digest=artifact.digest, oci_ref=repository.oci_ref(artifact.digest))
        return _dry_run(options, checked, result, repository=repository, registered=registered, reporter=reporter)

    with reporter.step(f"Look for {checked.semver} in oci://{repository}"):
        from akua_publish.clients.registry import RegistryClient
        from akua_publish.package.packing import hash_content
        from akua_publish.release.content import holds_content
        from akua_publish.release.push import check_reproduced, find_present, tag_version, upload

        plain_http = repository.is_loopback if options.registry.plain_http is None else options.registry.plain_http
        registry = RegistryClient(repository, options.registry.credentials_for(repository.host), plain_http, policy,
                                  options.ca_bundle, progress=reporter.progress,
                                  warn=lambda message: reporter.warning(message, title="Credentials in plain HTTP"))
        if registry.auth_scheme == "basic":
            reporter.warning(
                f"The registry {repository.host} asks for HTTP Basic authentication. Akua's reader of published "
                "packages (inspectOciPackage in Akua's core) answers only Bearer token challenges, so Akua may "
                "not be able to read the version back (HTTP 422). Registries such as GHCR, Docker Hub and "
                "Harbor use tokens.", title="Akua may not read this registry")

        hashed: list[PackedContent] = []

        def content() -> PackedContent:
            if not hashed:
                started = time.monotonic()
                hashed.append(hash_content(options.package.path, vendoring.files, reporter.progress))
                reporter.info(f"Hashed {hashed[0].files} files in {time.monotonic() - started:.2f} s (nothing "
                              f"compressed): content {hashed[0].digest} ({hashed[0].size} bytes).")
            return hashed[0]

        present = find_present(registry, checked.semver, registered=registered, content=content, reporter=reporter)
    if present is None:
        with reporter.step("Pack"):
            layer, artifact = _pack(options, checked, vendoring.files, work, reporter)
            check_reproduced(checked.semver, registered, artifact)
        digest, manifest = artifact.digest, artifact.manifest
        if not hashed:
            hashed.append(layer.content)
    else:
        digest, manifest = present.manifest.digest, present.manifest.raw
    result = replace(result, digest=digest, oci_ref=repository.oci_ref(digest))
    trail.pushing, trail.pushed = result.oci_ref, present is not None
    if registered:
        trail.registered = f"{checked.semver} as {repository.oci_ref(registered.ref)}"
    from akua_publish.signing.sign import planned_sidecars

    # Signed now, so that a key that cannot sign fails before the push.
    sidecars = planned_sidecars(checked.key, str(repository), digest, tag, lock=checked.lock,
                                build=options.ci, attest=options.signing.attest) if checked.key else []
    if present is None:
        with reporter.step(f"Push to oci://{repository}@{digest}"):
            upload(registry, layer, artifact, reporter)
            trail.pushed = True

    if checked.key:
        with reporter.step("Sign: cosign signature" + (" and SLSA provenance" if options.signing.attest else "")):
            from akua_publish.signing.sign import publish_sidecars

            signatures = publish_sidecars(registry, checked.key, sidecars, digest, work_dir=work, reporter=reporter)
            result = replace(result, signatures=signatures)

    if registered:
        from akua_publish.release.register import already_published

        if present is None or not present.tagged:
            trail.tag = tag
            with reporter.step(f"Tag {tag}"):
                tag_version(registry, tag, manifest, reporter)
        return already_published(result, registered, reporter)

    def same_content(ref: str) -> bool:
        stored = registry.manifest(ref)
        return stored is not None and holds_content(registry, stored, content(), reporter)

    trail.registering = True
    try:
        if connections is not None:
            with reporter.step("Check that Akua can read the artifact"):
                from akua_publish.clients.anonymous_read import anonymous_read
                from akua_publish.reference import akua_reads_plain_http
                from akua_publish.release.readability import Fixes, check_readable

                akua_plain = akua_reads_plain_http(repository.host)  # as Akua's reader chooses
                check_readable(options.policy.readability_check, connections, repository=repository, digest=digest,
                               anonymous_read=lambda: anonymous_read(repository, digest, plain_http and akua_plain,
                                                                     policy, options.ca_bundle),
                               fixes=Fixes(options.akua.api_url, options.akua.workspace, options.ci),
                               reporter=reporter, over_https=plain_http and not akua_plain)
        with reporter.step("Register the version in Akua"):
            from akua_publish.release.register import import_version, register

            if not found.package_id:
                result = import_version(akua, result, repository=repository, workspace=options.akua.workspace,
                                        display_image_url=options.package.display_image_url,
                                        compatibility=options.package.compatibility, reporter=reporter,
                                        same_content=same_content)
            else:
                result = register(akua, options.package.compatibility, result, reporter, same_content)
    except RetryableError as exc:
        raise PushedNotRegisteredError(exc, result.oci_ref) from exc
    trail.registered, trail.tag = f"{result.semver} as {result.oci_ref}", tag
    with reporter.step(f"Tag {tag}"):
        try:
            tag_version(registry, tag, manifest if result.digest == digest else result.digest, reporter)
        except RetryableError as exc:
            raise RegisteredNotTaggedError(exc, result.semver, result.oci_ref) from exc
    return result


def _pack(options: Options, checked: _Checked, vendored: Sequence[VendoredFile], out_dir: Path | None,
          reporter: Reporter) -> tuple[PackedLayer, Artifact]:
    """The layer (to a file under ``out_dir``, or only hashed) and the artifact around it."""
    from akua_publish.package.manifest import build_artifact, oci_annotations
    from akua_publish.package.packing import pack

    started = time.monotonic()
    layer = pack(options.package.path, out_dir, vendored, reporter.progress)
    artifact = build_artifact(layer, oci_annotations(checked.semver, options.ci.repository_url, options.ci.commit))
    reporter.info(f"Packed {layer.files} files in {time.monotonic() - started:.2f} s: layer {layer.digest} "
                  f"({layer.size} bytes; content {layer.content.digest}).")
    reporter.info(f"Manifest digest: {artifact.digest}")
    return layer, artifact


def _dry_run(options: Options, checked: _Checked, result: PublishResult, *, repository: Repository,
             registered: PackageVersion | None, reporter: Reporter) -> PublishResult:
    from akua_publish.signing.sign import planned_sidecars

    if checked.key:  # signed now, so that a key that cannot sign fails the dry run as it would the real one
        sidecars = planned_sidecars(checked.key, str(repository), result.digest, result.tag, lock=checked.lock,
                                    build=options.ci, attest=options.signing.attest)
        reporter.info("A real run signs the artifact: " + ", ".join(s.tag for s in sidecars) + ".")
    if registered and registered.ref != result.digest:
        reporter.warning(f"Akua already has {checked.semver} as {registered.ref}, not {result.digest}: unless the "
                         "registry holds the same content under that digest, a real run fails.",
                         title=VersionConflictError.title)
    reporter.info("Dry run: nothing was pushed to the registry and nothing was registered in Akua.")
    return result


def _check(options: Options, reporter: Reporter) -> _Checked:
    """Everything that can be checked before anything leaves the machine."""
    from akua_publish.deps.vendor import lock_entries
    from akua_publish.release.package_import import PLACEHOLDER_REPOSITORY, check_import_body, import_body
    from akua_publish.schema.source import resolve_input_schema
    from akua_publish.schema.version_body import PLACEHOLDER_REF, build_body, check_body
    from akua_publish.signing.sign import signing_key  # cryptography loads only when there is a key

    package_options = options.package
    package = load_package(package_options.path, package_options.shown)
    semver = resolve_semver(package_options.version, options.ci.ref, package_options.tag_pattern,
                            names=(package.name, package_options.package_name))
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
