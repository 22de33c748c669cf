"""The Akua package on disk: ``akua.toml`` and ``package.k``.

``akua.toml`` is validated as Akua's manifest parser does (``akua_toml``), so
that a package Akua would refuse is refused before anything is pushed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akua_publish.errors import AkuaTomlError, PackageError, VersionError
from akua_publish.options import shown_in
from akua_publish.package import akua_toml
from akua_publish.wording import setting


@dataclass(frozen=True)
class PackageInfo:
    """What the publish needs of ``akua.toml``: the name (compared with Akua's), the version, the rest."""

    name: str
    version: str
    manifest: dict[str, Any]  # akua.toml as parsed (its dependencies are vendored)


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
    return PackageInfo(name=data["package"]["name"], version=data["package"]["version"], manifest=data)


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
