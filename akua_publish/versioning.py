"""The version to publish: from the ``version`` input or the pushed tag.

Monorepos tag packages as ``<name>/v1.2.3``, so only the part after the last
``/`` counts. OCI tags cannot hold ``+``, so build metadata becomes ``_`` in the
tag while the semver sent to Akua keeps its ``+``.
"""

from __future__ import annotations

from .errors import VersionError
from .spec import semver_pattern

TAG_PREFIX = "refs/tags/"


def resolve_semver(version_input: str, github_ref: str) -> str:
    """Return the semver to publish, or explain why there is none."""
    if version_input:
        candidate, origin = version_input.strip(), "the `version` input"
    else:
        if not github_ref.startswith(TAG_PREFIX):
            shown = github_ref or "(not set)"
            raise VersionError(
                f"GITHUB_REF is {shown}, not a tag, so no version can be derived from it.",
                "Run the workflow on a tag push (on: push: tags: ['v*']) "
                "or set the `version` input.",
            )
        name = github_ref[len(TAG_PREFIX):]
        candidate = name.rsplit("/", 1)[-1]
        if candidate.startswith("v"):
            candidate = candidate[1:]
        origin = f"the tag `{name}`"
    check_semver(candidate, origin)
    return candidate


def check_semver(candidate: str, origin: str) -> None:
    if len(candidate) > 128:
        raise VersionError(
            f"The version from {origin} is {len(candidate)} characters long; Akua allows 128.",
            "Use a shorter version (build metadata counts too).",
        )
    if not semver_pattern().fullmatch(candidate):
        raise VersionError(
            f"`{candidate}` from {origin} is not a SemVer 2.0 version.",
            "Use MAJOR.MINOR.PATCH with optional -prerelease and +build parts, "
            "e.g. tag v1.2.3 or v1.2.3-rc.1 (no leading zeros).",
        )


def oci_tag(semver: str) -> str:
    """The registry tag for a semver (``+`` is not allowed in OCI tags)."""
    return semver.replace("+", "_")
