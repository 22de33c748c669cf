"""The action's settings: inputs, their defaults, and their checks.

The defaults here are the ones action.yml documents, so ``entrypoint.py`` runs
the same outside the runner (an empty input counts as not given, as the runner
passes ``with: x: ''`` through). Every value is checked before any network call.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from akua_publish.deps.credentials import dependency_credentials
from akua_publish.deps.tree import Limits
from akua_publish.errors import InputError
from akua_publish.frontends.github.runner import Runner
from akua_publish.frontends.inputs import INPUTS, TABLE, default
from akua_publish.package.loader import join_shown
from akua_publish.reference import Credentials, RegistryLogin, Repository, is_loopback_host, parse_repository
from akua_publish.schema.version_body import parse_compatibility
from akua_publish.signing.provenance import BuildContext
from akua_publish.versioning import parse_tag_pattern
from akua_publish.wording import secret, setting

DEFAULT_API_URL = default("api-url")
MAX_COMPATIBILITY_BYTES = 64 * 1024
PACKAGE_ID = re.compile(r"pkg_[A-Za-z0-9_-]{1,50}", re.ASCII)
WORKSPACE_ID = re.compile(r"ws_[A-Za-z0-9_-]{1,50}", re.ASCII)
SECRET_INPUTS = tuple(entry.name for entry in TABLE if entry.secret)
SECRET_ENV = tuple(entry.env for entry in TABLE if entry.secret and entry.env)


@dataclass(frozen=True)
class Signing:
    """How to sign: ``mode`` auto, true or false; the key's PEM text and passphrase, never shown."""

    mode: str
    attest: bool
    key: str = field(repr=False)
    passphrase: str = field(repr=False)
    root: Path  # the workspace: a key file akua.toml names must be under it


@dataclass(frozen=True)
class Settings:
    package_id: str  # "" to find the package by name, or import it
    package_name: str  # the `package-name` input ("": akua.toml's name)
    display_image_url: str  # sent on import only
    repository_owner: str  # GITHUB_REPOSITORY_OWNER: a first publish defaults to ghcr.io/<owner>/<name>
    api_token: str = field(repr=False)
    workspace: str
    api_url: str
    package_dir: Path
    package_shown: str
    schema_file: Path
    schema_rel: str  # as given, relative to the package directory
    schema_shown: str
    repository: Repository | None
    login: RegistryLogin
    dependency_credentials: dict[str, Credentials]  # by registry or git host
    plain_http: bool | None  # None: plain HTTP on loopback only
    ca_bundle: str  # REQUESTS_CA_BUNDLE or SSL_CERT_FILE, "" for the default trust store
    version: str
    tag_pattern: re.Pattern[str] | None
    compatibility: dict[str, Any] | None
    dry_run: bool
    schema_check: str
    contract_check: str
    max_attempts: int
    unpack_limits: Limits
    deadline: float
    timeout: float
    github_ref: str
    source_url: str
    revision: str
    signing: Signing
    build: BuildContext


def secrets_of(runner: Runner) -> list[str]:
    """Every secret the run may hold, so each can be masked before anything is logged."""
    values = [runner.input(name) for name in SECRET_INPUTS]
    values += [runner.env(name) for name in SECRET_ENV]
    # Each password of the map too: the runner masks whole lines, and the JSON may be one line.
    # A malformed map is reported by load_settings, after the masks.
    with contextlib.suppress(InputError):
        values += [c.password for c in dependency_credentials(_value(runner, "dependency-credentials")).values()]
    return [v for v in values if v]


