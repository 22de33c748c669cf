"""Signing keys in every format the tests need, made by the tools users make them with.

OpenSSL's CLI writes the PKCS#8 and SEC1 files (as `openssl genpkey` / `pkcs8`
do for users), cryptography writes what Python users get, and cosign's own
encrypted format is sealed with PyNaCl (libsodium) and hashlib's scrypt, the
layout of go-securesystemslib's ``encrypted`` package that ``cosign
generate-key-pair`` uses. None of it is the action's code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

FORMATS = ("pkcs8", "pkcs8-pbkdf2", "pkcs8-scrypt", "pkcs8-cryptography", "sec1", "cosign", "cosign-empty")
AKUA_READS = ("pkcs8", "pkcs8-pbkdf2", "pkcs8-scrypt", "pkcs8-cryptography")  # as Akua's cosign.rs reads them


@dataclass(frozen=True)
class KeyPair:
    private_pem: str = field(repr=False)
    public_pem: str
    passphrase: str = field(repr=False)


def _openssl(*args: str, stdin: bytes = b"") -> bytes:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def _public(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def generate(fmt: str, passphrase: str = "correct horse battery staple") -> KeyPair:
    """A fresh P-256 key pair, its private half written in ``fmt`` (one of FORMATS)."""
    key = ec.generate_private_key(ec.SECP256R1())
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    if fmt == "pkcs8":
        return KeyPair(_openssl("pkcs8", "-topk8", "-nocrypt", stdin=plain).decode(), _public(key), "")
    if fmt in ("pkcs8-pbkdf2", "pkcs8-scrypt"):
        scheme = ["-v2", "aes-256-cbc"] if fmt == "pkcs8-pbkdf2" else ["-scrypt"]
        text = _openssl("pkcs8", "-topk8", *scheme, "-passout", f"pass:{passphrase}", stdin=plain).decode()
        return KeyPair(text, _public(key), passphrase)
    if fmt == "pkcs8-cryptography":
        text = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(passphrase.encode())).decode()
        return KeyPair(text, _public(key), passphrase)
    if fmt == "sec1":
        return KeyPair(_openssl("ec", stdin=plain).decode(), _public(key), "")
    if fmt in ("cosign", "cosign-empty"):
        secret = "" if fmt == "cosign-empty" else passphrase
        return KeyPair(cosign_key(key, secret), _public(key), secret)
    raise ValueError(fmt)


def cosign_key(key: ec.EllipticCurvePrivateKey, passphrase: str, n: int = 32768) -> str:
    """``ENCRYPTED SIGSTORE PRIVATE KEY``: scrypt(passphrase) seals the PKCS#8 DER in a secretbox."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt = os.urandom(32)
    secret = hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024)
    sealed = nacl.secret.SecretBox(secret).encrypt(der)
    document = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(sealed.nonce).decode()},
        "ciphertext": base64.b64encode(sealed.ciphertext).decode(),
    }
    body = "\n".join(textwrap.wrap(base64.b64encode(json.dumps(document).encode()).decode(), 64))
    return f"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"


def other_kinds() -> dict[str, str]:
    """Keys akua-publish must refuse: the wrong algorithm or curve, or the public half."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p384 = ec.generate_private_key(ec.SECP384R1())
    pkcs8 = (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "rsa": rsa_key.private_bytes(*pkcs8).decode(),
        "rsa-traditional": rsa_key.private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.TraditionalOpenSSL,
                                                 serialization.NoEncryption()).decode(),
        "p384": p384.private_bytes(*pkcs8).decode(),
        "ed25519": ed25519.Ed25519PrivateKey.generate().private_bytes(*pkcs8).decode(),
        "public": _public(ec.generate_private_key(ec.SECP256R1())),
    }


def dsse_verifies(public_pem: str, envelope: bytes) -> bool:
    """securesystemslib (in-toto's DSSE code) on the envelope. It matches signatures to keys by keyid,
    which DSSE makes optional and Akua leaves out, so the key's id is put on each signature first."""
    key = SSlibKey.from_crypto(serialization.load_pem_public_key(public_pem.encode()))
    document = json.loads(envelope)
    for signature in document.get("signatures", []):
        signature["keyid"] = key.keyid
    try:
        Envelope.from_dict(document).verify([key], 1)
    except (VerificationError, ValueError):
        return False
    return True


def openssl_verifies(public_pem: str, signature: bytes, data: bytes) -> bool:
    """``openssl dgst -sha256 -verify``: an implementation of ECDSA that is not the action's."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        (folder / "key.pub").write_text(public_pem)
        (folder / "sig").write_bytes(signature)
        (folder / "data").write_bytes(data)
        result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(folder / "key.pub"), "-signature",
                                 str(folder / "sig"), str(folder / "data")], check=False, capture_output=True)
        return result.returncode == 0 and b"Verified OK" in result.stdout
