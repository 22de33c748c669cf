"""Packages with dependencies: OCI charts and git repositories vendored as Akua's publish does,
failing closed where Akua's CLI would ship an artifact that cannot render offline."""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import WORKSPACE_ID, Akua, Target, assert_plain_words, error_lines, parse_annotation
from devtools.dependencies import CHART_FILES, git_repository, lock_file, push_chart, zeros_chart
from devtools.registry import LocalRegistry, free_port
from devtools.token_server import TokenServer

CHART = "charts/podinfo"
READER = "dep-reader"
READER_PASSWORD = "dep-" + secrets.token_hex(12)


@dataclass
class Deps:
    registry: LocalRegistry
    chart_digest: str
    git_url: str
    tagged: str
    later: str


@pytest.fixture
def deps(registry: LocalRegistry, workspace: Path) -> Deps:
    """The chart in the registry, and the git repository as a mirror inside the checkout (a ``file://``
    dependency must be below the workspace)."""
    digest = push_chart(registry, CHART, "0.1.0")
    root = workspace / "mirrors"
    files = {f"chart/{rel}": data for rel, (data, _) in CHART_FILES.items()}
    tagged, later = git_repository(root / "chart.git", {**files, "values.yaml": b"replicaCount: 1\n",
                                                      "README.md": b"upstream\n"})
    return Deps(registry, digest, f"file://{root / 'chart.git'}", tagged, later)


def write_package(workspace: Path, deps: Deps, *, lock: list[dict[str, str]] | None = None,
                  extra: str = "") -> None:
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    'hello = { path = "vendor/charts/hello" }\n'
                    f'podinfo = {{ oci = "oci://{deps.registry.host}/{CHART}", version = "0.1.0" }}\n'
                    f'podinfo-git = {{ git = "{deps.git_url}", tag = "v1.0.0" }}\n' + extra)
    entries = lock if lock is not None else default_lock(deps)
    (workspace / "pkg" / "akua.lock").write_text(lock_file(entries))


def default_lock(deps: Deps) -> list[dict[str, str]]:
    return [
        {"name": "podinfo", "version": "0.1.0", "source": f"oci://{deps.registry.host}/{CHART}",
         "digest": deps.chart_digest},
        {"name": "podinfo-git", "version": "v1.0.0", "source": f"git+{deps.git_url}@v1.0.0",
         "digest": f"git:{deps.tagged}"},
    ]


def layer_entries(target: Target, digest: str) -> list[tuple[str, bytes, int]]:
    manifest = requests.get(f"http://{target.registry.host}/v2/{target.repo}/manifests/{digest}", timeout=10,
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    blob = requests.get(f"http://{target.registry.host}/v2/{target.repo}/blobs/{manifest['layers'][0]['digest']}",
                        timeout=10).content
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        return [(m.name, archive.extractfile(m).read(), m.mode) for m in archive]


def test_oci_and_git_dependencies_are_vendored(publish, target: Target, workspace: Path, deps: Deps) -> None:
    write_package(workspace, deps)
    run = publish()
    assert run.returncode == 0, run.log
    entries = layer_entries(target, run.outputs["digest"])
    names = [name for name, _, _ in entries]
    vendored = [name for name in names if name.startswith(".akua/vendor/")]
    assert names[:len(names) - len(vendored)] == [n for n in names if not n.startswith(".akua/")], "workspace first"
    assert vendored == [
        ".akua/vendor/podinfo/Chart.yaml", ".akua/vendor/podinfo/files/inputs.yaml",
        ".akua/vendor/podinfo/files/run.sh", ".akua/vendor/podinfo/templates/a/deployment.yaml",
        ".akua/vendor/podinfo/templates/a-b.yaml", ".akua/vendor/podinfo/values.yaml",
        ".akua/vendor/podinfo-git/README.md", ".akua/vendor/podinfo-git/chart/Chart.yaml",
        ".akua/vendor/podinfo-git/chart/files/inputs.yaml", ".akua/vendor/podinfo-git/chart/files/run.sh",
        ".akua/vendor/podinfo-git/chart/templates/a/deployment.yaml",
        ".akua/vendor/podinfo-git/chart/templates/a-b.yaml", ".akua/vendor/podinfo-git/chart/values.yaml",
        ".akua/vendor/podinfo-git/values.yaml",
    ]
    by_name = {name: (data, mode) for name, data, mode in entries}
    assert by_name[".akua/vendor/podinfo/files/run.sh"][1] == 0o755  # the chart's executable bit
    assert by_name[".akua/vendor/podinfo-git/chart/files/run.sh"][1] == 0o644  # git checkouts lose it (Akua)
    assert by_name[".akua/vendor/podinfo-git/values.yaml"][0] == b"replicaCount: 1\n", "the tag, not the later commit"
    assert b"replace" not in by_name["akua.toml"][0]
    assert "| podinfo | " in run.summary and deps.chart_digest in run.summary and deps.tagged in run.summary
    assert len(target.created()) == 1


def test_same_commit_and_lock_same_digest_from_fresh_copies(publish, target: Target, workspace: Path, deps: Deps,
                                                           tmp_path: Path) -> None:
    write_package(workspace, deps)
    first = publish(inputs={"dry-run": "true"})
    copy = tmp_path / "second"
    shutil.copytree(workspace, copy, symlinks=True)
    for path in copy.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (1_600_000_000, 1_600_000_000))
    # The second checkout beside the first, under one workspace that holds the git mirror the URL names.
    second = publish(inputs={"dry-run": "true", "path": "second/pkg"}, root=tmp_path)
    assert first.returncode == second.returncode == 0, first.log + second.log
    assert first.outputs["digest"] == second.outputs["digest"]


