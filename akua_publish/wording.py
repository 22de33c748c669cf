"""Words that depend on the front end: how a setting is named and how a secret is passed.

The library reports problems with the settings ("raise the deadline", "pass the token
from a secret"), and the same problem must read as the user met it: in a workflow,
``the `deadline` input`` and ``api-token: ${{ secrets.AKUA_API_TOKEN }}``; on a
laptop, ``--deadline`` and ``AKUA_API_TOKEN``. Messages therefore hold terms,
``⟦setting:deadline⟧``, that each front end renders with its own vocabulary
(``frontends/vocabulary.py``) when it writes them; ``plain_words`` renders them for
code that calls the library. A term is rendered as a noun phrase; one that starts a
sentence gets a capital. A test checks that every setting a term names is an input.
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


def plain_words(kind: str, arg: str) -> str:
    """For code that calls the library: the settings by their names."""
    if kind in ("setting", "secret"):
        return f"`{arg}`"
    if kind == "no-tag":
        return f"the run is not for a tag ({arg or 'no ref'})"
    if kind == "noun":
        return "setting"
    if kind == "file-root":
        return "`DependencyOptions.file_root`"
    return arg
