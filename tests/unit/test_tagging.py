"""The tag goes on what Akua registered (``release.push.tag_version``): this run's manifest bytes, or the
manifest another run of the same content pushed, read back by its digest; and a run that loses the race to
register says what it left, and tags nothing (``release.register``)."""

from __future__ import annotations

import hashlib

import pytest

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.errors import RegistryLostError, VersionConflictError
from akua_publish.release.push import tag_version
from akua_publish.release.register import register
from akua_publish.result import PublishResult, Signatures, Status
from conftest import assert_plain_words

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
    lost_message = f"no longer holds {DIGEST}, which Akua registered; no tag was set"
    with pytest.raises(RegistryLostError, match=lost_message) as lost:
        tag_version(registry, "1.2.3", DIGEST, Lines())  # type: ignore[arg-type]
    assert registry.put == []
    assert_plain_words(lost.value)


class Akua:
    """Akua answering 409 for the semver: another run registered ``ref`` a moment ago."""

    def __init__(self, ref: str) -> None:
        self.ref = ref

    def create_version(self, package_id: str, body: dict) -> None:
        return None

    def find_version(self, package_id: str, semver: str) -> PackageVersion:
        return PackageVersion(id="ver_1", semver=semver, ref=self.ref, published_at="1", input_schema={})


def lost(signatures: Signatures | None) -> PublishResult:
    return PublishResult(status=Status.DRY_RUN, package_id="pkg_1", package_name="hello", semver="1.2.3",
                         tag="1.2.3", digest=DIGEST, oci_ref=f"oci://{Registry.repository}@{DIGEST}",
                         schema_origin="test", signatures=signatures)


def test_a_run_that_loses_says_what_it_left_untagged_and_never_tags() -> None:
    other = "sha256:" + "e" * 64
    signed = Signatures(signature_tag=f"sha256-{DIGEST[7:]}.sig", signature_digest="sha256:" + "1" * 64,
                        attestation_tag=f"sha256-{DIGEST[7:]}.att", fingerprint="f", public_pem="")
    for signatures, sidecars in ((None, ""), (signed, f"{signed.signature_tag}, {signed.attestation_tag}")):
        with pytest.raises(VersionConflictError) as caught:
            register(Akua(other), None, lost(signatures), Lines(), lambda ref: False)  # type: ignore[arg-type]
        message = caught.value.message
        assert f"with ref {other} (another run registered it a moment ago)" in message
        assert f"untagged manifest, oci://{Registry.repository}@{DIGEST}: no tag names it" in message
        assert ("signature sidecars stay too, under " + sidecars in message) is bool(signatures)


def test_a_run_of_the_same_content_reports_the_registered_digest() -> None:
    other = "sha256:" + "e" * 64
    said = Lines()
    result = register(Akua(other), None, lost(None), said, lambda ref: ref == other)  # type: ignore[arg-type]
    assert result.status is Status.ALREADY_PUBLISHED and result.digest == other and result.version_id == "ver_1"
    assert result.oci_ref == f"oci://{Registry.repository}@{other}"
    assert f"This run's {DIGEST} stays in the registry untagged." in said.lines[-2]
