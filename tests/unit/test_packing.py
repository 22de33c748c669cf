"""Packing: Akua's file rules, and the same bytes for the same content."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from akua_publish.errors import PackageError, PackingError, PrivateKeyError
from akua_publish.package import packing
from akua_publish.package.packing import hash_content, list_files, pack
from akua_publish.progress import Meter, Reading
from conftest import assert_plain_words


def make_tree(root: Path) -> None:
    files = {
        "akua.toml": '[package]\nname = "x"\nversion = "1.0.0"\nedition = "akua.dev/v1alpha1"\n',
        "package.k": "schema Input:\n    a: int\n",
        "vendor/charts/x/Chart.yaml": "name: x\n",
        "vendor/charts/x/.helmignore": "skip\n",
        "a-b/file.txt": "a plain string sort puts this first; Akua's component order does not\n",
        "a/file.txt": "a\n",
        "sub/inputs.yaml": "per-consumer\n",
        "inputs.yaml": "per-consumer\n",
        ".git/config": "x\n",
        "deploy/x.yaml": "x\n",
        "rendered/x.yaml": "x\n",
        "out/x": "x\n",
        "target/x": "x\n",
        "node_modules/x/i.js": "x\n",
        "dist/x": "x\n",
        "docs/out.md": "kept: only the exact names are skipped\n",
        "docs/out": "a file named like a skipped directory is skipped too, as Akua does\n",
        "bin/run.sh": "#!/bin/sh\n",
        "ünïcode/名前.txt": "non-ascii names\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "bin/run.sh").chmod(0o700)
    (root / "link.txt").symlink_to(root / "a/file.txt")
    (root / "linkdir").symlink_to(root / "vendor")
    os.mkfifo(root / "fifo")


def test_akua_skip_rules_and_order(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert list_files(tmp_path) == [
        "a/file.txt", "a-b/file.txt", "akua.toml", "bin/run.sh", "docs/out.md", "package.k",
        "vendor/charts/x/Chart.yaml", "ünïcode/名前.txt",
    ]


def _members(layer_path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(layer_path, "r:gz") as archive:
        return archive.getmembers()


def test_headers_are_normalised(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src)
    out = tmp_path / "out"
    out.mkdir()
    layer = pack(src, out)
    members = _members(layer.path)
    assert [m.name for m in members] == list_files(src)
    assert {m.mtime for m in members} == {0}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    modes = {m.name: m.mode for m in members}
    assert modes["bin/run.sh"] == 0o755 and modes["akua.toml"] == 0o644
    raw = layer.path.read_bytes()
    assert raw[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    assert not raw[3] & 0x08, "gzip header must carry no file name"
    assert layer.size == len(raw) and layer.files == len(members)


def test_same_content_same_bytes_whatever_times_modes_and_place(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "elsewhere" / "two"
    make_tree(first)
    make_tree(second)
    for path in second.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (12345, 67890))
            path.chmod(path.stat().st_mode | 0o066)
    (tmp_path / "o1").mkdir()
    (tmp_path / "o2").mkdir()
    a, b = pack(first, tmp_path / "o1"), pack(second, tmp_path / "o2")
    assert a.digest == b.digest and a.path.read_bytes() == b.path.read_bytes()


def test_content_change_changes_digest(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    before = pack(tmp_path / "p", tmp_path / "o").digest
    (tmp_path / "p/package.k").write_text("schema Input:\n    b: str\n")
    assert pack(tmp_path / "p", tmp_path / "o").digest != before


def test_layer_is_a_plain_gzip_tar(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    layer = pack(tmp_path / "p", tmp_path / "o")
    data = gzip.decompress(layer.path.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert archive.extractfile("package.k").read() == b"schema Input:\n    a: int\n"


def test_file_that_cannot_be_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    monkeypatch.setattr(packing, "list_files", lambda root: ["akua.toml", "vanished.txt"])
    with pytest.raises(PackageError, match=r"vanished\.txt in the package cannot be read"):
        pack(tmp_path / "p", tmp_path / "o")


def _change_during_packing(monkeypatch: pytest.MonkeyPatch, target: Path, change) -> None:
    """Run ``change(target)`` once, right after the packer has read the first bytes of ``target``."""
    original = packing._ExactReader.read
    done: list[bool] = []

    def read(self, n: int = -1) -> bytes:
        data = original(self, n)
        if self._rel == target.name and not done:
            done.append(True)
            change(target)
        return data

    monkeypatch.setattr(packing._ExactReader, "read", read)


@pytest.mark.parametrize(("change", "needle"), [
    (lambda path: path.open("ab").write(b"appended while packing"), "it grew"),
    (lambda path: path.write_bytes(path.read_bytes()[::-1]), "its size or content changed"),
    (lambda path: path.write_bytes(b"x"), "shrank"),
])
def test_file_that_changes_while_packed_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      change, needle: str) -> None:
    make_tree(tmp_path / "p")
    data = tmp_path / "p" / "data.bin"
    data.write_bytes(os.urandom(3 * 1024 * 1024))
    (tmp_path / "o").mkdir()
    _change_during_packing(monkeypatch, data, change)
    with pytest.raises(PackingError, match=needle) as caught:
        pack(tmp_path / "p", tmp_path / "o")
    assert "data.bin" in caught.value.message and "nothing was pushed" in caught.value.message
    assert_plain_words(caught.value)


def test_pack_restores_the_interpreter_switch_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    before = sys.getswitchinterval()
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    pack(tmp_path / "p", tmp_path / "o")
    assert sys.getswitchinterval() == before
    monkeypatch.setattr(packing, "list_files", lambda root: ["akua.toml", "vanished.txt"])
    with pytest.raises(PackageError):
        pack(tmp_path / "p", tmp_path / "o")
    assert sys.getswitchinterval() == before


LONGEST_MARKER = b"-----BEGIN " + b"ENCRYPTED SIGSTORE OR ANY LABEL OF 40 CH" + b"PRIVATE KEY-----"  # 67 bytes


@pytest.mark.parametrize("marker", [b"-----BEGIN EC PRIVATE KEY-----", LONGEST_MARKER], ids=["ec", "longest"])
@pytest.mark.parametrize("before_seam", [1, 0.5, -1], ids=["1-byte", "half", "all-but-1"])
def test_a_private_key_marker_split_across_two_reads_is_found(tmp_path: Path, marker: bytes,
                                                             before_seam: float) -> None:
    make_tree(tmp_path / "p")
    in_first = int(len(marker) * before_seam) if before_seam != -1 else len(marker) - 1
    split = packing.COPY_BUFFER - in_first  # the marker straddles the first read
    (tmp_path / "p" / "data.bin").write_bytes(b"x" * split + marker + b"\nMHcCAQEE\n")
    (tmp_path / "o").mkdir()
    with pytest.raises(PackageError, match=r"data\.bin holds a PEM private key"):
        pack(tmp_path / "p", tmp_path / "o")


def test_public_keys_and_certificates_are_packed(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "p" / "cosign.pub").write_text("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n")
    (tmp_path / "p" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "o").mkdir()
    layer = pack(tmp_path / "p", tmp_path / "o")
    assert "cosign.pub" in [m.name for m in _members(layer.path)]


def test_a_layer_only_hashed_has_the_digest_of_the_file_and_writes_nothing(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    hashed, written = pack(tmp_path / "p", None), pack(tmp_path / "p", tmp_path / "o")
    assert hashed.path is None and written.path is not None
    assert (hashed.digest, hashed.size, hashed.files) == (written.digest, written.size, written.files)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["package.tar.gz"]


def test_the_content_digest_is_the_uncompressed_tar_the_layer_holds_and_hashing_it_writes_nothing(
        tmp_path: Path) -> None:
    """What a re-run compares: ``hash_content`` (no compression, no file) equals the tar inside the layer."""
    make_tree(tmp_path / "p")
    (tmp_path / "o").mkdir()
    layer = pack(tmp_path / "p", tmp_path / "o")
    assert layer.path is not None
    tar = gzip.decompress(layer.path.read_bytes())
    assert layer.content == hash_content(tmp_path / "p")
    assert layer.content.digest == "sha256:" + hashlib.sha256(tar).hexdigest() and layer.content.size == len(tar)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["package.tar.gz"]
    (tmp_path / "p" / "a" / "file.txt").write_text("b\n")
    assert hash_content(tmp_path / "p").digest != layer.content.digest


def test_hashing_refuses_a_private_key_as_packing_does(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "p" / "notes.txt").write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    with pytest.raises(PrivateKeyError, match=r"notes\.txt"):
        hash_content(tmp_path / "p")


def test_the_meter_counts_every_byte_of_content(tmp_path: Path) -> None:
    make_tree(tmp_path / "p")
    (tmp_path / "p" / "big.bin").write_bytes(os.urandom(300_000))
    seen: list[Reading] = []

    def progress(label: str, total: int) -> Meter:
        return Meter(label, total, seen.append, 0.0)

    pack(tmp_path / "p", None, progress=progress)
    assert seen[-1].finished and seen[-1].label == "Packing" and seen[-1].done == seen[-1].total > 300_000
    assert [r.done for r in seen] == sorted(r.done for r in seen)


def test_a_layer_file_that_takes_part_of_each_write_still_gets_every_byte(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The layer file is unbuffered: a write the disk takes only in part is finished, not dropped."""
    import builtins

    class Trickle:
        def __init__(self, raw: io.RawIOBase) -> None:
            self.raw = raw

        def write(self, data: memoryview) -> int:
            return self.raw.write(bytes(data[:1000]))

        def close(self) -> None:
            self.raw.close()

    make_tree(tmp_path / "p")
    (tmp_path / "p" / "data.bin").write_bytes(os.urandom(300_000))
    (tmp_path / "o").mkdir()
    expected = pack(tmp_path / "p", None)
    monkeypatch.setattr(packing, "open",  # closed by the packer, through Trickle.close
                        lambda *args, **kwargs: Trickle(builtins.open(*args, **kwargs)),  # noqa: SIM115
                        raising=False)
    layer = pack(tmp_path / "p", tmp_path / "o")
    assert layer.path is not None and layer.digest == expected.digest
    assert len(layer.path.read_bytes()) == layer.size == expected.size


@pytest.mark.parametrize(("where", "shown"), [(b"bad\xff.txt", "bad\\xff.txt"),
                                              (b"templates/caf\xe9/x.yaml", "templates/caf\\xe9")])
def test_a_name_that_is_not_utf8_is_refused_by_name_before_anything_is_packed(tmp_path: Path, where: bytes,
                                                                              shown: str) -> None:
    """Akua's packer writes such a name as raw bytes (checked with its core); GNU tar and others read it their
    own ways. UTF-8 names that are not ASCII are packed."""
    root = tmp_path / "pkg"
    make_tree(root)
    path = bytes(root) + b"/" + where
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(b"x\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out2").mkdir()
    for attempt in (lambda: pack(root, tmp_path / "out"), lambda: hash_content(root, ())):
        with pytest.raises(PackageError, match=re.escape(f"`{shown}`, whose name is not UTF-8")):
            attempt()
    first = bytes(root) + b"/" + where.split(b"/")[0]
    shutil.rmtree(first) if os.path.isdir(first) else os.remove(first)
    layer = pack(root, tmp_path / "out2")
    assert layer.path is not None
    with tarfile.open(layer.path) as archive:
        assert "ünïcode/名前.txt" in archive.getnames()
