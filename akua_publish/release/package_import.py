"""A first publish with no package in Akua yet: which package a name means, and the import request.

Without ``package-id`` the package is looked up by name among the packages the
token sees. None: the first version is published with ``POST /packages:import``,
which creates an OCI-backed package and its first version together. The
request is checked against Akua's own ``ImportPackageBody`` before the push, and
carries an idempotency key derived from everything that makes it this import
(workspace, name, repository, semver, digest), so a retried request can never
create a second package, and a different import can never reuse the key.
"""

from __future__ import annotations

import hashlib

from akua_publish.clients.akua_types import ImportBody, Package, VersionBody
from akua_publish.errors import PackageLookupError, RequestBodyError
from akua_publish.reference import Repository
from akua_publish.schema.spec import first_problem
from akua_publish.wording import setting

PLACEHOLDER_REPOSITORY = Repository(host="registry.invalid", name="placeholder")  # checks before the look-up
KEY_PREFIX = "akua-publish-"
KEY_LENGTH = 64  # the spec's limit for the idempotency-key header


def choose_package(packages: list[Package], name: str) -> Package | None:
    """The one OCI-backed package named ``name``; None when there is none; an error when it is ambiguous."""
    named = [p for p in packages if p.name == name]
    if not named:
        return None
    ids = ", ".join(p.id for p in named)
    if len(named) > 1:
        raise PackageLookupError(
            f"{len(named)} Akua packages are named {name}: {ids}; akua-publish cannot tell which to publish to. "
            "Nothing was pushed.",
            f"Set {setting('package-id')} to the one to publish to.",
        )
    if not named[0].oci_backed:
        raise PackageLookupError(
            f"The Akua package named {name} ({ids}) is not OCI-backed: versions of it are not published from a "
            "registry. Nothing was pushed.",
            f"Publish under another name ({setting('package-name')}), or set {setting('package-id')} to an "
            "OCI-backed package.",
        )
    return named[0]


def import_body(name: str, repository: Repository, version: VersionBody, display_image_url: str) -> ImportBody:
    return ImportBody(name, f"oci://{repository}", version, display_image_url)


def check_import_body(body: ImportBody) -> None:
    """Raise unless ``body`` satisfies ``ImportPackageBody`` (checked with a placeholder digest before the push)."""
    problem = first_problem("ImportPackageBody", body.to_json())
    if problem is None:
        return
    where, message = problem
    origin = {"/name": f"the package name ({setting('package-name')}, else akua.toml's [package].name)",
              "/oci_ref": "the repository", "/display_image_url": setting("display-image-url")}
    value = body.to_json().get(where.strip("/").split("/")[0])
    shown = f" ({len(value)} characters)" if isinstance(value, str) else ""
    raise RequestBodyError(
        f"The import request would be rejected by Akua: {origin.get(where, where)}{shown}: {message}.",
        "Akua allows names of 1 to 120 characters: shorten it, or publish to an existing package with "
        f"{setting('package-id')}." if where == "/name" else "Fix the value named above.",
    )


def idempotency_key(workspace: str, name: str, repository: Repository, semver: str, digest: str) -> str:
    """The same import always has the same key; any other import has another."""
    identity = "\n".join((workspace, name, str(repository), semver, digest)).encode()
    return KEY_PREFIX + hashlib.sha256(identity).hexdigest()[: KEY_LENGTH - len(KEY_PREFIX)]