def test_a_prevendored_tree_publishes_without_the_dependency_registries(
        publish, target: Target, workspace: Path, deps: Deps) -> None:
    from akua_publish.deps.tree import tree_digest

    vendor = workspace / "pkg" / ".akua" / "vendor"
    for alias in ("podinfo", "podinfo-git"):
        (vendor / alias).mkdir(parents=True)
        (vendor / alias / "Chart.yaml").write_text(f"name: {alias}\n")
    unreachable = f"127.0.0.1:{free_port()}"
    toml = workspace / "pkg" / "akua.toml"
    write_package(workspace, deps, lock=[
        {"name": "podinfo", "version": "0.1.0", "source": "x", "digest": tree_digest(vendor / "podinfo")},
        {"name": "podinfo-git", "version": "v1.0.0", "source": "x", "digest": f"git:{deps.tagged}"} |
        {"digest": tree_digest(vendor / "podinfo-git")},
    ])
    toml.write_text(toml.read_text().replace(deps.registry.host, unreachable).replace(deps.git_url, "file:///nowhere"))
    run = publish()
    assert run.returncode == 0, run.log
    names = [name for name, _, _ in layer_entries(target, run.outputs["digest"])]
    assert ".akua/vendor/podinfo/Chart.yaml" in names and ".akua/vendor/podinfo-git/Chart.yaml" in names


@dataclass
class Failure:
    name: str
    needles: tuple[str, ...]
    lock: list[dict[str, str]] | None = None
    extra: str = ""
    swap: tuple[str, str] | None = None  # replace in akua.toml
    code: int = 1


def _failures(deps: Deps) -> list[Failure]:
    good = default_lock(deps)
    wrong = "sha256:" + "0" * 64
    return [
        Failure("pin-mismatch", (deps.chart_digest, wrong, "akua pkg lock"),
                lock=[good[0] | {"digest": wrong}, good[1]]),
        Failure("no-lock-entry", ("`podinfo`", "no sha256 pin in akua.lock"), lock=[good[1]]),
        Failure("oci-tag-missing", ("does not exist", "`9.9.9`"), swap=('version = "0.1.0"', 'version = "9.9.9"')),
        Failure("git-tag-missing", ("no tag `v7`",), swap=('tag = "v1.0.0"', 'tag = "v7"')),
        Failure("git-rev-missing", ("full 40-hex commit",), swap=('tag = "v1.0.0"', f'rev = "{"ab" * 20}"')),
        Failure("git-pin-mismatch", (deps.later, "akua.lock pins", deps.tagged),
                lock=[good[0], good[1] | {"digest": f"git:{deps.later}"}]),
        Failure("ssh-url-refused", ("SSH is not supported", "`git = \"https://github.com/acme/chart.git\"`"),
                swap=(deps.git_url, "ssh://github.com/acme/chart.git")),
        Failure("registry-unreachable", ("cannot be pulled",), code=75,
                swap=(deps.registry.host, f"127.0.0.1:{free_port()}")),
    ]


