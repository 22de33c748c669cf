"""Every error a caller of the library can catch, raised through ``publish`` in this process and read as that
caller reads it: its own class, importable from ``akua_publish``; title, message and hint in plain words, the
options named as their attributes (``LimitOptions.deadline``), never an input or a flag of a front end."""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from test_errors import CASES
from test_republish import _push_as_release_1_0_0

import akua_publish
from akua_emulator.faults import Fault
from akua_publish import (
    AkuaOptions,
    Cancelled,
    CheckMode,
    DependencyOptions,
    LimitOptions,
    Options,
    PackageOptions,
    PolicyOptions,
    PublishError,
    RegistryOptions,
    publish,
)
from akua_publish.frontends.ci import github_context
from akua_publish.frontends.settings import build_options, value_of
from akua_publish.frontends.vocabulary import action_words
from akua_publish.progress import Meter, no_progress
from akua_publish.wording import render
from conftest import EXAMPLE, PASSWORD, PUSHER, WORKSPACE_ID, Akua, Target, assert_plain_words
from devtools.dependencies import git_repository
from devtools.fault_proxy import FaultProxy
from devtools.registry import LocalRegistry, free_port
from devtools.tls import TestCA
from devtools.token_server import TokenServer

BASES = {"PublishError", "RetryableError", "ProblemsError"}  # raised only as one of their subclasses
# Raised by the library's own functions below ``publish`` where a whole run cannot reach them on purpose; each of
# these tests checks the fields with ``assert_plain_words``.
RAISED_ELSEWHERE = {
    "RegistryLostError": "tests/unit/test_tagging.py (between Akua's answer and the tag, the manifest vanishes)",
    "OrasContractError": "tests/integration/test_oras_contract.py (an oras release changing what the client uses)",
    "PackingError": "tests/unit/test_packing.py (a file that changes while it is packed)",
    "UnpackDeadlineError": "tests/integration/test_vendoring.py (the deadline passing while a chart unpacks)",
}


class Quiet:
    """A reporter that keeps what the library says; ``cancel_at`` cancels the run at that step, as SIGTERM does."""

    def __init__(self, cancel_at: str = "") -> None:
        self.lines: list[str] = []
        self.cancel_at = cancel_at

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str, title: str = "") -> None:
        self.lines.append(f"{title}: {message}")

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        if title == self.cancel_at:
            raise Cancelled(signal.SIGTERM)
        yield

    def secret(self, value: str) -> None:
        pass

    def progress(self, label: str, total: int) -> Meter:
        return no_progress(label, total)


def library_error(build: Callable[[], Options], reporter: Quiet | None = None) -> PublishError:
    """What a caller catches when it builds these options and publishes, checked as it reads it."""
    with pytest.raises(PublishError) as caught:
        publish(build(), reporter or Quiet())
    assert_plain_words(caught.value)
    return caught.value


def action_settings(given: dict[str, str], environ: dict[str, str], root: Path) -> Callable[[], Options]:
    """The options the Action would build from these inputs and variables."""
    text = value_of(lambda name: given.get(name, ""), environ)
    return lambda: build_options(text, environ, root=root, confined=True, ci=github_context(environ))


