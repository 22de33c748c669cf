"""The inputs table's texts, turned into ``Options``: the one place both front ends parse settings.

A front end supplies each setting's text (the Action from ``INPUT_*``, the command
line from its flags and files), after the environment fallback and the default of
the inputs table; an empty text means "not given", as the runner passes ``with:
x: ''`` through. Parsing (flags, numbers, choices, JSON, paths) happens here;
the checks of the values themselves are the options' own. The Action keeps every
path inside its workspace; the command line takes any path the user can read.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from akua_publish.deps.credentials import dependency_credentials
from akua_publish.errors import InputError
from akua_publish.frontends.inputs import INPUTS, default
from akua_publish.options import (
    AkuaOptions,
    CheckMode,
    CiContext,
    DependencyOptions,
    LimitOptions,
    Options,
    PackageOptions,
    PolicyOptions,
    RegistryOptions,
    SigningOptions,
    SignMode,
    UnpackLimits,
)
from akua_publish.package.version import parse_tag_pattern
from akua_publish.reference import Credentials, parse_repository
from akua_publish.schema.version_body import parse_compatibility
from akua_publish.wording import setting

MAX_COMPATIBILITY_BYTES = 64 * 1024
Text = Callable[[str], str]  # a setting's text by its name ("" when not given)
Mode = TypeVar("Mode", CheckMode, SignMode)


def build_options(text: Text, environ: Mapping[str, str], *, root: Path, confined: bool, ci: CiContext,
                  host_credentials: Mapping[str, Credentials] | None = None,
                  temp_dir: Path | None = None, file_root: Path | None = None,
                  version_from_package: bool = False) -> Options:
    """The options of a run; ``root`` is where relative paths start (the workspace, or the current folder), and
    where ``file://`` git dependencies must be unless ``file_root`` says otherwise."""
    place = _inside if confined else _anywhere
    shown = text("path")
    package_dir = place(root, root, shown, "path")
    schema = text("schema")
    place(root, package_dir, schema, "schema")
    repository = text("repository")
    packages = tuple(text("packages").split())
    for single in ("path", "version", "package-id", "package-name") if packages else ():
        if text(single) not in ("", default(single)) or (single == "version" and version_from_package):
            raise InputError(f"{setting('packages')} and {setting(single)} are both set: {setting(single)} is for "
                             "one package, and each of the packages is found by its akua.toml.",
                             f"Keep {setting('packages')} (each package's version and name come from its akua.toml, "
                             f"or a tag's prefix), or drop it to publish the one package {setting('path')} names.")
    return Options(
        akua=AkuaOptions(token=text("api-token"), api_url=text("api-url").rstrip("/"),
                         workspace=text("workspace")),
        package=PackageOptions(
            path=package_dir, shown=shown, workspace=root if confined else Path("/"), schema=schema,
            version=text("version"), version_from_package=version_from_package,
            tag_pattern=parse_tag_pattern(text("tag-pattern")),
            package_id=text("package-id"), package_name=text("package-name"),
            display_image_url=text("display-image-url"),
            repository=parse_repository(repository, setting("repository")) if repository else None,
            compatibility=_compatibility(text, root, place)),
        registry=RegistryOptions(username=text("registry-username"), password=text("registry-password"),
                                 host_credentials=host_credentials or {},
                                 plain_http=_flag(text, "plain-http") if text("plain-http") else None),
        dependencies=DependencyOptions(
            credentials=dependency_credentials(text("dependency-credentials")),
            limits=UnpackLimits(max_bytes=int(_number(text, "max-dependency-size", whole=True)) * 1024**2,
                                max_ratio=_number(text, "max-expansion-ratio")),
            file_root=file_root or root),
        signing=SigningOptions(mode=_choice(text, "sign", SignMode), attest=_flag(text, "attest"),
                               key=text("cosign-private-key"), passphrase=text("cosign-password")),
        policy=PolicyOptions(schema_check=_choice(text, "schema-check", CheckMode),
                             contract_check=_choice(text, "contract-check", CheckMode),
                             readability_check=_choice(text, "readability-check", CheckMode),
                             dry_run=_flag(text, "dry-run")),
        limits=LimitOptions(max_attempts=int(_number(text, "max-attempts", whole=True)),
                            deadline=_number(text, "deadline"), timeout=_number(text, "timeout")),
        ci=ci,
        ca_bundle=ca_bundle(environ),
        temp_dir=temp_dir,
        packages=packages,
        plan=_flag(text, "plan"),
    )


