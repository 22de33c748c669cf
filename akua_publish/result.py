"""What a publish did: ``PublishResult`` and its typed parts.

The front ends render it (step outputs, job summary, ``--json``); code that calls
the library reads it. Nothing here depends on how it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PUBLISHED = "published"
    ALREADY_PUBLISHED = "already-published"  # Akua had this semver with this content
    IMPORTED = "imported"  # the run created the package with this version
    DRY_RUN = "dry-run"


class ContractStatus(StrEnum):
    """The input contract against the previous version (the ``contract`` output)."""

    NOT_CHECKED = ""  # contract-check: off, or a baseline that could not be compared
    FIRST = "first"
    UNCHANGED = "unchanged"
    COMPATIBLE = "compatible"
    BREAKING = "breaking"


class _Absent:
    """A value a schema does not have (not ``None``, which is JSON ``null``)."""

    def __repr__(self) -> str:
        return "(none)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Change:
    """One difference between the previous input schema and this one."""

    pointer: str  # where, in the new schema (in the old one for what was removed)
    kind: str  # breaking, notable, compatible or cosmetic
    rule: str
    why: str
    old: Any = field(default=ABSENT)
    new: Any = field(default=ABSENT)


@dataclass(frozen=True)
class Contract:
    status: ContractStatus = ContractStatus.NOT_CHECKED
    baseline: str = ""  # the semver compared with
    changes: tuple[Change, ...] = ()
    note: str = ""  # why nothing was compared, when a comparison was meant to happen


@dataclass(frozen=True)
class VendoredDependency:
    alias: str
    source: str
    version: str  # the tag, rev or chart version
    digest: str  # the chart layer's sha256, or git:<commit>, or a pre-vendored tree's digest
    files: int


@dataclass(frozen=True)
class Signatures:
    signature_tag: str
    signature_digest: str
    attestation_tag: str  # "" without the attestation
    fingerprint: str  # sha256 of the public key's SPKI DER
    public_pem: str


@dataclass(frozen=True)
class PublishResult:
    status: Status
    package_id: str  # "" in a dry run that would create the package
    package_name: str
    semver: str
    tag: str  # the OCI tag (no `+`)
    digest: str  # the manifest digest Akua records
    oci_ref: str  # oci://host/name@sha256:...
    schema_origin: str  # where the input schema came from, in words
    input_schema: dict[str, Any] = field(default_factory=dict)
    version_id: str = ""  # Akua's, "" in a dry run
    published_at: str = ""  # Unix seconds, "" in a dry run
    created_url: str = ""  # the html_url of a package this run created
    dependencies: tuple[VendoredDependency, ...] = ()
    signatures: Signatures | None = None
    contract: Contract = field(default_factory=Contract)
    layer_digest: str = ""  # of the compressed layer: what a dependent's akua.lock pins ("" when not packed)

    @property
    def prerelease(self) -> bool:
        return is_prerelease(self.semver)


def is_prerelease(semver: str) -> bool:
    """A SemVer prerelease (``1.2.0-rc.1``; build metadata alone, ``1.2.0+7``, is not one)."""
    return "-" in semver.partition("+")[0]
