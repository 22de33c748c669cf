"""The push: make the package's repository hold this content under the version's tag, or find it there.

Content counts as this publish when the manifest digest is the same, or when the
tag's manifest has this very layer (the same package packed by another release
of akua-publish). Nothing that is there is ever overwritten: another artifact
under the tag, or a tag moved away from Akua's recorded digest, stops the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.errors import PackingError, TagConflictError, VersionConflictError
from akua_publish.oci import Artifact, PackedLayer
from akua_publish.package.manifest import content_layer_digest
from akua_publish.package.packing import VendoredFile, pack
from akua_publish.package.version import oci_tag
from akua_publish.reporter import Reporter

if TYPE_CHECKING:  # oras and requests load with the client, in the push step
    from akua_publish.clients.registry import RegistryClient


def push_unless_present(registry: RegistryClient, semver: str, layer: PackedLayer, artifact: Artifact,
                        *, registered: PackageVersion | None, layer_file: Callable[[], PackedLayer],
                        reporter: Reporter) -> str:
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
        ref = registered.ref
        stored = current if current and current.digest == ref else registry.manifest(ref)
        if ref != artifact.digest and (stored is None or content_layer_digest(stored.content) != layer.digest):
            raise VersionConflictError(
                f"Akua already has {semver} with ref {ref}, but this build is {artifact.digest} "
                f"(layer {layer.digest}); nothing was pushed.",
                "Versions are immutable: publish the change as a new version (bump akua.toml and tag again).",
            )
        if current is not None and current.digest == ref:
            reporter.info(f"Tag {tag} already holds {ref}: nothing to upload.")
        elif current is not None:
            raise TagConflictError(
                f"Akua's {semver} is {ref}, but oci://{registry.repository}:{tag} now holds "
                f"{current.digest}; nothing was overwritten.",
                "Someone re-tagged the version in the registry. Point the tag back at Akua's digest, or "
                "publish a new version.",
            )
        elif stored is not None:
            reporter.info(f"Tag {tag} was deleted from the registry; tagging {ref} again.")
            registry.put_manifest(tag, stored.raw)
        else:
            reporter.info(f"The registry no longer holds {ref}; pushing it again.")
            registry.push(tag, layer_file(), artifact)
        return ref
    if current is None:
        return registry.push(tag, layer_file(), artifact)
    if current.digest == artifact.digest:
        reporter.info(f"Tag {tag} already holds {current.digest}: nothing to upload.")
        return current.digest
    if content_layer_digest(current.content) == layer.digest:
        reporter.info(f"Tag {tag} holds {current.digest} with this very content (packed by another release of "
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