def value_of(given: Callable[[str], str], environ: Mapping[str, str]) -> Text:
    """A setting's text: as given, else its environment variable, else its default (the inputs table's)."""

    def text(name: str) -> str:
        entry = INPUTS[name]
        return given(name).strip() or (environ.get(entry.env, "").strip() if entry.env else "") or entry.default

    return text


def secret_texts(given: Text, environ: Mapping[str, str]) -> list[str]:
    """Every secret the settings and their environment variables hold, given or not, to be masked before
    anything is written (a malformed credentials map is reported later, by ``build_options``; its
    passwords are masked when it parses)."""
    secret = [entry for entry in INPUTS.values() if entry.secret]
    values = [given(entry.name) for entry in secret] + [environ.get(entry.env, "") for entry in secret if entry.env]
    for credentials in (given("dependency-credentials"), environ.get(INPUTS["dependency-credentials"].env, "")):
        with contextlib.suppress(InputError):
            values += [c.password for c in dependency_credentials(credentials).values()]
    return [value.strip() for value in values if value.strip()]


def ca_bundle(environ: Mapping[str, str]) -> str:
    """The CA bundle to trust instead of the default, from the variables requests and OpenSSL use."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = environ.get(name, "").strip()
        if value:
            if not Path(value).is_file():
                raise InputError(
                    f"{name} is {value}, which is not a file.",
                    "Point it at a PEM file of the CA certificates to trust. The action runs in a "
                    "container: the file must be under the workspace (/github/workspace/...) or "
                    "under RUNNER_TEMP (/github/runner_temp/...).",
                )
            return value
    return ""


def _compatibility(text: Text, root: Path, place: Callable[[Path, Path, str, str], Path]) -> dict[str, Any] | None:
    """The compatibility object, or the JSON file the compatibility-file setting names (never both)."""
    given, file_input = text("compatibility"), text("compatibility-file")
    if not file_input:
        return parse_compatibility(given, setting("compatibility"))
    if given:
        raise InputError(f"Both {setting('compatibility')} and {setting('compatibility-file')} are set.",
                         "Keep one: the file for a large object, the text for a short one.")
    path = place(root, root, file_input, "compatibility-file")
    shown = f"{setting('compatibility-file')} ({file_input})"
    try:
        if path.stat().st_size > MAX_COMPATIBILITY_BYTES:
            raise InputError(f"{shown} is over {MAX_COMPATIBILITY_BYTES} bytes.",
                             "Point it at the version's compatibility object only.")
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise InputError(f"{shown} cannot be read: {reason}.",
                         "Give a JSON file relative to the repository root, e.g. akua/compatibility.json.") from exc
    return parse_compatibility(content, shown)


def _flag(text: Text, name: str) -> bool:
    value = text(name).lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise InputError(f"{setting(name)} is `{text(name)}`.", f"Set {setting(name)} to true or false.")


def _number(text: Text, name: str, *, whole: bool = False) -> float:
    """A number (the options check its range); anything else names the setting and its default."""
    try:
        value = float(text(name))
    except ValueError:
        value = float("nan")
    if math.isnan(value) or (whole and not value.is_integer()):
        raise InputError(f"{setting(name)} is `{text(name)}`.",
                         f"Set {setting(name)} to a {'whole ' if whole else ''}number, or leave it empty for "
                         f"{default(name)}.")
    return value


def _choice(text: Text, name: str, kind: type[Mode]) -> Mode:
    """One of the input's choices (empty: its default)."""
    given, choices = text(name), [c for c in INPUTS[name].choices if c]
    try:
        return kind(given.lower() or default(name))
    except ValueError as exc:
        raise InputError(f"{setting(name)} is `{given}`.",
                         f"Set {setting(name)} to {', '.join(choices[:-1])} or {choices[-1]} (the default is "
                         f"{default(name)}).") from exc


def _anywhere(_: Path, base: Path, rel: str, __: str) -> Path:
    """``rel`` under ``base``, or absolute: the command line's paths are the user's own."""
    return (base / rel).resolve()


def _inside(root: Path, base: Path, rel: str, name: str) -> Path:
    """Resolve ``rel`` under ``base`` and refuse anything that leaves the workspace."""
    if Path(rel).is_absolute():
        raise InputError(f"{setting(name)} is `{rel}`, an absolute path.",
                         f"Give {setting(name)} relative to the "
                         + ("repository root." if base == root else f"package directory ({setting('path')})."))
    resolved = (base / rel).resolve()
    if resolved != root and root not in resolved.parents:
        raise InputError(f"{setting(name)} is `{rel}`, which leads outside the workspace (through `..` or a symlink).",
                         "Point it at a directory or file inside the checked-out repository.")
    return resolved
