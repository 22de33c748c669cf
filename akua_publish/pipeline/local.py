"""The checks made before anything leaves the machine: the version, akua.toml and package.k, the input schema
and the request bodies Akua will be sent, and the signing key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from akua_publish.options import Options
from akua_publish.package.akua_lock import LockEntry
from akua_publish.package.loader import PackageInfo, check_version_matches, load_package
from akua_publish.package.version import resolve_semver
from akua_publish.reporter import Reporter

if TYPE_CHECKING:
    from akua_publish.signing.keys import SigningKey


@dataclass(frozen=True)
class Checked:
    """What the local checks found."""

    semver: str
    package: PackageInfo
    name: str  # the name to find or create the package by
    schema: dict[str, Any]
    schema_origin: str
    key: SigningKey | None
    lock: tuple[LockEntry, ...]  # what the provenance lists (read only with a key)


def check_locally(options: Options, reporter: Reporter) -> Checked:
    """Everything that can be checked before anything leaves the machine."""
    from akua_publish.release.package_import import PLACEHOLDER_REPOSITORY, check_import_body, import_body
    from akua_publish.schema.source import resolve_input_schema
    from akua_publish.schema.version_body import PLACEHOLDER_REF, build_body, check_body
    from akua_publish.signing.sign import signing_key  # cryptography loads only when there is a key

    package_options = options.package
    package = load_package(package_options.path, package_options.shown)
    declared = package.version if package_options.version_from_package else package_options.version
    semver = resolve_semver(declared, options.ci.ref, package_options.tag_pattern,
                            names=(package.name, package_options.package_name))
    check_version_matches(package, semver, package_options.shown)
    input_schema = resolve_input_schema(package_options, options.policy.schema_check, reporter)
    placeholder = build_body(semver, PLACEHOLDER_REF, input_schema.schema, package_options.compatibility)
    check_body(placeholder)
    name = package_options.package_name or package.name
    if not package_options.package_id:  # a first publish may import the package: its request is checked too
        check_import_body(import_body(name, package_options.repository or PLACEHOLDER_REPOSITORY, placeholder,
                                      package_options.display_image_url))
    key = signing_key(options.signing, package_options, package.manifest, reporter)
    lock = package.lock if key else ()
    if input_schema.warnings:
        reporter.info(f"{package.name} {semver}: akua.toml, package.k and the input schema pass the checks that "
                      f"stop a publish, with {input_schema.warnings} warning(s) above.")
    else:
        reporter.info(f"{package.name} {semver}: akua.toml, package.k and the input schema are valid.")
    return Checked(semver, package, name, input_schema.schema, input_schema.origin, key, lock)
