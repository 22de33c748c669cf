"""Vendor a package's OCI and git dependencies into the artifact, as Akua's publish does, but failing closed.

Akua's ``publish`` resolves every ``oci`` and ``git`` dependency and appends its
files under ``.akua/vendor/<alias>/`` so the artifact renders offline; when any
dependency fails it prints a warning and ships nothing vendored. Here every
failure stops the run before the push: a dependency that cannot be fetched, an
OCI dependency without an ``akua.lock`` pin or whose chart layer differs from
it, a git tag or rev that does not exist or whose commit differs from the lock.
``path``, ``replace`` and Helm-repository dependencies are not vendored (the
first two live in the workspace, the last is dropped by Akua at publish too).
A pre-vendored ``.akua/vendor/<alias>/`` (from ``akua pkg vendor``) is used as it is
when its tree digest is the one the lock records, so such a publish needs no
access to the dependencies' registries at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from akua_publish.deps.file_source import check_file_source
from akua_publish.deps.git import GitSource
from akua_publish.deps.tree import tree_digest, walk
from akua_publish.errors import DependencyError
from akua_publish.package.akua_lock import LOCK_HINT, LockEntry
from akua_publish.package.discovery import sibling_name
from akua_publish.package.loader import PackageInfo
from akua_publish.package.model import Dependency
from akua_publish.package.packing import VendoredFile
from akua_publish.result import VendoredDependency


@dataclass(frozen=True)
class Vendoring:
    files: tuple[VendoredFile, ...]  # every vendored file, as it is packed
    dependencies: tuple[VendoredDependency, ...]


class Fetcher(Protocol):
    """The network side: an OCI chart into a folder (its layer's digest), a git commit's tree into a folder."""

    def oci(self, alias: str, oci: str, version: str, pin: str, into: Path) -> tuple[Path, str]: ...

    def git(self, source: GitSource, into: Path) -> str: ...


def vendor(package: PackageInfo, work_dir: Path, fetcher: Fetcher, *, file_root: Path | None) -> Vendoring:
    """Resolve every dependency of the package's akua.toml (validated already), pinned by its akua.lock;
    ``file_root`` is the folder ``file://`` git dependencies must be in (``file_source``)."""
    package_dir = package.root
    dependencies = package.manifest.dependencies
    for dependency in dependencies:
        _check_local_paths(package_dir, dependency)
    vendored = [dependency for dependency in dependencies if dependency.vendored]
    if not vendored:
        return Vendoring((), ())
    lock = {entry.name: entry for entry in package.lock}
    for dependency in vendored:  # before anything is fetched
        if dependency.git.startswith("file:") and not (package_dir / ".akua" / "vendor" / dependency.alias).is_dir():
            entry = lock.get(dependency.alias)
            check_file_source(dependency.alias, dependency.git, pinned=bool(entry and entry.digest.startswith("git:")),
                              root=file_root, package_dir=package_dir)
    files: list[VendoredFile] = []
    done: list[VendoredDependency] = []
    for dependency in vendored:
        alias, entry = dependency.alias, lock.get(dependency.alias)
        prevendored = package_dir / ".akua" / "vendor" / alias
        executable: bool | None = None  # OCI and pre-vendored files keep their executable bit
        if prevendored.is_dir():
            root, digest = prevendored, _prevendored_digest(alias, prevendored, entry)
            source, version = dependency.oci or dependency.git, "pre-vendored"
        elif dependency.oci:
            if entry is None or not entry.digest.startswith("sha256:"):
                raise DependencyError(
                    f"The OCI dependency `{alias}` ({dependency.oci}) has no sha256 pin in akua.lock; an unpinned "
                    "chart could change under the same tag, so it is not vendored.", LOCK_HINT, file="akua.lock")
            root, digest = fetcher.oci(alias, dependency.oci, dependency.version, entry.digest,
                                       work_dir / "deps" / alias)
            source, version = dependency.oci, dependency.version
        else:
            git = GitSource(alias, dependency.git, dependency.tag or None, dependency.rev or None,
                            entry.digest if entry else "")
            commit = fetcher.git(git, work_dir / "deps" / alias)
            root, digest, executable = work_dir / "deps" / alias, f"git:{commit}", False
            source, version = dependency.git, dependency.tag or dependency.rev
        entries = walk(root)
        files += [VendoredFile(f".akua/vendor/{alias}/{rel}", path, _executable(path, executable))
                  for rel, path in entries]
        done.append(VendoredDependency(alias, source, version, digest, len(entries)))
    return Vendoring(tuple(files), tuple(done))


def check_unpublished_pins(package: PackageInfo, layers: Mapping[tuple[str, str], str]) -> None:
    """A plan's check of the dependencies it cannot fetch yet: an OCI dependency on a sibling's new version (by
    its repository's last name and the version, the keys of ``layers``) must be pinned in akua.lock at the layer
    that sibling packs to, or the real run fails to vendor it after the sibling is published."""
    lock = {entry.name: entry for entry in package.lock}
    for dependency in package.manifest.dependencies:
        layer = layers.get((sibling_name(dependency.oci), dependency.version))
        if not dependency.oci or not dependency.vendored or not layer:  # not a sibling's, or its layer unknown
            continue
        if (package.root / ".akua" / "vendor" / dependency.alias).is_dir():
            continue  # pre-vendored: its tree digest is checked when it is used
        pinned = lock.get(dependency.alias)
        if pinned is None or pinned.digest != layer:
            found = f"pins {pinned.digest}" if pinned else "has no pin"
            raise DependencyError(
                f"akua.lock {found} for `{dependency.alias}` ({dependency.oci} {dependency.version}), but that "
                f"version, packed from this repository, is the layer {layer}: publishing would fail to vendor it.",
                f"Set the digest of `{dependency.alias}` in akua.lock to {layer} (a dry run of that package prints "
                "its layer), or depend on a version that is published.", file="akua.lock")


def _executable(path: Path, fixed: bool | None) -> bool:
    return bool(path.stat().st_mode & 0o100) if fixed is None else fixed


def _prevendored_digest(alias: str, folder: Path, entry: LockEntry | None) -> str:
    """A ``.akua/vendor/<alias>/`` tree is used as it is when the lock records its tree digest."""
    found = tree_digest(folder)
    expected = {entry.digest, entry.vendor_digest} - {""} if entry else set()
    if found not in expected:
        raise DependencyError(
            f"The pre-vendored tree .akua/vendor/{alias}/ has tree digest {found}, but akua.lock records "
            f"{' or '.join(sorted(expected)) or 'no entry for it'}.",
            "Re-run `akua pkg vendor` and commit both the tree and akua.lock, or delete the folder to fetch the "
            "dependency.")
    return found


def _check_local_paths(package_dir: Path, dependency: Dependency) -> None:
    """``path`` and ``replace`` dependencies must be folders inside the package, as Akua resolves them."""
    declared = dependency.local_path
    if not declared:
        return
    target = (package_dir / declared).resolve()
    root = package_dir.resolve()
    if Path(declared).is_absolute() or (target != root and root not in target.parents) or not target.is_dir():
        raise DependencyError(
            f"The dependency `{dependency.alias}` points at `{declared}`, which is not a folder inside the package "
            "(Akua resolves it there, and fails otherwise).",
            "Give a relative path to a folder inside the package directory.")
