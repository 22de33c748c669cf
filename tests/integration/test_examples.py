"""The examples are packages Akua's own toolchain accepts: its `test` passes on each, its `render` renders the
package without charts in full (the manifests compared with those committed) and gets the others as far as
their charts, which need the Helm engine its npm build lacks. A user copies them."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import WORKSPACE_ID, Akua
from devtools.action import ROOT, run_action
from devtools.demo import WRAPPER_GIT, WRAPPER_REGISTRY, serve_dependencies
from devtools.oracle import Oracle
from devtools.registry import LocalRegistry

EXAMPLES = ROOT / "examples"
NO_HELM = "helm-engine.wasm not built"  # what Akua's npm build says where Akua's CLI would run Helm


@pytest.fixture
def copy(oracle: Oracle) -> Iterator[Path]:
    """A folder inside Akua's root, to copy an example into."""
    work = oracle.workdir()
    yield work
    shutil.rmtree(work, ignore_errors=True)


def akua(oracle: Oracle, package: Path, *args: str) -> tuple[int, str]:
    """An Akua verb run in the package's folder: its exit code, and what it printed and logged."""
    before = oracle.stderr.stat().st_size if oracle.stderr.exists() else 0
    code, said = oracle.execute(list(args), cwd=oracle.inside(package))
    logged = oracle.stderr.read_bytes()[before:] if oracle.stderr.exists() else b""
    return code, re.sub(r"\x1b\[[0-9;]*m", "", (said + logged).decode(errors="replace"))


def render(oracle: Oracle, package: Path, out: Path) -> tuple[int, str]:
    return akua(oracle, package, "render", "--json", "--package", oracle.inside(package / "package.k"),
                "--inputs", oracle.inside(package / "inputs.yaml"), "--out", oracle.inside(out))


def served_wrapper(registry: LocalRegistry, work: Path) -> Path:
    """examples/wrapper with its dependencies served as the demo serves them (addresses rewritten)."""
    package = work / "wrapper"
    shutil.copytree(EXAMPLES / "wrapper", package)
    git = serve_dependencies(registry, work)
    for name in ("akua.toml", "akua.lock"):
        text = (package / name).read_text()
        (package / name).write_text(text.replace(WRAPPER_REGISTRY, registry.host).replace(WRAPPER_GIT, git.base_url))
    return package


@pytest.mark.parametrize("example", ["hello", "greeter", "wrapper"])
def test_akuas_test_passes_on_each_example(oracle: Oracle, copy: Path, example: str) -> None:
    package = copy / example
    shutil.copytree(EXAMPLES / example, package)
    code, said = akua(oracle, package, "test", "--json", "--workspace", oracle.inside(package))
    assert code == 0, said
    report = json.loads(said.splitlines()[0])["assertions"]
    if example == "greeter":  # the one with a test: it ran, and passed
        assert (report["status"], report["passed"], report["failed"]) == ("ok", 1, 0), said


def test_the_greeters_test_fails_when_its_package_breaks_it(oracle: Oracle, copy: Path) -> None:
    """Akua's test really runs the example's assertions against the package (it is not an empty pass)."""
    package = copy / "greeter"
    shutil.copytree(EXAMPLES / "greeter", package)
    source = (package / "package.k").read_text()
    (package / "package.k").write_text(source.replace('replicas: int = 1', 'replicas: int = 5'))
    code, said = akua(oracle, package, "test", "--json", "--workspace", oracle.inside(package))
    assert code == 1 and "one pod by default" in said, said


def test_akua_renders_the_package_without_charts_as_committed(oracle: Oracle, copy: Path) -> None:
    package = copy / "greeter"
    shutil.copytree(EXAMPLES / "greeter", package)
    code, said = render(oracle, package, copy / "out")
    assert code == 0, said
    rendered = {p.name: p.read_text() for p in sorted((copy / "out").iterdir())}
    committed = {p.name: p.read_text() for p in sorted((EXAMPLES / "greeter" / "rendered").iterdir())}
    assert rendered == committed and len(committed) == 2, said
    assert "name: hello" in committed["000-configmap-hello.yaml"]  # the example's inputs, not the defaults


def test_akua_renders_the_chart_examples_up_to_the_helm_engine(oracle: Oracle, copy: Path,
                                                               registry: LocalRegistry) -> None:
    """Everything before Helm passes: the inputs against `schema Input`, the generated `charts.*` module and its
    `template` call, and (for the wrapper) the dependency fetched from its registry and checked against the lock."""
    hello = copy / "hello"
    shutil.copytree(EXAMPLES / "hello", hello)
    for package in (hello, served_wrapper(registry, copy)):
        code, said = render(oracle, package, copy / f"out-{package.name}")
        assert code != 0 and NO_HELM in said, said
        assert "attribute" not in said and "not found" not in said and "pkgpath" not in said, said


@pytest.mark.parametrize(("inputs", "failed"), [("port: 70000\nreplicas:\n  min: 1\n", "schema_assert"),
                                                ("greeting: hi\n", "check_schema_optional_attr")],
                         ids=["check-block", "required-input-missing"])
def test_akuas_render_refuses_inputs_the_schema_refuses(oracle: Oracle, copy: Path, inputs: str, failed: str) -> None:
    """The renders above reach Helm because the inputs are right: wrong ones stop before it (Akua's npm build
    aborts in KCL's check, `failed` naming which, where its CLI prints the check's message)."""
    package = copy / "hello"
    shutil.copytree(EXAMPLES / "hello", package)
    (package / "inputs.yaml").write_text(inputs)
    code, said = render(oracle, package, copy / "out")
    assert code != 0 and NO_HELM not in said and failed in said, said


def test_the_package_without_charts_publishes_and_akuas_reader_takes_it(registry: LocalRegistry, akua: Akua,
                                                                       tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "greeter", tmp_path / "greeter")
    repo = f"examples/greeter-{secrets.token_hex(4)}"
    package_id = akua.store.add_package(WORKSPACE_ID, "greeter", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
    run = run_action(tmp_path, {"package-id": package_id, "path": "greeter", "api-url": akua.server.base_url},
                     {"GITHUB_REF": "refs/tags/greeter/v0.1.0", "AKUA_API_TOKEN": akua.token})
    assert run.returncode == 0 and run.outputs["status"] == "published", run.log
    [version] = akua.store.created_versions(package_id)  # Akua's own reader exported its schema: the same
    assert version["ref"] == run.outputs["digest"] == registry.manifest_digest(repo, "0.1.0")
    assert version["input_schema"] == json.loads((EXAMPLES / "greeter" / "exported" / "inputs.schema.json").read_text())
