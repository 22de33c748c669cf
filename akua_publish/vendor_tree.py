"""Dependency trees on disk, as Akua's publish treats them (``vendor.rs`` of akua-dev/akuapkg).

Pure file-system logic, no network: unpacking a chart tarball the way Akua's
``tar`` crate does, finding the chart root in it, walking a resolved tree with
Akua's skip rules, and the tree digest Akua records for vendored directories.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .packing import collect_files

MAX_UNPACKED = 2 * 1024**3  # Akua caps a dependency's decompressed size at 2 GiB
CHUNK = 1024 * 1024
HELM_MARKERS = ("Chart.yaml",)
AKUA_MARKERS = ("kcl.mod", "package.k")


class TreeProblem(ValueError):
    """A dependency's archive or tree that cannot be vendored; the message says why."""


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


def unpack(archive: BinaryIO, target: Path, gzipped: bool) -> None:
    """Extract a tar stream as Akua's ``tar`` crate does: ``..`` entries skipped, leading ``/`` and ``.``
    dropped, later entries overwrite earlier ones, permission bits kept, links and devices not recreated.
    The archive is read once, front to back, so it can come straight from the network."""
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    try:
        # Big reads: the stream's default of 10 KiB per read costs more than the decompression.
        with tarfile.open(fileobj=archive, mode="r|gz" if gzipped else "r|", bufsize=CHUNK) as tar:
            for member in tar:
                parts = [p for p in PurePosixPath(member.name).parts if p not in ("/", ".")]
                if not parts or ".." in parts or not (member.isfile() or member.isdir()):
                    continue
                path = target.joinpath(*parts)
                if member.isdir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                total += member.size
                if total > MAX_UNPACKED:
                    raise TreeProblem("it unpacks to more than 2 GiB")
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_symlink() or path.is_dir():
                    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                source = tar.extractfile(member) or io.BytesIO()
                with open(path, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                path.chmod(stat.S_IMODE(member.mode) | stat.S_IRUSR)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise TreeProblem(f"its archive cannot be unpacked ({exc})") from None


def chart_root(extracted: Path, helm: bool) -> Path:
    """Akua's ``find_package_root``: the root itself, else the first top-level folder with the marker."""
    markers = HELM_MARKERS if helm else AKUA_MARKERS
    if any((extracted / marker).is_file() for marker in markers):
        return extracted
    for child in sorted(extracted.iterdir(), key=lambda p: p.name.encode()):
        if child.is_dir() and any((child / marker).is_file() for marker in markers):
            return child
    raise TreeProblem(f"it holds no {' or '.join(markers)} at its root or in a top-level folder")
