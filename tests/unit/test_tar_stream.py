"""The tar writer gives tarfile's own PAX stream, byte for byte: a layer digest never changes with it."""

from __future__ import annotations

import io
import os
import random
import tarfile

import pytest

from akua_publish.package.tar_stream import MAX_USTAR_SIZE, TarWriter, header

NAMES = [
    "akua.toml", "a" * 100, "b" * 101, "dir/" + "c" * 96, "dir/" + "c" * 97, "ünïcödé.txt", "日本/チャート.yaml",
    "bad-\udcff-name", "with space/and'quote\".k", "x" * 250, "tab\tname", "~tilde/#hash", "emoji-🙂.md",
]


def _tarfile_stream(entries: list[tuple[str, bytes, bool]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for name, data, executable in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755 if executable else 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _writer_stream(entries: list[tuple[str, bytes, bool]], chunk: int = 7000) -> bytes:
    out = io.BytesIO()
    tar = TarWriter(out)
    for name, data, executable in entries:
        tar.add(name, len(data), executable, io.BytesIO(data).read, chunk)
    tar.close()
    return out.getvalue()


def test_each_kind_of_name_and_size_as_tarfile_writes_it() -> None:
    sizes = [0, 1, 511, 512, 513, 1024, 10239, 10240, 70001]
    entries = [(name, os.urandom(sizes[i % len(sizes)]), i % 3 == 0) for i, name in enumerate(NAMES)]
    assert _writer_stream(entries) == _tarfile_stream(entries)


@pytest.mark.parametrize("seed", range(20))
def test_random_entries_as_tarfile_writes_them(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "abcXYZ019-_./ üé漢"
    entries = []
    for _ in range(rng.randint(0, 40)):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 130))).strip("/") or "n"
        entries.append((name, rng.randbytes(rng.choice([0, rng.randint(1, 3000)])), rng.random() < 0.3))
    assert _writer_stream(entries, chunk=rng.randint(1, 5000)) == _tarfile_stream(entries)


def test_files_of_8_gib_and_more_get_tarfiles_pax_size() -> None:
    for size in (MAX_USTAR_SIZE - 1, MAX_USTAR_SIZE, 10 * 2**30):
        info = tarfile.TarInfo("big.bin")
        info.size, info.mode, info.mtime = size, 0o644, 0
        info.uname = info.gname = ""
        assert header("big.bin", size, False) == info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    assert len(header("big.bin", MAX_USTAR_SIZE, False)) > tarfile.BLOCKSIZE  # a PAX record carries the size


def test_a_read_that_ends_early_is_an_error() -> None:
    tar = TarWriter(io.BytesIO())
    with pytest.raises(ValueError, match="ended 3 bytes early"):
        tar.add("short", 5, False, io.BytesIO(b"ab").read, 1024)
