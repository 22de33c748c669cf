"""The cosign ``.sig`` and ``.att`` sidecars, byte for byte as Akua's publish writes them.

A signature is a manifest tagged ``sha256-<hex>.sig`` beside the artifact: an
empty ``{}`` config and one layer, the simple-signing payload, whose annotation
holds the base64 DER signature over the payload. The attestation, tagged
``sha256-<hex>.att``, has one layer: a DSSE envelope of an in-toto statement,
signed over DSSE's pre-authentication encoding. Every JSON document here is
compact, with its fields in Akua's order (``cosign.rs``, ``slsa.rs`` and
``oci_pusher.rs`` of akua-dev/akuapkg), so Akua's CLI and this action write
identical bytes for the same key, reference and digest (the tests compare them
with Akua's own publish). The checks mirror Akua's consumer (``oci_fetcher.rs``),
so an existing sidecar is judged the way a consumer will judge it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from akua_publish.artifact import MANIFEST_MEDIA_TYPE, Descriptor, compact_json, sha256_digest
from akua_publish.signing.keys import SigningKey, verifies

SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
ENVELOPE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
SIDECAR_CONFIG = b"{}"
SIDECAR_CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


@dataclass(frozen=True)
class Sidecar:
    """One sidecar manifest and the blob its single layer points at (the config is always ``{}``)."""

    tag: str
    layer: bytes
    manifest: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)


def sidecar_tag(digest: str, kind: str) -> str:
    """``sha256-<hex>.sig`` or ``.att``: where cosign and Akua look for a digest's sidecars."""
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}-{hex_part}.{kind}"


def simple_signing_payload(reference: str, digest: str) -> bytes:
    """The payload cosign signs: the repository (no tag, no digest) and the manifest digest."""
    return compact_json({
        "critical": {"identity": {"docker-reference": reference}, "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": None,
    })


def _manifest(media_type: str, layer: bytes, annotations: dict[str, str] | None) -> bytes:
    descriptor: dict[str, Any] = {"mediaType": media_type, "size": len(layer), "digest": sha256_digest(layer)}
    if annotations:
        descriptor["annotations"] = annotations
    return compact_json({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": SIDECAR_CONFIG_MEDIA_TYPE, "size": len(SIDECAR_CONFIG),
                   "digest": sha256_digest(SIDECAR_CONFIG)},
        "layers": [descriptor],
    })


def signature_sidecar(key: SigningKey, reference: str, digest: str) -> Sidecar:
    payload = simple_signing_payload(reference, digest)
    signature = base64.b64encode(key.sign(payload)).decode()
    return Sidecar(sidecar_tag(digest, "sig"), payload,
                   _manifest(SIGNATURE_MEDIA_TYPE, payload, {SIGNATURE_ANNOTATION: signature}))


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the envelope's signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def attestation_sidecar(key: SigningKey, digest: str, statement: bytes) -> Sidecar:
    envelope = compact_json({
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(statement).decode(),
        "signatures": [{"sig": base64.b64encode(key.sign(pae(IN_TOTO_PAYLOAD_TYPE, statement))).decode()}],
    })
    return Sidecar(sidecar_tag(digest, "att"), envelope, _manifest(ENVELOPE_MEDIA_TYPE, envelope, None))


def first_layer(layers: tuple[Descriptor, ...], media_type: str) -> Descriptor | None:
    """The first layer of that media type with a digest, as Akua's consumer picks it (later ones unread)."""
    return next((layer for layer in layers if layer.media_type == media_type and layer.digest), None)


def signature_problem(layer: Descriptor, payload: bytes, digest: str,
                      public_key: ec.EllipticCurvePublicKey) -> str:
    """Why Akua's consumer would refuse this signature layer for ``digest`` ("" when it accepts it)."""
    encoded = layer.annotations.get(SIGNATURE_ANNOTATION)
    if encoded is None:
        return "its layer has no signature annotation"
    try:
        signature = base64.b64decode(encoded.strip(), validate=True)
        claimed = json.loads(payload)["critical"]["image"]["docker-manifest-digest"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return "its signature or payload does not parse"
    if claimed != digest:
        return f"it signs {claimed}, not {digest}"
    if not verifies(public_key, signature, payload):
        return "its signature is not this key's"
    return ""


def attestation_problem(envelope: bytes, digest: str, public_key: ec.EllipticCurvePublicKey) -> str:
    """Why the DSSE envelope is not this key's attestation of ``digest`` ("" when it is)."""
    try:
        parsed = json.loads(envelope)
        payload_type, statement = parsed["payloadType"], base64.b64decode(parsed["payload"], validate=True)
        signatures = [base64.b64decode(s["sig"], validate=True) for s in parsed["signatures"]
                      if isinstance(s, dict) and isinstance(s.get("sig"), str)]
        subjects = json.loads(statement)["subject"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return "its envelope or statement does not parse"
    if not any(verifies(public_key, s, pae(str(payload_type), statement)) for s in signatures):
        return "no signature in it is this key's"
    algorithm, _, hex_part = digest.partition(":")
    if not any(isinstance(s, dict) and isinstance(s.get("digest"), dict) and s["digest"].get(algorithm) == hex_part
               for s in subjects):
        return f"its statement is not about {digest}"
    return ""
