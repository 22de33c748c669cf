"""The steps that make and move the artifact: vendor, look into the registry, pack, push and sign, tag.

``ArtifactSteps`` is half of ``steps.Publication`` (which holds what the steps share and runs them in order);
the other half, in ``steps``, asks Akua. Each step decides nothing itself: what to push, when content counts as
the same, how a tag moves, are the domain modules' (``release``, ``package``, ``signing``).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from akua_publish.artifact import Artifact, PackedContent, PackedLayer
from akua_publish.cancellation import Trail
from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import RegisteredNotTaggedError, RetryableError
from akua_publish.options import Options
from akua_publish.pipeline.local import Checked
from akua_publish.reporter import Reporter
from akua_publish.result import PublishResult

if TYPE_CHECKING:  # the clients load requests and oras in the steps that talk to them
    from akua_publish.clients.akua_types import PackageVersion
    from akua_publish.clients.registry import RegistryClient
    from akua_publish.deps.vendor import Vendoring
    from akua_publish.package.loader import PackageInfo
    from akua_publish.release.destination import Destination
    from akua_publish.release.push import Present


@dataclass(frozen=True)
class Packed:
    """The artifact this run publishes: packed now, or found in the registry (``present``)."""

    digest: str
    manifest: bytes  # its exact bytes
    content: PackedContent | None  # the tar's digest, once hashed or packed
    layer: PackedLayer | None = None  # to upload: packed by this run
    artifact: Artifact | None = None
    present: Present | None = None

    @property
    def layer_digest(self) -> str:
        """The compressed layer's digest: packed now, or the one the registry's artifact holds."""
        if self.layer is not None:
            return self.layer.digest
        layers = self.present.manifest.layers if self.present is not None else ()
        return layers[0].digest if layers else ""


class ArtifactSteps:
    """The artifact's steps, for ``Publication``: what they share is its."""

    options: Options
    reporter: Reporter
    work: Path
    trail: Trail
    policy: RetryPolicy
    _clients: contextlib.ExitStack

    def vendor(self, package: PackageInfo) -> Vendoring:
        from akua_publish.deps.oci import NetworkFetcher
        from akua_publish.deps.vendor import vendor

        options = self.options
        fetcher = NetworkFetcher(self.policy, options.dependencies.credentials, self.work, options.ca_bundle,
                                 options.dependencies.limits, progress=self.reporter.progress)
        vendoring = vendor(package, self.work, fetcher, file_root=options.dependencies.file_root)
        for dependency in vendoring.dependencies:
            self.reporter.info(f"Vendored {dependency.alias}: {dependency.source} {dependency.version} "
                               f"({dependency.digest}), {dependency.files} files under "
                               f".akua/vendor/{dependency.alias}/.")
        if not vendoring.dependencies:
            self.reporter.info("No OCI or git dependencies to vendor.")
        return vendoring

    def look(self, package: PackageInfo, semver: str, found: Destination,
             vendoring: Vendoring) -> tuple[RegistryClient, Packed | None]:
        """What the registry holds of this version: this content (by its tar alone), or nothing yet (None)."""
        from akua_publish.clients.registry import RegistryClient
        from akua_publish.package.packing import hash_content
        from akua_publish.release.push import find_present
        from akua_publish.release.readability import warn_of_basic_auth

        options, repository = self.options, found.repository
        registry = self._clients.enter_context(RegistryClient(
            repository, options.registry.credentials_for(repository.host), options.registry.plain_http_for(repository),
            self.policy, options.ca_bundle, progress=self.reporter.progress,
            warn=lambda message: self.reporter.warning(message, title="Credentials in plain HTTP")))
        hashed: list[PackedContent] = []

        def content() -> PackedContent:
            if not hashed:
                started = time.monotonic()
                hashed.append(hash_content(package.root, vendoring.files, self.reporter.progress,
                                           toml=package.toml))
                self.reporter.info(f"Hashed {hashed[0].files} files in {time.monotonic() - started:.2f} s (nothing "
                                   f"compressed): content {hashed[0].digest} ({hashed[0].size} bytes).")
            return hashed[0]

        present = find_present(registry, semver, registered=found.registered, content=content,
                               reporter=self.reporter)
        warn_of_basic_auth(registry.auth_scheme, repository, self.reporter)
        if present is None:
            return registry, None
        return registry, Packed(present.manifest.digest, present.manifest.raw, hashed[0] if hashed else None,
                                present=present)

    def pack(self, checked: Checked, vendoring: Vendoring, out_dir: Path | None,
             found: Destination | None = None) -> Packed:
        """The layer (to a file under ``out_dir``, or only hashed) and the artifact around it; Akua's digest when
        Akua has the version but the registry lost it."""
        from akua_publish.package.manifest import build_artifact, oci_annotations
        from akua_publish.package.packing import pack
        from akua_publish.release.push import check_reproduced

        started = time.monotonic()
        layer = pack(checked.package.root, out_dir, vendoring.files, self.reporter.progress, toml=checked.package.toml)
        artifact = build_artifact(layer, oci_annotations(checked.semver, self.options.ci.repository_url,
                                                         self.options.ci.commit))
        self.reporter.info(f"Packed {layer.files} files in {time.monotonic() - started:.2f} s: layer {layer.digest} "
                           f"({layer.size} bytes; content {layer.content.digest}).")
        self.reporter.info(f"Manifest digest: {artifact.digest}")
        if found is not None:
            check_reproduced(checked.semver, found.registered, artifact)
        return Packed(artifact.digest, artifact.manifest, layer.content, layer, artifact)

    def push_and_sign(self, checked: Checked, registry: RegistryClient, packed: Packed,
                      result: PublishResult) -> PublishResult:
        """Push a new artifact by its digest (untagged), then its signature; signed before the push, so that a
        key that cannot sign fails before anything is sent."""
        from akua_publish.release.push import upload
        from akua_publish.signing.sign import planned_sidecars, publish_sidecars

        options, repository = self.options, registry.repository
        sidecars = planned_sidecars(checked.key, str(repository), packed.digest, result.tag, lock=checked.lock,
                                    build=options.ci, attest=options.signing.attest) if checked.key else []
        if packed.layer is not None and packed.artifact is not None:
            with self.reporter.step(f"Push to oci://{repository}@{packed.digest}"):
                upload(registry, packed.layer, packed.artifact, self.reporter)
                self.trail.pushed = True
        if not checked.key:
            return result
        with self.reporter.step("Sign: cosign signature" + (" and SLSA provenance" if options.signing.attest else "")):
            signatures = publish_sidecars(registry, checked.key, sidecars, packed.digest, work_dir=self.work,
                                          reporter=self.reporter)
        return replace(result, signatures=signatures)

    def already_published(self, registry: RegistryClient, packed: Packed, result: PublishResult,
                          registered: PackageVersion) -> PublishResult:
        """Akua has this version with this content: the tag put back if it is gone."""
        from akua_publish.release.push import tag_version
        from akua_publish.release.register import already_published

        if packed.present is None or not packed.present.tagged:
            self.trail.tag = result.tag
            with self.reporter.step(f"Tag {result.tag}"):
                tag_version(registry, result.tag, packed.manifest, self.reporter)
        return already_published(result, registered, self.reporter)

    def tag(self, registry: RegistryClient, packed: Packed, result: PublishResult) -> None:
        """The tag on what Akua registered: this run's manifest, or the one of the run that got there first."""
        from akua_publish.release.push import tag_version

        try:
            tag_version(registry, result.tag, packed.manifest if result.digest == packed.digest else result.digest,
                        self.reporter)
        except RetryableError as exc:
            raise RegisteredNotTaggedError(exc, result.semver, result.oci_ref) from exc