FAILURE_NAMES = ["pin-mismatch", "no-lock-entry", "oci-tag-missing", "git-tag-missing", "git-rev-missing",
                 "git-pin-mismatch", "ssh-url-refused", "registry-unreachable"]


@pytest.mark.parametrize("name", FAILURE_NAMES)
def test_a_dependency_that_cannot_be_vendored_stops_the_run(publish, target: Target, workspace: Path, deps: Deps,
                                                           name: str) -> None:
    case = next(f for f in _failures(deps) if f.name == name)
    write_package(workspace, deps, lock=case.lock)
    if case.swap:
        toml = workspace / "pkg" / "akua.toml"
        toml.write_text(toml.read_text().replace(*case.swap))
    run = publish(inputs={"max-attempts": "2"})
    assert run.returncode == case.code, run.log
    [line] = error_lines(run)
    _, message = parse_annotation(line)
    for needle in case.needles:
        assert needle in message, message
    target.assert_untouched()


def test_an_invalid_lock_stops_the_run(publish, target: Target, workspace: Path, deps: Deps) -> None:
    write_package(workspace, deps)
    (workspace / "pkg" / "akua.lock").write_text("version = 2\n")
    run = publish()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Invalid akua.lock" and "`version` is 2" in message
    target.assert_untouched()


@pytest.fixture(scope="module")
def private_registry() -> Iterator[tuple[LocalRegistry, TokenServer]]:
    server = TokenServer({READER: (READER_PASSWORD, {"pull"})})
    with LocalRegistry(token_server=server) as running:
        yield running, server
    server.shutdown()


def test_a_private_chart_needs_dependency_credentials(publish, target: Target, workspace: Path, deps: Deps,
                                                      private_registry: tuple[LocalRegistry, TokenServer]) -> None:
    private, server = private_registry
    digest = push_chart(private, CHART, "0.1.0")
    write_package(workspace, deps, lock=[default_lock(deps)[0] | {"digest": digest}, default_lock(deps)[1]])
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().replace(deps.registry.host, private.host))
    refused = publish()
    assert refused.returncode == 1, refused.log
    assert "dependency-credentials" in error_lines(refused)[0]
    target.assert_untouched()
    credentials = json.dumps({private.host: {"username": READER, "password": READER_PASSWORD}})
    with target.akua.connection(private.host, (READER, READER_PASSWORD)):  # Akua reads the dependency too
        run = publish(inputs={"dependency-credentials": credentials})
    assert run.returncode == 0, run.log
    assert READER_PASSWORD not in run.log + run.summary and run.leaked(server.issued) == []
    assert "::add-mask::" + READER_PASSWORD in run.stdout