def load_settings(runner: Runner, cwd: Path, *, confined: bool = True) -> Settings:
    """The settings of a run from the inputs. ``confined``: paths must stay inside the workspace (the Action,
    whose workspace is the checkout); the command line takes any path the user can read."""
    package_id = runner.input("package-id")
    if package_id and not PACKAGE_ID.fullmatch(package_id):
        raise InputError(
            f"{setting('package-id')} is `{package_id}`, which is not an Akua package id.",
            "Use the id Akua shows for the package: pkg_ followed by up to 50 letters or digits.",
        )
    token = _value(runner, "api-token")
    if not token:
        raise InputError(
            f"No Akua API token: {setting('api-token')} is not set.",
            f"Create a workspace API token in Akua, keep it as a secret and pass it as {secret('api-token')}.",
        )
    if any(c.isspace() for c in token) or not token.isprintable():
        raise InputError(
            "The Akua API token contains whitespace or control characters.",
            "Re-copy the token into the secret without spaces or line breaks.",
        )
    workspace = _value(runner, "workspace")
    if workspace and not WORKSPACE_ID.fullmatch(workspace):
        raise InputError(
            f"{setting('workspace')} is `{workspace}`, which is not an Akua workspace id.",
            "Use ws_ followed by up to 50 letters or digits, or leave it empty for a workspace token.",
        )
    api_url = _api_url(_value(runner, "api-url"))
    root = Path(runner.env("GITHUB_WORKSPACE") or cwd).resolve()
    package_shown = _value(runner, "path")
    place = _inside if confined else _anywhere
    package_dir = place(root, root, package_shown, "path")
    schema_rel = _value(runner, "schema")
    schema_shown = join_shown(package_shown, schema_rel)
    schema_file = place(root, package_dir, schema_rel, "schema")
    repo_text = runner.input("repository")
    repository = parse_repository(repo_text, setting("repository")) if repo_text else None
    server = runner.env("GITHUB_SERVER_URL") or "https://github.com"
    repo_name = runner.env("GITHUB_REPOSITORY")
    return Settings(
        package_id=package_id,
        package_name=runner.input("package-name"),
        display_image_url=_image_url(runner.input("display-image-url")),
        repository_owner=runner.env("GITHUB_REPOSITORY_OWNER"),
        api_token=token,
        workspace=workspace,
        api_url=api_url,
        package_dir=package_dir,
        package_shown=package_shown,
        schema_file=schema_file,
        schema_rel=schema_rel,
        schema_shown=schema_shown,
        repository=repository,
        login=RegistryLogin(
            username=_value(runner, "registry-username"),
            password=_value(runner, "registry-password"),
            github_token=_value(runner, "github-token"),
            github_server=server,
        ),
        dependency_credentials=dependency_credentials(_value(runner, "dependency-credentials")),
        plain_http=_flag(runner.input("plain-http"), "plain-http") if runner.input("plain-http") else None,
        ca_bundle=_ca_bundle(runner),
        version=runner.input("version"),
        tag_pattern=parse_tag_pattern(runner.input("tag-pattern")),
        compatibility=_compatibility(runner, root, place),
        dry_run=_flag(_value(runner, "dry-run"), "dry-run"),
        schema_check=_choice(runner, "schema-check"),
        contract_check=_choice(runner, "contract-check"),
        max_attempts=int(_number(runner, "max-attempts", 1, 20, whole=True)),
        unpack_limits=Limits(max_bytes=int(_number(runner, "max-dependency-size", 1, 1024**2, whole=True)) * 1024**2,
                             max_ratio=_number(runner, "max-expansion-ratio", 2, 1_000_000)),
        deadline=_number(runner, "deadline", 1, 3600),
        timeout=_number(runner, "timeout", 1, 600),
        github_ref=runner.env("GITHUB_REF"),
        source_url=f"{server.rstrip('/')}/{repo_name}" if repo_name else "",
        revision=runner.env("GITHUB_SHA"),
        signing=Signing(
            mode=_choice(runner, "sign"),
            attest=_flag(_value(runner, "attest"), "attest"),
            key=_value(runner, "cosign-private-key"),
            passphrase=_value(runner, "cosign-password"),
            root=root,
        ),
        build=BuildContext(
            server_url=server, repository=repo_name, commit=runner.env("GITHUB_SHA"), ref=runner.env("GITHUB_REF"),
            workflow_ref=runner.env("GITHUB_WORKFLOW_REF"), event=runner.env("GITHUB_EVENT_NAME"),
            run_id=runner.env("GITHUB_RUN_ID"),
        ),
    )


