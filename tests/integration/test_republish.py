"""Re-runs and conflicts: Akua is asked before anything is pushed, and the same content is the
same publish whatever packed it (another release of akua-publish, another gzip)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from akua_emulator.faults import Fault
from akua_publish.artifact import CONFIG_MEDIA_TYPE, CONTENT_DIGEST_ANNOTATION, CONTENT_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from akua_publish.package.packing import pack
from conftest import Target, error_lines, parse_annotation
from devtools.action import release_copy

VERSIONS = r"/versions$"


def test_another_digest_in_akua_fails_before_anything_is_pushed(publish, target: Target) -> None:
    other = "sha256:" + "e" * 64
    target.akua.store.record_version(target.package_id, "0.3.0", other, {"type": "object"})
    run = publish()
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Version already registered with another digest"
    assert other in message and "nothing was pushed" in message and run.outputs == {}
    assert target.tags() == [], "the tag was pushed although Akua's version describes other content"


def test_a_tag_deleted_by_a_retention_policy_is_tagged_again(publish, target: Target) -> None:
    first = publish()
    assert first.returncode == 0, first.log
    target.registry.untag(target.repo, "0.3.0")
    assert target.tags() == []
    again = publish()
    assert again.returncode == 0, again.log
    assert again.outputs["status"] == "already-published"
    assert again.outputs["digest"] == first.outputs["digest"] == target.registry.manifest_digest(target.repo, "0.3.0")
    assert "was deleted from the registry; tagging" in again.log
    assert len(target.created()) == 1


def test_an_artifact_deleted_from_the_registry_is_pushed_again(publish, target: Target) -> None:
    first = publish()
    assert first.returncode == 0, first.log
    target.registry.delete_manifest(target.repo, first.outputs["digest"])
    assert target.registry.manifest_digest(target.repo, "0.3.0") is None
    again = publish()
    assert again.returncode == 0, again.log
    assert again.outputs["status"] == "already-published"
    assert target.registry.manifest_digest(target.repo, "0.3.0") == first.outputs["digest"]
    assert "no longer holds" in again.log and len(target.created()) == 1


def test_a_rerun_after_the_action_moved_finishes_the_registration(publish, target: Target, tmp_path: Path) -> None:
    """Exit 75 under one release of akua-publish, then a re-run under another: same digest, registered."""
    old_release = release_copy("1.0.0", tmp_path / "v1.0.0")
    target.akua.server.faults.add(Fault("POST", VERSIONS, status=503, times=99))
    try:
        down = publish(inputs={"max-attempts": "1"}, action_root=old_release)
    finally:
        target.akua.server.faults.clear()
    assert down.returncode == 75 and target.tags() == [] and target.created() == [], down.log
    [pushed] = re.findall(r"Manifest digest: (sha256:[0-9a-f]{64})", down.log)
    assert target.registry.manifest(target.repo, pushed), "the artifact is in the registry, untagged"
    before = uploads(target)
    new_release = release_copy("1.4.2", tmp_path / "v1.4.2")
    again = publish(action_root=new_release)
    assert again.returncode == 0, again.log
    assert again.outputs["status"] == "published" and again.outputs["digest"] == pushed
    assert "nothing to upload" in again.log and uploads(target) == before
    assert [v["ref"] for v in target.created()] == [pushed] and target.tags() == ["0.3.0"]


def _push(target: Target, layer: bytes, config: bytes, annotations: dict[str, str] | None = None) -> str:
    """Put an artifact under the version's tag as another packer would: its own layer bytes, config, descriptor."""
    registry, repo = target.registry, target.repo
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    for data, digest in ((layer, layer_digest), (config, "sha256:" + hashlib.sha256(config).hexdigest())):
        answer = requests.put(registry.monolithic_upload_url(repo, digest), data=data, timeout=30)
        assert answer.status_code == 201, answer.text
    descriptor = {"mediaType": CONTENT_MEDIA_TYPE, "digest": layer_digest, "size": len(layer)}
    if annotations is not None:
        descriptor["annotations"] = annotations
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                   "size": len(config)},
        "layers": [descriptor],
    }, separators=(",", ":")).encode()
    answer = requests.put(f"http://{registry.host}/v2/{repo}/manifests/0.3.0", data=manifest, timeout=30,
                          headers={"Content-Type": MANIFEST_MEDIA_TYPE})
    assert answer.status_code == 201, answer.text
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def _push_as_release_1_0_0(target: Target, workspace: Path, tmp_path: Path) -> str:
    """Push the package as akua-publish 1.0.0 did: its version in the config, no content digest recorded."""
    layer = pack(workspace / "pkg", tmp_path)
    assert layer.path is not None
    return _push(target, layer.path.read_bytes(), json.dumps({"akuaVersion": "1.0.0"}).encode())