def test_akua_package_as_an_oci_dependency(publish, target: Target, workspace: Path, deps: Deps, akua: Akua) -> None:
    """An Akua package published to the registry is vendored from its Akua content layer."""
    upstream_repo = f"packages/upstream-{secrets.token_hex(3)}"
    package_id = akua.store.add_package(WORKSPACE_ID, "hello",
                                        {"kind": "oci", "oci_ref": f"oci://{deps.registry.host}/{upstream_repo}"})
    published = publish(inputs={"package-id": package_id})
    assert published.returncode == 0, published.log
    from akua_publish.artifact import CONTENT_MEDIA_TYPE

    manifest = requests.get(f"http://{deps.registry.host}/v2/{upstream_repo}/manifests/0.3.0", timeout=10,
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    [layer] = [entry["digest"] for entry in manifest["layers"] if entry["mediaType"] == CONTENT_MEDIA_TYPE]
    write_package(workspace, deps, lock=[default_lock(deps)[0] | {"name": "upstream", "digest": layer,
                                                                  "source": "x"}])
    toml = workspace / "pkg" / "akua.toml"
    text = toml.read_text().split("[dependencies]")[0] + "[dependencies]\n" + (
        f'upstream = {{ oci = "oci://{deps.registry.host}/{upstream_repo}", version = "0.3.0" }}\n')
    toml.write_text(text.replace('version = "0.3.0"\nedition', 'version = "0.4.0"\nedition'))
    run = publish(env={"GITHUB_REF": "refs/tags/v0.4.0"})
    assert run.returncode == 0, run.log
    names = [name for name, _, _ in layer_entries(target, run.outputs["digest"])]
    assert ".akua/vendor/upstream/package.k" in names and ".akua/vendor/upstream/akua.toml" in names


def test_the_vendored_entries_are_akuas(oracle, registry: LocalRegistry, deps: Deps, tmp_path: Path) -> None:
    """Akua's own `pack` of the same workspace, against the same registry and git repository."""

    from akua_publish.clients.retry import RetryPolicy
    from akua_publish.deps.oci import NetworkFetcher
    from akua_publish.deps.vendor import vendor
    from akua_publish.package.loader import load_package
    from akua_publish.package.packing import pack
    from conftest import EXAMPLE

    work = oracle.workdir()
    try:
        files = {f"chart/{rel}": data for rel, (data, _) in CHART_FILES.items()}
        tagged, _ = git_repository(work / "chart.git", {**files, "values.yaml": b"replicaCount: 1\n"})
        layers = {}
        for side, url in (("akua", "file://" + oracle.inside(work / "chart.git")),
                          ("ours", f"file://{work / 'chart.git'}")):
            root = work / side
            shutil.copytree(EXAMPLE, root)
            toml = root / "akua.toml"
            toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                            'hello = { path = "vendor/charts/hello" }\n'
                            f'podinfo = {{ oci = "oci://{registry.host}/{CHART}", version = "0.1.0" }}\n'
                            f'podinfo-git = {{ git = "{url}", tag = "v1.0.0" }}\n')
            (root / "akua.lock").write_text(lock_file([
                {"name": "podinfo", "version": "0.1.0", "source": f"oci://{registry.host}/{CHART}",
                 "digest": deps.chart_digest},
                {"name": "podinfo-git", "version": "v1.0.0", "source": f"git+{url}@v1.0.0", "digest": f"git:{tagged}"},
            ]))
            if side == "akua":
                code, said = oracle.execute(["pack", "--json", "--workspace", oracle.inside(root),
                                             "--out", oracle.inside(work / "akua.tgz")])
                assert code == 0 and b'"vendored_deps":["podinfo","podinfo-git"]' in said, said
                layers[side] = work / "akua.tgz"
            else:
                package = load_package(root, ".")
                done = vendor(package, tmp_path, NetworkFetcher(RetryPolicy(attempts=1), {}, tmp_path), file_root=work)
                layers[side] = pack(root, tmp_path, done.files, toml=package.toml).path
        with tarfile.open(layers["akua"]) as a, tarfile.open(layers["ours"]) as o:
            theirs, ours = {m.name: m for m in a}, {m.name: m for m in o}
            assert list(ours) == list(theirs)
            for name, header in theirs.items():
                if name not in ("akua.toml", "akua.lock"):  # these two name the git URL as each side sees it
                    assert o.extractfile(name).read() == a.extractfile(name).read(), name
                runs = bool(header.mode & 0o100)
                assert ours[name].mode == (0o755 if runs else 0o644), name  # Akua's bit, normalised
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_private_git_dependency_over_smart_http(publish, target: Target, workspace: Path, deps: Deps,
                                                  tmp_path: Path) -> None:
    from devtools.dependencies import GitHttpServer

    files = {f"chart/{rel}": data for rel, (data, _) in CHART_FILES.items()}
    tagged, _ = git_repository(tmp_path / "repos" / "chart.git", {**files, "values.yaml": b"replicaCount: 1\n"})
    password = "git-" + secrets.token_hex(12)
    server = GitHttpServer(tmp_path / "repos", ("git-reader", password))
    try:
        url = f"{server.base_url}/chart.git"
        lock = [default_lock(deps)[0], default_lock(deps)[1] | {"digest": f"git:{tagged}"}]
        write_package(workspace, deps, lock=lock)
        toml = workspace / "pkg" / "akua.toml"
        toml.write_text(toml.read_text().replace(deps.git_url, url))
        refused = publish()
        assert refused.returncode == 1, refused.log
        assert "dependency-credentials" in error_lines(refused)[0] and server.credentials_seen == []
        host = server.base_url.removeprefix("http://")
        credentials = json.dumps({host: {"username": "git-reader", "password": password}})
        run = publish(inputs={"dependency-credentials": credentials})
    finally:
        server.shutdown()
    assert run.returncode == 0, run.log
    assert server.credentials_seen and password not in run.log
    names = [name for name, _, _ in layer_entries(target, run.outputs["digest"])]
    assert ".akua/vendor/podinfo-git/chart/Chart.yaml" in names


