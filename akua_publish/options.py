"""What a publish is asked to do: typed options, grouped by concern, checked once when they are built.

The front ends (``frontends/github``, ``frontends/cli``) build them from the one
inputs table; code that calls the library builds them directly. Every option
that could make a request fail, or send a credential where it must not go, is
checked here, in ``__post_init__``, before anything touches the network: a bad
value is an ``InputError`` naming the setting, whichever front end set it.
Paths are taken as given (absolute); whether they must stay inside a checkout is
the Action's rule, applied where it builds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from akua_publish.errors import InputError
from akua_publish.reference import Credentials, Repository, is_loopback_host
from akua_publish.wording import secret, setting

DEFAULT_API_URL = "https://api.akua.dev/v1"
PACKAGE_ID = re.compile(r"pkg_[A-Za-z0-9_-]{1,50}", re.ASCII)
WORKSPACE_ID = re.compile(r"ws_[A-Za-z0-9_-]{1,50}", re.ASCII)
MAX_IMAGE_URL = 2048  # Akua's limit on display_image_url


class CheckMode(StrEnum):
    """How a check that Akua would make later is made now: fail, warn, or skip."""

    STRICT = "strict"
    WARN = "warn"
    OFF = "off"


class SignMode(StrEnum):
    """``auto``: sign when there is a key; ``true``: a key is required; ``false``: never sign."""

    AUTO = "auto"
    ALWAYS = "true"
    NEVER = "false"


@dataclass(frozen=True)
class AkuaOptions:
    """Where Akua is and who we are."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    workspace: str = ""  # ws_..., sent as akua-context; empty for a workspace token

    def __post_init__(self) -> None:
        if not self.token:
            raise InputError(f"No Akua API token: {setting('api-token')} is not set.",
                             f"Create a workspace API token in Akua, keep it as a secret and pass it as "
                             f"{secret('api-token')}.")
        if any(c.isspace() for c in self.token) or not self.token.isprintable():
            raise InputError("The Akua API token contains whitespace or control characters.",
                             "Re-copy the token into the secret without spaces or line breaks.")
        if self.workspace and not WORKSPACE_ID.fullmatch(self.workspace):
            raise InputError(f"{setting('workspace')} is `{self.workspace}`, which is not an Akua workspace id.",
                             "Use ws_ followed by up to 50 letters or digits, or leave it empty for a workspace token.")
        _check_api_url(self.api_url)


