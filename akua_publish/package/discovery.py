"""The packages of a repository of packages: the folders ``packages`` globs name, and the order they publish in.

A folder counts when it holds an ``akua.toml``. Every folder a glob reaches must lie in the workspace (a link
that leads out of it is refused), a glob that reaches no package is refused (a typo would otherwise publish
nothing and succeed), and so are two packages of one name (Akua finds a package by its name). A package whose
OCI dependency names another package of the repository (the dependency's repository ends with that package's
name) at that package's own version publishes after it: its chart is in the registry only once that one is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from akua_publish.errors import InputError
from akua_publish.wording import setting


@dataclass(frozen=True)
class Member:
    """One package of the repository, as far as choosing and ordering needs it (its run checks the rest)."""

    folder: Path
    shown: str  # relative to the workspace
    name: str  # akua.toml's [package].name ("" when akua.toml cannot be read: its run says why)
    version: str
    needs: tuple[str, ...] = ()  # names of members whose new version it depends on


def discover(root: Path, patterns: Sequence[str]) -> tuple[Member, ...]:
    """The members the globs name below ``root``, in publishing order (dependencies first, else by folder)."""
    base = root.resolve()
    folders: dict[Path, str] = {}
    for pattern in patterns:
        if PurePosixPath(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts:
            raise InputError(f"{setting('packages')} names `{pattern}`, which leads outside the workspace.",
                             "Give globs relative to the repository root, e.g. charts/* or packages/**.")
        found = [path for path in sorted(base.glob(pattern)) if (path / "akua.toml").is_file()]
        if not found:
            raise InputError(f"{setting('packages')} names `{pattern}`, which reaches no folder with an akua.toml.",
                             "Check the glob against the repository (charts/* for charts/<name>/akua.toml).")
        for path in found:
            real = path.resolve()
            if real != base and base not in real.parents:
                raise InputError(f"{setting('packages')} reaches `{path.relative_to(base)}`, which leads outside the "
                                 "workspace (through a symlink).", "Keep the packages inside the checkout.")
            folders.setdefault(real, str(path.relative_to(base)))
    members = [_member(folder, shown) for folder, shown in folders.items()]
    _check_names(members)
    return _ordered(members)


def _member(folder: Path, shown: str) -> Member:
    try:
        data = tomllib.loads((folder / "akua.toml").read_text(encoding="utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Member(folder, shown, "", "")
    found_package, found_specs = data.get("package"), data.get("dependencies")
    package: dict[str, object] = found_package if isinstance(found_package, dict) else {}
    specs: dict[str, object] = found_specs if isinstance(found_specs, dict) else {}
    needs = sorted(f"{sibling_name(str(spec['oci']))}\0{spec.get('version', '')}"
                   for spec in specs.values()
                   if isinstance(spec, dict) and isinstance(spec.get("oci"), str) and "replace" not in spec)
    return Member(folder, shown, str(package.get("name") or ""), str(package.get("version") or ""), tuple(needs))


def sibling_name(oci: str) -> str:
    """The package of the repository an OCI dependency names, if it is one: its repository's last name."""
    return oci.rstrip("/").rpartition("/")[2]


def _check_names(members: list[Member]) -> None:
    by_name: dict[str, list[str]] = {}
    for member in members:
        if member.name:
            by_name.setdefault(member.name, []).append(member.shown)
    for name, shown in sorted(by_name.items()):
        if len(shown) > 1:
            raise InputError(f"Two packages are named `{name}`: {' and '.join(f'`{s}`' for s in shown)}; Akua finds "
                             "a package by its name.", "Rename one ([package].name in its akua.toml), or leave one "
                             f"folder out of {setting('packages')}.")


def _ordered(members: list[Member]) -> tuple[Member, ...]:
    """Dependencies first, else in the order of their folders; a cycle keeps that order (each run then meets
    the missing chart and says so)."""
    own = {f"{m.name}\0{m.version}": m.name for m in members if m.name}
    pending = sorted((Member(m.folder, m.shown, m.name, m.version,
                             tuple(sorted({own[need] for need in m.needs if need in own} - {m.name})))
                      for m in members), key=lambda m: m.shown)
    done: list[Member] = []
    while pending:
        names = {member.name for member in done}
        ready = next((m for m in pending if set(m.needs) <= names), pending[0])
        done.append(ready)
        pending.remove(ready)
    return tuple(done)
