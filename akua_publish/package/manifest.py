"""The OCI image manifest Akua's reader expects, serialised once.

The manifest digest is the sha256 of these exact bytes; the registry adapter
sends them as they are, so the digest reported is the one the registry stores.
Only annotations that are the same on a re-run are set: a re-run of the same
commit must produce the same digest. The config records the artifact format,
not the release of akua-publish that packed it, so the same content keeps its
digest across patch and minor releases of the action.
"""

from __future__ import annotations

import json
from typing import Any

from akua_publish.oci import (
    CONFIG_MEDIA_TYPE,
    CONTENT_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    Artifact,
    PackedLayer,
    sha256_digest,
)

# The config's `akuaVersion`: bumped only when the same package would pack to other bytes
# (packing rules, manifest shape), never with a release of akua-publish that keeps them.
ARTIFACT_FORMAT = "akua-publish/1"


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
        "layers": [{"mediaType": CONTENT_MEDIA_TYPE, "digest": layer.digest, "size": layer.size}],
    }
    if annotations:
        manifest["annotations"] = dict(sorted(annotations.items()))
    return Artifact(config=config, manifest=_canonical(manifest))


def content_layer_digest(manifest: dict[str, Any]) -> str | None:
    """The digest of the first Akua content layer, as Akua's reader picks it; None if there is none."""
    for layer in manifest.get("layers") or []:
        if isinstance(layer, dict) and layer.get("mediaType") == CONTENT_MEDIA_TYPE:
            digest = layer.get("digest")
            return digest if isinstance(digest, str) else None
    return None


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
