"""A workspace that only accepts signed versions: the ``.sig`` check, as Akua's consumer makes it.

Written from Akua's consumer (``oci_fetcher.rs`` and ``cosign.rs`` in akua-dev/akuapkg) independently
of the action's own sidecar code, so the emulator does not grade the action with
the action's rules: GET ``sha256-<hex>.sig`` from the artifact's repository,
take the first simple-signing layer and its signature annotation, read the
payload, and require that it names this manifest digest and that the ECDSA
P-256 signature over it verifies with the package's public key.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .openapi import ApiError

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
ANNOTATION = "dev.cosignproject.cosign/signature"


def _refuse(reason: str) -> ApiError:
    return ApiError(422, f"The package requires a cosign signature by its key: {reason}", ["body", "ref"])


def check_signature(session: requests.Session, base: str, ref: str, public_key_pem: str) -> None:
    """Raise a 422 unless ``base`` (``.../v2/<repo>``) holds a valid signature of ``ref`` by that key."""
    tag = ref.replace(":", "-", 1) + ".sig"
    response = session.get(f"{base}/manifests/{tag}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
                           timeout=30)
    if response.status_code != 200:
        raise _refuse(f"no signature at tag {tag} (registry answered {response.status_code})")
    try:
        layers: list[Any] = json.loads(response.content)["layers"]
        layer = next(item for item in layers if isinstance(item, dict) and item.get("mediaType") == SIMPLE_SIGNING)
        signature = base64.b64decode(str(layer["annotations"][ANNOTATION]).strip(), validate=True)
    except (ValueError, KeyError, TypeError, StopIteration, binascii.Error):
        raise _refuse(f"{tag} holds no simple-signing layer with a signature annotation") from None
    payload = session.get(f"{base}/blobs/{layer['digest']}", timeout=30).content
    try:
        claimed = json.loads(payload)["critical"]["image"]["docker-manifest-digest"]
    except (ValueError, KeyError, TypeError):
        raise _refuse("the signed payload is not a simple-signing document") from None
    if claimed != ref:
        raise _refuse(f"the signature is for {claimed}, not {ref}")
    key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _refuse("the signature does not verify with the package's public key") from None
