"""The real container, built from the Dockerfile by a real engine, run by act on a tag push."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import WORKSPACE_ID, Akua, secret_parts
from devtools.act import EXAMPLE_VERSION, WORKFLOW, ActRun, run_act
from devtools.action import ROOT, copy_action, run_cli
from devtools.docker_env import ensure_base_image, ensure_engine
from devtools.keys import generate
from devtools.registry import LocalRegistry
from devtools.release import pin


@pytest.fixture(scope="module")
def docker_ready() -> Iterator[None]:
    ensure_engine()
    ensure_base_image()
    yield


def _package(registry: LocalRegistry, akua: Akua) -> tuple[str, str]:
    repo = f"act/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}
    return akua.store.add_package(WORKSPACE_ID, "hello", source), repo


def _variables(registry: LocalRegistry, akua: Akua, package_id: str, repo: str) -> dict[str, str]:
    return {"AKUA_PACKAGE_ID": package_id, "AKUA_API_URL": akua.server.base_url,
            "AKUA_REPOSITORY": f"{registry.host}/{repo}"}


def test_tag_push_publishes_then_republishes(docker_ready: None, registry: LocalRegistry, akua: Akua) -> None:
    """Signed with a cosign key from the secrets: the runner masks the key's every line."""
    package_id, repo = _package(registry, akua)
    variables = _variables(registry, akua, package_id, repo)
    pair = generate("cosign")
    key_secrets = {"COSIGN_PRIVATE_KEY": pair.private_pem, "COSIGN_PASSWORD": pair.passphrase}
    first = run_act(variables, akua.token, secrets=key_secrets)
    assert first.returncode == 0, first.log
    assert "Job succeeded" in first.log
    out = first.outputs()
    digest = registry.manifest_digest(repo, EXAMPLE_VERSION)
    assert out["status"] == "published" and out["semver"] == EXAMPLE_VERSION
    assert out["digest"] == digest and out["oci-ref"] == f"oci://{registry.host}/{repo}@{digest}"
    assert out["signature-tag"] == f"sha256-{digest[7:]}.sig"
    assert out["signature-digest"] == registry.manifest_digest(repo, out["signature-tag"])
    created = akua.store.created_versions(package_id)
    assert [(v["ref"], v["id"]) for v in created] == [(digest, out["version-id"])]

    second = run_act(variables, akua.token, secrets=key_secrets)
    assert second.returncode == 0, second.log
    assert second.outputs()["status"] == "already-published"
    assert second.outputs()["digest"] == digest
    assert len(akua.store.created_versions(package_id)) == 1
    assert second.outputs()["signature-digest"] == out["signature-digest"]
    assert "is already in the registry" in second.log
    for run in (first, second):
        assert not [s for s in secret_parts([akua.token, *key_secrets.values()]) if s in run.log]


def test_bad_token_fails_the_job_and_pushes_nothing(docker_ready: None, registry: LocalRegistry,
                                                   akua: Akua) -> None:
    package_id, repo = _package(registry, akua)
    bad_token = "sk_akua_wrong_" + secrets.token_hex(12)
    run = run_act(_variables(registry, akua, package_id, repo), bad_token)
    assert run.returncode != 0, run.log
    assert "Akua rejected the credentials" in run.log and "HTTP 401" in run.log
    assert "Job failed" in run.log
    assert registry.tags(repo) == [] and akua.store.created_versions(package_id) == []
    assert bad_token not in run.log


def monorepo(tmp_path: Path, workflow: str = "publish-monorepo.yml", suffix: str = "") -> Path:
    """A repository with three packages (named hello, web and api, then ``suffix``) and
    examples/workflows/``workflow``, using this action."""
    repo = tmp_path / "monorepo"
    for name, version in (("hello", "0.3.0"), ("web", "1.0.0"), ("api", "2.0.0")):
        shutil.copytree(ROOT / "examples/hello", repo / "packages" / name)
        toml = repo / "packages" / name / "akua.toml"
        toml.write_text(re.sub(r'name = "hello"\nversion = "0.3.0"',
                               f'name = "{name}{suffix}"\nversion = "{version}"', toml.read_text()))
    copy_action(repo / ".akua-publish")
    text = (ROOT / "examples/workflows" / workflow).read_text()
    assert "uses: owner/akua-publish@v1" in text
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows" / workflow).write_text(text.replace("uses: owner/akua-publish@v1",
                                                                    "uses: ./.akua-publish"))
    commit(repo, "packages", init=True)
    return repo


