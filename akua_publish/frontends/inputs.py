"""The inputs: one table for the action (action.yml, checked against it by the tests) and the CLI.

Each input has the default a run uses when it is empty, the environment variable
it falls back to (as the action reads them), and a one-line help. A default is
the library's own (``option_default``: the options' field, in the input's text), so
action.yml, the command line's flags and ``--help``, and code that builds the
options itself cannot drift apart; ``path``'s ``.`` alone is the front ends' (the
library has no default package).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from akua_publish import options
from akua_publish.wording import OPTION_ATTRIBUTES

MIB = 1024**2


def option_default(name: str) -> str:
    """The default of the option the input ``name`` sets, as the input's text."""
    kind, attribute = OPTION_ATTRIBUTES[name].split(".")
    value = next(f.default for f in dataclasses.fields(getattr(options, kind)) if f.name == attribute)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if attribute == "max_bytes":  # the input is in MiB
        return str(value // MIB)
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Input:
    name: str
    default: str
    help: str
    env: str = ""  # the environment variable read when the input is empty
    choices: tuple[str, ...] = ()
    secret: bool = False
    action_default: str | None = None  # action.yml's, where it differs (a GitHub expression, or empty)

    @property
    def flag(self) -> str:
        return "--" + self.name

    @property
    def is_switch(self) -> bool:
        return self.choices == ("true", "false")


TABLE = (
    Input("package-id", "", "Akua package (pkg_...); empty: found by name, or created on the first publish"),
    Input("package-name", "", "name to find or create the package by; empty: akua.toml's [package].name"),
    Input("display-image-url", "", "image URL of a package this run creates"),
    Input("api-token", "", "Akua API token", env="AKUA_API_TOKEN", secret=True),
    Input("workspace", "", "Akua workspace (ws_...)", env="AKUA_WORKSPACE_ID"),
    Input("api-url", option_default("api-url"), "Akua API base URL", env="AKUA_API_BASE_URL",
          action_default=""),  # empty in action.yml, so that the environment variable is read
    Input("path", ".", "the package directory (akua.toml, package.k)"),
    Input("packages", "", "globs of package folders to publish each of (relative to the workspace), instead of "
          "path"),
    Input("plan", option_default("plan"), "with packages: check each package as a dry run and output the matrix "
          "of those to publish", choices=("true", "false")),
    Input("schema", option_default("schema"), "the exported input schema, relative to path"),
    Input("schema-check", option_default("schema-check"), "compare the schema file with package.k's export",
          choices=("strict", "warn", "off")),
    Input("contract-check", option_default("contract-check"), "compare the input schema with the previous version's",
          choices=("strict", "warn", "off")),
    Input("readability-check", option_default("readability-check"), "check that Akua can read what is pushed (a "
          "public repository, or a registry connection)", choices=("strict", "warn", "off")),
    Input("repository", "", "OCI repository (host/name); default: the package's, from Akua"),
    Input("registry-username", "", "registry user", env="GITHUB_ACTOR", action_default="${{ github.actor }}"),
    Input("registry-password", "", "registry password or token", env="AKUA_REGISTRY_PASSWORD", secret=True),
    Input("github-token", "", "GitHub token, sent only to GitHub's own registry", env="GITHUB_TOKEN", secret=True,
          action_default="${{ github.token }}"),
    Input("dependency-credentials", "", "credentials of private dependencies, JSON or YAML",
          env="AKUA_DEPENDENCY_CREDENTIALS", secret=True),
    Input("plain-http", "", "true: plain HTTP to a registry off loopback; false: HTTPS on loopback",
          choices=("", "true", "false")),
    Input("version", "", "the semver to publish (without a tag)"),
    Input("tag-pattern", "", "regular expression with a group `version` that reads tags"),
    Input("compatibility", "", "the version's compatibility object, JSON"),
    Input("compatibility-file", "", "a JSON file holding the compatibility object"),
    Input("sign", option_default("sign"), "sign with cosign: auto (when a key is given), true, false",
          choices=("auto", "true", "false")),
    Input("attest", option_default("attest"), "push SLSA provenance with the signature", choices=("true", "false")),
    Input("cosign-private-key", "", "the signing key's PEM text", env="AKUA_COSIGN_PRIVATE_KEY", secret=True),
    Input("cosign-password", "", "the signing key's passphrase", env="AKUA_COSIGN_PASSPHRASE", secret=True),
    Input("max-attempts", option_default("max-attempts"),
          "tries per request when a service fails in a way worth a retry"),
    Input("max-dependency-size", option_default("max-dependency-size"), "MiB a dependency's chart may unpack to"),
    Input("max-expansion-ratio", option_default("max-expansion-ratio"),
          "times its compressed size a dependency's chart may unpack to (past 64 MiB)"),
    Input("deadline", option_default("deadline"), "seconds the whole run may take"),
    Input("timeout", option_default("timeout"), "seconds to wait for each answer"),
    Input("dry-run", option_default("dry-run"), "check, pack and compute the digest; push and register nothing",
          choices=("true", "false")),
)
INPUTS = {entry.name: entry for entry in TABLE}


def default(name: str) -> str:
    return INPUTS[name].default
