"""Shared fixtures: a real Distribution registry, the Akua emulator, fresh packages."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from akua_emulator import Emulator, Grant, Store
from devtools.action import ROOT, ActionRun, run_action
from devtools.docker_env import docker, ensure_base_image, ensure_engine
from devtools.oracle import Oracle, OracleUnavailable, ensure_root
from devtools.registry import LocalRegistry
from devtools.token_server import TokenServer

EXAMPLE = ROOT / "examples" / "hello"
IMAGE = "akua-publish-test:image"
LEAKS: list[tuple[str, str]] = []  # (where, what) of every secret found where it must not be; read by bench/
EMULATOR_LOG: list[str] = []  # what the emulator says of its checks
WORKSPACE_ID = "ws_tests"
# The users of the private registries (HTTP Basic, and behind the token service): one pushes, one only reads.
PUSHER, PASSWORD = "publisher", "pw-" + secrets.token_hex(12)
READER, READER_PASSWORD = "reader", "ro-" + secrets.token_hex(12)
OTHER_WORKSPACE = "ws_other"


@pytest.fixture(scope="session")
def oracle() -> Iterator[Oracle]:
    """Akua's own core (built once per machine, see devtools/oracle.py). Never skipped: where it
    cannot be built, every test that needs it fails and says why."""
    try:
        root = ensure_root()
    except OracleUnavailable as exc:
        pytest.fail(f"Akua's core (the oracle) cannot be built here: {exc}", pytrace=False)
    running = Oracle(root)
    yield running
    running.close()


@pytest.fixture(scope="session")
def built_image() -> str:
    """The action's image, built from the Dockerfile by the real engine (started when it is not running)."""
    ensure_engine()
    ensure_base_image()
    docker("build", "-q", "-t", IMAGE, str(ROOT))
    return IMAGE


@pytest.fixture(scope="session")
def registry() -> Iterator[LocalRegistry]:
    with LocalRegistry(access_log=True) as running:  # the tests count uploads
        yield running


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    server = TokenServer({PUSHER: (PASSWORD, {"pull", "push"}), READER: (READER_PASSWORD, {"pull"})})
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def registries(token_server: TokenServer) -> Iterator[dict[str, LocalRegistry]]:
    """Private registries as users have them: HTTP Basic (htpasswd), and a token service's as GHCR's."""
    with LocalRegistry(basic_auth=(PUSHER, PASSWORD)) as basic, \
            LocalRegistry(token_server=token_server, access_log=True) as token:
        yield {"basic": basic, "token": token}


@dataclass
class Akua:
    """The emulator and the credentials the tests hold for it."""

    server: Emulator
    store: Store
    token: str
    read_only_token: str
    secrets: list[str] = field(default_factory=list)

    @contextmanager
    def connection(self, host: str, credentials: tuple[str, str], *, active: bool = True) -> Iterator[None]:
        """A registry connection of the tests' workspace for ``host`` while the block runs."""
        added = self.store.add_connection(WORKSPACE_ID, host, credentials, active=active)
        try:
            yield
        finally:
            self.store.connections.remove(added)


@pytest.fixture(scope="session")
def akua(oracle: Oracle) -> Iterator[Akua]:
    store = Store()
    token = "sk_akua_test_" + secrets.token_hex(16)
    read_only = "sk_akua_ro_" + secrets.token_hex(16)
    store.grants[token] = Grant((WORKSPACE_ID,))
    store.grants[read_only] = Grant((WORKSPACE_ID,), write=False)
    server = Emulator(store, core=oracle, log=EMULATOR_LOG.append).start()
    yield Akua(server, store, token, read_only, [token, read_only])
    server.shutdown()


@dataclass
class Target:
    """One Akua package of the tests' own, bound to its own repository in the registry."""

    registry: LocalRegistry
    akua: Akua
    package_id: str
    repo: str

    @property
    def oci_ref(self) -> str:
        return f"oci://{self.registry.host}/{self.repo}"

    def tags(self) -> list[str]:
        return self.registry.tags(self.repo)

    def created(self) -> list[dict]:
        return self.akua.store.created_versions(self.package_id)

    def holds_untagged(self, run: ActionRun) -> bool:
        """Whether the registry holds the manifest ``run`` packed, with no tag on the repository: pushed by its
        digest, not (yet) tagged, as a run leaves it when Akua did not register the version."""
        [digest] = re.findall(r"Manifest digest: (sha256:[0-9a-f]{64})", run.log)
        return self.registry.manifest(self.repo, digest) is not None and self.tags() == []

    def assert_untouched(self) -> None:
        assert self.tags() == [], "something was pushed"
        assert self.created() == [], "something was registered"


