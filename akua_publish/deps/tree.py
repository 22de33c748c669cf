"""Dependency trees on disk, as Akua's publish treats them (``vendor.rs`` of akua-dev/akuapkg).

Pure file-system logic, no network: unpacking a chart tarball the way Akua's
``tar`` crate does, finding the chart root in it, walking a resolved tree with
Akua's skip rules, and the tree digest Akua records for vendored directories.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import stat
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from akua_publish.options import UnpackLimits
from akua_publish.package.packing import collect_files

CHUNK = 1024 * 1024
HELM_MARKERS = ("Chart.yaml",)
AKUA_MARKERS = ("kcl.mod", "package.k")
MAX_METADATA_READ = 16 * 1024 * 1024  # a tar header, pax record or long name is a few hundred bytes
RATIO_FLOOR = 64 * 1024 * 1024  # below this much unpacked, no expansion ratio is suspicious
MAX_ENTRIES = 50_000  # a Helm chart has hundreds of files; tarfile keeps each entry's header (~350 bytes)


class TreeProblem(ValueError):
    """A dependency's archive or tree that cannot be vendored; the message says why."""


class TooLarge(TreeProblem):
    """The archive unpacks past a limit: ``unpacked`` bytes so far (or declared), ``limit`` names which."""

    def __init__(self, unpacked: int, compressed: int, limit: str) -> None:
        super().__init__(f"it unpacks to more than {unpacked} bytes from {compressed} compressed ({limit})")
        self.unpacked, self.compressed, self.limit = unpacked, compressed, limit


class OutOfTime(TreeProblem):
    """The run's deadline passed while the archive was being unpacked (``unpacked`` bytes done)."""

    def __init__(self, unpacked: int) -> None:
        super().__init__(f"the deadline passed after {unpacked} bytes were unpacked")
        self.unpacked = unpacked


def tree_digest(root: Path) -> str:
    """Akua's ``hash_dir``: every regular file (hidden ones too), component order, ``path NUL bytes LF``."""
    sha = hashlib.sha256()
    for rel in collect_files(root, skip_names=False):
        sha.update(rel.encode("utf-8", "replace") + b"\0")
        with open(root / rel, "rb") as handle:
            while chunk := handle.read(CHUNK):
                sha.update(chunk)
        sha.update(b"\n")
    return "sha256:" + sha.hexdigest()


def walk(root: Path) -> list[tuple[str, Path]]:
    """A resolved tree's files as Akua vendors them: Akua's walk, with ``inputs.yaml`` kept."""
    return [(rel, root / rel) for rel in collect_files(root)]


def unpack(blob: Path, target: Path, *, gzipped: bool, limits: UnpackLimits, time_left: Callable[[], float]) -> None:
    """Extract a (checked) tar blob as Akua's ``tar`` crate does: ``..`` entries skipped, leading ``/`` and ``.``
    dropped, later entries overwrite earlier ones, permission bits kept (as ``safe_mode`` allows), links and
    devices not recreated.

    Memory stays flat whatever the archive: gzip decompresses a bounded amount per read, no metadata
    record over ``MAX_METADATA_READ`` is read, and at most ``MAX_ENTRIES`` headers are kept. Before an
    entry's data is read, its declared size is held against the limits, so a bomb stops at its
    first header, not after gigabytes of zeros; the stream read so far is held against them too.
    """
    compressed = max(blob.stat().st_size, 1)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with open(blob, "rb") as raw, (gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw) as stream:
            guard = _Guard(cast(BinaryIO, stream), compressed, limits, time_left)
            with tarfile.open(fileobj=guard, mode="r:") as tar:
                entries = 0
                while (member := tar.next()) is not None:
                    entries += 1
                    if entries > MAX_ENTRIES:
                        raise TooLarge(guard.position, compressed, f"more than {MAX_ENTRIES} entries")
                    guard.expect(member.size if member.isfile() else 0)
                    _extract(tar, member, target, guard)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise TreeProblem(f"its archive cannot be unpacked ({exc})") from exc


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, guard: _Guard) -> None:
    parts = [p for p in PurePosixPath(member.name).parts if p not in ("/", ".")]
    if not parts or ".." in parts or not (member.isfile() or member.isdir()):
        return
    path = target.joinpath(*parts)
    if member.isdir():
        path.mkdir(parents=True, exist_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_dir():
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    source = tar.extractfile(member) or io.BytesIO()
    with open(path, "wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
            guard.tick()
    path.chmod(safe_mode(member.mode))


def safe_mode(mode: int) -> int:
    """The archive's permission bits (the executable bit is Akua's to read), readable by the owner, and never
    setuid, setgid, sticky or world-writable: a chart file is data, even in the scratch folder of a run as root."""
    return (stat.S_IMODE(mode) | stat.S_IRUSR) & ~(stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWOTH)


class _Guard(io.RawIOBase):
    """The decompressed tar stream as tarfile reads it, held to the limits and the deadline."""

    def __init__(self, stream: BinaryIO, compressed: int, limits: UnpackLimits, time_left: Callable[[], float]) -> None:
        self._stream, self._compressed, self._limits, self._time_left = stream, compressed, limits, time_left
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        wanted = offset if whence == io.SEEK_SET else self.position + offset
        self._check(wanted)
        self.position = self._stream.seek(wanted)
        return self.position

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > MAX_METADATA_READ:  # file data is read in CHUNKs; this is a header's record
            raise TooLarge(self.position + max(size, 0), self._compressed, "a tar record larger than 16 MiB")
        self._check(self.position + size)
        data = self._stream.read(size)
        self.position += len(data)
        return data

    def expect(self, size: int) -> None:
        """An entry declares ``size`` bytes: refuse it before they are read when they pass a limit."""
        self._check(self.position + size)

    def tick(self) -> None:
        if self._time_left() <= 0:
            raise OutOfTime(self.position)

    def _check(self, end: int) -> None:
        if end > self._limits.max_bytes:
            raise TooLarge(end, self._compressed, "max-dependency-size")
        if end > RATIO_FLOOR and end > self._limits.max_ratio * self._compressed:
            raise TooLarge(end, self._compressed, "max-expansion-ratio")


def chart_root(extracted: Path, helm: bool) -> Path:
    """Akua's ``find_package_root``: the root itself, else the first top-level folder with the marker."""
    markers = HELM_MARKERS if helm else AKUA_MARKERS
    if any((extracted / marker).is_file() for marker in markers):
        return extracted
    for child in sorted(extracted.iterdir(), key=lambda p: p.name.encode()):
        if child.is_dir() and any((child / marker).is_file() for marker in markers):
            return child
    raise TreeProblem(f"it holds no {' or '.join(markers)} at its root or in a top-level folder")
