"""Words that depend on the front end: how a setting is named and how a secret is passed.

The library reports problems with the settings ("raise the deadline", "pass the token
from a secret"), and the same problem must read as the user met it: in a workflow,
``the `deadline` input`` and ``api-token: ${{ secrets.AKUA_API_TOKEN }}``; on a
laptop, ``--deadline`` and ``AKUA_API_TOKEN``. Messages therefore hold terms,
``⟦setting:deadline⟧``, that each front end renders with its own vocabulary
(``frontends/vocabulary.py``) when it writes them; ``library_words`` renders them for
code that calls the library, naming the options as their Python attributes. A term is
rendered as a noun phrase; one that starts a sentence gets a capital. A test checks that
every setting a term names is an input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Vocabulary = Callable[[str, str], str]  # (kind, argument) -> the words
_TERM = re.compile(r"⟦([a-z-]+):([^⟧]*)⟧")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")
SETTING_NOUN = "⟦noun:setting⟧"  # what a setting is called: an action input, an option


def setting(name: str) -> str:
    """A setting (an input of the action, a flag of the command line), as a noun phrase."""
    return f"⟦setting:{name}⟧"


def secret(name: str) -> str:
    """How to pass the secret setting ``name``, as the front end would have it passed."""
    return f"⟦secret:{name}⟧"


def file_root() -> str:
    """The folder ``file://`` git dependencies must be in, as the front end sets it."""
    return "⟦file-root:⟧"


def no_tag(ref: str) -> str:
    """Why the run has no tag to take its version from (``ref`` is what the CI said, if anything)."""
    return f"⟦no-tag:{ref}⟧"


def terms(text: str) -> list[tuple[str, str]]:
    """The (kind, argument) of every term in ``text``."""
    return _TERM.findall(text)


def render(text: str, vocabulary: Vocabulary) -> str:
    """``text`` with every term in the words of ``vocabulary``."""

    def words(found: re.Match[str]) -> str:
        said = vocabulary(found.group(1), found.group(2))
        starts = _SENTENCE_START.search(text[:found.start()]) is not None
        return said[:1].upper() + said[1:] if starts else said

    return _TERM.sub(words, text)


# Each setting as code that calls the library sets it: the attribute of the options (``options.py``).
OPTION_ATTRIBUTES = {
    "package-id": "PackageOptions.package_id", "package-name": "PackageOptions.package_name",
    "display-image-url": "PackageOptions.display_image_url", "path": "PackageOptions.path",
    "schema": "PackageOptions.schema", "version": "PackageOptions.version", "packages": "Options.packages",
    "plan": "Options.plan",
    "tag-pattern": "PackageOptions.tag_pattern", "repository": "PackageOptions.repository",
    "compatibility": "PackageOptions.compatibility", "compatibility-file": "PackageOptions.compatibility",
    "api-token": "AkuaOptions.token", "workspace": "AkuaOptions.workspace", "api-url": "AkuaOptions.api_url",
    "schema-check": "PolicyOptions.schema_check", "contract-check": "PolicyOptions.contract_check",
    "readability-check": "PolicyOptions.readability_check", "dry-run": "PolicyOptions.dry_run",
    "registry-username": "RegistryOptions.username", "registry-password": "RegistryOptions.password",
    "github-token": "RegistryOptions.host_credentials", "plain-http": "RegistryOptions.plain_http",
    "dependency-credentials": "DependencyOptions.credentials", "max-dependency-size": "UnpackLimits.max_bytes",
    "max-expansion-ratio": "UnpackLimits.max_ratio", "sign": "SigningOptions.mode", "attest": "SigningOptions.attest",
    "cosign-private-key": "SigningOptions.key", "cosign-password": "SigningOptions.passphrase",
    "max-attempts": "LimitOptions.max_attempts", "deadline": "LimitOptions.deadline", "timeout": "LimitOptions.timeout",
}


def library_words(kind: str, arg: str) -> str:
    """For code that calls the library: the options by their Python attributes."""
    if kind == "setting":
        return f"`{OPTION_ATTRIBUTES[arg]}`"
    if kind == "secret":
        return f"`{OPTION_ATTRIBUTES[arg]}`, read from your secret store (never from source code)"
    if kind == "no-tag":
        return f"`PackageOptions.version` is empty and `CiContext.ref` is {f'`{arg}`' if arg else 'empty'}, not a tag"
    if kind == "noun":
        return "option"
    if kind == "file-root":
        return "`DependencyOptions.file_root`"
    return arg
