"""Words that depend on the front end: how a setting is named and how a secret is passed.

The library reports problems with the settings ("raise the deadline", "pass the token
from a secret"), and the same problem must read as the user met it: in a workflow,
``the `deadline` input`` and ``api-token: ${{ secrets.AKUA_API_TOKEN }}``; on a
laptop, ``--deadline`` and ``AKUA_API_TOKEN``. Messages therefore hold terms,
``⟦setting:deadline⟧``, that each front end renders with its own ``Vocabulary``
when it writes them; ``PLAIN`` renders them for code that calls the library. A
term is rendered as a noun phrase; one that starts a sentence gets a capital.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from akua_publish.frontends.inputs import INPUTS

Vocabulary = Callable[[str, str], str]  # (kind, argument) -> the words
_TERM = re.compile(r"⟦([a-z-]+):([^⟧]*)⟧")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")
# The secret a workflow would keep each secret input in (the README's names).
SECRET_NAMES = {"api-token": "AKUA_API_TOKEN", "registry-password": "REGISTRY_PASSWORD",
                "github-token": "GITHUB_TOKEN", "dependency-credentials": "DEPENDENCY_CREDENTIALS",
                "cosign-private-key": "COSIGN_PRIVATE_KEY", "cosign-password": "COSIGN_PASSWORD"}


def setting(name: str) -> str:
    """A setting (an input of the action, a flag of the command line), as a noun phrase."""
    if name not in INPUTS:
        raise ValueError(name)
    return f"⟦setting:{name}⟧"


def secret(name: str) -> str:
    """How to pass the secret setting ``name``, as the front end would have it passed."""
    if name not in SECRET_NAMES:
        raise ValueError(name)
    return f"⟦secret:{name}⟧"


SETTING_NOUN = "⟦noun:setting⟧"  # what a setting is called: an action input, an option


def no_tag(ref: str) -> str:
    """Why the run has no tag to take its version from (``ref`` is what the CI said, if anything)."""
    return f"⟦no-tag:{ref}⟧"


def render(text: str, vocabulary: Vocabulary) -> str:
    """``text`` with every term in the words of ``vocabulary``."""

    def words(found: re.Match[str]) -> str:
        said = vocabulary(found.group(1), found.group(2))
        starts = _SENTENCE_START.search(text[:found.start()]) is not None
        return said[:1].upper() + said[1:] if starts else said

    return _TERM.sub(words, text)


def action_words(kind: str, arg: str) -> str:
    """The GitHub Action's words: inputs of the ``with:`` block, secrets of the repository."""
    if kind == "setting":
        return f"the `{arg}` input"
    if kind == "secret":
        return f"`{arg}: ${{{{ secrets.{SECRET_NAMES[arg]} }}}}`"
    if kind == "no-tag":
        return f"GITHUB_REF is {arg or '(not set)'}, not a tag"
    if kind == "noun":
        return "action input"
    return arg


def cli_words(kind: str, arg: str) -> str:
    """The command line's words: flags, and the environment variables and files secrets come from."""
    if kind == "setting":
        env = INPUTS[arg].env
        return f"`--{arg}`" + (f" (or {env})" if env and not env.startswith("GITHUB_") else "")
    if kind == "secret":
        return f"the {INPUTS[arg].env} environment variable, or `--{arg}-file <file>`"
    if kind == "no-tag":
        return "neither `--version` nor `--version-from-package` was given"
    if kind == "noun":
        return "option"
    return arg


def plain_words(kind: str, arg: str) -> str:
    """For code that calls the library: the settings by their names."""
    if kind in ("setting", "secret"):
        return f"`{arg}`"
    if kind == "no-tag":
        return f"the run is not for a tag ({arg or 'no ref'})"
    if kind == "noun":
        return "setting"
    return arg
