"""``akua.toml`` as the steps read it: typed once, from the data Akua's manifest parser validated (``akua_toml``).

Only what a publish acts on is kept: the package's name and version, its dependencies (what is vendored and
from where), and the signing key it names. The layer packs the file as Akua re-serialises it
(``akua_toml.packed_toml``), from the same parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dependency:
    """One ``[dependencies]`` entry: exactly one source (``oci``, ``git``, ``path`` or ``repo``) and its pins."""

    alias: str
    oci: str = ""
    git: str = ""
    path: str = ""
    repo: str = ""
    version: str = ""  # an OCI chart's tag, a Helm chart's version
    tag: str = ""  # a git tag ...
    rev: str = ""  # ... or a full commit
    replace_path: str = ""  # ``replace = { path = ... }``: a local fork in its place

    @property
    def vendored(self) -> bool:
        """Akua vendors ``oci`` and ``git`` dependencies, and not when a ``replace`` points at a local fork."""
        return bool(self.oci or self.git) and not self.replace_path

    @property
    def local_path(self) -> str:
        """The folder inside the package a ``path`` or ``replace`` dependency names ("" for none)."""
        return self.path or self.replace_path


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    edition: str
    dependencies: tuple[Dependency, ...]  # by alias, in Akua's order (the aliases' bytes)
    signing_key: str  # ``[signing].cosign_private_key``, "" when it names none


def manifest_from(data: Mapping[str, Any]) -> Manifest:
    """The typed manifest of parsed, validated ``akua.toml`` data."""
    package = data["package"]
    specs: Mapping[str, Mapping[str, Any]] = data.get("dependencies") or {}
    dependencies = tuple(_dependency(alias, specs[alias]) for alias in sorted(specs, key=lambda a: a.encode()))
    signing = data.get("signing") or {}
    return Manifest(name=package["name"], version=package["version"], edition=package["edition"],
                    dependencies=dependencies, signing_key=str(signing.get("cosign_private_key") or ""))


def _dependency(alias: str, spec: Mapping[str, Any]) -> Dependency:
    replace = spec.get("replace")
    text = {key: str(spec.get(key) or "") for key in ("oci", "git", "path", "repo", "version", "tag", "rev")}
    local = str(replace.get("path") or "") if isinstance(replace, Mapping) else ""
    return Dependency(alias, **text, replace_path=local)
