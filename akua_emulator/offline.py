"""Would the artifact render offline? Its OCI and git dependencies must be vendored in it, as Akua vendors them.

Akua's CLI ships an artifact with nothing vendored when a dependency fails to
resolve; rendering it without network access then fails. The emulator refuses
such a version (422, as a failed offline render would be reported), unless
akua.lock records the dependency as replaced by a local folder (Akua's publish
vendors no replaced dependency). With Akua's core, each vendored dependency is
vendored again by Akua's own packer and the files must be the same; without it,
only their presence is checked.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from .core import AkuaCore
from .openapi import ApiError

VENDOR = ".akua/vendor/"


def check_vendored(akua_toml: str, files: dict[str, bytes], connections: dict[str, tuple[str, str]],
                   core: AkuaCore | None, log: Callable[[str], None]) -> None:
    """``files``: akua.lock and every ``.akua/vendor/`` member of the artifact, by name; ``akua_toml`` has been
    read by Akua's core or by the emulator's own check before."""
    akua_toml = akua_toml.removeprefix("\ufeff")
    try:
        manifest = tomllib.loads(akua_toml)
    except tomllib.TOMLDecodeError as exc:
        log(f"akua.toml of the artifact is not TOML to Python ({exc}); its dependencies are not checked.")
        return
    lock_text = files.get("akua.lock", b"").decode("utf-8", "replace")
    replaced = _replaced(lock_text)
    wanted = sorted(alias for alias, spec in (manifest.get("dependencies") or {}).items()
                    if isinstance(spec, dict) and ("oci" in spec or "git" in spec) and alias not in replaced)
    for alias in wanted:
        found = {name: data for name, data in files.items() if name.startswith(f"{VENDOR}{alias}/")}
        if not found:
            raise ApiError(422, f"Dependency {alias} is not vendored under {VENDOR}{alias}/: the package "
                                "cannot render offline", ["body", "ref"])
        if core is None:
            continue
        akuas = core.vendored(akua_toml, lock_text, alias, connections)
        if akuas is None:
            log(f"Dependency {alias}: Akua's core cannot resolve it from where it runs; its files are not compared.")
        elif found != akuas:
            raise ApiError(422, f"The files under {VENDOR}{alias}/ are not the ones Akua vendors for it "
                                f"({len(found)} files, Akua's {len(akuas)})", ["body", "ref"])


def _replaced(lock_text: str) -> set[str]:
    """The dependencies akua.lock records as replaced by a local folder (``[package.replaced]``)."""
    try:
        packages: Any = tomllib.loads(lock_text).get("package", [])
    except tomllib.TOMLDecodeError:
        return set()
    return {entry["name"] for entry in packages if isinstance(entry, dict) and isinstance(entry.get("replaced"), dict)}
