"""Whether Akua can read what is pushed: the workspace's registry connections, and what anyone may read.

A registry behind a token service, as GHCR is: a repository is private (the
token service gives anonymous callers nothing) unless the test makes it public.
The emulator's reader reads as Akua does: with the workspace's active registry
connection for the host, else anonymously, and refuses what it cannot read.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from akua_emulator import Grant
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

UPLOADS = "/blobs/uploads/"


@pytest.fixture
def private(registries: dict[str, LocalRegistry], akua: Akua) -> Target:
    """A package in the registry behind the token service, where a repository is private unless made public."""
    ghcr_like = registries["token"]
    repo = f"acme/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{ghcr_like.host}/{repo}"}
    return Target(ghcr_like, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)


@contextmanager
def public(token_server: TokenServer, repo: str) -> Iterator[None]:
    """Anyone may pull ``repo`` while the block runs."""
    token_server.public.add(repo)
    try:
        yield
    finally:
        token_server.public.discard(repo)


def publish_to(publish, target: Target, token_server: TokenServer, **inputs: str):
    run = publish(inputs={"package-id": target.package_id, "registry-username": PUSHER,
                          "registry-password": PASSWORD, "max-attempts": "2", **inputs})
    assert run.leaked(token_server.issued) == [], "a registry token leaked"
    assert READER_PASSWORD not in run.log and PASSWORD not in run.log
    return run


def test_private_without_a_connection_stops_before_registering_and_the_fix_then_registers_without_upload(
        publish, private: Target, token_server: TokenServer, akua: Akua) -> None:
    posts_before = akua.store.count_calls("POST", f"/packages/{private.package_id}/versions")
    run = publish_to(publish, private, token_server)
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Akua cannot read the artifact"
    assert "Akua will not be able to read it" in message and "The version was not registered" in message
    assert f"no active registry connection for {private.registry.host}" in message
    assert "make the package public" in message and "registers the version without uploading it again" in message
    assert "readability-check" in message
    assert private.holds_untagged(run) and private.created() == []
    assert akua.store.count_calls("POST", f"/packages/{private.package_id}/versions") == posts_before
    assert akua.store.count_calls("GET", "/registry_connections") >= 1

    # The fix the message gives, as it gives it: the API call, with a reader's credentials for the placeholders.
    [call] = re.findall(r"curl -X POST .*?}'", message)
    words = shlex.split(call)
    body = json.loads(words[words.index("-d") + 1].replace("<user>", READER).replace(
        "<a token that may read the package>", READER_PASSWORD))
    added = requests.post(words[3], json=body, headers={"Authorization": f"Bearer {akua.token}"}, timeout=10)
    assert added.status_code == 201, added.text
    try:
        uploads = private.registry.requests_seen("POST", UPLOADS)
        again = publish_to(publish, private, token_server)
        assert again.returncode == 0, again.log
        assert private.registry.requests_seen("POST", UPLOADS) == uploads, "the re-run uploaded again"
        assert "nothing to upload" in again.log
        assert [v["ref"] for v in private.created()] == [again.outputs["digest"]]
        assert again.outputs["digest"] == private.registry.manifest_digest(private.repo, "0.3.0")
    finally:
        akua.store.connections[:] = [c for c in akua.store.connections if c["credentials"][0] != READER]


def test_private_with_a_connection_publishes(publish, private: Target, token_server: TokenServer,
                                             akua: Akua) -> None:
    with akua.connection(private.registry.host, (READER, READER_PASSWORD)):
        run = publish_to(publish, private, token_server)
    assert run.returncode == 0, run.log
    assert "with the workspace's registry connection" in run.log and "Anyone may read" not in run.log
    assert [v["ref"] for v in private.created()] == [run.outputs["digest"]]


def test_a_public_repository_needs_no_connection(publish, private: Target, token_server: TokenServer) -> None:
    with public(token_server, private.repo):
        run = publish_to(publish, private, token_server)
    assert run.returncode == 0, run.log
    assert f"Anyone may read oci://{private.registry.host}/{private.repo}@{run.outputs['digest']}" in run.log
    assert [v["ref"] for v in private.created()] == [run.outputs["digest"]]


@pytest.mark.parametrize("why", ["403", "404"])
def test_a_token_that_may_not_list_connections_warns_and_the_run_goes_on(
        publish, private: Target, token_server: TokenServer, akua: Akua, why: str) -> None:
    """403: a token without the permission; 404: an Akua without the list. Only Akua can tell then."""
    from akua_emulator.faults import Fault

    token = "sk_akua_nolist_" + secrets.token_hex(12)
    akua.store.grants[token] = Grant((WORKSPACE_ID,), list_connections=why != "403")
    if why == "404":
        akua.server.faults.add(Fault("GET", r"/registry_connections$", status=404, times=1))
    try:
        with akua.connection(private.registry.host, (READER, READER_PASSWORD)):
            run = publish_to(publish, private, token_server, **{"api-token": token})
    finally:
        akua.server.faults.clear()
    assert run.returncode == 0, run.log
    assert f"did not list the workspace's registry connections (HTTP {why}" in run.log
    assert "::warning title=Akua may not be able to read the artifact::" in run.stdout
    assert [v["ref"] for v in private.created()] == [run.outputs["digest"]]


def test_an_inactive_connection_counts_as_none(publish, private: Target, token_server: TokenServer,
                                               akua: Akua) -> None:
    with akua.connection(private.registry.host, (READER, READER_PASSWORD), active=False):
        run = publish_to(publish, private, token_server)
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Akua cannot read the artifact" and "is inactive" in message
    assert private.created() == [] and private.holds_untagged(run)


def test_warn_registers_anyway_and_akua_refuses(publish, private: Target, token_server: TokenServer) -> None:
    run = publish_to(publish, private, token_server, **{"readability-check": "warn"})
    assert run.returncode == 1, run.log
    assert "::warning title=Akua may not be able to read the artifact::" in run.stdout
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Akua rejected the version" and "HTTP 422" in message
    assert private.created() == []


def test_off_asks_nothing(publish, private: Target, token_server: TokenServer, akua: Akua) -> None:
    listed = akua.store.count_calls("GET", "/registry_connections")
    run = publish_to(publish, private, token_server, **{"readability-check": "off"})
    assert akua.store.count_calls("GET", "/registry_connections") == listed
    assert run.returncode == 1 and "HTTP 422" in run.log, run.log  # Akua's own refusal, after the POST
    assert "Anyone may read" not in run.log and "registry connection for" not in run.log.split("HTTP 422")[0]


def test_the_anonymous_check_asks_for_a_pull_token_without_credentials(
        publish, private: Target, token_server: TokenServer) -> None:
    token_server.asked.clear()
    with public(token_server, private.repo):
        run = publish_to(publish, private, token_server)
    assert run.returncode == 0, run.log
    assert ("", (f"repository:{private.repo}:pull",)) in token_server.asked, token_server.asked
    assert {user for user, _ in token_server.asked} == {PUSHER, ""}


def test_an_outage_during_the_check_is_a_re_run_that_finds_the_artifact(
        publish, registries: dict[str, LocalRegistry], akua: Akua, token_server: TokenServer) -> None:
    """The registry fails the anonymous read (5xx, retried): exit 75, the artifact is kept for the re-run."""
    from akua_emulator.faults import Fault
    from devtools.fault_proxy import FaultProxy

    registry = registries["token"]
    proxy = FaultProxy(registry.host)
    repo = f"acme/hello-{secrets.token_hex(4)}"
    target = Target(registry, akua, akua.store.add_package(
        WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{proxy.host}/{repo}"}), repo)
    try:
        proxy.add(Fault("GET", r"/manifests/sha256:", status=503, times=99))  # only the check reads by digest
        run = publish_to(publish, target, token_server)
    finally:
        proxy.shutdown()
    assert run.returncode == 75, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Registry unavailable" and "already in the registry" in message
    assert "Retrying" in run.log
    assert target.holds_untagged(run) and target.created() == []
