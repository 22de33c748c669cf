"""``akua.toml`` checked as Akua's own manifest parser checks it.

Akua's parser (``crates/akua-core/src/mod_file.rs`` of akua-dev/akuapkg) reads
the file with serde into fixed types and then validates it. A manifest it
refuses makes Akua refuse the artifact after the push, so every rule is
applied here first and every problem is reported, each with the key at fault
(Akua stops at the first). The rules:

- ``[package]``: ``name`` (letters, digits, ``_``, ``-``; not starting with
  ``-``), ``version`` and ``edition`` (starting with ``akua.dev/``) are
  required strings; ``strict_signing`` is a boolean.
- ``[workspace].members`` is a list of strings; ``[signing]`` holds only the
  strings ``cosign_public_key`` and ``cosign_private_key``.
- ``[dependencies]``: each alias maps to a table with exactly one of ``oci``,
  ``git``, ``path``, ``repo`` (strings, as are ``chart``, ``version``,
  ``tag``, ``rev``); ``oci`` needs ``version``; ``git`` needs ``tag`` or
  ``rev``; ``path`` takes no ``version``/``tag``/``rev``; ``repo`` needs
  ``chart`` (a plain name) and ``version``; no ``user:pass@`` in a URL;
  ``replace`` is a table with a string ``path``.
- Unknown keys are ignored, as serde does without ``deny_unknown_fields``; a
  UTF-8 byte order mark is accepted.

Beyond the parser, aliases are checked where Akua fails later: an alias must
be usable as one directory name (``.akua/vendor/<alias>/``), and two aliases
may not map to the same KCL identifier (Akua's renderer refuses that).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from akua_publish.wording import setting

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*", re.ASCII)
SOURCES = ("oci", "git", "path", "repo")
STRING_FIELDS = (*SOURCES, "chart", "version", "tag", "rev")  # in the order of Akua's Dependency fields

Problem = tuple[str, int | None]  # (what is wrong, the line of the key when found)


def parse(text: str) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and validate; the data is meaningful only when there are no problems."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [(f"it is not valid TOML: {exc}", None)]
    lines = _KeyLines(text)
    problems: list[Problem] = []
    package = data.get("package")
    if isinstance(package, dict):
        problems += _package(package, lines)
    else:
        problems.append(("[package] is missing (or is not a table)", lines.find("package")))
    problems += _workspace(data, lines) + _signing(data, lines) + _dependencies(data, lines)
    return data, problems


def _package(package: dict[str, Any], lines: _KeyLines) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("name", "version", "edition"):
        if not isinstance(package.get(key), str):
            what = "missing" if key not in package else "not a string"
            problems.append((f"[package].{key} is {what}", lines.find("package", key)))
    name, edition = package.get("name"), package.get("edition")
    if isinstance(name, str) and not NAME.fullmatch(name):
        problems.append((f"[package].name `{name}` must be letters, digits, `_` or `-`, not starting with `-`",
                         lines.find("package", "name")))
    if isinstance(edition, str) and not edition.startswith("akua.dev/"):
        problems.append((f"[package].edition `{edition}` must start with `akua.dev/`",
                         lines.find("package", "edition")))
    if "strict_signing" in package and not isinstance(package["strict_signing"], bool):
        problems.append(("[package].strict_signing must be true or false", lines.find("package", "strict_signing")))
    return problems


def _optional_table(data: dict[str, Any], name: str, lines: _KeyLines) -> tuple[dict[str, Any], list[Problem]]:
    """An optional top-level table (empty when absent), or the problem that it is not one."""
    table = data.get(name, {})
    if isinstance(table, dict):
        return table, []
    return {}, [(f"[{name}] must be a table", lines.find(name))]


def _workspace(data: dict[str, Any], lines: _KeyLines) -> list[Problem]:
    table, problems = _optional_table(data, "workspace", lines)
    members = table.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        problems.append(("[workspace].members must be a list of strings", lines.find("workspace", "members")))
    return problems


def _signing(data: dict[str, Any], lines: _KeyLines) -> list[Problem]:
    table, problems = _optional_table(data, "signing", lines)
    return problems + [
        (f"[signing].{key} must be a string (a path relative to the package)", lines.find("signing", key))
        for key in ("cosign_public_key", "cosign_private_key")
        if key in table and not isinstance(table[key], str)]


def _dependencies(data: dict[str, Any], lines: _KeyLines) -> list[Problem]:
    table, problems = _optional_table(data, "dependencies", lines)
    idents: dict[str, str] = {}
    for alias in sorted(table):  # Akua keeps them in a sorted map
        line = lines.find("dependencies", alias)
        problems += [(f"dependency `{alias}`: {text}", line) for text in _dependency(alias, table[alias])]
        if alias in ("", ".", "..") or any(c in alias for c in "/\\\0"):
            problems.append((f"dependency alias `{alias}` cannot name a directory (.akua/vendor/<alias>/)", line))
        ident = kcl_ident(alias)
        if ident in idents:
            problems.append((f"dependency aliases `{idents[ident]}` and `{alias}` both become the KCL "
                             f"identifier `{ident}`; Akua's renderer refuses that", line))
        idents.setdefault(ident, alias)
    return problems


def _dependency(alias: str, spec: Any) -> list[str]:
    """What Akua's ``Dependency::validate`` (and serde before it) says of one entry: every problem, where
    Akua stops at the first."""
    if not isinstance(spec, dict):
        return ["must be a table, e.g. { oci = \"oci://...\", version = \"1.0.0\" }"]
    problems = [f"`{key}` must be a string" for key in STRING_FIELDS if key in spec and not isinstance(spec[key], str)]
    replace = spec.get("replace")
    if replace is not None and not (isinstance(replace, dict) and isinstance(replace.get("path"), str)):
        problems.append("`replace` must be a table with a string `path`, e.g. { path = \"./fork\" }")
    present = [key for key in SOURCES if key in spec]
    if len(present) != 1:
        problems.append(f"exactly one of oci / git / path / repo must be set, got {len(present)}"
                        + (f" ({', '.join(present)})" if present else ""))
    elif not problems:
        problems += _required_fields(present[0], spec)
    for source in present:
        url = spec[source]
        if source == "path" or not isinstance(url, str):
            continue
        https = ssh_as_https(url) if source == "git" else None
        if https is not None:
            problems.append(f"`git = \"{url}\"` is an SSH URL, and SSH is not supported: akua-publish fetches git "
                            f"over https (its image has no SSH client and no keys). Use the https form, `git = "
                            f"\"{https}\"`, and give a token for its host in {setting('dependency-credentials')} if "
                            "the repository is private")
        elif _has_userinfo(url):
            problems.append(f"the `{source}` URL must not carry credentials (`user:pass@`); Akua takes them "
                            "separately")
    chart = spec.get("chart", "")
    if "repo" in present and isinstance(chart, str) and ("/" in chart or "\\" in chart or ".." in chart):
        problems.append(f"`chart` value `{chart}` must be a plain chart name (no path separators or `..`)")
    return problems


def _required_fields(source: str, spec: dict[str, Any]) -> list[str]:
    """The fields the one source needs, or must not have."""
    if source == "oci" and "version" not in spec:
        return ["an oci dependency needs a `version`"]
    if source == "git" and "tag" not in spec and "rev" not in spec:
        return ["a git dependency needs a `tag` or a `rev`"]
    if source == "path" and any(key in spec for key in ("version", "tag", "rev")):
        return ["a path dependency must not set `version`, `tag` or `rev`"]
    if source == "repo":
        return [f"a Helm-repository dependency needs a `{key}`" for key in ("chart", "version") if key not in spec]
    return []


@dataclass(frozen=True)
class PackedToml:
    """akua.toml as it goes into the layer, and the package path of the signing key it names ("" for none)."""

    content: bytes
    signing_key: str


def packed_toml(data: dict[str, Any]) -> PackedToml:
    """``packed`` and the signing key's path (a relative one: an absolute path is outside the package)."""
    key = str((data.get("signing") or {}).get("cosign_private_key") or "")
    rel = os.path.normpath(key).replace(os.sep, "/") if key and not os.path.isabs(key) else ""
    return PackedToml(packed(data), rel)


