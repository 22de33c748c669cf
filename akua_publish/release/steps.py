"""The steps of a publish that talk to Akua or the registry, each a function the orchestration calls.

``publish.publish`` reads like the list of steps; what each step decides (which
repository, whether the registry already holds this content, how a 409 is
resolved, what the input contract allows) is here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from akua_publish.clients.retry import RetryPolicy
from akua_publish.contract.keywords import BREAKING, CLASSES
from akua_publish.contract.policy import Contract, baseline_version, describe, judge, may_break
from akua_publish.deps.vendor import Vendoring, vendor
from akua_publish.errors import (
    AkuaRejectedError,
    HostedPackageError,
    PackingError,
    RepositoryMismatchError,
    TagConflictError,
    VersionConflictError,
)
from akua_publish.frontends.github.runner import Runner
from akua_publish.frontends.settings import Settings
from akua_publish.package.manifest import Artifact, content_layer_digest
from akua_publish.package.packing import PackedLayer, VendoredFile, pack
from akua_publish.reference import Repository, parse_repository
from akua_publish.schema.version_body import build_body
from akua_publish.versioning import oci_tag
from akua_publish.wording import setting

if TYPE_CHECKING:
    from akua_publish.clients.akua_api import AkuaClient
    from akua_publish.clients.registry import RegistryClient
    from akua_publish.pipeline import Outcome


def vendor_dependencies(settings: Settings, manifest: dict[str, Any], policy: RetryPolicy, work_dir: Path,
                        runner: Runner) -> Vendoring:
    """Fetch the OCI and git dependencies Akua vendors (nothing when akua.toml declares none)."""
    from akua_publish.deps.oci import NetworkFetcher

    fetcher = NetworkFetcher(policy, settings.dependency_credentials, work_dir, settings.ca_bundle,
                             settings.unpack_limits)
    done = vendor(settings.package_dir, manifest, work_dir, fetcher, settings.package_shown)
    for dependency in done.dependencies:
        runner.info(f"Vendored {dependency.alias}: {dependency.source} {dependency.version} ({dependency.digest}), "
                    f"{dependency.files} files under .akua/vendor/{dependency.alias}/.")
    if not done.dependencies:
        runner.info("No OCI or git dependencies to vendor.")
    return done


def push_unless_present(registry: RegistryClient, semver: str, layer: PackedLayer, artifact: Artifact,
                        *, registered: dict[str, Any] | None, layer_file: Callable[[], PackedLayer],
                        runner: Runner) -> str:
    """Make the registry hold this content under ``tag``; return the manifest digest to register.

    Content counts as this publish when the manifest digest is the same, or when
    the manifest's content layer is this layer: the same package packed by
    another release of akua-publish. When Akua already has the semver, its
    recorded artifact must be this content, and the registry must still hold
    it (a deleted tag is pushed again); anything else fails before any push.
    ``layer_file`` gives the layer as a file, for the uploads.
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
            registry.push(tag, layer_file(), artifact)
        return ref
    if current is None:
        return registry.push(tag, layer_file(), artifact)
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


def packed_as_file(layer: PackedLayer, root: Path, work_dir: Path, vendored: Sequence[VendoredFile]) -> PackedLayer:
    """``layer`` as a file to upload: packed again, to the same digest, when only its digest was taken."""
    if layer.path is not None:
        return layer
    again = pack(root, work_dir, vendored)
    if again.digest != layer.digest:
        raise PackingError(
            f"The package changed during the run: packed again to be uploaded, it is {again.digest}, not "
            f"{layer.digest}; nothing was pushed.",
            "Make sure nothing writes to the package directory during the publish, then re-run the job.",
        )
    return again


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
            f"{setting('repository')} is oci://{requested}, but Akua reads this package from "
            f"oci://{recorded}.",
            f"Leave {setting('repository')} empty (the default is Akua's), or change the package's "
            "source in Akua.",
        )
    return recorded


def input_contract(settings: Settings, akua: AkuaClient, versions: list[dict[str, Any]], schema: dict[str, Any],
                   semver: str, *, runner: Runner) -> Contract:
    """Compare the schema with the previous version's and apply ``contract-check`` (before any push)."""
    if settings.contract_check == "off":
        runner.info(f"{setting('contract-check')} is off: the input schema is not compared with earlier versions.")
        return Contract("")
    baseline = baseline_version(versions, semver)
    if baseline is None:
        runner.info(f"Input contract: {semver} is the first version; nothing to compare with.")
        return judge(None, None, schema, semver, settings.contract_check)
    previous = baseline.get("input_schema")
    if "input_schema" not in baseline:  # a list that leaves it out: ask for the version's own
        previous = akua.version_inputs(settings.package_id, str(baseline.get("id", "")))
    contract = judge(baseline, previous, schema, semver, settings.contract_check)
    if contract.note:
        runner.warning(f"Input contract not checked: {contract.note}. The publish goes on.",
                       title="Input contract not compared")
        return contract
    counts = {kind: sum(1 for c in contract.changes if c.kind == kind) for kind in CLASSES}
    runner.info(f"Input contract against {contract.baseline}: {contract.status}"
                + ("" if not contract.changes else " (" + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + ")")
                + ".")
    for change in contract.changes:
        runner.info(f"  {change.kind}: {describe(change)}")
    if contract.status == BREAKING and may_break(contract.baseline, semver):
        runner.info(f"{semver} breaks the input contract of {contract.baseline}, as its semver announces.")
    elif contract.status == BREAKING:  # strict would have stopped: this is contract-check: warn
        runner.warning(f"{semver} breaks the input contract of {contract.baseline} ("
                       + "; ".join(describe(c) for c in contract.changes if c.kind == BREAKING)
                       + "); contract-check: warn publishes it anyway, and upgraded installs may fail.",
                       title="Breaking input change")
    return contract
