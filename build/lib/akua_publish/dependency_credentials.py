"""The `dependency-credentials` input: which host gets which credentials when dependencies are fetched.

A map from registry or git host (``host[:port]``) to a username and a password,
written as JSON or as a small YAML mapping (what workflow authors write in a
``with:`` block). Each pair is used for its own host only.
"""

from __future__ import annotations

import json

from .errors import InputError
from .reference import Credentials


def dependency_credentials(text: str) -> dict[str, Credentials]:
    """The `dependency-credentials` input: a JSON object, or a YAML mapping, from host to {username, password}."""
    if not text:
        return {}
    hint = ('Pass a map from registry or git host to credentials, as JSON, e.g. '
            '{"ghcr.io": {"username": "bot", "password": "${{ secrets.GHCR_READ }}"}}, or as YAML, '
            'e.g. a line `ghcr.io:` followed by indented `username: bot` and `password: ...` lines.')
    try:
        value = json.loads(text) if text.lstrip().startswith("{") else _yaml_hosts(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"The `dependency-credentials` input is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg}).", hint) from None
    except ValueError as exc:
        raise InputError(f"The `dependency-credentials` input is not a YAML map of hosts ({exc}).", hint) from None
    found: dict[str, Credentials] = {}
    for host, entry in value.items() if isinstance(value, dict) else [(None, None)]:
        if not isinstance(host, str) or not isinstance(entry, dict) or not all(
                isinstance(entry.get(key), str) and entry.get(key) for key in ("username", "password")):
            raise InputError("The `dependency-credentials` input must map each host to a username and a "
                             f"password{f' (see `{host}`)' if isinstance(host, str) else ''}.", hint)
        found[host.lower()] = Credentials(entry["username"], entry["password"])
    return found


def _yaml_hosts(text: str) -> dict[str, dict[str, str]]:
    """The YAML form of `dependency-credentials`: `host:` lines, each with indented `key: value` lines."""
    found: dict[str, dict[str, str]] = {}
    host = ""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():  # `host[:port]:`
            if not line.rstrip().endswith(":"):
                raise ValueError(f"line {number}: a host line ends with `:`, its credentials follow indented")
            host = line.strip()[:-1].strip().strip("'\"")
            found[host] = {}
            continue
        key, colon, value = line.strip().partition(":")
        if not colon or not key.strip() or not host:
            raise ValueError(f"line {number} is not an indented `username: ...` or `password: ...` under a host")
        found[host][key.strip()] = value.strip().strip("'\"")
    return found