def commit(repo: Path, message: str, *, init: bool = False) -> None:
    for command in ([["init", "-q"]] if init else []) + [["add", "-A"], [
            "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message]]:
        subprocess.run(["git", *command], cwd=repo, check=True)


def monorepo_packages(registry: LocalRegistry, akua: Akua, suffix: str) -> tuple[dict[str, str], dict[str, str]]:
    """hello, web and api (with ``suffix``) as Akua packages, found by name; their ids and repositories."""
    ids, repos = {}, {}
    for name in ("hello", "web", "api"):
        repos[name] = f"act/{name}{suffix}"
        ids[name] = akua.store.add_package(WORKSPACE_ID, f"{name}{suffix}", {
            "kind": "oci", "oci_ref": f"oci://{registry.host}/{repos[name]}"})
    return ids, repos


def test_the_monorepo_matrix_publishes_the_tagged_packages(docker_ready: None, registry: LocalRegistry, akua: Akua,
                                                           tmp_path: Path) -> None:
    repo = monorepo(tmp_path)
    ids, repos = {}, {}
    for name in ("hello", "web", "api"):
        repos[name] = f"act/{name}-{secrets.token_hex(4)}"
        ids[name] = akua.store.add_package(WORKSPACE_ID, name, {"kind": "oci",
                                                                 "oci_ref": f"oci://{registry.host}/{repos[name]}"})
    variables = {"AKUA_PACKAGE_IDS": json.dumps(ids), "AKUA_API_URL": akua.server.base_url}
    workflow = ".github/workflows/publish-monorepo.yml"
    one = run_act(variables, akua.token, tag="web/v1.0.0", repo=repo, workflow=workflow)
    assert one.returncode == 0, one.log
    assert [registry.tags(repos[n]) for n in ("hello", "web", "api")] == [[], ["1.0.0"], []]
    two = run_act(variables, akua.token, repo=repo, workflow=workflow, event_name="workflow_dispatch",
                  inputs={"tags": "hello/v0.3.0 api/v2.0.0"})
    assert two.returncode == 0, two.log
    assert [registry.tags(repos[n]) for n in ("hello", "web", "api")] == [["0.3.0"], ["1.0.0"], ["2.0.0"]]
    reported = re.findall(r"akua-outputs name=(\w+) status=(\S+)", two.log)
    assert sorted(reported) == [("api", "published"), ("hello", "published")], two.log
    jobs = set(re.findall(r"\[Publish packages to Akua/publish-(\d+)\s*\]", two.log))
    assert len(jobs) == 2, two.log  # one matrix job per package, run side by side
    for name, semver in (("hello", "0.3.0"), ("web", "1.0.0"), ("api", "2.0.0")):
        assert [v["semver"] for v in akua.store.created_versions(ids[name])] == [semver]
    assert akua.token not in one.log + two.log


def test_one_step_publishes_what_changed_on_a_branch_push(docker_ready: None, registry: LocalRegistry, akua: Akua,
                                                          tmp_path: Path) -> None:
    """examples/workflows/publish-changed.yml: every new version, then only the one bumped."""
    suffix = f"-{secrets.token_hex(2)}"
    repo = monorepo(tmp_path, "publish-changed.yml", suffix)
    ids, repos = monorepo_packages(registry, akua, suffix)
    variables, workflow = {"AKUA_API_URL": akua.server.base_url}, ".github/workflows/publish-changed.yml"

    def results(run: ActRun) -> dict[str, tuple[str, str]]:
        [line] = [line for line in run.log.splitlines() if "akua-results [" in line]
        found = json.loads(line.partition("akua-results ")[2])
        return {entry["name"].removesuffix(suffix): (entry["status"], entry["semver"]) for entry in found}

    first = run_act(variables, akua.token, repo=repo, workflow=workflow, ref="refs/heads/main")
    assert first.returncode == 0, first.log
    assert results(first) == {"hello": ("published", "0.3.0"), "web": ("published", "1.0.0"),
                              "api": ("published", "2.0.0")}, first.log
    toml = repo / "packages/web/akua.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    commit(repo, "web 1.1.0")
    second = run_act(variables, akua.token, repo=repo, workflow=workflow, ref="refs/heads/main")
    assert second.returncode == 0, second.log
    assert results(second) == {"hello": ("unchanged", "0.3.0"), "web": ("published", "1.1.0"),
                               "api": ("unchanged", "2.0.0")}, second.log
    assert [registry.tags(repos[n]) for n in ("hello", "web", "api")] == [["0.3.0"], ["1.0.0", "1.1.0"], ["2.0.0"]]
    assert [v["semver"] for v in akua.store.created_versions(ids["web"])] == ["1.0.0", "1.1.0"]
    assert akua.token not in first.log + second.log


def test_the_plan_fans_out_on_the_matrix(docker_ready: None, registry: LocalRegistry, akua: Akua,
                                         tmp_path: Path) -> None:
    """examples/workflows/publish-plan.yml: the plan pushes nothing and the matrix runs a job a package to
    publish, at once; web depends on hello's new version (locked at the layer a dry run prints), so its job
    publishes hello too, or finds it published by hello's job. With nothing to publish, the matrix job is
    skipped."""
    suffix = f"-{secrets.token_hex(2)}"
    repo = monorepo(tmp_path, "publish-plan.yml", suffix)
    ids, repos = monorepo_packages(registry, akua, suffix)
    env = {"AKUA_API_TOKEN": akua.token, "AKUA_API_BASE_URL": akua.server.base_url}
    assert run_cli(repo, "--packages", "packages/api", env=env).returncode == 0  # published before
    dry = run_cli(repo, "--path", "packages/hello", "--version-from-package", "--dry-run", env=env)
    [layer] = re.findall(r"layer (sha256:[0-9a-f]{64})", dry.stderr)
    base = f"oci://{registry.host}/{repos['hello']}"
    with (repo / "packages/web/akua.toml").open("a") as toml:
        toml.write(f'base = {{ oci = "{base}", version = "0.3.0" }}\n')
    (repo / "packages/web/akua.lock").write_text(
        f'version = 1\n\n[[package]]\nname = "base"\nversion = "0.3.0"\nsource = "{base}"\ndigest = "{layer}"\n')
    commit(repo, "web depends on hello 0.3.0")
    variables, workflow = {"AKUA_API_URL": akua.server.base_url}, ".github/workflows/publish-plan.yml"
    run = run_act(variables, akua.token, repo=repo, workflow=workflow, ref="refs/heads/main")
    assert run.returncode == 0, run.log
    jobs = {name.removesuffix(suffix): [n.removesuffix(suffix) for n in json.loads(done)]
            for name, done in re.findall(r"akua-job (\S+) published (\[.*\])", run.log)}
    assert sorted(jobs) == ["hello", "web"], run.log
    assert jobs["hello"] in ([], ["hello"]) and jobs["web"] in (["web"], ["hello", "web"]), run.log
    assert "hello" in jobs["hello"] + jobs["web"], run.log
    assert len(set(re.findall(r"\[[^\]/]+/publish-(\d+)\s*\]", run.log))) == 2, run.log  # a job each
    assert [registry.tags(repos[n]) for n in ("hello", "web", "api")] == [["0.3.0"], ["1.0.0"], ["2.0.0"]]
    assert all(len(akua.store.created_versions(ids[n])) == 1 for n in ("hello", "web", "api"))
    again = run_act(variables, akua.token, repo=repo, workflow=workflow, ref="refs/heads/main")
    assert again.returncode == 0, again.log
    assert "akua-job" not in again.log and "/publish" not in again.log, again.log  # nothing planned: skipped
    assert akua.token not in run.log + again.log


def test_a_release_runs_its_pinned_image_without_building(docker_ready: None, registry: LocalRegistry, akua: Akua,
                                                          request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A release commit's action.yml names the pre-built image by digest: act pulls it from the registry
    that stands in for GHCR and runs it; the release repository holds no Dockerfile, so nothing is built.

    The release workflow sets AKUA_PUBLISH_RELEASE_IMAGE (name:tag@digest) to the multi-platform image
    it has just built, so this test runs that very image; otherwise the test builds and pushes one."""
    image = os.environ.get("AKUA_PUBLISH_RELEASE_IMAGE", "")
    if not image:
        built = request.getfixturevalue("built_image")
        pushed = f"{registry.host}/owner/akua-publish:1.0.0"
        subprocess.run(["docker", "tag", built, pushed], check=True)
        subprocess.run(["docker", "push", "-q", pushed], check=True, capture_output=True)
        digest = subprocess.run(["docker", "image", "inspect", pushed, "--format", "{{index .RepoDigests 0}}"],
                                check=True, capture_output=True, text=True).stdout.strip().rpartition("@")[2]
        assert digest.startswith("sha256:"), "the image is not in the registry"
        image = f"{pushed}@{digest}"
    subprocess.run(["docker", "rmi", "-f", image.partition("@")[0]], check=False, capture_output=True)
    subprocess.run(["docker", "rmi", "-f", image], check=False, capture_output=True)  # act must pull it
    repo = tmp_path / "release"
    shutil.copytree(ROOT / "examples/hello", repo / "examples/hello")
    (repo / ".github/workflows").mkdir(parents=True)
    shutil.copy2(ROOT / WORKFLOW, repo / WORKFLOW)
    (repo / "action.yml").write_text(pin((ROOT / "action.yml").read_text(), image))
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                                                   "-qm", "release"]):
        subprocess.run(["git", *command], cwd=repo, check=True)
    package_id, repo_name = _package(registry, akua)
    run = run_act(_variables(registry, akua, package_id, repo_name), akua.token, repo=repo)
    assert run.returncode == 0, run.log
    assert f"docker pull image={image}" in run.log, run.log
    assert "docker build" not in run.log and not (repo / "Dockerfile").exists()
    assert run.outputs()["status"] == "published"