def new_target(registry: LocalRegistry, akua: Akua, host: str = "") -> Target:
    repo = f"library/hello-{secrets.token_hex(4)}"
    return Target(registry, akua, akua.store.add_package(
        WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{host or registry.host}/{repo}"}), repo)


def case_errors(akua: Akua, registry: LocalRegistry, root: Path) -> dict[str, str]:
    """Every case of test_errors.py through the library: class name -> a case that raised it."""
    raised: dict[str, str] = {}
    for case in CASES:
        if case.honour_permissions:  # needs a process without the power to read any file: the Action tests it
            continue
        checkout = root / case.name
        shutil.copytree(EXAMPLE, checkout / "pkg", symlinks=True)
        target = new_target(registry, akua)
        given = {"package-id": target.package_id, "path": "pkg", "api-url": akua.server.base_url, **case.inputs}
        environ = {"AKUA_API_TOKEN": akua.token, "GITHUB_REF": "refs/tags/v0.3.0", **case.env}
        try:
            if case.prepare:
                given.update(case.prepare(checkout, target) or {})
            error = library_error(action_settings(given, environ, checkout))
        finally:
            akua.server.error_envelope = "spec"
        assert error.exit_code == case.code, (case.name, error)
        shown = render(error.wording.message + " Fix: " + error.wording.hint, action_words)
        assert all(needle in shown for needle in case.needles), (case.name, shown)  # the annotation's error
        target.assert_untouched()
        raised.setdefault(type(error).__name__, case.name)
    return raised


@dataclass
class Run:
    """One publish through the library: a fresh copy of the example, a package of its own in Akua."""

    root: Path
    target: Target
    akua: Akua

    @property
    def package(self) -> Path:
        return self.root / "pkg"

    def options(self, **changes: object) -> Options:
        base = Options(akua=AkuaOptions(token=self.akua.token, api_url=self.akua.server.base_url),
                       package=PackageOptions(path=self.package, version="0.3.0", package_id=self.target.package_id),
                       limits=LimitOptions(max_attempts=1, deadline=60, timeout=10),
                       dependencies=DependencyOptions(file_root=self.root))
        return replace(base, **changes)  # type: ignore[arg-type]

    def seed(self, semver: str, schema: object, ref: str = "") -> None:
        self.akua.store.versions[self.target.package_id] = []
        if ref:
            self.akua.store.record_version(self.target.package_id, semver, ref, schema)
        else:
            self.akua.store.seed_version(self.target.package_id, semver, schema)


SCHEMA = json.loads((EXAMPLE / "exported" / "inputs.schema.json").read_text())
Scenario = Callable[[Run, dict[str, LocalRegistry], LocalRegistry], PublishError]
SCENARIOS: dict[str, Scenario] = {}


def raises(name: str) -> Callable[[Scenario], Scenario]:
    """Register a publish that raises the error class ``name``."""

    def register(scenario: Scenario) -> Scenario:
        SCENARIOS[name] = scenario
        return scenario

    return register


def with_dependency(package: Path, spec: str) -> None:
    toml = package / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + f"[dependencies]\ndep = {{ {spec} }}\n")


def other_schema(package: Path) -> None:
    other = copy.deepcopy(SCHEMA)
    other["properties"]["port"]["default"] = 9090
    (package / "exported" / "inputs.schema.json").write_text(json.dumps(other))


@raises("AkuaRejectedError")
def _rejected(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    other_schema(run.package)  # not what package.k exports: Akua's reader refuses it (422)
    return library_error(lambda: run.options(policy=PolicyOptions(schema_check=CheckMode.OFF)))


@raises("SchemaDriftError")
def _drift(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    other_schema(run.package)
    return library_error(run.options)


@raises("ContractBreakError")
def _breaking(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    wider = copy.deepcopy(SCHEMA)
    wider["properties"]["legacy"] = {"type": "string"}
    run.seed("0.3.0-rc.1", wider)
    return library_error(run.options)


@raises("VersionConflictError")
def _conflict(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    run.seed("0.3.0", SCHEMA, ref="sha256:" + "e" * 64)
    return library_error(run.options)


@raises("TagConflictError")
def _tag_conflict(run: Run, _: dict[str, LocalRegistry], registry: LocalRegistry) -> PublishError:
    publish(run.options(), Quiet())  # one Akua package published the tag ...
    other = run.akua.store.add_package(WORKSPACE_ID, "hello-again",
                                       {"kind": "oci", "oci_ref": f"oci://{registry.host}/{run.target.repo}"})
    (run.package / "README.md").write_text("other content under the same tag\n")  # ... another one, other content
    return library_error(lambda: run.options(package=replace(run.options().package, package_id=other)))


@raises("PushedNotRegisteredError")
def _pushed_not_registered(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    run.akua.server.faults.add(Fault("POST", r"/versions$", status=503, times=5))
    return library_error(run.options)


@raises("DeadlineError")
def _deadline(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    run.akua.server.faults.add(Fault("GET", r"/packages/pkg_\w+$", action="stall", seconds=4, times=1))
    return library_error(lambda: run.options(limits=LimitOptions(max_attempts=1, deadline=1, timeout=10)))


@raises("AkuaTlsError")
def _akua_tls(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    https = run.akua.server.base_url.replace("http://", "https://")  # TLS to a server that speaks plain HTTP
    return library_error(lambda: run.options(akua=AkuaOptions(token=run.akua.token, api_url=https)))


@raises("DependencyError")
def _file_outside(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    where = run.root.parent / f"elsewhere-{secrets.token_hex(3)}" / "dep.git"
    git_repository(where, {"chart/Chart.yaml": b"name: dep\n"})
    with_dependency(run.package, f'git = "file://{where}", tag = "v1.0.0"')
    return library_error(run.options)


@raises("DependencyUnavailableError")
def _git_down(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    with_dependency(run.package, f'git = "http://127.0.0.1:{free_port()}/dep.git", tag = "v1.0.0"')
    return library_error(run.options)


@raises("LockFileError")
def _bad_lock(run: Run, _: dict[str, LocalRegistry], registry: LocalRegistry) -> PublishError:
    with_dependency(run.package, f'oci = "oci://{registry.host}/charts/c", version = "1"')
    (run.package / "akua.lock").write_text("version = 1\n[[package]]\nname = 3\n")
    return library_error(run.options)


@raises("PackageKSyntaxError")
def _syntax(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    (run.package / "package.k").write_text("schema Input:\n    a: int =\n")
    return library_error(run.options)


@raises("RegistryAuthError")
def _registry_auth(run: Run, registries: dict[str, LocalRegistry], _: LocalRegistry) -> PublishError:
    target = new_target(registries["basic"], run.akua)
    return library_error(lambda: run.options(package=replace(run.options().package, package_id=target.package_id),
                                             registry=RegistryOptions(username=PUSHER, password="wrong-" + PASSWORD)))


@raises("RegistryProtocolError")
def _protocol(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    return library_error(lambda: run.options(registry=RegistryOptions(plain_http=False)))


@raises("RegistryTlsError")
def _registry_tls(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    with LocalRegistry(tls=TestCA()) as tls:  # a certificate of a CA the run does not trust
        target = new_target(tls, run.akua)
        return library_error(lambda: run.options(package=replace(run.options().package, package_id=target.package_id),
                                                 registry=RegistryOptions(plain_http=False)))


@raises("CredentialsWithheldError")
def _withheld(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    server = TokenServer({PUSHER: (PASSWORD, {"pull", "push"})}, host="127.0.0.2")  # another host, plain HTTP
    try:
        with LocalRegistry(token_server=server) as registry:
            target = new_target(registry, run.akua)
            return library_error(lambda: run.options(
                package=replace(run.options().package, package_id=target.package_id),
                registry=RegistryOptions(username=PUSHER, password=PASSWORD)))
    finally:
        server.shutdown()


def _through_proxy(run: Run, registry: LocalRegistry, fault: Fault) -> PublishError:
    proxy = FaultProxy(registry.host)
    try:
        proxy.add(fault)
        target = new_target(registry, run.akua, proxy.host)
        return library_error(lambda: run.options(package=replace(run.options().package, package_id=target.package_id)))
    finally:
        proxy.shutdown()


@raises("RegistryRejectedError")
def _registry_rejected(run: Run, _: dict[str, LocalRegistry], registry: LocalRegistry) -> PublishError:
    return _through_proxy(run, registry, Fault("POST", r"/blobs/uploads/", status=400))


@raises("RegisteredNotTaggedError")
def _not_tagged(run: Run, _: dict[str, LocalRegistry], registry: LocalRegistry) -> PublishError:
    return _through_proxy(run, registry, Fault("PUT", r"/manifests/0\.3\.0$", status=503, times=9))


@raises("RegistryContentError")
def _corrupt(run: Run, _: dict[str, LocalRegistry], registry: LocalRegistry) -> PublishError:
    proxy = FaultProxy(registry.host)
    try:
        target = new_target(registry, run.akua, proxy.host)
        old = _push_as_release_1_0_0(target, run.root, run.root / "scratch")  # records no content digest ...
        layer = json.loads(registry.manifest(target.repo, old) or b"{}")["layers"][0]["digest"]
        proxy.add(Fault("GET", f"/blobs/{layer}$", action="corrupt", times=9))  # ... so it is read back, corrupt
        return library_error(lambda: run.options(package=replace(run.options().package, package_id=target.package_id)))
    finally:
        proxy.shutdown()


@raises("UnreadableArtifactError")
def _unreadable(run: Run, registries: dict[str, LocalRegistry], _: LocalRegistry) -> PublishError:
    target = new_target(registries["token"], run.akua)  # private, and no registry connection in the workspace
    return library_error(lambda: run.options(package=replace(run.options().package, package_id=target.package_id),
                                             registry=RegistryOptions(username=PUSHER, password=PASSWORD)))


@raises("RunCancelledError")
def _cancelled(run: Run, _: dict[str, LocalRegistry], __: LocalRegistry) -> PublishError:
    error = library_error(run.options, Quiet(cancel_at="Pack"))
    assert error.exit_code == 143 and "Nothing was pushed or registered." in error.message
    return error


@pytest.fixture
def run(tmp_path: Path, registry: LocalRegistry, akua: Akua) -> Iterator[Run]:
    shutil.copytree(EXAMPLE, tmp_path / "pkg", symlinks=True)
    (tmp_path / "scratch").mkdir()
    yield Run(tmp_path, new_target(registry, akua), akua)
    akua.server.faults.clear()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_error_reaches_a_library_caller(name: str, run: Run, registries: dict[str, LocalRegistry],
                                            registry: LocalRegistry) -> None:
    error = SCENARIOS[name](run, registries, registry)
    assert type(error).__name__ == name, error


def test_every_error_class_is_importable_and_raised_through_the_library(akua: Akua, registry: LocalRegistry,
                                                                        tmp_path: Path) -> None:
    """The cases of test_errors.py through the library, the scenarios above, and the few raised below ``publish``:
    together every error class a caller may catch."""
    for module in pkgutil.walk_packages(akua_publish.__path__, "akua_publish."):
        if not module.name.endswith("__main__"):  # which runs the command line
            importlib.import_module(module.name)
    defined, pending = set(), [PublishError]
    while pending:
        kind = pending.pop()
        defined.add(kind)
        pending += kind.__subclasses__()
    library = {kind.__name__ for kind in defined if kind.__module__.split(".")[1] != "frontends"}
    exported = {name for name in akua_publish.__all__ if isinstance(getattr(akua_publish, name), type)
                and issubclass(getattr(akua_publish, name), PublishError)}
    assert library == exported, "an error class of the library is not importable from akua_publish"
    raised = case_errors(akua, registry, tmp_path)
    missing = exported - raised.keys() - SCENARIOS.keys() - RAISED_ELSEWHERE.keys() - BASES
    assert not missing, f"no test raises these through the library: {sorted(missing)}"


def test_a_missing_package_folder_is_named_as_the_caller_gave_it(run: Run) -> None:
    given = PackageOptions(path=Path("nowhere/hello"), version="0.3.0", package_id=run.target.package_id)
    error = library_error(lambda: run.options(package=given))
    assert type(error).__name__ == "PackageError"
    assert error.message == "The package directory `nowhere/hello` does not exist."
    assert "`PackageOptions.path`" in error.hint
