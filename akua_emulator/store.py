"""The emulator's state: tokens, workspaces, packages and their versions, registry connections.

Shaped as the spec's ``Package`` and ``PackageVersion`` objects, so answers are
built from it without translation. Thread-safe: the server is threaded.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SEED_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}


@dataclass(frozen=True)
class Grant:
    """What a token may do: the workspaces it sees (first is its own) and whether it may write."""

    workspaces: tuple[str, ...]
    write: bool = True
    list_connections: bool = True  # may read the workspace's registry connections


def connection_host(registry_url: str) -> str:
    """``ghcr.io``, ``https://ghcr.io/acme`` -> ``ghcr.io``."""
    return urlsplit(registry_url if "://" in registry_url else f"//{registry_url}").netloc.lower()


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


@dataclass
class Store:
    grants: dict[str, Grant] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    imports: dict[tuple[str, str], str] = field(default_factory=dict)
    compatibility: dict[str, Any] = field(default_factory=dict)  # by version id
    # The workspaces' registry connections, as the spec's RegistryCredential, with the workspace and the
    # credentials (never answered) beside: Akua reads a registry with an active one for its host.
    connections: list[dict[str, Any]] = field(default_factory=list)
    # Registries Akua reaches over HTTPS with a CA of their own: host -> CA bundle (PEM file).
    registry_tls: dict[str, str] = field(default_factory=dict)
    # Packages that accept only versions signed by a key: package id -> public key PEM (cosign.pub).
    signature_keys: dict[str, str] = field(default_factory=dict)
    seeded: set[str] = field(default_factory=set)  # ids of versions the tests put there, not the API
    # A fault: version lists leave out input_schema (the spec requires it; a summary view would not).
    lists_omit_schemas: bool = False
    calls: list[tuple[str, str, int, str, float]] = field(default_factory=list)  # ..., seconds to handle
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_package(self, workspace_id: str, name: str, source: dict[str, Any], package_id: str | None = None,
                    *, semver: str = "0.0.1", input_schema: Any = SEED_SCHEMA, ref: str | None = None) -> str:
        """Register a package with its first version, as an import does: Akua has no package without one
        (``latest_version_id`` is required). Without ``ref`` the version is seeded: published earlier, with
        another artifact's digest, and never counted as created."""
        package_id = package_id or new_id("pkg_")
        now = int(time.time())
        with self.lock:
            self.packages[package_id] = {
                "id": package_id,
                "html_url": f"https://akua.dev/packages/{package_id}",
                "workspace_id": workspace_id,
                "name": name,
                "description": None,
                "display_image_url": None,
                "source": source,
                "composed_from_sources": None,
                "created_at": now,
                "etag": secrets.token_hex(6),
            }
            self.versions[package_id] = []
            if ref is None:
                self.seed_version(package_id, semver, input_schema)
            else:
                self.record_version(package_id, semver, ref, input_schema)
        return package_id

    def seed_version(self, package_id: str, semver: str, input_schema: Any) -> dict[str, Any]:
        """A version as if published earlier (another artifact's digest), for the tests' history."""
        version = self.record_version(package_id, semver, "sha256:" + secrets.token_hex(32), input_schema)
        self.seeded.add(version["id"])
        return version

    def record_version(self, package_id: str, semver: str, ref: str, input_schema: Any) -> dict[str, Any]:
        now = int(time.time())
        version = {
            "id": new_id("ver_"),
            "package_id": package_id,
            "semver": semver,
            "ref": ref,
            "input_schema": input_schema,
            "published_at": now,
            "created_at": now,
            "etag": secrets.token_hex(6),
        }
        with self.lock:
            self.versions[package_id].append(version)
            self.packages[package_id]["latest_version_id"] = version["id"]
        return version

    def add_connection(self, workspace_id: str, registry_url: str, credentials: tuple[str, str], *,
                       active: bool = True, name: str = "", kind: str = "basic") -> dict[str, Any]:
        connection = {"id": new_id("rcon_"), "name": name or registry_url, "registry_url": registry_url,
                      "type": kind, "is_active": active, "created_at": int(time.time()), "last_used_at": None,
                      "workspace_id": workspace_id, "credentials": credentials}
        with self.lock:
            self.connections.append(connection)
        return connection

    def connections_json(self, workspace_id: str) -> list[dict[str, Any]]:
        """The workspace's connections as the API answers them: no workspace, no credentials."""
        hidden = ("workspace_id", "credentials")
        return [{k: v for k, v in c.items() if k not in hidden} for c in self.connections
                if c["workspace_id"] == workspace_id]

    def reader_credentials(self, workspace_id: str) -> dict[str, tuple[str, str]]:
        """Registry host -> the credentials Akua reads it with: the workspace's active connections."""
        found: dict[str, tuple[str, str]] = {}
        with self.lock:
            for connection in self.connections:
                if connection["workspace_id"] == workspace_id and connection["is_active"]:
                    found.setdefault(connection_host(connection["registry_url"]), connection["credentials"])
        return found

    def package_json(self, package_id: str) -> dict[str, Any]:
        return dict(self.packages[package_id])

    def created_versions(self, package_id: str) -> list[dict[str, Any]]:
        """Versions recorded through the API (seeded ones left out)."""
        return [v for v in self.versions.get(package_id, []) if v["id"] not in self.seeded]

    def count_calls(self, method: str, path_suffix: str) -> int:
        return sum(1 for m, p, *_ in self.calls if m == method and p.endswith(path_suffix))
