"""Pack a package directory the way Akua's packer does, but reproducibly.

Akua's packer copies file times, owners and modes into the tar headers, so two
checkouts of one commit give two digests. Here every header is normalised
(mtime 0, uid/gid 0, no owner names, mode 0644 or 0755, gzip mtime 0), so the
same content always gives the same bytes and a re-run finds the same digest.
The tarball streams to a file while it is hashed: memory does not grow with
the package.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from akua_publish.artifact import PackedContent, PackedLayer
from akua_publish.errors import PackageError, PackingError, PrivateKeyError
from akua_publish.package import akua_toml
from akua_publish.package.akua_toml import PackedToml
from akua_publish.package.layer_file import Compressor, LayerFile
from akua_publish.package.tar_stream import TarWriter
from akua_publish.progress import Meter, Progress, no_progress
from akua_publish.wording import secret

PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")  # PKCS#8, SEC1, RSA, OpenSSH, cosign
KEY_MARKER_SPAN = 96  # bytes kept between reads, more than the longest marker (67), so a split one is found
SKIPPED_NAMES = frozenset({"deploy", "rendered", "out", "target", "node_modules", "dist"})
SKIPPED_FILES = frozenset({"inputs.yaml"})
COPY_BUFFER = 64 * 1024  # under malloc's 128 KiB mmap threshold: buffers are reused, not mapped and faulted in


def list_files(root: Path) -> list[str]:
    """Root-relative POSIX paths of the files Akua packs from a workspace, in Akua's order: the walk
    of ``collect_files``, less the files named ``inputs.yaml`` (per-consumer values)."""
    return collect_files(root, keep_file=lambda name: name not in SKIPPED_FILES)


def _every_file(_: str) -> bool:
    return True


def collect_files(root: Path, *, skip_names: bool = True, keep_file: Callable[[str], bool] = _every_file) -> list[str]:
    """Akua's walker (``walk.rs``): root-relative POSIX paths of the regular files under ``root``.

    With ``skip_names``, any entry, file or directory, named like a dot-name or one of
    the build/output names is skipped with everything under it (without, as Akua's tree
    digest walks, nothing is). Files go through ``keep_file``; symlinks and special files
    are never followed or kept. The order is Akua's: path component by component
    (``a/x`` before ``a-b`` and ``a.txt``), each component as bytes.
    """
    found: list[str] = []
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            entries = list(os.scandir(root / rel_dir if rel_dir else root))
        except OSError as exc:
            raise PackageError(
                f"The directory {rel_dir or '.'} of the package cannot be read: {exc.strerror}.",
                "Check its permissions.",
            ) from exc
        for entry in entries:
            if skip_names and (entry.name.startswith(".") or entry.name in SKIPPED_NAMES):
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            _check_utf8(rel)
            if entry.is_dir(follow_symlinks=False):
                pending.append(rel)
            elif entry.is_file(follow_symlinks=False) and keep_file(entry.name):
                found.append(rel)
    return sorted(found, key=component_order)


def _check_utf8(rel: str) -> None:
    """A name the file system holds as bytes that are not UTF-8 (Python keeps them as surrogates) is refused.

    Akua's packer writes such a name as its raw bytes in a plain header (checked with Akua's core 0.9.5); tar
    readers decode it each their own way, and Akua's own git vendoring refuses one. Here it stops the run."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        raw = rel.encode("utf-8", "surrogateescape")
        shown = raw.decode("utf-8", "backslashreplace")
        raise PackageError(
            f"The package holds `{shown}`, whose name is not UTF-8 (the bytes are shown with \\x escapes); "
            "nothing was packed or pushed.",
            "Rename it to UTF-8 (for example `convmv -f latin1 -t utf-8 --notest -r .`) or delete it.") from None


def component_order(rel: str) -> list[bytes]:
    """Akua's order of paths: component by component, each as bytes (``a/x`` < ``a-b`` < ``a.txt``)."""
    return [part.encode("utf-8", "surrogateescape") for part in rel.split("/")]


@dataclass(frozen=True)
class VendoredFile:
    """One entry of ``.akua/vendor/``: its path in the tarball, where it is on disk, its mode."""

    tar_path: str
    source: Path
    executable: bool


def pack(root: Path, out_dir: Path | None, vendored: Sequence[VendoredFile] = (),
         progress: Progress = no_progress, *, toml: PackedToml | None = None) -> PackedLayer:
    """Write the layer tarball under ``out_dir`` (or, without one, only hash it); its digests and size.

    The archive's ``akua.toml`` is the file re-serialised as Akua packs it
    (``akua_toml.packed``: no ``replace``, no comments, defaults written out).
    ``vendored`` entries (resolved dependencies) follow all workspace entries, in
    Akua's order of their tarball paths, with the same normalised headers. The
    uncompressed tar is hashed on the way (``PackedLayer.content``), for the
    manifest's annotation. ``toml`` is akua.toml as the run read it (``PackageInfo``);
    without it the file is read here.
    """
    target = out_dir / "package.tar.gz" if out_dir else None
    sink = LayerFile(target)
    try:
        with Compressor(sink) as compressor:
            content = _write_tar(root, vendored, compressor, progress, label="Packing",
                                 toml=toml or _packed_manifest(root))
    finally:
        sink.close()
    return PackedLayer(path=target, digest="sha256:" + sink.sha.hexdigest(), size=sink.size, files=content.files,
                       content=content)


def hash_content(root: Path, vendored: Sequence[VendoredFile] = (), progress: Progress = no_progress, *,
                 toml: PackedToml | None = None) -> PackedContent:
    """The tar ``pack`` would compress, hashed only (nothing compressed, nothing written): what a re-run
    compares with the content the registry holds."""
    return _write_tar(root, vendored, _Discard(), progress, label="Hashing the package",
                      toml=toml or _packed_manifest(root))