@pytest.fixture
def target(registry: LocalRegistry, akua: Akua) -> Target:
    repo = f"tests/hello-{secrets.token_hex(4)}"
    package_id = akua.store.add_package(
        WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"}
    )
    return Target(registry, akua, package_id, repo)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout holding the example package at pkg/."""
    root = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, root / "pkg", symlinks=True)
    return root


@pytest.fixture
def publish(workspace: Path, target: Target):
    """Run the action against ``target``; every run is scanned for leaked secrets."""

    def run(inputs: dict[str, str] | None = None, env: dict[str, str] | None = None,
            root: Path | None = None, honour_permissions: bool = False, on_github: bool = True,
            action_root: Path = ROOT, file_size_limit: int | None = None) -> ActionRun:
        full_inputs = {"package-id": target.package_id, "path": "pkg",
                       "api-url": target.akua.server.base_url}
        full_inputs.update(inputs or {})
        full_env = {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": target.akua.token}
        full_env.update(env or {})
        result = run_action(root or workspace, full_inputs, full_env, honour_permissions=honour_permissions,
                            on_github=on_github, action_root=action_root, file_size_limit=file_size_limit)
        secrets_used = target.akua.secrets + secret_parts([
            v for k, v in {**full_inputs, **full_env}.items() if k in SECRET_NAMES and v
        ])
        leaked = result.leaked(secrets_used)
        LEAKS.extend(("action output", secret[:6] + "...") for secret in leaked)
        assert leaked == [], result.log
        assert "Traceback" not in result.log, result.log
        if not on_github:
            assert "::" not in result.stdout, result.log  # no workflow command outside GitHub
        checked = root or workspace
        for path in checked.rglob("*"):
            if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
                data = path.read_bytes()
                found = [s for s in secrets_used if s and s.encode() in data]
                LEAKS.extend((str(path), s[:6] + "...") for s in found)
                assert not found, path
        return result

    return run


SECRET_NAMES = ("api-token", "registry-password", "github-token", "GITHUB_TOKEN", "cosign-private-key",
                "cosign-password", "AKUA_COSIGN_PASSPHRASE")


def secret_parts(values: list[str]) -> list[str]:
    """Each secret, and each line of a multi-line one (a PEM key leaks as much through one line of its body)."""
    parts = []
    for value in values:
        parts.append(value)
        lines = value.strip().splitlines()
        parts += [line.strip() for line in lines if len(lines) > 1 and len(line.strip()) >= 16
                  and not line.startswith("-----")]
    return parts


def error_lines(run: ActionRun) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("::error")]


def plain_errors(run: ActionRun) -> list[str]:
    """The error lines of a run outside GitHub (``Error: <title> (<file>): <message>``)."""
    return [line for line in run.stdout.splitlines() if line.startswith("Error: ")]


def parse_annotation(line: str) -> tuple[dict[str, str], str]:
    """Split ``::error k=v,k=v::message`` into its properties and unescaped message."""
    head, _, message = line[2:].partition("::")
    _, _, props_text = head.partition(" ")
    props = dict(p.split("=", 1) for p in props_text.split(",") if p)

    def unescape(text: str) -> str:
        for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
            text = text.replace(code, char)
        return text

    return {k: unescape(v) for k, v in props.items()}, unescape(message)


# GitHub's words: an expression, a runner variable, or an input (the input schema and contract are Akua's, and
# so are the files inputs.schema.json and inputs.yaml).
GITHUB_WORDING = re.compile(r"\$\{\{|GITHUB_|\binputs?\b(?!\.(?:schema|yaml)|\s+(?:schema|contract))")


def assert_plain_words(error: BaseException) -> None:
    """An error as a caller of the library reads it: a class it can import from ``akua_publish``, title, message and
    hint in plain words (options named as their attributes), no term, no input or flag of a front end."""
    import akua_publish
    from akua_publish.frontends.inputs import INPUTS

    assert getattr(akua_publish, type(error).__name__) is type(error), "not importable from akua_publish"
    flags = re.compile(r"`--(?:" + "|".join(INPUTS) + r")`")
    for text in (error.title, error.message, error.hint):  # type: ignore[attr-defined]
        assert "⟦" not in text and not GITHUB_WORDING.search(text) and not flags.search(text), text
    assert str(error) == error.message and error.title and error.message  # type: ignore[attr-defined]
