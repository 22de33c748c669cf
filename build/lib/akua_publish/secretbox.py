"""NaCl's secretbox (XSalsa20-Poly1305), opening only: what cosign's own key files are encrypted with.

``cosign generate-key-pair`` encrypts the PKCS#8 key with a scrypt-derived key
and ``nacl/secretbox``. ``cryptography`` has Poly1305 but not (X)Salsa20, and a
second native dependency for a few hundred bytes once per run is not worth its
weight, so the stream cipher is written out here from the Salsa20 and XSalsa20
specifications. It only ever decrypts a key file the user supplied, so speed
does not matter; correctness is checked against PyNaCl in the tests.
"""

from __future__ import annotations

import hmac
import struct

from cryptography.hazmat.primitives.poly1305 import Poly1305

KEY_SIZE = 32
NONCE_SIZE = 24
TAG_SIZE = 16
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
_MASK = 0xFFFFFFFF
# The quarter-rounds of one double round: four columns, then four rows (Salsa20 spec, section 6).
_DOUBLE_ROUND = ((0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11),
                 (0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14))


class SecretBoxError(ValueError):
    """The box does not open: wrong key (a wrong passphrase upstream), or altered bytes."""


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & _MASK


def _rounds(state: list[int]) -> list[int]:
    x = list(state)
    for _ in range(10):
        for a, b, c, d in _DOUBLE_ROUND:
            x[b] ^= _rotl((x[a] + x[d]) & _MASK, 7)
            x[c] ^= _rotl((x[b] + x[a]) & _MASK, 9)
            x[d] ^= _rotl((x[c] + x[b]) & _MASK, 13)
            x[a] ^= _rotl((x[d] + x[c]) & _MASK, 18)
    return x


def _state(key: bytes, middle: bytes) -> list[int]:
    """The 16-word input: constants on the diagonal, the key around them, 16 bytes of nonce/counter in the middle."""
    k = struct.unpack("<8I", key)
    m = struct.unpack("<4I", middle)
    return [_SIGMA[0], *k[:4], _SIGMA[1], *m, _SIGMA[2], *k[4:], _SIGMA[3]]


def _hsalsa20(key: bytes, nonce16: bytes) -> bytes:
    x = _rounds(_state(key, nonce16))
    return struct.pack("<8I", *(x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def _salsa20_stream(key: bytes, nonce8: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        state = _state(key, nonce8 + struct.pack("<Q", counter))
        mixed = _rounds(state)
        out += struct.pack("<16I", *((m + s) & _MASK for m, s in zip(mixed, state, strict=True)))
        counter += 1
    return bytes(out[:length])


def open_box(box: bytes, nonce: bytes, key: bytes) -> bytes:
    """The plaintext of ``box`` (tag then ciphertext, as NaCl's ``crypto_secretbox_open``)."""
    if len(key) != KEY_SIZE or len(nonce) != NONCE_SIZE:
        raise SecretBoxError("secretbox needs a 32-byte key and a 24-byte nonce")
    if len(box) < TAG_SIZE:
        raise SecretBoxError("the box is shorter than its authentication tag")
    tag, ciphertext = box[:TAG_SIZE], box[TAG_SIZE:]
    stream = _salsa20_stream(_hsalsa20(key, nonce[:16]), nonce[16:], 32 + len(ciphertext))
    expected = Poly1305.generate_tag(stream[:32], ciphertext)
    if not hmac.compare_digest(expected, tag):
        raise SecretBoxError("the box does not open with this key")
    return bytes(c ^ s for c, s in zip(ciphertext, stream[32:], strict=True))
