"""Registries as users have them: HTTP Basic (htpasswd) and bearer tokens with enforced scopes.

The open registry is the one every other test pushes to. Here the same publish
runs against Distribution behind htpasswd and behind a token service of the
tests' own that grants only the scopes a user holds, as GHCR, Docker Hub and
Harbor do.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from conftest import (
    PASSWORD,
    PUSHER,
    READER,
    READER_PASSWORD,
    WORKSPACE_ID,
    Akua,
    Target,
    error_lines,
    parse_annotation,
)
from devtools.registry import LocalRegistry
from devtools.token_server import TokenServer


@pytest.fixture(params=["basic", "token"])
def private_target(request: pytest.FixtureRequest, registries: dict[str, LocalRegistry], akua: Akua) -> Target:
    registry = registries[request.param]
    repo = f"private/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}
    return Target(registry, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)


def creds(user: str = PUSHER, password: str = PASSWORD) -> dict[str, str]:
    return {"registry-username": user, "registry-password": password}


def run_private(publish, target: Target, token_server: TokenServer, inputs: dict[str, str],
                env: dict[str, str] | None = None):
    run = publish(inputs={"package-id": target.package_id, "max-attempts": "2", **inputs}, env=env)
    assert run.leaked(token_server.issued) == [], "a registry token leaked"
    return run


def test_publish_with_credentials_and_a_registry_connection(
        publish, private_target: Target, token_server: TokenServer, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    docker_config = tmp_path / ".docker"
    docker_config.mkdir()
    (docker_config / "config.json").write_text(json.dumps({"auths": {private_target.registry.host: {
        "auth": "d3Jvbmc6Y3JlZGVudGlhbHM="}}}))  # wrong:credentials, must not override the inputs
    with private_target.akua.connection(private_target.registry.host, (PUSHER, PASSWORD)):
        run = run_private(publish, private_target, token_server, creds(),
                          env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(docker_config)})
    assert f"Akua reads {private_target.registry.host} with the workspace's registry connection" in run.log
    if request.node.callspec.params["private_target"] == "basic":
        # Akua's reader (its SDK's inspectOciPackage) answers only Bearer challenges: an htpasswd
        # registry is pushed to, but Akua cannot read the artifact back, connection or not.
        assert run.returncode == 1 and "HTTP 422" in run.log and "rejected auth" in run.log, run.log
        assert "::warning title=Akua may not read this registry::" in run.stdout
        assert private_target.holds_untagged(run)
        return
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == private_target.registry.manifest_digest(private_target.repo, "0.3.0")
    assert [v["ref"] for v in private_target.created()] == [run.outputs["digest"]]


@pytest.mark.parametrize(("inputs", "needle"), [
    (creds(password="not-the-password"), "rejected the credentials"),
    (creds(user="someone-else"), "rejected the credentials"),
])
def test_wrong_credentials_fail_fast(publish, private_target: Target, token_server: TokenServer,
                                     inputs: dict[str, str], needle: str) -> None:
    started = time.monotonic()
    run = run_private(publish, private_target, token_server, inputs)
    assert time.monotonic() - started < 20, "a credential error must not be retried for minutes"
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry rejected the credentials"
    assert needle in message and private_target.registry.host in message and "registry-password" in message
    assert "Retrying" not in run.log
    private_target.assert_untouched()


def test_no_credentials_for_a_private_registry(publish, private_target: Target, token_server: TokenServer) -> None:
    run = run_private(publish, private_target, token_server, creds(user="", password=""))
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry rejected the credentials" and private_target.registry.host in message
    assert "none were given" in message
    private_target.assert_untouched()


def test_pull_only_token_says_push_permission_is_missing(
        publish, registries: dict[str, LocalRegistry], akua: Akua, token_server: TokenServer) -> None:
    registry = registries["token"]
    repo = f"private/hello-{secrets.token_hex(4)}"
    target = Target(registry, akua, akua.store.add_package(
        WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}), repo)
    run = run_private(publish, target, token_server, creds(READER, READER_PASSWORD))
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry rejected the credentials"
    assert "push permission is missing" in message and "permissions: packages: write" in message
    target.assert_untouched()


def test_a_registry_that_asks_for_credentials_only_at_the_push(publish, registries: dict[str, LocalRegistry],
                                                               akua: Akua, token_server: TokenServer) -> None:
    """/v2/ answers 200 anonymously (as some registries do); the push's 401 is answered with a login."""
    from akua_emulator.faults import Fault
    from devtools.fault_proxy import FaultProxy

    registry = registries["basic"]
    proxy = FaultProxy(registry.host)
    try:
        proxy.add(Fault("GET", r"^/v2/$", status=200, times=1))
        repo = f"private/hello-{secrets.token_hex(4)}"
        target = Target(registry, akua, akua.store.add_package(
            WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{proxy.host}/{repo}"}), repo)
        run = publish(inputs={"package-id": target.package_id, "dry-run": "false", **creds()})
    finally:
        proxy.shutdown()
    assert run.returncode == 1, run.log  # Akua has no connection to read the private artifact back
    assert "title=Akua cannot read the artifact" in run.stdout and target.tags() == []  # pushed by digest only
    seen = [(method, status) for method, _, status, _ in proxy.log]
    assert seen[:3] == [("GET", 200), ("GET", 401), ("GET", 404)], seen  # /v2/ faked open, then a login
    assert all(status in (201, 202) for method, status in seen if method in ("POST", "PUT", "PATCH")), seen


def test_netrc_credentials_are_never_used(publish, registries: dict[str, LocalRegistry], akua: Akua,
                                          tmp_path: Path) -> None:
    registry = registries["basic"]
    repo = f"private/hello-{secrets.token_hex(4)}"
    target = Target(registry, akua, akua.store.add_package(
        WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}), repo)
    (tmp_path / ".netrc").write_text(f"machine 127.0.0.1 login {PUSHER} password {PASSWORD}\n")
    (tmp_path / ".netrc").chmod(0o600)
    run = publish(inputs={"package-id": target.package_id}, env={"HOME": str(tmp_path)})
    assert run.returncode == 1, run.log
    _, message = parse_annotation(error_lines(run)[0])
    assert "none were given" in message
    target.assert_untouched()


@pytest.mark.parametrize("how", ["environment", "file"])
def test_the_command_line_reads_the_registry_password_from_the_environment_or_a_file(
        registries: dict[str, LocalRegistry], akua: Akua, workspace: Path, token_server: TokenServer,
        tmp_path: Path, how: str) -> None:
    from devtools.action import run_cli

    registry = registries["token"]
    repo = f"private/cli-{secrets.token_hex(4)}"
    package_id = akua.store.add_package(WORKSPACE_ID, "hello",
                                        {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
    (tmp_path / "password").write_text(PASSWORD + "\n")
    env = {"AKUA_API_TOKEN": akua.token, "AKUA_API_BASE_URL": akua.server.base_url}
    if how == "environment":
        env["AKUA_REGISTRY_PASSWORD"] = PASSWORD
        flags = []
    else:
        flags = ["--registry-password-file", str(tmp_path / "password")]
    with akua.connection(registry.host, (READER, READER_PASSWORD)):  # Akua reads it back
        done = run_cli(workspace, "--package-id", package_id, "--path", "pkg", "--version", "0.3.0",
                       "--registry-username", PUSHER, *flags, env=env)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert PASSWORD not in log and not any(token in log for token in token_server.issued)
    assert registry.tags(repo) == ["0.3.0"]


def test_plain_http_off_loopback_warns_and_akua_reading_over_https_stops_the_run(
        publish, registries: dict[str, LocalRegistry], akua: Akua, token_server: TokenServer) -> None:
    """A registry off loopback in plain HTTP (here a name no resolver knows, reached through the tests' proxy):
    the password crosses in clear with a warning naming the host, and Akua, which reads that host over HTTPS,
    cannot reach it, so the run stops before registering instead of Akua refusing the version with 422."""
    from devtools.fault_proxy import FaultProxy

    registry = registries["basic"]
    proxy = FaultProxy(registry.host)
    host = f"registry.test:{registry.host.rsplit(':', 1)[1]}"
    try:
        repo = f"private/hello-{secrets.token_hex(4)}"
        target = Target(registry, akua, akua.store.add_package(
            WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{host}/{repo}"}), repo)
        via = {"HTTP_PROXY": f"http://{proxy.host}", "HTTPS_PROXY": f"http://{proxy.host}",
               "NO_PROXY": "127.0.0.1,localhost"}
        with akua.connection(host, (PUSHER, PASSWORD)):  # a connection does not help: Akua cannot get there
            run = run_private(publish, target, token_server, {"plain-http": "true", **creds()}, env=via)
    finally:
        proxy.shutdown()
    assert "basic" in proxy.authorizations, "the push went through the proxy, with the password"
    warnings = [parse_annotation(line) for line in run.stdout.splitlines() if line.startswith("::warning")]
    [(_, crossing)] = [(props, text) for props, text in warnings if props.get("title") == "Credentials in plain HTTP"]
    assert crossing.startswith(f"The registry password for {host} crosses the network in plain HTTP"), crossing
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Akua cannot read the artifact"
    assert "Akua reads registries over HTTPS" in message and f"{host} does not answer over HTTPS" in message
    assert target.created() == [] and target.tags() == []
