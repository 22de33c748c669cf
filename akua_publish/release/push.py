"""The push: make the package's repository hold this content, and its tag name what Akua registered.

What the registry holds is looked up before anything is packed: a re-run hashes
the package's tar alone (no compression, nothing written) and compares it with
the content the stored artifact records (``content``). The same content counts
as published, whatever gzip made of it, and the digest the registry holds is the
one registered. Nothing that is there is ever overwritten: other content under
the tag, or a tag moved away from Akua's recorded digest, stops the run.

Runs of one version meet (a tag moved while its first run goes on, a re-run
beside a new run), and Akua records one of them. So a new artifact is pushed by
its digest alone (``upload``), untagged, and the tag is put on the digest Akua
registered only once it has (``tag_version``): Akua reads the artifact by digest,
so it needs no tag, and a run that loses the race leaves no tag on its content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from akua_publish.artifact import Artifact, PackedContent, PackedLayer
from akua_publish.clients.akua_types import PackageVersion
from akua_publish.errors import RegistryLostError, TagConflictError, VersionConflictError
from akua_publish.package.version import oci_tag
from akua_publish.release.content import holds_content
from akua_publish.reporter import Reporter

if TYPE_CHECKING:  # oras and requests load with the client, in the push step
    from akua_publish.clients.registry import RegistryClient, StoredManifest

IMMUTABLE_HINT = "Versions are immutable: publish the change as a new version (bump akua.toml and tag again)."


@dataclass(frozen=True)
class Present:
    """This content, already in the registry: the manifest to register, and whether the tag names it."""

    manifest: StoredManifest
    tagged: bool


def find_present(registry: RegistryClient, semver: str, *, registered: PackageVersion | None,
                 content: Callable[[], PackedContent], reporter: Reporter) -> Present | None:
    """Before anything is packed: the artifact of this content the registry holds for the version, if any.

    With nothing under the tag (and no version in Akua) it returns None: a first
    publish packs once, as before. Otherwise ``content()`` hashes the package
    and the stored artifact must hold it: Akua's recorded one when Akua has the
    semver, else the tag's. A conflict raises before anything is pushed. None
    with ``registered`` means the registry lost Akua's artifact: it must be
    packed again, to the same digest.
    """
    tag = oci_tag(semver)
    current = registry.manifest(tag)
    if registered is None:
        if current is None:
            return None
        if not holds_content(registry, current, content(), reporter):
            raise TagConflictError(
                f"oci://{registry.repository}:{tag} already holds {current.digest}, with other content than this "
                "package; nothing was overwritten.",
                "Published versions are immutable: bump the version in akua.toml and tag again. If the earlier "
                "push was a mistake and was never registered in Akua, delete the tag from the registry first.",
            )
        reporter.info(f"Tag {tag} already holds this content as {current.digest}: nothing to upload.")
        return Present(current, tagged=True)
    ref = registered.ref
    stored = current if current is not None and current.digest == ref else registry.manifest(ref)
    if stored is None:
        if current is not None:
            _moved(registry, semver, ref, current.digest)
        reporter.info(f"The registry no longer holds Akua's {ref}; packing it again.")
        return None
    if not holds_content(registry, stored, content(), reporter):
        raise VersionConflictError(
            f"Akua already has {semver} as {ref}, with other content than this package; nothing was pushed.",
            IMMUTABLE_HINT)
    if current is None:
        reporter.info(f"Tag {tag} was deleted from the registry; tagging {ref} again.")
        return Present(stored, tagged=False)
    if current.digest != ref:
        _moved(registry, semver, ref, current.digest)
    reporter.info(f"Tag {tag} already holds {ref}: nothing to upload.")
    return Present(stored, tagged=True)


def _moved(registry: RegistryClient, semver: str, ref: str, now: str) -> None:
    raise TagConflictError(
        f"Akua's {semver} is {ref}, but oci://{registry.repository}:{oci_tag(semver)} now holds {now}; nothing was "
        "overwritten.",
        "Someone re-tagged the version in the registry. Point the tag back at Akua's digest, or publish a new "
        "version.",
    )


def upload(registry: RegistryClient, layer: PackedLayer, artifact: Artifact, reporter: Reporter) -> None:
    """Push the artifact by its digest, untagged; nothing when the registry holds that manifest already (an
    earlier run pushed it and stopped before Akua registered it)."""
    if registry.has_manifest(artifact.digest):
        reporter.info(f"The registry already holds {artifact.digest} (an earlier run pushed it): nothing to upload.")
        return
    registry.push(artifact.digest, layer, artifact)
    reporter.info(f"The registry holds oci://{registry.repository}@{artifact.digest} (untagged until Akua has "
                  "registered it).")


def tag_version(registry: RegistryClient, tag: str, manifest: bytes | str, reporter: Reporter) -> None:
    """Put ``tag`` on the manifest Akua registered: this run's (its exact bytes), or another run's of the same
    content (its digest: read back from the registry)."""
    if isinstance(manifest, str):
        stored = registry.manifest(manifest)
        if stored is None:
            raise RegistryLostError(f"The registry no longer holds {manifest}, which Akua registered; no tag was set.",
                                       "Push it back from a copy; Akua reads the version by that digest.")
        manifest = stored.raw
    digest = registry.put_manifest(tag, manifest)
    reporter.info(f"Tagged oci://{registry.repository}:{tag} as {digest}, the artifact Akua registered.")


def check_reproduced(semver: str, registered: PackageVersion | None, artifact: Artifact) -> None:
    """Akua has the semver but the registry lost it: only the very same artifact may be pushed again."""
    if registered is not None and registered.ref != artifact.digest:
        raise VersionConflictError(
            f"Akua already has {semver} as {registered.ref}, which the registry no longer holds, and this build "
            f"is {artifact.digest}: the recorded artifact cannot be restored; nothing was pushed.",
            f"Push {registered.ref} back from a copy, or publish the change as a new version (bump akua.toml and "
            "tag again).")