def packed(data: dict[str, Any]) -> bytes:
    """``akua.toml`` as Akua packs it: re-serialised from its parsed fields (``mod_file.rs``'s serde).

    Only the fields Akua knows survive, in its order; ``strict_signing`` and
    ``[dependencies]`` are always written; every ``replace`` is dropped (a
    publisher's local override must not reach consumers); comments go. The
    value is Akua's; the formatting is this module's (TOML compares by value).
    """
    package = data["package"]
    lines = ["[package]", *(f"{key} = {_toml(package[key])}" for key in ("name", "version", "edition")),
             f"strict_signing = {_toml(package.get('strict_signing', True))}"]
    if "workspace" in data:
        lines += ["", "[workspace]", f"members = {_toml(data['workspace'].get('members', []))}"]
    if "signing" in data:
        lines += ["", "[signing]"] + [f"{key} = {_toml(data['signing'][key])}"
                                       for key in ("cosign_public_key", "cosign_private_key") if key in data["signing"]]
    lines += ["", "[dependencies]"]
    for alias in sorted(data.get("dependencies", {})):
        spec = data["dependencies"][alias]
        fields = ", ".join(f"{key} = {_toml(spec[key])}" for key in STRING_FIELDS if key in spec)
        lines.append(f"{_toml_key(alias)} = {{ {fields} }}")
    return ("\n".join(lines) + "\n").encode("utf-8")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    text = json.dumps(str(value), ensure_ascii=False)  # a TOML basic string, but for DEL
    return text.replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml(key)


