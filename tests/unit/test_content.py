"""The content's digest read back from a gzip stream: any compressor, several members, within a limit."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import zlib

import pytest

from akua_publish.release.content import GunzipDigest

DATA = os.urandom(200_000) + b"\0" * 5_000_000
WANT = "sha256:" + hashlib.sha256(DATA).hexdigest()


def deflate(level: int) -> bytes:
    z = zlib.compressobj(level, zlib.DEFLATED, 31)
    return z.compress(DATA) + z.flush()


STREAMS = {
    "python-gzip-6": gzip.compress(DATA, 6, mtime=0),
    "zlib-1": deflate(1),
    "zlib-9": deflate(9),
    "gnu-gzip-9": subprocess.run(["gzip", "-n", "-9", "-c"], input=DATA, capture_output=True, check=True).stdout,
    "two-members": gzip.compress(DATA[:1234]) + gzip.compress(DATA[1234:]),
}


@pytest.mark.parametrize("name", sorted(STREAMS))
@pytest.mark.parametrize("chunk", [1, 4096, 1 << 20])
def test_any_gzip_of_the_same_content_gives_its_digest(name: str, chunk: int) -> None:
    stream = STREAMS[name]
    if chunk == 1:
        stream = stream[:20_000]  # byte by byte only for a start: the rest is the same code
        reader = GunzipDigest(len(DATA))
        assert all(reader.feed(stream[i:i + 1]) for i in range(len(stream))) and reader.digest == ""
        return
    reader = GunzipDigest(len(DATA))
    assert all(reader.feed(stream[i:i + chunk]) for i in range(0, len(stream), chunk))
    assert (reader.digest, reader.size) == (WANT, len(DATA))


def test_more_content_than_the_limit_stops_the_read() -> None:
    reader = GunzipDigest(len(DATA) - 1)
    assert reader.feed(STREAMS["zlib-9"]) is False and reader.digest == ""


@pytest.mark.parametrize("stream", [b"not gzip at all", STREAMS["zlib-1"][:-8], b""], ids=["garbage", "cut", "empty"])
def test_a_broken_or_short_stream_has_no_digest(stream: bytes) -> None:
    reader = GunzipDigest(len(DATA))
    reader.feed(stream)
    assert reader.digest == ""


def test_a_bomb_is_cut_off_at_the_limit_with_flat_memory() -> None:
    bomb = gzip.compress(b"\0" * (256 << 20), 9)
    reader = GunzipDigest(1 << 20)
    assert reader.feed(bomb) is False and reader.size <= (1 << 20) + (1 << 20)
