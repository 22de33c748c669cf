"""The inputs: one table for the action (action.yml, checked against it by the tests) and the CLI.

Each input has the default a run uses when it is empty, the environment variable
it falls back to (as the action reads them), and a one-line help. The settings
(``config``) take their defaults from here; the command line takes its flags,
defaults and ``--help`` from here, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    Input("api-url", "https://api.akua.dev/v1", "Akua API base URL", env="AKUA_API_BASE_URL",
          action_default=""),  # empty in action.yml, so that the environment variable is read
    Input("path", ".", "the package directory (akua.toml, package.k)"),
    Input("schema", "exported/inputs.schema.json", "the exported input schema, relative to path"),
    Input("schema-check", "strict", "compare the schema file with package.k's export",
          choices=("strict", "warn", "off")),
    Input("contract-check", "strict", "compare the input schema with the previous version's",
          choices=("strict", "warn", "off")),
    Input("readability-check", "strict", "check that Akua can read what is pushed (a public repository, or a "
          "registry connection)", choices=("strict", "warn", "off")),
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
    Input("sign", "auto", "sign with cosign: auto (when a key is given), true, false",
          choices=("auto", "true", "false")),
    Input("attest", "true", "push SLSA provenance with the signature", choices=("true", "false")),
    Input("cosign-private-key", "", "the signing key's PEM text", env="AKUA_COSIGN_PRIVATE_KEY", secret=True),
    Input("cosign-password", "", "the signing key's passphrase", env="AKUA_COSIGN_PASSPHRASE", secret=True),
    Input("max-attempts", "5", "tries per request when a service fails in a way worth a retry"),
    Input("max-dependency-size", "2048", "MiB a dependency's chart may unpack to"),
    Input("max-expansion-ratio", "100", "times its compressed size a dependency's chart may unpack to (past 64 MiB)"),
    Input("deadline", "300", "seconds the whole run may take"),
    Input("timeout", "60", "seconds to wait for each answer"),
    Input("dry-run", "false", "check, pack and compute the digest; push and register nothing",
          choices=("true", "false")),
)
INPUTS = {entry.name: entry for entry in TABLE}


def default(name: str) -> str:
    return INPUTS[name].default
