"""The real container, built from the Dockerfile by a real engine, run by act on a tag push."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from conftest import WORKSPACE_ID, Akua, secret_parts
from devtools.act import EXAMPLE_VERSION, run_act
from devtools.docker_env import ensure_base_image, ensure_engine
from devtools.keys import generate
from devtools.registry import LocalRegistry


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
