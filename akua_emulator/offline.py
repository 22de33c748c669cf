"""Would the artifact render offline? Its OCI and git dependencies must be vendored in it.

Akua's CLI ships an artifact with nothing vendored when a dependency fails to
resolve; rendering it without network access then fails. The emulator refuses
such a version (422, as a failed offline render would be reported), unless
akua.lock records the dependency as replaced by a local folder (Akua's publish
vendors no replaced dependency). For an OCI dependency it also fetches the chart
its akua.lock pins and compares the vendored files with it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.oci import NetworkFetcher
from akua_publish.deps.tree import tree_digest, walk
from akua_publish.deps.vendor import is_vendored
from akua_publish.errors import PublishError
from akua_publish.package.akua_lock import LockProblem, parse_lock
from akua_publish.reference import Credentials

from .openapi import ApiError

VENDOR = ".akua/vendor/"


def check_vendored(manifest: dict[str, Any], files: dict[str, bytes], connections: dict[str, tuple[str, str]]) -> None:
    """``files``: akua.lock and every ``.akua/vendor/`` member of the artifact, by name; ``connections``:
    the workspace's registry connections, which private dependencies are read with."""
    specs = manifest.get("dependencies", {})
    try:
        lock = parse_lock(files.get("akua.lock", b"").decode("utf-8"))
    except (LockProblem, UnicodeDecodeError):
        lock = {}
    # A dependency the publisher replaced with a local folder is not vendored by Akua's publish either; the
    # packed akua.toml drops `replace`, and Akua's lock records it (`[package.replaced]`).
    wanted = [alias for alias, spec in specs.items() if is_vendored(spec) and not (
        alias in lock and lock[alias].replaced)]
    if not wanted:
        return
    for alias in wanted:
        if not any(name.startswith(f"{VENDOR}{alias}/") for name in files):
            raise ApiError(422, f"Dependency {alias} is not vendored under {VENDOR}{alias}/: the package "
                                "cannot render offline", ["body", "ref"])
    with tempfile.TemporaryDirectory(prefix="akua-emulator-deps-") as work:
        for alias in wanted:
            spec, entry = specs[alias], lock.get(alias)
            found = {name: data for name, data in files.items() if name.startswith(f"{VENDOR}{alias}/")}
            if "oci" not in spec or entry is None or _tree_digest(found, Path(work) / f"{alias}.tree") in (
                    entry.digest, entry.vendor_digest):
                continue  # git, unpinned, or vendored from a pre-vendored tree the lock records
            try:
                credentials = {host: Credentials(*pair) for host, pair in connections.items()}
                root, _ = NetworkFetcher(RetryPolicy(attempts=2), credentials, Path(work)).oci(
                    alias, spec["oci"], spec["version"], entry.digest, Path(work) / alias)
            except PublishError as exc:
                raise ApiError(422, f"Dependency {alias} cannot be fetched to check it: {exc.message}",
                               ["body", "ref"]) from None
            expected = {f"{VENDOR}{alias}/{rel}": path.read_bytes() for rel, path in walk(root)}
            if found != expected:
                raise ApiError(422, f"The files under {VENDOR}{alias}/ are not the chart akua.lock pins "
                                    f"({entry.digest})", ["body", "ref"])


def _tree_digest(files: dict[str, bytes], folder: Path) -> str:
    """The tree digest of one dependency's vendored files, as ``akua vendor`` records it in the lock."""
    for name, data in files.items():
        path = folder / name.split("/", 3)[3]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    return tree_digest(folder)
