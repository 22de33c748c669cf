"""Generated akua.toml + akua.lock combinations, published for real and packed by Akua's own core.

Every dependency form (OCI chart, git repository, path, Helm repository), with and
without ``replace``, pinned right, wrongly or not at all, git repositories whose HEAD
names no branch, annotated and lightweight tags and full revs: whatever the mix, a run
never ends in an internal error (exit 70); it publishes, or stops with exit 1 or 75 and
an annotation. And what Akua's core vendors without a warning (``akuapkg pack``) is not
refused, unless the refusal is one of the differences the README lists (README.md,
"Where akua-publish deliberately differs"): an OCI dependency without a pin in akua.lock,
and a git dependency whose commit is not the one akua.lock pins.
"""

from __future__ import annotations

import hashlib
import http.server
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from akua_publish.deps.tree import tree_digest
from conftest import EXAMPLE, WORKSPACE_ID, Akua, error_lines
from devtools.action import run_action
from devtools.dependencies import chart_tarball, lock_file, push_chart
from devtools.git_plumbing import Bare
from devtools.oracle import Oracle
from devtools.registry import LocalRegistry

CHART_REPO = "combinations/podinfo"
GIT_TREE = {b"chart": {b"Chart.yaml": b"apiVersion: v2\nname: dep\nversion: 0.1.0\n", b"run.sh": b"#!/bin/sh\n"}}
WRONG_SHA256 = "sha256:" + "0" * 64
REPLACE = "vendor/charts/hello"  # a folder of the example package


@dataclass(frozen=True)
class Dep:
    alias: str
    form: str  # oci, git, path, repo
    pin: str = "right"  # right, wrong, none
    replace: bool = False
    head: str = "main"  # git: main, or a branch that does not exist
    ref: str = "annotated"  # git: annotated, lightweight, rev, missing-tag


@dataclass
class Sources:
    """What the dependencies point at: a chart in the registry, git repositories, a Helm repository."""

    registry: LocalRegistry
    chart_digest: str
    git: dict[str, tuple[Path, str]]  # head -> (bare repository, tagged commit), inside the oracle's root
    helm_url: str
    helm_digest: str


@pytest.fixture(scope="module")
def sources(registry: LocalRegistry, oracle: Oracle) -> Iterator[Sources]:
    work = oracle.workdir()
    git = {}
    for head in ("main", "gone"):
        bare = Bare(work / f"{head}.git", head=f"refs/heads/{head}")
        commit = bare.commit(bare.tree(GIT_TREE))
        bare.branch("release", commit)
        if head == "main":
            bare.branch("main", commit)
        bare.tag("v1.0.0", commit, annotated=True)
        bare.tag("v1.0.0-light", commit, annotated=False)
        git[head] = (bare.path, commit)
    helm = work / "helm"
    helm.mkdir()
    tgz = chart_tarball("mychart")
    (helm / "mychart-0.1.0.tgz").write_bytes(tgz)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(helm), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    (helm / "index.yaml").write_text(f"apiVersion: v1\nentries:\n  mychart:\n  - name: mychart\n    version: 0.1.0\n"
                                     f"    urls: [{url}/mychart-0.1.0.tgz]\n")
    yield Sources(registry, push_chart(registry, CHART_REPO, "0.1.0"), git, url,
                  "sha256:" + hashlib.sha256(tgz).hexdigest())
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)


def manifest(deps: list[Dep], sources: Sources, mirrors: Path | None,
             oracle: Oracle) -> tuple[str, list[dict[str, str]]]:
    """The [dependencies] lines and the lock entries; git URLs as the action sees them (its copies of the
    repositories, in ``mirrors`` below its workspace) or, with no ``mirrors``, as Akua (chroot) sees the originals.
    A replaced dependency is locked as `akua pkg lock` locks it: the folder's tree digest, marked replaced."""
    lines, lock = [], []
    for dep in deps:
        fields, entry = _fields(dep, sources, mirrors, oracle)
        if dep.replace and dep.form in ("oci", "git"):
            fields += f', replace = {{ path = "{REPLACE}" }}'
            assert entry is not None
            lock.append(entry | {"digest": tree_digest(EXAMPLE / REPLACE), "replaced": REPLACE})
        elif entry and dep.pin != "none":
            lock.append(entry | ({"digest": WRONG_SHA256 if dep.form != "git" else "git:" + "0" * 40}
                                 if dep.pin == "wrong" else {}))
        lines.append(f'"{dep.alias}" = {{ {fields} }}')
    return "\n".join(lines) + "\n", lock