def _write_tar(root: Path, vendored: Sequence[VendoredFile], out: _TarSink, progress: Progress, *,
               label: str, toml: PackedToml) -> PackedContent:
    """The layer's tar stream, written to ``out`` and hashed; checked for private keys on the way."""
    manifest, signing_key = toml.content, toml.signing_key
    files = list_files(root)
    if signing_key in files:
        raise key_in_package(signing_key, "is the signing key akua.toml names ([signing].cosign_private_key)")
    extra = sorted(vendored, key=lambda entry: component_order(entry.tar_path))
    hashed = _Hashed(out)
    with progress(label, _total(root, files, manifest, extra)) as meter:
        tar = TarWriter(hashed)
        for rel in files:
            if rel == "akua.toml":
                tar.add(rel, len(manifest), False, io.BytesIO(manifest).read, COPY_BUFFER)
                meter.add(len(manifest))
            else:
                _add_file(tar, os.path.join(root, rel), rel, meter=meter)
        for entry in extra:
            _add_file(tar, str(entry.source), entry.tar_path, entry.executable, meter)
        tar.close()
    return PackedContent(digest="sha256:" + hashed.sha.hexdigest(), size=hashed.size, files=len(files) + len(extra))


def _total(root: Path, files: list[str], manifest: bytes, extra: Sequence[VendoredFile]) -> int:
    """The bytes of content to pack, for the progress shown (a file that cannot be read counts 0 here and
    fails where it is packed)."""
    total = 0
    for path in [*(root / rel for rel in files if rel != "akua.toml"), *(entry.source for entry in extra)]:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total + len(manifest)


class _TarSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Hashed:
    """Hashes the tar stream on its way to ``out`` (in the main thread, which waits on gzip's anyway)."""

    def __init__(self, out: _TarSink) -> None:
        self._out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self._out.write(data)


class _Discard:
    def write(self, data: bytes) -> None:
        """The hash is all a re-run needs."""


def _packed_manifest(root: Path) -> PackedToml:
    """akua.toml as Akua packs it, read from ``root`` (for a caller that has not read it: a run has, once)."""
    try:
        data, problems = akua_toml.parse((root / "akua.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise PackageError(f"akua.toml cannot be read: {reason}.", "Check the file.") from exc
    if problems:
        raise PackageError("akua.toml is invalid: " + "; ".join(text for text, _ in problems) + ".",
                           "Fix akua.toml (the run checks it before packing).")
    return akua_toml.packed_toml(data)


def _add_file(tar: TarWriter, path: str, rel: str, executable: bool | None = None,
              meter: Meter | None = None) -> None:
    """Add ``path`` as ``rel``; its mode from its executable bit unless ``executable`` says."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise PackageError(
            f"{rel} in the package cannot be read: {exc.strerror}.",
            "Make the file readable or remove it from the package.",
        ) from exc
    try:
        before = os.fstat(fd)
        runs = bool(before.st_mode & stat.S_IXUSR) if executable is None else executable
        tar.add(rel, before.st_size, runs, _ExactReader(fd, before.st_size, rel, meter).read, COPY_BUFFER)
        after = os.fstat(fd)
        grew = os.read(fd, 1) != b""
    finally:
        os.close(fd)
    if grew or _changed(before, after):
        raise PackingError(
            f"{rel} changed while it was being packed ({'it grew' if grew else 'its size or content changed'}); "
            "the artifact would not match any state of the file, so nothing was pushed.",
            "Make sure nothing writes to the package directory during the publish (a build step "
            "still running, a log file inside the package), then re-run the job.",
        )


def _changed(before: os.stat_result, after: os.stat_result) -> bool:
    """A write during the read shows in the size or the modification and change times."""
    return (before.st_size, before.st_mtime_ns, before.st_ctime_ns) != (
        after.st_size, after.st_mtime_ns, after.st_ctime_ns)


class _ExactReader:
    """Feeds the tar writer exactly ``size`` bytes; a file that shrank fails the packing, and so does one that
    holds a PEM private key (the artifact is public: Akua's CLI would pack a `cosign.key` left there)."""

    def __init__(self, fd: int, size: int, rel: str, meter: Meter | None) -> None:
        self._fd, self._left, self._rel = fd, size, rel
        self._tail = b""
        self._meter = meter

    def read(self, n: int) -> bytes:
        want = min(n, self._left)
        data = os.read(self._fd, want)
        while len(data) < want and (more := os.read(self._fd, want - len(data))):
            data += more
        if len(data) < want:
            raise PackingError(
                f"{self._rel} shrank while it was being packed; nothing was pushed.",
                "Make sure nothing writes to the package directory during the publish, then re-run the job.",
            )
        # The data itself, and the seam with the read before (a marker split across the two): no copy
        # of a whole read is made just to search it.
        seam = self._tail + data[:KEY_MARKER_SPAN]
        if PRIVATE_KEY.search(seam) or PRIVATE_KEY.search(data):
            raise key_in_package(self._rel, "holds a PEM private key")
        self._tail = seam[-KEY_MARKER_SPAN:] if len(data) <= KEY_MARKER_SPAN else data[-KEY_MARKER_SPAN:]
        self._left -= len(data)
        if self._meter is not None:
            self._meter.add(len(data))
        return data


def key_in_package(rel: str, why: str) -> PrivateKeyError:
    return PrivateKeyError(
        f"{rel} {why}; packed, it would be published to everyone who can pull the artifact. Nothing was pushed.",
        f"Keep signing keys out of the package directory: store the key as a secret and pass it as "
        f"{secret('cosign-private-key')} (or, for Akua's CLI, write it outside the package); then remove the file "
        "from the package.",
    )
