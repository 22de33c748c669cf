"""Pushing to a registry that wants HTTP Basic credentials (htpasswd), as private registries do."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import WORKSPACE_ID, Akua, Target, error_lines, parse_annotation
from devtools.registry import LocalRegistry

USER = "publisher"
PASSWORD = "pw-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def basic_registry() -> Iterator[LocalRegistry]:
    with LocalRegistry(basic_auth=(USER, PASSWORD)) as running:
        yield running


@pytest.fixture
def private_target(basic_registry: LocalRegistry, akua: Akua) -> Target:
    repo = f"private/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{basic_registry.host}/{repo}"}
    return Target(basic_registry, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)


def creds(password: str = PASSWORD, user: str = USER) -> dict[str, str]:
    return {"registry-username": user, "registry-password": password}


def test_publish_with_basic_credentials_and_a_registry_connection(
        publish, private_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_target.akua.store.registry_connections[private_target.registry.host] = (USER, PASSWORD)
    docker_config = tmp_path / ".docker"
    docker_config.mkdir()
    (docker_config / "config.json").write_text(json.dumps({"auths": {private_target.registry.host: {
        "auth": "d3Jvbmc6Y3JlZGVudGlhbHM="}}}))  # wrong:credentials, must not override the inputs
    try:
        run = publish(inputs={"package-id": private_target.package_id, **creds()},
                      env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(docker_config)})
    finally:
        del private_target.akua.store.registry_connections[private_target.registry.host]
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == private_target.registry.manifest_digest(private_target.repo, "0.3.0")
    assert [v["ref"] for v in private_target.created()] == [run.outputs["digest"]]
    assert PASSWORD not in run.log


def test_without_a_registry_connection_akua_cannot_read_the_artifact(publish, private_target: Target) -> None:
    run = publish(inputs={"package-id": private_target.package_id, **creds()})
    assert run.returncode == 1, run.log
    _, message = parse_annotation(error_lines(run)[0])
    assert "HTTP 422" in message and "registry connection" in message
    assert private_target.tags() == ["0.3.0"] and private_target.created() == []


@pytest.mark.parametrize(("inputs", "needle"), [
    (creds(password="not-the-password"), "rejected the credentials"),
    (creds(user="someone-else"), "rejected the credentials"),
    (creds(password="", user=""), "none were given"),
])
def test_wrong_or_missing_credentials_fail_fast(publish, private_target: Target, inputs: dict[str, str],
                                                 needle: str) -> None:
    started = time.monotonic()
    run = publish(inputs={"package-id": private_target.package_id, **inputs})
    assert time.monotonic() - started < 20, "a credential error must not be retried for minutes"
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry rejected the credentials"
    assert needle in message and private_target.registry.host in message and "registry-password" in message
    private_target.assert_untouched()
