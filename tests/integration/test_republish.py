"""Re-runs and conflicts: Akua is asked before anything is pushed, and the same content is the
same publish whatever release of akua-publish packed it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import requests

from akua_emulator.faults import Fault
from akua_publish.oci import CONFIG_MEDIA_TYPE, CONTENT_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
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
    assert down.returncode == 75 and target.tags() == ["0.3.0"] and target.created() == [], down.log
    pushed = target.registry.manifest_digest(target.repo, "0.3.0")
    new_release = release_copy("1.4.2", tmp_path / "v1.4.2")
    again = publish(action_root=new_release)
    assert again.returncode == 0, again.log
    assert again.outputs["status"] == "published" and again.outputs["digest"] == pushed
    assert "nothing to upload" in again.log
    assert [v["ref"] for v in target.created()] == [pushed]


def _push_as_release_1_0_0(target: Target, workspace: Path, tmp_path: Path) -> str:
    """Push the package as akua-publish 1.0.0 did: its version in the config, so another digest."""
    layer = pack(workspace / "pkg", tmp_path)
    config = json.dumps({"akuaVersion": "1.0.0"}, separators=(",", ":")).encode()
    registry, repo = target.registry, target.repo
    for data, digest in ((layer.path.read_bytes(), layer.digest),
                         (config, "sha256:" + hashlib.sha256(config).hexdigest())):
        answer = requests.put(registry.monolithic_upload_url(repo, digest), data=data, timeout=30)
        assert answer.status_code == 201, answer.text
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                   "size": len(config)},
        "layers": [{"mediaType": CONTENT_MEDIA_TYPE, "digest": layer.digest, "size": layer.size}],
    }, separators=(",", ":")).encode()
    answer = requests.put(f"http://{registry.host}/v2/{repo}/manifests/0.3.0", data=manifest, timeout=30,
                          headers={"Content-Type": MANIFEST_MEDIA_TYPE})
    assert answer.status_code == 201, answer.text
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def test_a_tag_holding_the_same_layer_from_an_older_release_counts_as_this_publish(
        publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    old = _push_as_release_1_0_0(target, workspace, tmp_path)
    run = publish()
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "published" and run.outputs["digest"] == old
    assert "with this very content" in run.log
    assert [v["ref"] for v in target.created()] == [old]


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
