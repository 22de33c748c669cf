"""The version to publish: from the ``version`` input or the pushed tag.

By default a tag is ``v1.2.3`` or, in a monorepo, ``<name>/v1.2.3``: only the
part after the last ``/`` counts and one leading ``v`` is dropped, and the part
before it must end with the package's name (a tag of another package of the
repository is refused, not published as this one). Other
conventions (``hello@1.2.3``, ``release-1.2.3``) are described by the
``tag-pattern`` input: a regular expression with one named group ``version``
that must match the whole tag name. OCI tags cannot hold ``+``, so build
metadata becomes ``_`` in the tag while the semver sent to Akua keeps its ``+``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from akua_publish.errors import InputError, VersionError
from akua_publish.schema.spec import semver_pattern
from akua_publish.wording import no_tag, setting

TAG_PREFIX = "refs/tags/"
DEFAULT_TAG_PATTERN = r"(?:.*/)?v?(?P<version>[^/]+)"
PATTERN_HINT = (
    "Give a regular expression that matches the whole tag name with one named group `version`, "
    r"e.g. `hello@(?P<version>.+)`, `hello-v(?P<version>.+)` or `release-(?P<version>.+)`."
)


def parse_tag_pattern(text: str) -> re.Pattern[str] | None:
    """The ``tag-pattern`` input, compiled and checked; None for the default convention."""
    if not text:
        return None
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise InputError(f"{setting('tag-pattern')} is `{text}`, which is not a regular expression: {exc}.",
                         PATTERN_HINT) from exc
    if "version" not in pattern.groupindex or pattern.groups != 1:
        raise InputError(
            f"{setting('tag-pattern')} is `{text}`; it must have exactly one group, named `version`"
            f" (it has {pattern.groups}{'' if 'version' in pattern.groupindex else ', none named version'}).",
            PATTERN_HINT + " Use (?:...) for any other grouping.",
        )
    return pattern


def resolve_semver(version_input: str, github_ref: str, tag_pattern: re.Pattern[str] | None = None,
                   names: Collection[str] = ()) -> str:
    """Return the semver to publish, or explain why there is none. ``names`` are the package's names (akua.toml's,
    Akua's): a default-convention tag with a prefix must be for one of them."""
    if version_input:
        candidate, origin = version_input.strip(), setting("version")
        if candidate.startswith("v"):
            candidate = candidate[1:]
    else:
        if not github_ref.startswith(TAG_PREFIX):
            raise VersionError(
                f"No version to publish: {no_tag(github_ref)}.",
                f"Set {setting('version')}, or publish from a tag (in a workflow: on: push: tags: ['v*']).",
            )
        name = github_ref[len(TAG_PREFIX):]
        origin = f"the tag `{name}`"
        found = (tag_pattern or re.compile(DEFAULT_TAG_PATTERN)).fullmatch(name)
        if found is None or found.group("version") is None:
            raise VersionError(
                f"The tag `{name}` does not match {setting('tag-pattern')} `{tag_pattern.pattern}`."
                if tag_pattern else f"The tag `{name}` names no version.",
                f"Push a tag the pattern matches, or change {setting('tag-pattern')}. " + PATTERN_HINT,
            )
        candidate = found.group("version")
        if tag_pattern is None and names:
            _check_prefix(name, names)
    check_semver(candidate, origin)
    return candidate


def _check_prefix(tag: str, names: Collection[str]) -> None:
    """``hello/v1.2.3`` (or ``charts/hello/v1.2.3``) is a tag of the package ``hello``; a bare ``v1.2.3`` of any."""
    prefix = tag.rpartition("/")[0]
    owner = prefix.rpartition("/")[2]
    wanted = sorted({name for name in names if name})
    if not prefix or owner in wanted:
        return
    raise VersionError(
        f"The tag `{tag}` is for the package `{owner}`, not " + " or ".join(f"`{n}`" for n in wanted)
        + ": nothing was published.",
        f"Tag this package's releases `{wanted[0]}/v<version>`, and in a repository of several packages run this "
        f"step only for its own tags (on: push: tags: ['{wanted[0]}/v*']); or set {setting('tag-pattern')} for "
        "another convention. " + PATTERN_HINT)


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


def precedence(semver: str) -> tuple[int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key for SemVer 2.0 precedence: build metadata ignored, a prerelease below its release,
    numeric identifiers numerically and below alphanumeric ones."""
    core, _, prerelease = semver.partition("+")[0].partition("-")
    major, minor, patch = (int(part) for part in core.split("."))
    if not prerelease:
        return major, minor, patch, ((2, ""),)  # sorts after every prerelease identifier list
    identifiers = tuple((0, int(p)) if p.isdigit() else (1, p) for p in prerelease.split("."))
    return major, minor, patch, identifiers
