"""Akua's own core, when the emulator has it: the judge of every artifact it verifies.

In the tests it is Akua's Rust core run from its npm addon (``devtools/oracle.py``):
its reader of published packages (``inspectOciPackage``) reads the artifact,
``akua.toml`` and the exported schema as Akua's server does, and its packer
vendors a dependency as Akua's publish does. Without it (the demo), the
emulator makes its own small checks and says so.
"""

from __future__ import annotations

from typing import Any, Protocol


class AkuaCore(Protocol):
    def inspect_published(self, oci_ref: str, reference: str, credentials: tuple[str, str] | None) -> dict[str, Any]:
        """The artifact as Akua reads it: ``manifest_digest``, ``package_version``, ``input_schema``...; raises
        when Akua's reader refuses it."""

    def vendored(self, akua_toml: str, akua_lock: str, alias: str,
                 connections: dict[str, tuple[str, str]]) -> dict[str, bytes] | None:
        """The files Akua's packer vendors under ``.akua/vendor/<alias>/`` for that one dependency of
        ``akua_toml`` pinned by ``akua_lock`` (None when Akua cannot resolve it from where it runs)."""