_SCP_LIKE = re.compile(r"(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).+)")


def ssh_as_https(url: str) -> str | None:
    """The https form of an SSH git URL (``git@host:org/repo``, ``ssh://git@host/org/repo``), else None."""
    parts = urlsplit(url)
    if parts.scheme in ("ssh", "git+ssh", "ssh+git"):
        return f"https://{parts.hostname or ''}{parts.path}"
    found = _SCP_LIKE.fullmatch(url) if parts.scheme not in ("http", "https", "file") else None
    return f"https://{found['host']}/{found['path'].lstrip('/')}" if found else None


def _has_userinfo(url: str) -> bool:
    """As Akua's ``url_has_userinfo``: an ``@`` before the first ``/`` after the scheme."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return "@" in rest.split("/", 1)[0]


def kcl_ident(alias: str) -> str:
    """Akua's mapping of an alias to a KCL identifier: other characters become ``_``."""
    ident = "".join(c if (c.isascii() and c.isalnum()) or c == "_" else "_" for c in alias)
    return "_" + ident if ident[:1].isdigit() else ident


class _KeyLines:
    """Finds the line of a table or key in the TOML text, for annotations (best effort)."""

    HEADER = re.compile(r"\s*\[+\s*([^\]]+?)\s*\]+")
    KEY = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()

    def find(self, table: str, key: str | None = None) -> int | None:
        current = ""
        for number, line in enumerate(self._lines, 1):
            header = self.HEADER.match(line)
            if header:
                current = header.group(1).replace('"', "").replace(" ", "")
                if key is None and current == table:
                    return number
                if key is not None and current == f"{table}.{key}":
                    return number
                continue
            found = self.KEY.match(line)
            if found:
                name = found.group(1).strip("\"'")
                if key is None and not current and name == table:
                    return number
                if key is not None and current == table and name == key:
                    return number
        return None