def bomb_package(workspace: Path, deps: Deps, size: int) -> None:
    """examples/hello depending on a chart whose one file is ``size`` bytes of zeros (about 1/1000 compressed)."""
    digest = push_chart(deps.registry, "charts/bomb", "1.0.0", zeros_chart(size))
    toml = workspace / "pkg" / "akua.toml"
    oci = f"oci://{deps.registry.host}/charts/bomb"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    f'bomb = {{ oci = "{oci}", version = "1.0.0" }}\n')
    (workspace / "pkg" / "akua.lock").write_text(lock_file([{"name": "bomb", "version": "1.0.0", "source": oci,
                                                            "digest": digest}]))


def test_a_decompression_bomb_stops_the_run_early(publish, target: Target, workspace: Path, deps: Deps) -> None:
    bomb_package(workspace, deps, 1024**3)
    run = publish()
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Dependency cannot be vendored"
    for needle in ("`bomb`", "MiB compressed would unpack to more than 1024.0 MiB", "`max-expansion-ratio`",
                   "decompression bomb"):
        assert needle in message, message
    target.assert_untouched()


def test_a_large_chart_within_raised_limits_is_vendored(publish, target: Target, workspace: Path,
                                                       deps: Deps) -> None:
    bomb_package(workspace, deps, 96 * 1024**2)
    refused = publish(inputs={"max-dependency-size": "64"})
    assert refused.returncode == 1 and "`max-dependency-size`" in error_lines(refused)[0], refused.log
    run = publish(inputs={"max-expansion-ratio": "100000", "dry-run": "true"})
    assert run.returncode == 0, run.log
    assert "Vendored bomb: " in run.log


def test_the_deadline_passing_while_a_chart_unpacks_says_so(deps: Deps, tmp_path: Path) -> None:
    import sys

    from akua_publish.clients.retry import RetryPolicy
    from akua_publish.deps.oci import NetworkFetcher
    from akua_publish.errors import UnpackDeadlineError

    class EndsWhileUnpacking(RetryPolicy):
        """The deadline passes once the blob is downloaded and checked: while it is being unpacked."""

        def time_left(self) -> float:
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_name == "unpack":
                    return -1.0
                frame = frame.f_back
            return super().time_left()

    digest = push_chart(deps.registry, "charts/slow", "1.0.0", zeros_chart(8 * 1024**2))
    fetcher = NetworkFetcher(EndsWhileUnpacking(attempts=1), {}, tmp_path / "scratch")
    with pytest.raises(UnpackDeadlineError) as raised:
        fetcher.oci("slow", f"oci://{deps.registry.host}/charts/slow", "1.0.0", digest, tmp_path / "deps" / "slow")
    assert "passed while the dependency `slow`" in raised.value.message and "unpacked" in raised.value.message
    assert raised.value.exit_code == 1 and "`LimitOptions.deadline`" in raised.value.hint
    assert_plain_words(raised.value)
