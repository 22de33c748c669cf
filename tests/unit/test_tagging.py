"""The tag goes on what Akua registered (``release.push.tag_version``): this run's manifest bytes, or the
manifest another run of the same content pushed, read back by its digest."""

from __future__ import annotations

import hashlib

import pytest

from akua_publish.errors import RegistryLostError
from akua_publish.release.push import tag_version

MANIFEST = b'{"schemaVersion":2}'
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


class Stored:
    raw = MANIFEST


class Registry:
    """What tag_version asks of the registry: a manifest by digest, and a PUT under the tag."""

    repository = "127.0.0.1:5000/acme/hello"

    def __init__(self, holds: bool) -> None:
        self.holds = holds
        self.put: list[tuple[str, bytes]] = []

    def manifest(self, reference: str) -> Stored | None:
        return Stored() if self.holds and reference == DIGEST else None

    def put_manifest(self, reference: str, manifest: bytes) -> str:
        self.put.append((reference, manifest))
        return "sha256:" + hashlib.sha256(manifest).hexdigest()


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


@pytest.mark.parametrize("manifest", [MANIFEST, DIGEST], ids=["own-bytes", "another-runs-digest"])
def test_the_tag_names_the_registered_manifest(manifest: bytes | str) -> None:
    registry, said = Registry(holds=True), Lines()
    tag_version(registry, "1.2.3", manifest, said)  # type: ignore[arg-type]
    assert registry.put == [("1.2.3", MANIFEST)]
    assert said.lines == [f"Tagged oci://{Registry.repository}:1.2.3 as {DIGEST}, the artifact Akua registered."]


def test_a_registered_manifest_the_registry_lost_is_said_and_nothing_is_tagged() -> None:
    registry = Registry(holds=False)
    with pytest.raises(RegistryLostError, match=f"no longer holds {DIGEST}, which Akua registered; no tag was set"):
        tag_version(registry, "1.2.3", DIGEST, Lines())  # type: ignore[arg-type]
    assert registry.put == []
