"""``akua.lock``: the pins of a package's dependencies, read strictly.

Akua's publish reads the lock leniently: any problem means "no pins at all",
silently, and only OCI pins are checked. A release tool must not ship what the
lock does not vouch for, so here an invalid lock is an error, and both the OCI
pins (the chart layer's sha256) and the git pins (``git:<commit>``) are checked
by the caller. The validity rules are Akua's (``lock_file.rs``): ``version = 1``,
``[[package]]`` sorted by name, no duplicate (name, version), digests that start
with ``sha256:`` or ``git:``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

LOCK_HINT = "Run `akua pkg lock` (or `akua pkg add`) and commit akua.lock."


@dataclass(frozen=True)
class LockEntry:
    name: str
    version: str
    source: str
    digest: str
    vendor_digest: str = ""


class LockProblem(ValueError):
    """What is wrong with the lock file, in words a user can act on."""


def read_lock_entries(path: Path) -> list[LockEntry] | None:
    """Every ``[[package]]`` of ``path`` in file order (as the provenance lists them), or None without a lock."""
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LockProblem(f"it cannot be read ({exc})") from exc
    return parse_lock_entries(text)


def parse_lock_entries(text: str) -> list[LockEntry]:
    """The entries of a lock file's text in file order, or ``LockProblem`` saying what is wrong."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise LockProblem(f"it cannot be read as TOML ({exc})") from exc
    if data.get("version") != 1:
        raise LockProblem(f"`version` is {data.get('version')!r}, not 1")
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise LockProblem("`[[package]]` must be a list of tables")
    entries: list[LockEntry] = []
    seen: set[tuple[str, str]] = set()
    previous = ""
    for table in packages:
        fields = {key: table.get(key) for key in ("name", "version", "source", "digest")}
        missing = [key for key, value in fields.items() if not isinstance(value, str)]
        if missing:
            raise LockProblem(f"a [[package]] entry lacks {', '.join(missing)}")
        entry = LockEntry(**fields, vendor_digest=str(table.get("vendor_digest") or ""))
        if entry.name < previous:
            raise LockProblem(f"[[package]] entries are not sorted by name (`{entry.name}` after `{previous}`)")
        if (entry.name, entry.version) in seen:
            raise LockProblem(f"`{entry.name}` {entry.version} is listed twice")
        if not entry.digest.startswith(("sha256:", "git:")):
            raise LockProblem(f"`{entry.name}` has digest `{entry.digest}`, neither sha256: nor git:")
        previous = entry.name
        seen.add((entry.name, entry.version))
        entries.append(entry)
    return entries