def _compatibility(runner: Runner, root: Path, place: Callable[[Path, Path, str, str], Path]) -> dict[str, Any] | None:
    """The `compatibility` input, or the JSON file `compatibility-file` names (never both)."""
    text, file_input = runner.input("compatibility"), runner.input("compatibility-file")
    if not file_input:
        return parse_compatibility(text, setting("compatibility"))
    if text:
        raise InputError(
            f"Both {setting('compatibility')} and {setting('compatibility-file')} are set.",
            "Keep one: the file for a large object, the text for a short one.",
        )
    path = place(root, root, file_input, "compatibility-file")
    shown = f"{setting('compatibility-file')} ({file_input})"
    try:
        if path.stat().st_size > MAX_COMPATIBILITY_BYTES:
            raise InputError(f"{shown} is over {MAX_COMPATIBILITY_BYTES} bytes.",
                             "Point it at the version's compatibility object only.")
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise InputError(
            f"{shown} cannot be read: {reason}.",
            "Give a JSON file relative to the repository root, e.g. akua/compatibility.json.",
        ) from None
    return parse_compatibility(content, shown)


def _ca_bundle(runner: Runner) -> str:
    """The CA bundle to trust instead of the default, from the variables requests and OpenSSL use."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = runner.env(name)
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


def _flag(text: str, name: str) -> bool:
    value = text.lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise InputError(f"{setting(name)} is `{text}`.", f"Set {setting(name)} to true or false.")


def _value(runner: Runner, name: str) -> str:
    """The input, else its environment fallback, else its default (all from the table in ``inputs``)."""
    entry = INPUTS[name]
    return runner.input(name) or (runner.env(entry.env) if entry.env else "") or entry.default


def _number(runner: Runner, name: str, low: float, high: float, *, whole: bool = False) -> float:
    text = _value(runner, name)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high or (whole and not value.is_integer()):
        raise InputError(
            f"{setting(name)} is `{text}`.",
            f"Set {setting(name)} to a {'whole ' if whole else ''}number from {low:g} to {high:g}, "
            f"or leave it empty for {default(name)}.",
        )
    return value


def _choice(runner: Runner, name: str) -> str:
    """One of the input's choices (empty: its default)."""
    text, choices = runner.input(name), INPUTS[name].choices
    value = text.lower() or default(name)
    if value not in choices:
        raise InputError(
            f"{setting(name)} is `{text}`.",
            f"Set {setting(name)} to {', '.join(choices[:-1])} or {choices[-1]} (the default is {default(name)}).",
        )
    return value


def _api_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{setting('api-url')} is `{text}`, which is not an http(s) URL.",
            f"Use Akua's API base URL, {DEFAULT_API_URL}, or leave {setting('api-url')} empty.",
        )
    if parts.scheme == "http" and not is_loopback_host(parts.netloc.rpartition("@")[2]):
        raise InputError(
            f"{setting('api-url')} is `{text}`, plain http: the token would travel unencrypted.",
            "Use https (plain http is allowed only for a local emulator on a loopback address).",
        )
    if parts.username or parts.password:
        raise InputError(
            f"{setting('api-url')} carries credentials.",
            f"Remove them from the URL; pass the token as {secret('api-token')}.",
        )
    return text.rstrip("/")


def _image_url(text: str) -> str:
    """The `display-image-url` input: an absolute http(s) URL of at most 2048 characters (Akua's limit)."""
    parts = urlsplit(text)
    if text and (parts.scheme not in ("http", "https") or not parts.hostname or len(text) > 2048
                 or any(c.isspace() for c in text)):
        raise InputError(
            f"{setting('display-image-url')} is `{text[:100]}`, which is not an http(s) URL of at most 2048 "
            "characters.",
            "Give the image's full address, e.g. https://example.com/logo.png, or leave it empty.",
        )
    return text


def _anywhere(_: Path, base: Path, rel: str, __: str) -> Path:
    """``rel`` under ``base``, or absolute: the command line's paths are the user's own."""
    return (base / rel).resolve()


def _inside(root: Path, base: Path, rel: str, name: str) -> Path:
    """Resolve ``rel`` under ``base`` and refuse anything that leaves the workspace."""
    if Path(rel).is_absolute():
        raise InputError(
            f"{setting(name)} is `{rel}`, an absolute path.",
            f"Give {setting(name)} relative to the "
            + ("repository root." if base == root else f"package directory ({setting('path')})."),
        )
    resolved = (base / rel).resolve()
    if resolved != root and root not in resolved.parents:
        raise InputError(
            f"{setting(name)} is `{rel}`, which leads outside the workspace (through `..` or a symlink).",
            "Point it at a directory or file inside the checked-out repository.",
        )
    return resolved
