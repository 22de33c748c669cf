"""The cosign signing key: read from PEM text, checked, and used to sign.

Akua's publish signs with an ECDSA P-256 key in PKCS#8 PEM, plain or
PBES2-encrypted (``AKUA_COSIGN_PASSPHRASE``). This reads those, and beyond Akua
the files ``cosign generate-key-pair`` writes (scrypt + nacl/secretbox, opened with PyNaCl; Akua
refuses them) and OpenSSL's SEC1 ``EC PRIVATE KEY``. Anything else, or a key
that cannot be decrypted, is an error before anything is pushed. Signatures are
deterministic (RFC 6979), as Akua's are, so a re-run signs to the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from akua_publish.errors import SigningKeyError
from akua_publish.wording import secret

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_COSIGN_LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
_MAX_SCRYPT_MEMORY = 1 << 30  # cosign's default (N=65536, r=8) needs 64 MiB
_ALGORITHM = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
GENERATE_HINT = ("Generate an ECDSA P-256 key with `cosign generate-key-pair` or with `openssl genpkey -algorithm EC "
                 "-pkeyopt ec_paramgen_curve:P-256 -out cosign.key` (add `-aes-256-cbc` to encrypt it)")


@dataclass(frozen=True)
class SigningKey:
    """A P-256 private key and where it came from (for messages; never the key itself)."""

    private: ec.EllipticCurvePrivateKey = field(repr=False)
    origin: str

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 over SHA-256, DER-encoded, with RFC 6979 nonces (the same bytes every time)."""
        return self.private.sign(data, _ALGORITHM)

    @property
    def public_pem(self) -> str:
        """The public key as ``cosign.pub`` holds it: what consumers put in ``[signing].cosign_public_key``."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def fingerprint(self) -> str:
        """sha256 of the public key's DER (SubjectPublicKeyInfo), the way Sigstore names a key."""
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return "sha256:" + hashlib.sha256(der).hexdigest()


def load_signing_key(text: str, passphrase: str, origin: str) -> SigningKey:
    """Read the one PEM block of ``text``; ``passphrase`` decrypts an encrypted one."""
    blocks = list(_PEM.finditer(text.replace("\r\n", "\n")))
    if len(blocks) != 1:
        looks_like_path = "\n" not in text.strip() and "-----" not in text
        raise SigningKeyError(
            f"The signing key ({origin}) is not one PEM block: found {len(blocks)}.",
            ("The key's text is wanted, not a path: pass the whole key file, BEGIN and END lines "
             f"included, from a secret as {secret('cosign-private-key')}."
             if looks_like_path else
             "Store the whole key file, from its -----BEGIN line to its -----END line, as the secret."),
        )
    label, body = blocks[0].groups()
    try:
        der = base64.b64decode("".join(line for line in body.split("\n") if ":" not in line), validate=True)
    except binascii.Error as exc:
        raise SigningKeyError(f"The signing key ({origin}) is a `{label}` PEM block whose body is not base64.",
                              "Re-copy the key file into the secret unchanged.") from exc
    key = _private_key(label, der, blocks[0].group(0), passphrase, origin)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        name = "RSA" if isinstance(key, rsa.RSAPrivateKey) else type(key).__name__.replace("PrivateKey", "")
        kind = (f"an EC key on {key.curve.name}" if isinstance(key, ec.EllipticCurvePrivateKey)
                else f"{'an' if name[:1] in 'AEIORX' else 'a'} {name} key")  # an RSA, an Ed25519, a DSA key
        raise SigningKeyError(f"The signing key ({origin}) is {kind}; Akua's cosign signatures are ECDSA P-256.",
                              GENERATE_HINT + ".")
    return SigningKey(key, origin)


def _private_key(label: str, der: bytes, block: str, passphrase: str, origin: str) -> Any:
    """The key in the PEM ``block`` (its ``label`` and base64-decoded ``der`` already taken apart)."""
    if label == "PUBLIC KEY":
        raise SigningKeyError(
            f"The signing key ({origin}) is a public key.",
            "Signing needs the private key (cosign.key); the public key (cosign.pub) is what consumers "
            "set as [signing].cosign_public_key.",
        )
    if label in _COSIGN_LABELS:
        der = _open_cosign_key(der, passphrase, origin)
        label = "PRIVATE KEY"
    needs_passphrase = label == "ENCRYPTED PRIVATE KEY" or (label == "EC PRIVATE KEY" and "ENCRYPTED" in block)
    if needs_passphrase and not passphrase:
        raise SigningKeyError(
            f"The signing key ({origin}) is encrypted and no passphrase was given.",
            f"Pass it from a secret as {secret('cosign-password')} (AKUA_COSIGN_PASSPHRASE, as for Akua's CLI).",
        )
    try:
        if label in ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
            return serialization.load_der_private_key(der, passphrase.encode() if needs_passphrase else None)
        # SEC1 (OpenSSL's ecparam, encrypted in PEM headers), or another algorithm's own label (RSA, ...)
        return serialization.load_pem_private_key(block.encode(), passphrase.encode() if needs_passphrase else None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if needs_passphrase:
            raise SigningKeyError(
                f"The signing key ({origin}) cannot be decrypted with the passphrase given.",
                "Check the passphrase secret (cosign-password or AKUA_COSIGN_PASSPHRASE). Keys encrypted "
                "with PBES2 (PBKDF2 or scrypt, AES-CBC), as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes, "
                "are read.",
            ) from exc
        if label in ("PRIVATE KEY", "EC PRIVATE KEY"):
            raise SigningKeyError(f"The signing key ({origin}) is a `{label}` block that does not parse as a key.",
                                  "Re-copy the key file into the secret unchanged.") from exc
        raise SigningKeyError(f"The signing key ({origin}) is a `{label}` PEM block, not a key akua-publish signs "
                              "with.", GENERATE_HINT + ".") from exc


def _open_cosign_key(body: bytes, passphrase: str, origin: str) -> bytes:
    """The PKCS#8 DER inside cosign's own key file (scrypt-derived key, nacl/secretbox)."""
    try:
        sealed = json.loads(body)
        kdf, cipher = sealed["kdf"], sealed["cipher"]
        params = kdf["params"]
        n, r, p = (int(params[name]) for name in ("N", "r", "p"))
        salt, nonce = base64.b64decode(kdf["salt"]), base64.b64decode(cipher["nonce"])
        box = base64.b64decode(sealed["ciphertext"])
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise ValueError(f"{kdf['name']} with {cipher['name']}")
        if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * r * n * p > _MAX_SCRYPT_MEMORY:
            raise ValueError(f"scrypt parameters N={n}, r={r}, p={p}")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SigningKeyError(f"The signing key ({origin}) is a cosign key file that does not parse ({exc}).",
                              "Re-copy cosign.key into the secret unchanged.") from exc
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    box_key = hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                             maxmem=_MAX_SCRYPT_MEMORY + (1 << 20))
    try:
        return SecretBox(box_key).decrypt(box, nonce)
    except (CryptoError, ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"The signing key ({origin}) cannot be decrypted with the "
            + ("passphrase given." if passphrase else "empty passphrase: no passphrase was given."),
            "Pass the password given to `cosign generate-key-pair` from a secret as "
            f"{secret('cosign-password')}.",
        ) from exc


def verifies(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` (DER, or raw r||s as Akua also accepts) is this key's over ``data``."""
    if len(signature) == 64:
        candidates = [signature, encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))]
    else:
        candidates = [signature]
    for candidate in candidates:
        try:
            public_key.verify(candidate, data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            continue
        return True
    return False
