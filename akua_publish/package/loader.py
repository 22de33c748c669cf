"""The Akua package on disk: ``akua.toml`` and ``package.k``.

``akua.toml`` is validated as Akua's manifest parser does (``akua_toml``), so
that a package Akua would refuse is refused before anything is pushed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from akua_publish.errors import AkuaTomlError, LockFileError, PackageError, VersionError
from akua_publish.options import shown_in
from akua_publish.package import akua_toml
from akua_publish.package.akua_lock import LOCK_HINT, LockEntry, LockProblem, read_lock_entries
from akua_publish.package.akua_toml import PackedToml
from akua_publish.package.model import Manifest, manifest_from
from akua_publish.wording import setting


@dataclass(frozen=True)
class PackageInfo:
    """The package as a run reads it, once: ``akua.toml`` parsed (the name compared with Akua's, the version, the
    dependencies to vendor, the signing key it names), as the layer packs it, and ``akua.lock`` when asked for."""

    root: Path
    shown: str  # the folder as the user gave it, for messages
    manifest: Manifest  # akua.toml, typed
    toml: PackedToml  # akua.toml as Akua packs it

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @cached_property
    def lock(self) -> tuple[LockEntry, ...]:
        """akua.lock's entries in file order (none without a lock), read the first time a step needs them (a
        package without dependencies and signature never reads it); an invalid lock stops the run."""
        where = shown_in(self.shown, "akua.lock")
        try:
            entries = read_lock_entries(self.root / "akua.lock")
        except LockProblem as exc:
            raise LockFileError(
                f"{where} is invalid: {exc}. Akua's CLI would silently ignore it and vendor unpinned charts; "
                "akua-publish does not publish what the lock does not vouch for.", LOCK_HINT, file=where) from exc
        return tuple(entries or ())


def load_package(root: Path, shown: str) -> PackageInfo:
    """Read ``akua.toml`` of the package at ``root`` (``shown`` is its workspace path)."""
    if not root.is_dir():
        raise PackageError(
            f"The package directory `{shown}` does not exist.",
            f"Set {setting('path')} to the directory that holds akua.toml and package.k, "
            "relative to the repository root.",
        )
    manifest = _require_file(root, "akua.toml", shown)
    _require_file(root, "package.k", shown)
    where = shown_in(shown, "akua.toml")
    data, problems = akua_toml.parse(_read_text(manifest, where))
    if problems:
        raise AkuaTomlError(
            where, problems,
            'Fix each key named (one annotation per problem). [package] needs name, version and edition = '
            '"akua.dev/v1alpha1"; each dependency is one of { oci, version }, { git, tag or rev }, { path } or '
            '{ repo, chart, version }.',
        )
    return PackageInfo(root=root, shown=shown, manifest=manifest_from(data), toml=akua_toml.packed_toml(data))


def check_version_matches(package: PackageInfo, semver: str, shown: str) -> None:
    """Akua compares the version with ``akua.toml`` inside the artifact: catch it here."""
    if package.version != semver:
        where = shown_in(shown, "akua.toml")
        raise VersionError(
            f"The version to publish is {semver}, but {where} says "
            f"[package].version = {package.version!r}.",
            f'Set version = "{semver}" in akua.toml and commit it before tagging, '
            "or tag the version akua.toml names.",
            file=where,
        )


def _require_file(root: Path, name: str, shown: str) -> Path:
    path = root / name
    if path.is_symlink() or not path.is_file():
        raise PackageError(
            f"{shown_in(shown, name)} is missing (or is not a regular file).",
            f"An Akua package needs {name} at its root; check {setting('path')}.",
            file=shown_in(shown, name),
        )
    return path


def _read_text(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(
            f"{where} is not valid UTF-8.", "Save the file as UTF-8.", file=where
        ) from exc
    except OSError as exc:
        raise PackageError(
            f"{where} cannot be read: {exc.strerror}.",
            "Check the file's permissions.",
            file=where,
        ) from exc
