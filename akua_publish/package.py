"""The Akua package on disk: ``akua.toml`` and ``package.k``.

Only what Akua's reader relies on is checked here, so that a package Akua
would refuse is refused before anything is pushed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import PackageError, VersionError

NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*", re.ASCII)


@dataclass(frozen=True)
class PackageInfo:
    name: str
    version: str
    edition: str
    root: Path


def load_package(root: Path, shown: str) -> PackageInfo:
    """Read ``akua.toml`` of the package at ``root`` (``shown`` is its workspace path)."""
    if not root.is_dir():
        raise PackageError(
            f"The package directory `{shown}` does not exist.",
            "Set the `path` input to the directory that holds akua.toml and package.k, "
            "relative to the repository root.",
        )
    manifest = _require_file(root, "akua.toml", shown)
    _require_file(root, "package.k", shown)
    where = join_shown(shown, "akua.toml")
    text = _read_text(manifest, where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackageError(
            f"{where} is not valid TOML: {exc}.", "Fix the TOML syntax.", file=where
        ) from None
    table = data.get("package")
    if not isinstance(table, dict):
        raise PackageError(
            f"{where} has no [package] table.",
            'Add [package] with name, version and edition = "akua.dev/v1alpha1".',
            file=where,
        )
    name, version = table.get("name"), table.get("version")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise PackageError(
            f"{where}: [package].name is {name!r}; it must be letters, digits, `_` or `-` "
            "and not start with `-`.",
            "Set a valid package name.",
            file=where,
        )
    if not isinstance(version, str) or not version:
        raise PackageError(
            f"{where}: [package].version is missing or not a string.",
            'Set version = "1.2.3" (the version you tag).',
            file=where,
        )
    edition = table.get("edition", "")
    if not isinstance(edition, str):
        raise PackageError(
            f"{where}: [package].edition must be a string.",
            'Use edition = "akua.dev/v1alpha1".',
            file=where,
        )
    return PackageInfo(name=name, version=version, edition=edition, root=root)


def check_version_matches(package: PackageInfo, semver: str, shown: str) -> None:
    """Akua compares the version with ``akua.toml`` inside the artifact: catch it here."""
    if package.version != semver:
        where = join_shown(shown, "akua.toml")
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
            f"{join_shown(shown, name)} is missing (or is not a regular file).",
            f"An Akua package needs {name} at its root; check the `path` input.",
            file=join_shown(shown, name),
        )
    return path


def _read_text(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PackageError(
            f"{where} is not valid UTF-8.", "Save the file as UTF-8.", file=where
        ) from None
    except OSError as exc:
        raise PackageError(
            f"{where} cannot be read: {exc.strerror}.",
            "Check the file's permissions.",
            file=where,
        ) from None


def join_shown(shown: str, name: str) -> str:
    """``name`` inside the package directory, as messages show it (relative to the workspace)."""
    return name if shown in ("", ".") else f"{shown.rstrip('/')}/{name}"
