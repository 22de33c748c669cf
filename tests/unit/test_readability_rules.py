"""Whether Akua can read what is pushed: which connections cover a repository, and the fixes the error gives."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from akua_publish.clients.akua_types import RegistryConnection, RegistryConnections
from akua_publish.errors import UnreadableArtifactError
from akua_publish.options import CheckMode, CiContext
from akua_publish.progress import Meter, no_progress
from akua_publish.reference import Repository
from akua_publish.release.readability import Connections, Coverage, Fixes, check_connections, check_readable, covers

GHCR = Repository("ghcr.io", "acme/charts/hello")
DIGEST = "sha256:" + "a" * 64


def connection(url: str, active: bool = True) -> RegistryConnection:
    return RegistryConnection("rcon_1", url, url, active)


@pytest.mark.parametrize(("url", "expected"), [
    ("ghcr.io", True), ("https://ghcr.io", True), ("GHCR.io/", True), ("ghcr.io/acme", True),
    ("ghcr.io/acme/charts", True), ("ghcr.io/acm", False), ("ghcr.io/other", False), ("docker.io", False),
    ("ghcr.io:443", False), ("https://user@ghcr.io", True),
])
def test_a_connection_covers_its_host_and_the_repositories_under_its_path(url: str, expected: bool) -> None:
    assert covers(connection(url), GHCR) is expected


def test_docker_hubs_names_are_one_registry() -> None:
    assert covers(connection("docker.io"), Repository("registry-1.docker.io", "acme/hello"))
    assert covers(connection("https://index.docker.io/acme"), Repository("docker.io", "acme/hello"))


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[tuple[str, str]] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str, title: str = "") -> None:
        self.warnings.append((title, message))

    def step(self, title: str) -> AbstractContextManager[None]:
        @contextmanager
        def nothing() -> Iterator[None]:
            yield

        return nothing()

    def secret(self, value: str) -> None:
        pass

    def progress(self, label: str, total: int) -> Meter:
        return no_progress(label, total)


class Listing:
    def __init__(self, answer: RegistryConnections) -> None:
        self.answer = answer

    def registry_connections(self) -> RegistryConnections:
        return self.answer


@pytest.mark.parametrize(("answer", "coverage"), [
    (RegistryConnections((connection("quay.io"), connection("ghcr.io"))), Coverage.ACTIVE),
    (RegistryConnections((connection("ghcr.io", active=False),)), Coverage.INACTIVE),
    (RegistryConnections((connection("quay.io"),)), Coverage.NONE),
    (RegistryConnections(withheld="HTTP 403: no"), Coverage.UNKNOWN),
])
def test_the_connections_say_what_covers_the_registry(answer: RegistryConnections, coverage: Coverage) -> None:
    reporter = Recorder()
    found = check_connections(Listing(answer), GHCR, reporter)  # type: ignore[arg-type]
    assert found.coverage is coverage
    assert bool(reporter.warnings) is (coverage is Coverage.UNKNOWN)


def fixes(owner: str = "acme", kind: str = "") -> Fixes:
    return Fixes("https://api.akua.dev/v1/", "ws_team", CiContext(owner=owner, owner_kind=kind))


def refused(mode: CheckMode, coverage: Coverage = Coverage.NONE, repository: Repository = GHCR,
            found: Fixes | None = None) -> UnreadableArtifactError:
    with pytest.raises(UnreadableArtifactError) as caught:
        check_readable(mode, Connections(coverage, ("GHCR",)), repository=repository, digest=DIGEST,
                       anonymous_read=lambda: "it asks for credentials", fixes=found or fixes(), reporter=Recorder())
    return caught.value


def test_strict_stops_with_both_fixes_and_the_api_call_follows_the_spec() -> None:
    from akua_emulator.spec import schema_validator, spec

    error = refused(CheckMode.STRICT)
    assert "Akua will not be able to read it" in error.message and "was not registered" in error.message
    settings = "https://github.com/{}/acme/packages/container/charts%2Fhello/settings"
    assert settings.format("orgs") in error.hint and settings.format("users") in error.hint
    call = error.hint[error.hint.index("curl"):error.hint.index("}'") + 2]
    words = shlex.split(call)
    assert words[:4] == ["curl", "-X", "POST", "https://api.akua.dev/v1/registry_connections"]
    assert "akua-context: ws_team" in words and "Authorization: Bearer $AKUA_API_TOKEN" in words
    body = json.loads(words[words.index("-d") + 1])
    schema = spec()["paths"]["/registry_connections"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert list(schema_validator(schema).iter_errors(body)) == []
    assert body["registry_url"] == "ghcr.io" and "read:packages" in body["credentials"]["password"]


@pytest.mark.parametrize(("kind", "path"), [("Organization", "orgs"), ("User", "users")])
def test_the_settings_page_is_the_owners_when_the_ci_knows_its_kind(kind: str, path: str) -> None:
    hint = refused(CheckMode.STRICT, found=fixes(kind=kind)).hint
    assert f"https://github.com/{path}/acme/packages/container/charts%2Fhello/settings" in hint
    assert hint.count("/packages/container/") == 1


def test_another_owner_or_registry_gets_no_guess() -> None:
    assert refused(CheckMode.STRICT, found=fixes(owner="someone", kind="User")).hint.count("/settings") == 2
    hint = refused(CheckMode.STRICT, repository=Repository("harbor.example.com", "acme/hello")).hint
    assert "github.com" not in hint and "read:packages" not in hint and "registry_url\": \"harbor.example.com" in hint


def test_an_inactive_connection_is_named() -> None:
    assert "its connection GHCR is inactive" in refused(CheckMode.STRICT, Coverage.INACTIVE).message


def test_warn_and_unknown_warn_and_an_active_connection_or_a_public_repository_pass() -> None:
    reporter = Recorder()
    for coverage in (Coverage.NONE, Coverage.UNKNOWN):
        mode = CheckMode.WARN if coverage is Coverage.NONE else CheckMode.STRICT
        check_readable(mode, Connections(coverage), repository=GHCR, digest=DIGEST,
                       anonymous_read=lambda: "it asks for credentials", fixes=fixes(), reporter=reporter)
    assert len(reporter.warnings) == 2

    def never() -> str:
        raise AssertionError("an active connection needs no anonymous read")

    check_readable(CheckMode.STRICT, Connections(Coverage.ACTIVE), repository=GHCR, digest=DIGEST,
                   anonymous_read=never, fixes=fixes(), reporter=reporter)
    check_readable(CheckMode.STRICT, Connections(Coverage.NONE), repository=GHCR, digest=DIGEST,
                   anonymous_read=lambda: "", fixes=fixes(), reporter=reporter)
    assert reporter.lines[-1].startswith("Anyone may read") and len(reporter.warnings) == 2


def test_a_registry_pushed_in_plain_http_must_answer_akua_over_https() -> None:
    """Akua reads over HTTPS (but for localhost, 127.0.0.1 and ::1), with a registry connection or without."""
    from akua_publish.errors import RegistryTlsError

    def unreachable() -> str:
        raise RegistryTlsError("The TLS certificate of the registry registry.internal:5000 was not accepted: x.")

    plain = Repository("registry.internal:5000", "acme/hello")
    for coverage in (Coverage.ACTIVE, Coverage.NONE):
        with pytest.raises(UnreadableArtifactError) as caught:
            check_readable(CheckMode.STRICT, Connections(coverage), repository=plain, digest=DIGEST,
                           anonymous_read=unreachable, fixes=fixes(), reporter=Recorder(), over_https=True)
        assert "was pushed in plain HTTP, but Akua reads registries over HTTPS" in caught.value.message
        assert "registry.internal:5000 does not answer over HTTPS: The TLS certificate" in caught.value.message
        assert "`RegistryOptions.plain_http`" in caught.value.hint and "was not registered" in caught.value.message
    reporter = Recorder()
    check_readable(CheckMode.WARN, Connections(Coverage.ACTIVE), repository=plain, digest=DIGEST,
                   anonymous_read=unreachable, fixes=fixes(), reporter=reporter, over_https=True)
    assert len(reporter.warnings) == 1
    check_readable(CheckMode.STRICT, Connections(Coverage.ACTIVE), repository=plain, digest=DIGEST,
                   anonymous_read=lambda: "it asks for credentials", fixes=fixes(), reporter=reporter, over_https=True)
    assert len(reporter.warnings) == 1, "reachable over HTTPS, and read with the connection"


@pytest.mark.parametrize(("host", "plain"), [("localhost:5000", True), ("127.0.0.1", True), ("[::1]:5000", True),
                                             ("::1", True), ("127.0.0.2:5000", False), ("LOCALHOST:5000", False),
                                             ("ghcr.io", False), ("registry.local:80", False)])
def test_akua_reads_plain_http_from_three_names_only(host: str, plain: bool) -> None:
    from akua_publish.reference import akua_reads_plain_http

    assert akua_reads_plain_http(host) is plain
