"""The dependency credentials setting: which host gets which credentials when dependencies are fetched.

A map from registry or git host (``host[:port]``) to a username and a password,
written as JSON or as YAML (what workflow authors write in a ``with:`` block),
read by PyYAML's ``safe_load``: quotes, escapes and comments mean what YAML says
they mean, and a password is never cut at a ``#`` or a quote. YAML reads some
unquoted scalars as numbers or booleans (``0123``, ``1e3``, ``yes``); such a
password would not be the text the user wrote, so it is refused with the advice
to quote it. Errors name the line and column, never the text of the line (it may
hold a password). Each pair is used for its own host only.
"""

from __future__ import annotations

import json
from typing import Any

from akua_publish.errors import InputError
from akua_publish.reference import Credentials
from akua_publish.wording import secret, setting

HINT = ('Pass a map from registry or git host to credentials, as JSON, e.g. '
        '{"ghcr.io": {"username": "bot", "password": "..."}}, or as YAML, e.g. a line `ghcr.io:` followed by '
        f"indented `username: bot` and `password: ...` lines, as {secret('dependency-credentials')}.")

YAML_KINDS = {"int": "a number", "float": "a number", "bool": "true or false", "date": "a date",
              "datetime": "a date", "list": "a list", "dict": "a map"}


def dependency_credentials(text: str) -> dict[str, Credentials]:
    """The `dependency-credentials` input: a JSON object, or a YAML mapping, from host to {username, password}."""
    if not text.strip():
        return {}
    value = _parse(text)
    if not isinstance(value, dict):
        raise InputError(f"{setting('dependency-credentials')} is not a map of hosts.", HINT)
    found: dict[str, Credentials] = {}
    for host, entry in value.items():
        shown = f"`{host}`" if isinstance(host, str) else "an entry"
        if not isinstance(host, str) or not isinstance(entry, dict):
            raise InputError(f"{setting('dependency-credentials')} must map each host to a username and a password "
                             f"(see {shown}).", HINT)
        for key in ("username", "password"):
            if entry.get(key) in (None, ""):
                raise InputError(f"The {key} of {shown} in {setting('dependency-credentials')} is missing or empty.",
                                 HINT)
            if not isinstance(entry[key], str):
                kind = YAML_KINDS.get(type(entry[key]).__name__, "something other than text")
                raise InputError(f"The {key} of {shown} in {setting('dependency-credentials')} is read by YAML as "
                                 f"{kind}, not as the text written.", f"Quote it: {key}: '...'.")
        found[host.lower()] = Credentials(entry["username"], entry["password"])
    return found


def _parse(text: str) -> Any:
    """JSON when the text is a JSON object (its errors are the clearer), else YAML."""
    # The parsers' errors quote the text around the mistake, which may be a password: the causes are dropped.
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{setting('dependency-credentials')} is not valid JSON (line {exc.lineno}, column "
                             f"{exc.colno}: {exc.msg}).", HINT) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(f"{setting('dependency-credentials')} is not valid YAML ({where}{exc.problem}).",
                         HINT) from None
    except yaml.YAMLError:
        raise InputError(f"{setting('dependency-credentials')} is not valid YAML.", HINT) from None
