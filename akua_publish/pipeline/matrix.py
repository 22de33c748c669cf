"""A plan's matrix: the packages a real run would publish, as entries a CI's matrix spreads over its machines.

Each entry publishes one package. A package that depends on a sibling's new version carries that sibling's folder
in its ``packages`` too (and the sibling's own such folders), dependencies first: its job publishes the sibling
before it, or finds it already published by the sibling's own job (runs of one content meet safely). So every
entry can run at once, with no order between jobs to keep; ``wave`` says how deep the dependencies go, for CIs
that prefer to run the entries in waves instead.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MatrixEntry:
    package: str  # the package's name
    path: str  # its folder, relative to the workspace
    version: str
    packages: str  # what the entry's job sets ``packages`` to: globs that name exactly its folders
    wave: int  # 1 without new sibling dependencies; else one more than the deepest of them

    def to_json(self) -> dict[str, str | int]:
        return {"package": self.package, "path": self.path, "version": self.version, "packages": self.packages,
                "wave": self.wave}


Planned = tuple[str, str, str, tuple[str, ...]]  # name, folder, version, the siblings it depends on


def plan_matrix(planned: Sequence[Planned]) -> tuple[MatrixEntry, ...]:
    """The entries of ``planned`` (in publishing order, dependencies first)."""
    folders = {name: folder for name, folder, _, _ in planned}
    waves: dict[str, int] = {}
    chains: dict[str, list[str]] = {}  # a package's folder, after its planned dependencies' (each once)
    entries = []
    for name, folder, version, needs in planned:
        earlier = [need for need in needs if need in chains]  # a dependency later in the order is a cycle's
        waves[name] = 1 + max((waves[need] for need in earlier), default=0)
        chain: list[str] = []
        for need in earlier:
            chain += [f for f in chains[need] if f not in chain]
        chains[name] = [*chain, folders[name]]
        entries.append(MatrixEntry(name, folder, version, " ".join(glob.escape(f) for f in chains[name]),
                                   waves[name]))
    return tuple(entries)
