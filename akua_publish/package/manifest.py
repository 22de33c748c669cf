"""The OCI image manifest Akua's reader expects, serialised once.

The manifest digest is the sha256 of these exact bytes; the registry adapter
sends them as they are, so the digest reported is the one the registry stores.
Only annotations that are the same on a re-run are set: a re-run of the same
commit must produce the same digest. The content layer's descriptor records the
sha256 of the uncompressed tar, so that a re-run knows what the registry holds
by hashing the tar alone. The config records the artifact format, not the
release of akua-publish that packed it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from akua_publish.artifact import (
    CONFIG_MEDIA_TYPE,
    CONTENT_DIGEST_ANNOTATION,
    CONTENT_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    Artifact,
    Descriptor,
    PackedLayer,
    sha256_digest,
)

# The config's `akuaVersion`: bumped only when the same package would pack to other bytes
# (packing rules, manifest shape), never with a release of akua-publish that keeps them.
# 2: the content layer's descriptor carries CONTENT_DIGEST_ANNOTATION.
ARTIFACT_FORMAT = "akua-publish/2"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def build_artifact(layer: PackedLayer, annotations: dict[str, str]) -> Artifact:
    config = _canonical({"akuaVersion": ARTIFACT_FORMAT})
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": sha256_digest(config),
            "size": len(config),
        },
        "layers": [{"mediaType": CONTENT_MEDIA_TYPE, "digest": layer.digest, "size": layer.size,
                    "annotations": {CONTENT_DIGEST_ANNOTATION: layer.content.digest}}],
    }
    if annotations:
        manifest["annotations"] = dict(sorted(annotations.items()))
    return Artifact(config=config, manifest=_canonical(manifest))


@dataclass(frozen=True)
class ContentLayer:
    """The content layer of a stored manifest, as Akua's reader picks it (the first of its media type)."""

    digest: str
    size: int  # -1 when the descriptor gives none
    content_digest: str  # the sha256 of its uncompressed tar, "" when the descriptor does not say


def content_layer(layers: tuple[Descriptor, ...]) -> ContentLayer | None:
    """The first Akua content layer (as Akua's reader picks it); None if there is none, or it names no digest."""
    layer = next((layer for layer in layers if layer.media_type == CONTENT_MEDIA_TYPE), None)
    if layer is None or not layer.digest:
        return None
    noted = layer.annotations.get(CONTENT_DIGEST_ANNOTATION, "")
    return ContentLayer(layer.digest, layer.size, noted if DIGEST.fullmatch(noted) else "")


def oci_annotations(semver: str, source_url: str, revision: str) -> dict[str, str]:
    """Standard annotations whose values depend only on the commit and version."""
    found = {
        "org.opencontainers.image.version": semver,
        "org.opencontainers.image.source": source_url,
        "org.opencontainers.image.revision": revision,
    }
    return {key: value for key, value in found.items() if value}


def _canonical(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")