@dataclass(frozen=True)
class PackageOptions:
    """The package and its version: where it is, which Akua package it goes to, what it declares."""

    path: Path  # the package directory (akua.toml, package.k)
    shown: str = ""  # the path as the user gave it, for messages; empty: ``path`` as it is
    workspace: Path = Path("/")  # the checkout: a signing key file akua.toml names must be inside it
    schema: str = "exported/inputs.schema.json"  # relative to ``path``
    version: str = ""  # empty: from the CI's tag
    version_from_package: bool = False  # the version akua.toml declares (as the run reads it), not a tag
    tag_pattern: re.Pattern[str] | None = None
    package_id: str = ""  # empty: found by name, or imported
    package_name: str = ""  # empty: akua.toml's
    display_image_url: str = ""  # sent on import only
    repository: Repository | None = None  # empty: the package's, from Akua
    compatibility: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.shown:
            object.__setattr__(self, "shown", str(self.path))
        if self.version and self.version_from_package:
            raise InputError(f"{setting('version')} is `{self.version}`, and the version akua.toml declares is asked "
                             "for too.", f"Give {setting('version')} or the version from the package, not both.")
        if self.package_id and not PACKAGE_ID.fullmatch(self.package_id):
            raise InputError(f"{setting('package-id')} is `{self.package_id}`, which is not an Akua package id.",
                             "Use the id Akua shows for the package: pkg_ followed by up to 50 letters or digits.")
        url = urlsplit(self.display_image_url)
        if self.display_image_url and (url.scheme not in ("http", "https") or not url.hostname
                                       or len(self.display_image_url) > MAX_IMAGE_URL
                                       or any(c.isspace() for c in self.display_image_url)):
            raise InputError(f"{setting('display-image-url')} is `{self.display_image_url[:100]}`, which is not an "
                             f"http(s) URL of at most {MAX_IMAGE_URL} characters.",
                             "Give the image's full address, e.g. https://example.com/logo.png, or leave it empty.")

    @property
    def schema_file(self) -> Path:
        return (self.path / self.schema).resolve()

    @property
    def schema_shown(self) -> str:
        return shown_in(self.shown, self.schema)


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach the package's OCI registry.

    ``username``/``password`` are for whatever registry the package lives in;
    ``host_credentials`` are used only for the host they name and only when no
    password is given (the Action puts the job's GitHub token there, for GHCR).
    """

    username: str = ""
    password: str = field(default="", repr=False)
    host_credentials: Mapping[str, Credentials] = field(default_factory=dict, repr=False)
    plain_http: bool | None = None  # None: plain HTTP to loopback registries only

    def plain_http_for(self, repository: Repository) -> bool:
        """Plain HTTP to a loopback registry, HTTPS to any other, unless ``plain_http`` says otherwise."""
        return repository.is_loopback if self.plain_http is None else self.plain_http

    def credentials_for(self, host: str) -> Credentials:
        if self.password:
            return Credentials(self.username, self.password)
        return self.host_credentials.get(host.lower(), Credentials("", ""))


@dataclass(frozen=True)
class UnpackLimits:
    """How far a dependency's chart archive may unpack (its uncompressed tar stream)."""

    max_bytes: int = 2 * 1024**3  # Akua's own cap
    max_ratio: float = 100.0  # against the compressed size, once past 64 MiB

    def __post_init__(self) -> None:
        if not 1024**2 <= self.max_bytes <= 1024**4:
            raise InputError(f"{setting('max-dependency-size')} is {self.max_bytes // 1024**2} MiB.",
                             f"Set {setting('max-dependency-size')} to a whole number of MiB from 1 to 1048576.")
        if not 2 <= self.max_ratio <= 1_000_000:
            raise InputError(f"{setting('max-expansion-ratio')} is {self.max_ratio:g}.",
                             f"Set {setting('max-expansion-ratio')} to a number from 2 to 1000000.")


@dataclass(frozen=True)
class DependencyOptions:
    """Fetching the dependencies Akua vendors: credentials by host, the limits on what they unpack to, and the
    folder ``file://`` git dependencies must be in (None: no ``file://`` dependency is read)."""

    credentials: Mapping[str, Credentials] = field(default_factory=dict, repr=False)
    limits: UnpackLimits = field(default_factory=UnpackLimits)
    file_root: Path | None = None


@dataclass(frozen=True)
class SigningOptions:
    """Whether and with what key the cosign sidecars are written."""

    mode: SignMode = SignMode.AUTO
    attest: bool = True
    key: str = field(default="", repr=False)  # the PEM text; empty: the file akua.toml names, if any
    passphrase: str = field(default="", repr=False)


@dataclass(frozen=True)
class PolicyOptions:
    """What the run refuses, warns about, or only pretends to do."""

    schema_check: CheckMode = CheckMode.STRICT
    contract_check: CheckMode = CheckMode.STRICT
    readability_check: CheckMode = CheckMode.STRICT  # whether Akua will be able to read what is pushed
    dry_run: bool = False


@dataclass(frozen=True)
class LimitOptions:
    """How long and how hard to try."""

    max_attempts: int = 5
    deadline: float = 300.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        for name, value, low, high, whole in (("max-attempts", self.max_attempts, 1, 20, True),
                                              ("deadline", self.deadline, 1, 3600, False),
                                              ("timeout", self.timeout, 1, 600, False)):
            if not low <= value <= high or (whole and float(value) != int(value)):
                raise InputError(f"{setting(name)} is `{value:g}`.",
                                 f"Set {setting(name)} to a {'whole ' if whole else ''}number from {low} to {high}.")


@dataclass(frozen=True)
class CiContext:
    """The CI run, as far as the publish records or uses it (all optional off CI): the version's tag, and
    where the build ran, for the artifact's annotations and the provenance."""

    ref: str = ""  # e.g. refs/tags/v1.2.3: the version when none is given
    commit: str = ""
    repository_url: str = ""  # e.g. https://github.com/acme/hello
    workflow_ref: str = ""
    event: str = ""
    run_url: str = ""  # the run, as a link (the provenance's invocation id)
    registry_namespace: str = ""  # e.g. ghcr.io/acme: where a first publish goes without a repository
    owner: str = ""  # the account the repository belongs to, e.g. acme
    owner_kind: str = ""  # User or Organization (GitHub's words), "" when not known


@dataclass(frozen=True)
class Options:
    """Everything ``publish`` needs to know."""

    akua: AkuaOptions
    package: PackageOptions
    registry: RegistryOptions = field(default_factory=RegistryOptions)
    dependencies: DependencyOptions = field(default_factory=DependencyOptions)
    signing: SigningOptions = field(default_factory=SigningOptions)
    policy: PolicyOptions = field(default_factory=PolicyOptions)
    limits: LimitOptions = field(default_factory=LimitOptions)
    ci: CiContext = field(default_factory=CiContext)
    ca_bundle: str = ""  # a PEM file of CAs to trust instead of the default store, for every party
    packages: tuple[str, ...] = ()  # globs of package folders below ``package.path`` (``publish_all``)
    plan: bool = False  # with ``packages``: check each package as a dry run and plan what a real run publishes
    temp_dir: Path | None = None  # where the run's scratch folder goes (packed layer, downloads); None: the system's

    def __post_init__(self) -> None:
        if self.plan and not self.packages:
            raise InputError(f"{setting('plan')} is set without {setting('packages')}: a plan is of a repository of "
                             "packages.", f"Set {setting('packages')} to the globs of the package folders, or drop "
                             f"{setting('plan')} (a dry run checks one package: {setting('dry-run')}).")

    def secrets(self) -> list[str]:
        """Every secret the options hold, for a front end to mask before it writes anything."""
        values = [self.akua.token, self.registry.password, self.signing.key, self.signing.passphrase]
        values += [c.password for c in self.registry.host_credentials.values()]
        values += [c.password for c in self.dependencies.credentials.values()]
        return [value for value in values if value]


def shown_in(shown: str, name: str) -> str:
    """``name`` inside the package directory, as messages show it (relative to where the user stands)."""
    return name if shown in ("", ".") else f"{shown.rstrip('/')}/{name}"


def _check_api_url(text: str) -> None:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{setting('api-url')} is `{text}`, which is not an http(s) URL.",
                         f"Use Akua's API base URL, {DEFAULT_API_URL}, or leave {setting('api-url')} empty.")
    if parts.scheme == "http" and not is_loopback_host(parts.netloc.rpartition("@")[2]):
        raise InputError(f"{setting('api-url')} is `{text}`, plain http: the token would travel unencrypted.",
                         "Use https (plain http is allowed only for a local emulator on a loopback address).")
    if parts.username or parts.password:
        raise InputError(f"{setting('api-url')} carries credentials.",
                         f"Remove them from the URL; pass the token as {secret('api-token')}.")
