"""Akua's answers, typed where they enter (``openapi-packages.json``'s ``Package`` and ``PackageVersion``,
``openapi-registry-connections.json``'s ``RegistryCredential``), and the two requests the publish sends
(``CreatePackageVersionBody``, ``ImportPackageBody``), typed until they leave (``to_json``).

Only the fields the publish reads are kept. Reading is lenient, as a client of an
API that adds fields should be: a missing string is empty; a version listed without
its ``input_schema`` (some lists leave it out) says so, so that it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from akua_publish.result import ABSENT


@dataclass(frozen=True)
class VersionBody:
    """``POST /packages/{id}/versions``: the version Akua records (``CreatePackageVersionBody``)."""

    semver: str
    ref: str  # the manifest digest
    input_schema: Mapping[str, Any]  # the exported JSON Schema
    compatibility: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body = {"semver": self.semver, "ref": self.ref, "input_schema": self.input_schema}
        return body | ({"compatibility": dict(self.compatibility)} if self.compatibility is not None else {})


@dataclass(frozen=True)
class ImportBody:
    """``POST /packages:import``: a new OCI-backed package with its first version (``ImportPackageBody``)."""

    name: str
    oci_ref: str  # oci://host/name
    version: VersionBody
    display_image_url: str = ""

    def to_json(self) -> dict[str, Any]:
        body = {"name": self.name, "oci_ref": self.oci_ref, "version": self.version.to_json()}
        return body | ({"display_image_url": self.display_image_url} if self.display_image_url else {})


@dataclass(frozen=True)
class PackageSource:
    kind: str  # oci or hosted
    oci_ref: str = ""  # oci://host/name, for an OCI-backed package


@dataclass(frozen=True)
class Package:
    id: str
    name: str
    html_url: str
    source: PackageSource

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Package:
        found = value.get("source")
        source: dict[str, Any] = found if isinstance(found, dict) else {}
        return cls(id=_text(value, "id"), name=_text(value, "name"), html_url=_text(value, "html_url"),
                   source=PackageSource(kind=_text(source, "kind"), oci_ref=_text(source, "oci_ref")))

    @property
    def oci_backed(self) -> bool:
        return self.source.kind == "oci"


@dataclass(frozen=True)
class PackageVersion:
    id: str
    semver: str
    ref: str  # the manifest digest Akua records
    published_at: str  # Unix seconds, as text ("" when absent)
    input_schema: Any = ABSENT  # ABSENT when the answer left it out

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> PackageVersion:
        published = value.get("published_at")
        return cls(id=_text(value, "id"), semver=_text(value, "semver"), ref=_text(value, "ref"),
                   published_at="" if published is None else str(published),
                   input_schema=value.get("input_schema", ABSENT))


@dataclass(frozen=True)
class RegistryConnection:
    """A registry connection of the workspace: Akua reads artifacts under ``registry_url`` with it."""

    id: str
    name: str
    registry_url: str  # e.g. ghcr.io, or https://ghcr.io/acme
    is_active: bool

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> RegistryConnection:
        return cls(id=_text(value, "id"), name=_text(value, "name"), registry_url=_text(value, "registry_url"),
                   is_active=value.get("is_active") is True)


@dataclass(frozen=True)
class RegistryConnections:
    """The workspace's registry connections, or why Akua did not list them (``withheld``: its answer)."""

    connections: tuple[RegistryConnection, ...] = ()
    withheld: str = ""


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    return found if isinstance(found, str) else ""