def gnu_gzip(tar: bytes) -> bytes:
    """The tar compressed by another deflate implementation (GNU gzip's own, at -9): other bytes, same content."""
    return subprocess.run(["gzip", "-n", "-9", "-c"], input=tar, capture_output=True, check=True).stdout


def _push_recompressed(target: Target, workspace: Path, tmp_path: Path, *, annotated: bool) -> str:
    layer = pack(workspace / "pkg", tmp_path)
    assert layer.path is not None
    tar = gzip.decompress(layer.path.read_bytes())
    other = gnu_gzip(tar)
    assert other != layer.path.read_bytes() and gzip.decompress(other) == tar
    noted = {CONTENT_DIGEST_ANNOTATION: layer.content.digest} if annotated else None
    return _push(target, other, json.dumps({"akuaVersion": "elsewhere"}).encode(), noted)


def uploads(target: Target) -> int:
    return target.registry.requests_seen("POST", "/blobs/uploads/")


def test_a_tag_holding_the_same_layer_from_an_older_release_counts_as_this_publish(
        publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    old = _push_as_release_1_0_0(target, workspace, tmp_path)
    run = publish()
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "published" and run.outputs["digest"] == old
    assert "reading its layer back once" in run.log and "already holds this content" in run.log
    assert [v["ref"] for v in target.created()] == [old]


@pytest.mark.parametrize("annotated", [True, False], ids=["content-recorded", "read-back"])
def test_the_same_content_compressed_by_another_gzip_is_published_without_packing_or_uploading(
        publish, target: Target, workspace: Path, tmp_path: Path, annotated: bool) -> None:
    """A re-run hashes the tar alone: nothing compressed, nothing written, nothing uploaded; the registry's digest
    is registered (a manifest that does not record its content has its layer read back once)."""
    other = _push_recompressed(target, workspace, tmp_path, annotated=annotated)
    before = uploads(target)
    run = publish()
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "published" and run.outputs["digest"] == other
    assert "(nothing compressed)" in run.log and "Packed" not in run.log and uploads(target) == before
    assert ("reading its layer back once" in run.log) is not annotated
    assert [v["ref"] for v in target.created()] == [other]


@pytest.mark.parametrize("annotated", [True, False], ids=["content-recorded", "read-back"])
def test_other_content_under_the_tag_is_a_conflict_whatever_its_compression(
        publish, target: Target, workspace: Path, tmp_path: Path, annotated: bool) -> None:
    other = _push_recompressed(target, workspace, tmp_path, annotated=annotated)
    (workspace / "pkg" / "README.md").write_text("changed after the first push\n")
    run = publish()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "OCI tag already holds another artifact" and "other content" in message
    assert other in message and target.created() == []
    assert target.registry.manifest_digest(target.repo, "0.3.0") == other


def test_akuas_version_compressed_by_another_gzip_is_already_published(
        publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    other = _push_recompressed(target, workspace, tmp_path, annotated=False)
    target.akua.store.record_version(target.package_id, "0.3.0", other, {"type": "object"})
    before = uploads(target)
    run = publish()
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "already-published" and run.outputs["digest"] == other
    assert uploads(target) == before and "Packed" not in run.log


def test_akuas_version_from_an_older_release_is_already_published(
        publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    old = _push_as_release_1_0_0(target, workspace, tmp_path)
    target.akua.store.record_version(target.package_id, "0.3.0", old, {"type": "object"})
    run = publish()
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "already-published" and run.outputs["digest"] == old
    assert target.tags() == ["0.3.0"] and target.registry.manifest_digest(target.repo, "0.3.0") == old


def test_same_content_same_digest_across_release_strings(publish, target: Target, tmp_path: Path) -> None:
    """The config carries the artifact format, not the release: two releases, one digest."""
    runs = [publish(inputs={"dry-run": "true"}, action_root=release_copy(v, tmp_path / v)) for v in ("1.0.1", "1.9.0")]
    assert runs[0].outputs["digest"] == runs[1].outputs["digest"]


def test_a_layer_read_back_corrupt_stops_the_run(publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    """The read-back is checked against the layer's digest: a registry that serves other bytes stops the run."""
    from devtools.fault_proxy import FaultProxy

    other = _push_recompressed(target, workspace, tmp_path, annotated=False)
    layer = json.loads(target.registry.manifest(target.repo, other))["layers"][0]["digest"]
    proxy = FaultProxy(target.registry.host)
    try:
        proxy.add(Fault("GET", f"/blobs/{layer}$", action="corrupt", times=99))
        package_id = target.akua.store.add_package(
            "ws_tests", "hello", {"kind": "oci", "oci_ref": f"oci://{proxy.host}/{target.repo}"})
        run = publish(inputs={"package-id": package_id})
    finally:
        proxy.shutdown()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry served corrupt content" and layer in message
    assert target.akua.store.created_versions(package_id) == []
    assert target.registry.manifest_digest(target.repo, "0.3.0") == other
