"""End-to-end publishes against the real registry and the Akua emulator."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import requests

from akua_publish.about import USER_AGENT
from conftest import EXAMPLE, Target, error_lines, parse_annotation

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _manifest(target: Target, reference: str) -> tuple[bytes, dict]:
    response = requests.get(
        f"http://{target.registry.host}/v2/{target.repo}/manifests/{reference}",
        headers={"Accept": MANIFEST}, timeout=10,
    )
    response.raise_for_status()
    return response.content, response.json()


def test_publish_pushes_the_artifact_akua_expects_and_registers_it(publish, target: Target) -> None:
    run = publish(env={"GITHUB_REPOSITORY": "acme/charts", "GITHUB_SHA": "a" * 40})
    assert run.returncode == 0, run.log
    out = run.outputs
    assert out["status"] == "published"
    assert out["semver"] == out["tag"] == "0.3.0"
    raw, manifest = _manifest(target, "0.3.0")
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    assert out["digest"] == digest == target.registry.manifest_digest(target.repo, "0.3.0")
    assert out["oci-ref"] == f"{target.oci_ref}@{digest}"
    assert manifest["mediaType"] == MANIFEST and "artifactType" not in manifest
    assert manifest["config"]["mediaType"] == "application/vnd.akua.package.config.v1+json"
    assert [layer["mediaType"] for layer in manifest["layers"]] == [
        "application/vnd.akua.package.content.v1.tar+gzip"
    ]
    assert manifest["annotations"] == {
        "org.opencontainers.image.revision": "a" * 40,
        "org.opencontainers.image.source": "https://github.com/acme/charts",
        "org.opencontainers.image.version": "0.3.0",
    }
    base = f"http://{target.registry.host}/v2/{target.repo}/blobs/"
    config = requests.get(base + manifest["config"]["digest"], timeout=10).json()
    assert set(config) == {"akuaVersion"}
    layer = requests.get(base + manifest["layers"][0]["digest"], timeout=10).content
    names = _tar_names(layer)
    assert names == sorted(names) and "akua.toml" in names and "package.k" in names
    assert not any(n.startswith(("./", "/")) or "/." in n or n.startswith(".") for n in names)
    assert "inputs.yaml" not in names and "latest-render" not in names
    assert not any(n.startswith(("rendered/", "node_modules/")) for n in names)
    [version] = target.created()
    assert version["ref"] == digest and version["semver"] == "0.3.0"
    assert out["version-id"] == version["id"] and out["published-at"] == str(version["published_at"])
    assert version["input_schema"] == json.loads((EXAMPLE / "exported/inputs.schema.json").read_text())
    assert target.akua.store.count_calls("POST", f"/packages/{target.package_id}/versions") == 1
    mine = [c for c in target.akua.store.calls if target.package_id in c[1]]
    assert mine and all(c[3] == USER_AGENT for c in mine)
    assert "| Status | **published** |" in run.summary and digest in run.summary
    assert "::group::Push to" in run.stdout and "::group::Register the version in Akua" in run.stdout


def _tar_names(blob: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        members = archive.getmembers()
    assert all(m.isfile() and m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members)
    assert all(m.mode in (0o644, 0o755) and m.uname == "" for m in members)
    return [m.name for m in members]


def test_republish_from_a_fresh_copy_is_already_published(publish, target: Target, tmp_path: Path) -> None:
    first = publish()
    assert first.returncode == 0, first.log
    fresh = tmp_path / "second-checkout"
    shutil.copytree(EXAMPLE, fresh / "pkg", symlinks=True)
    for path in (fresh / "pkg").rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (1_600_000_000, 1_600_000_000))
            path.chmod(0o664)
    second = publish(root=fresh)
    assert second.returncode == 0, second.log
    assert second.outputs["digest"] == first.outputs["digest"]
    assert second.outputs["status"] == "already-published"
    assert second.outputs["version-id"] == first.outputs["version-id"]
    assert "nothing to upload" in second.log
    assert len(target.created()) == 1
    assert target.tags() == ["0.3.0"]
    assert "already published" in second.summary


def test_tag_holding_another_digest_is_not_overwritten(publish, target: Target, workspace: Path) -> None:
    first = publish(inputs={"dry-run": "false"})
    assert first.returncode == 0
    target.akua.store.versions[target.package_id] = [
        v for v in target.akua.store.versions[target.package_id] if v["semver"] != "0.3.0"
    ]
    (workspace / "pkg" / "package.k").write_text(
        (workspace / "pkg" / "package.k").read_text() + "\n# changed\n"
    )
    second = publish()
    assert second.returncode == 1, second.log
    [line] = error_lines(second)
    assert first.outputs["digest"] in line and "nothing was overwritten" in line
    assert target.registry.manifest_digest(target.repo, "0.3.0") == first.outputs["digest"]
    assert target.created() == []


def test_dry_run_computes_everything_and_touches_nothing(publish, target: Target) -> None:
    run = publish(inputs={"dry-run": "true"})
    assert run.returncode == 0, run.log
    out = run.outputs
    assert out["status"] == "dry-run" and out["version-id"] == "" and out["published-at"] == ""
    assert out["digest"].startswith("sha256:") and out["oci-ref"].endswith(out["digest"])
    assert "Dry run" in run.log and "dry run" in run.summary
    target.assert_untouched()
    real = publish()
    assert real.outputs["digest"] == out["digest"]


def _set_version(workspace: Path, version: str) -> None:
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().replace('version = "0.3.0"', f'version = "{version}"'))


def test_prerelease_from_a_monorepo_tag(publish, target: Target, workspace: Path) -> None:
    _set_version(workspace, "1.0.0-rc.1")
    run = publish(env={"GITHUB_REF": "refs/tags/hello/v1.0.0-rc.1"})
    assert run.returncode == 0, run.log
    assert run.outputs["semver"] == run.outputs["tag"] == "1.0.0-rc.1"
    assert target.tags() == ["1.0.0-rc.1"]


def test_build_metadata_becomes_underscore_in_the_tag(publish, target: Target, workspace: Path) -> None:
    _set_version(workspace, "1.2.3+build.7")
    run = publish(env={"GITHUB_REF": "refs/heads/main"}, inputs={"version": "1.2.3+build.7"})
    assert run.returncode == 0, run.log
    assert run.outputs["semver"] == "1.2.3+build.7" and run.outputs["tag"] == "1.2.3_build.7"
    assert target.tags() == ["1.2.3_build.7"]
    assert [v["semver"] for v in target.created()] == ["1.2.3+build.7"]


def test_underscored_input_names_and_workspace_header(publish, target: Target) -> None:
    run = publish(inputs={"package_id": target.package_id, "workspace": "ws_tests"})
    assert run.returncode == 0, run.log


def test_compatibility_is_sent(publish, target: Target) -> None:
    compat = {"clusterTypes": ["eks"], "kubernetes": {"minVersion": "1.27"},
              "placement": {"providers": "any", "regions": ["eu-west-1"]},
              "kaas": {"networkProfile": "linux_cilium"}}
    run = publish(inputs={"compatibility": json.dumps(compat)})
    assert run.returncode == 0, run.log
    [version] = target.created()
    assert target.akua.store.compatibility[version["id"]] == compat


def test_repository_input_equal_to_akuas_is_accepted(publish, target: Target) -> None:
    run = publish(inputs={"repository": target.oci_ref.removeprefix("oci://")})
    assert run.returncode == 0, run.log


def test_tag_pattern_names_other_conventions(publish, target: Target) -> None:
    run = publish(inputs={"tag-pattern": r"hello@(?P<version>.+)"}, env={"GITHUB_REF": "refs/tags/hello@0.3.0"})
    assert run.returncode == 0, run.log
    assert run.outputs["semver"] == "0.3.0" and target.tags() == ["0.3.0"]


def test_version_input_may_start_with_v(publish, target: Target) -> None:
    run = publish(inputs={"version": "v0.3.0"}, env={"GITHUB_REF": "refs/heads/main"})
    assert run.returncode == 0, run.log
    assert run.outputs["semver"] == "0.3.0"


def test_compatibility_from_a_file(publish, target: Target, workspace: Path) -> None:
    compat = {"clusterTypes": ["eks"] * 300, "kubernetes": {"minVersion": "1.27"},
              "placement": {"providers": "any", "regions": [f"region-{i}" for i in range(300)]}}
    (workspace / "akua").mkdir()
    (workspace / "akua" / "compatibility.json").write_text(json.dumps(compat))
    run = publish(inputs={"compatibility-file": "akua/compatibility.json"})
    assert run.returncode == 0, run.log
    [version] = target.created()
    assert target.akua.store.compatibility[version["id"]] == compat


def test_an_akua_toml_with_a_byte_order_mark_is_accepted(publish, target: Target, workspace: Path) -> None:
    toml = workspace / "pkg" / "akua.toml"
    toml.write_bytes(b"\xef\xbb\xbf" + toml.read_bytes())
    run = publish()
    assert run.returncode == 0, run.log
    assert target.created()[0]["ref"] == run.outputs["digest"]


def test_a_package_name_other_than_akuas_is_a_warning(publish, registry, akua) -> None:
    from conftest import WORKSPACE_ID

    repo = "tests/renamed"
    package_id = akua.store.add_package(WORKSPACE_ID, "greeter", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
    run = publish(inputs={"package-id": package_id})
    assert run.returncode == 0, run.log
    assert "::warning title=Package name differs from Akua's::" in run.stdout and "`greeter`" in run.stdout


def test_an_unwritable_job_summary_is_only_a_warning(publish, target: Target, tmp_path: Path) -> None:
    run = publish(env={"GITHUB_STEP_SUMMARY": str(tmp_path)})  # a directory: cannot be appended to
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "published"
    assert "::warning title=Cannot write a runner file::GITHUB_STEP_SUMMARY" in run.stdout


def test_unwritable_outputs_fail_the_step_and_say_the_version_is_published(publish, target: Target,
                                                                          tmp_path: Path) -> None:
    run = publish(env={"GITHUB_OUTPUT": str(tmp_path)})
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    assert "GITHUB_OUTPUT" in line and "published" in line and "already-published" in line
    assert len(target.created()) == 1


def test_a_publish_outside_github_is_plain_text(publish, target: Target) -> None:
    run = publish(on_github=False)
    assert run.returncode == 0, run.log
    assert "== Push to oci://" in run.stdout and "status: published" in run.stdout
    assert len(target.created()) == 1


def test_a_disk_too_full_for_the_layer_stops_the_run_with_a_clear_error(publish, target: Target,
                                                                     workspace: Path) -> None:
    """The layer cannot be written (a full disk; here a limit on file sizes): exit 1, one annotation
    that says where and what to do, nothing pushed, and no stray exception text in the log."""
    (workspace / "pkg" / "data.bin").write_bytes(os.urandom(256 * 1024))
    run = publish(file_size_limit=64 * 1024)
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Cannot pack the package"
    assert "The packed layer cannot be written to" in message and "File too large" in message, message
    assert "RUNNER_TEMP" in message and "nothing was pushed" in message
    assert "Exception ignored" not in run.log and "Traceback" not in run.log
    target.assert_untouched()
