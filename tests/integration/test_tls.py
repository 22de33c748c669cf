"""TLS and where credentials go: a registry with a certificate from a CA of the tests' own, token
services on another port, on another host and over plain HTTP, and GitHub's token kept to GHCR."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import WORKSPACE_ID, Akua, Target, error_lines, parse_annotation
from devtools.registry import LocalRegistry
from devtools.tls import TestCA
from devtools.token_server import TokenServer

USER = "publisher"
PASSWORD = "pw-" + secrets.token_hex(12)
READER = "akua-connection"  # the user of the emulator's registry connection
READER_PASSWORD = "ro-" + secrets.token_hex(12)
USERS = {USER: (PASSWORD, {"pull", "push"}), READER: (READER_PASSWORD, {"pull"})}
CREDS = {"registry-username": USER, "registry-password": PASSWORD}


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def tls_registry(ca: TestCA) -> Iterator[LocalRegistry]:
    with LocalRegistry(tls=ca) as running:
        yield running


def package_on(registry: LocalRegistry, akua: Akua) -> Target:
    repo = f"tls/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}
    return Target(registry, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)


def only_error(run) -> tuple[dict[str, str], str]:
    [line] = error_lines(run)
    return parse_annotation(line)


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_private_ca_is_trusted_when_named(publish, tls_registry: LocalRegistry, akua: Akua, ca: TestCA,
                                            workspace: Path, variable: str) -> None:
    target = package_on(tls_registry, akua)
    akua.store.registry_tls[tls_registry.host] = str(ca.ca_file)
    ca_in_workspace = workspace / "certs" / "ca.pem"  # where a container action can read it
    ca_in_workspace.parent.mkdir()
    ca_in_workspace.write_bytes(ca.ca_file.read_bytes())
    run = publish(inputs={"package-id": target.package_id, "plain-http": "false"},
                  env={variable: str(ca_in_workspace)})
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == tls_registry.manifest_digest(target.repo, "0.3.0")
    assert len(target.created()) == 1


def test_an_untrusted_certificate_fails_at_once_and_says_why(publish, tls_registry: LocalRegistry,
                                                             akua: Akua) -> None:
    target = package_on(tls_registry, akua)
    run = publish(inputs={"package-id": target.package_id, "plain-http": "false"})
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Registry TLS connection failed"
    assert tls_registry.host in message and "certificate" in message
    assert "SSL_CERT_FILE" in message and "/github/workspace" in message
    assert "Retrying" not in run.log and "max retries" not in message.lower()
    target.assert_untouched()


def test_a_ca_bundle_that_is_not_a_file_is_an_input_error(publish, target: Target) -> None:
    run = publish(env={"SSL_CERT_FILE": "/nowhere/ca.pem"})
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Invalid action input" and "/nowhere/ca.pem" in message and "/github/workspace" in message


def test_https_to_a_plain_http_registry_names_the_mismatch(publish, target: Target) -> None:
    run = publish(inputs={"plain-http": "false"})
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Registry protocol mismatch"
    assert "answered an HTTPS request in plain HTTP" in message and "`plain-http` input to true" in message
    assert "Retrying" not in run.log
    target.assert_untouched()


def test_plain_http_to_an_https_loopback_registry_names_the_mismatch(publish, tls_registry: LocalRegistry,
                                                                     akua: Akua) -> None:
    target = package_on(tls_registry, akua)
    run = publish(inputs={"package-id": target.package_id})
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Registry protocol mismatch"
    assert "speaks HTTPS" in message and "`plain-http` input to false" in message and "HTTP 400" not in message
    target.assert_untouched()


def test_an_untrusted_akua_api_certificate_is_not_an_outage(publish, target: Target,
                                                           tls_registry: LocalRegistry) -> None:
    run = publish(inputs={"api-url": f"https://{tls_registry.host}/v1"})
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Akua API TLS connection failed" and "certificate" in message
    assert "Retrying" not in run.log
    target.assert_untouched()


# --- where the registry password may go -------------------------------------------------------

def run_with_token_server(publish, akua: Akua, server: TokenServer, ca: TestCA | None, inputs: dict[str, str],
                          env: dict[str, str] | None = None):
    with LocalRegistry(token_server=server, tls=ca) as registry, akua.connection(registry.host,
                                                                                   (READER, READER_PASSWORD)):
        target = package_on(registry, akua)
        if ca:
            akua.store.registry_tls[registry.host] = str(ca.ca_file)
        extra = {"plain-http": "false"} if ca else {}
        run = publish(inputs={"package-id": target.package_id, **extra, **inputs},
                      env={"SSL_CERT_FILE": str(ca.ca_file)} if ca else env)
        assert run.leaked(server.issued) == [], "a registry token leaked"
        return run, registry.tags(target.repo), target.created()


@pytest.mark.parametrize(("server_host", "server_tls", "registry_tls", "withheld"), [
    ("127.0.0.1", False, False, ""),
    ("127.0.0.2", True, True, ""),
    ("127.0.0.1", False, True, "over plain HTTP"),
    ("127.0.0.2", False, False, "on another host"),
], ids=["another-port-of-the-registry-host", "another-host-named-over-https", "http-realm-of-an-https-registry",
        "another-host-named-over-plain-http"])
def test_where_the_registry_password_may_go(publish, akua: Akua, ca: TestCA, server_host: str, server_tls: bool,
                                            registry_tls: bool, withheld: str) -> None:
    server = TokenServer(USERS, host=server_host, tls=ca if server_tls else None)
    try:
        run, tags, created = run_with_token_server(publish, akua, server, ca if registry_tls else None, CREDS)
    finally:
        server.shutdown()
    if not withheld:
        assert run.returncode == 0, run.log
        assert server.credentials_seen.count(USER) == 1 and tags == ["0.3.0"] and len(created) == 1
        return
    assert run.returncode == 1, run.log
    props, message = only_error(run)
    assert props["title"] == "Registry credentials withheld" and withheld in message and server.realm in message
    assert server.credentials_seen == [], "the password went where it must not"
    assert tags == [] and created == []


@pytest.mark.parametrize("how", ["GITHUB_TOKEN", "github-token"])
def test_the_github_token_goes_only_to_ghcr(publish, akua: Akua, how: str) -> None:
    """The token would be accepted (it is the registry's password), but this registry is not GHCR."""
    with LocalRegistry(basic_auth=(USER, PASSWORD)) as registry:
        target = package_on(registry, akua)
        inputs = {"package-id": target.package_id, "registry-username": USER}
        env = {}
        if how == "github-token":
            inputs["github-token"] = PASSWORD
        else:
            env["GITHUB_TOKEN"] = PASSWORD
        run = publish(inputs=inputs, env=env)
        assert run.returncode == 1, run.log
        props, message = only_error(run)
        assert props["title"] == "Registry rejected the credentials" and "none were given" in message
        target.assert_untouched()
