"""The OCI artifact Akua expects, as plain types: its media types, the packed layer, the artifact (its config and
manifest bytes, digests of exactly those bytes), and JSON written as serde_json writes it.

A base module: the packer builds these, the registry client pushes them, neither knows the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.akua.package.config.v1+json"
CONTENT_MEDIA_TYPE = "application/vnd.akua.package.content.v1.tar+gzip"
# On the content layer's descriptor: the sha256 of the layer's uncompressed tar. The same content
# compressed by another zlib (or level) has another layer digest but this same value, so a re-run
# finds what it would publish by hashing the tar alone, without compressing it.
CONTENT_DIGEST_ANNOTATION = "dev.akua-publish.content.digest"


@dataclass(frozen=True)
class Descriptor:
    """A layer of a manifest the registry holds, as far as a run reads one."""

    media_type: str
    digest: str  # "" when the manifest gives none that is text
    size: int  # -1 when the manifest gives none
    annotations: Mapping[str, str]


def layer_descriptors(manifest: object) -> tuple[Descriptor, ...]:
    """The layers of a manifest's JSON that name a media type, in order; what is not text is left out."""
    layers = manifest.get("layers") if isinstance(manifest, dict) else None
    found = []
    for layer in layers if isinstance(layers, list) else []:
        media = layer.get("mediaType") if isinstance(layer, dict) else None
        if not isinstance(media, str):
            continue
        digest, size, notes = layer.get("digest"), layer.get("size"), layer.get("annotations")
        found.append(Descriptor(
            media, digest if isinstance(digest, str) else "",
            size if isinstance(size, int) and not isinstance(size, bool) else -1,
            {k: v for k, v in notes.items() if isinstance(k, str) and isinstance(v, str)}
            if isinstance(notes, dict) else {}))
    return tuple(found)


@dataclass(frozen=True)
class PackedContent:
    """The layer's uncompressed tar, hashed only: what a re-run compares with what the registry holds."""

    digest: str  # sha256 of the tar stream
    size: int  # bytes of the tar stream
    files: int


@dataclass(frozen=True)
class PackedLayer:
    path: Path | None  # None: only hashed (a dry run: the digest is all it takes)
    digest: str  # of the compressed layer
    size: int
    files: int
    content: PackedContent  # the uncompressed tar it holds


@dataclass(frozen=True)
class Artifact:
    config: bytes
    manifest: bytes

    @property
    def config_digest(self) -> str:
        return sha256_digest(self.config)

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compact_json(value: object) -> bytes:
    """JSON as serde_json writes it: fields in the order given, no whitespace, non-ASCII kept as UTF-8
    (the sidecars and the provenance statement match Akua's bytes this way)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