def _fields(dep: Dep, sources: Sources, mirrors: Path | None, oracle: Oracle) -> tuple[str, dict[str, str] | None]:
    if dep.form == "oci":
        oci = f"oci://{sources.registry.host}/{CHART_REPO}"
        return (f'oci = "{oci}", version = "0.1.0"',
                {"name": dep.alias, "version": "0.1.0", "source": oci, "digest": sources.chart_digest})
    if dep.form == "git":
        path, commit = sources.git[dep.head]
        url = "file://" + (oracle.inside(path) if mirrors is None else str(mirrors / path.name))
        ref = {"annotated": 'tag = "v1.0.0"', "lightweight": 'tag = "v1.0.0-light"', "rev": f'rev = "{commit}"',
               "missing-tag": 'tag = "v9.9.9"'}[dep.ref]
        version = ref.split('"')[1]
        return (f'git = "{url}", {ref}',
                {"name": dep.alias, "version": version, "source": f"git+{url.removesuffix('.git')}@{version}",
                 "digest": f"git:{commit}"})
    if dep.form == "repo":
        return (f'repo = "{sources.helm_url}", chart = "mychart", version = "0.1.0"',
                {"name": dep.alias, "version": "0.1.0", "source": f"helm+{sources.helm_url}#mychart",
                 "digest": sources.helm_digest})
    return f'path = "{REPLACE}"', None


ALIASES = st.text(alphabet="ab-_9", min_size=1, max_size=4).filter(lambda a: a[0] != "-")
DEPS = st.builds(
    Dep, alias=ALIASES, form=st.sampled_from(["oci", "git", "git", "path", "repo"]),
    pin=st.sampled_from(["right", "right", "wrong", "none"]), replace=st.booleans(),
    head=st.sampled_from(["main", "gone"]), ref=st.sampled_from(["annotated", "lightweight", "rev", "missing-tag"]))
COMBINATIONS = st.lists(DEPS, min_size=1, max_size=3, unique_by=lambda d: d.alias.replace("-", "_"))


def documented_difference(deps: list[Dep]) -> str:
    """The README's reason for refusing what Akua's core accepts, or "" when there is none."""
    for dep in deps:
        if dep.replace and dep.form in ("oci", "git"):
            continue  # not fetched: neither side checks it
        if dep.form == "oci" and dep.pin == "none":
            return "an unpinned OCI dependency"
        if dep.form == "git" and dep.pin == "wrong" and dep.ref != "missing-tag":
            return "a git commit akua.lock does not pin"
    return ""


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(deps=COMBINATIONS)
def test_generated_dependencies_publish_or_stop_with_an_annotation(deps: list[Dep], sources: Sources, akua: Akua,
                                                                   oracle: Oracle, tmp_path: Path) -> None:
    work = oracle.workdir()
    try:
        for path, _ in sources.git.values():  # file:// dependencies must be below the workspace: mirrored there
            shutil.copytree(path, work / "ours" / "mirrors" / path.name)
        ours = _package(work / "ours", *manifest(deps, sources, work / "ours" / "mirrors", oracle))
        theirs = _package(work / "theirs", *manifest(deps, sources, None, oracle))
        repo = f"combinations/p-{secrets.token_hex(4)}"
        package_id = akua.store.add_package(WORKSPACE_ID, "hello",
                                            {"kind": "oci", "oci_ref": f"oci://{sources.registry.host}/{repo}"})
        run = run_action(ours.parent, {"package-id": package_id, "path": "pkg", "api-url": akua.server.base_url,
                                       "max-attempts": "2"},
                         {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": akua.token})
        assert run.returncode in (0, 1, 75), run.log
        assert "Traceback" not in run.log, run.log
        if run.returncode:
            assert error_lines(run), run.log
        before = oracle.stderr.stat().st_size if oracle.stderr.exists() else 0
        code, _ = oracle.execute(["pack", "--json", "--workspace", oracle.inside(theirs),
                                  "--out", oracle.inside(work / "akua.tgz")])
        warned = b"dep resolution failed" in oracle.stderr.read_bytes()[before:]
        event(f"akua-publish exit {run.returncode}, Akua's core {'accepts' if code == 0 and not warned else 'refuses'}")
        if code == 0 and not warned and run.returncode != 0:
            assert documented_difference(deps), f"Akua's core accepts {deps}, akua-publish refused:\n{run.log}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _package(root: Path, dependencies: str, lock: list[dict[str, str]]) -> Path:
    package = root / "pkg"
    shutil.copytree(EXAMPLE, package)
    toml = package / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n" + dependencies)
    if lock:
        (package / "akua.lock").write_text(lock_file(lock))
    return package
