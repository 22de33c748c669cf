"""Git dependencies from repositories a server may really send: trees git itself refuses, HEADs that name
no branch, tags of both kinds, servers that are down or fail, and credentials YAML must not change."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.git import GitSource, fetch_tree
from akua_publish.errors import DependencyError, DependencyUnavailableError
from akua_publish.reference import Credentials
from conftest import Target, error_lines, parse_annotation
from devtools.action import run_cli
from devtools.dependencies import GitHttpServer, lock_file
from devtools.git_plumbing import Bare, Tree
from devtools.registry import free_port

CHART: Tree = {b"chart": {b"Chart.yaml": b"apiVersion: v2\nname: dep\nversion: 0.1.0\n",
                          b"values.yaml": b"replicaCount: 1\n"}}
INSIDE = {b"config": b"[core]\n\thooksPath = /tmp\n"}

# Trees git's checkout refuses, each with the path the error must name.
BAD_TREES: dict[str, tuple[Tree | list[tuple[bytes, bytes | Tree]], str]] = {
    "dotdot": ({**CHART, b"..": {b"..": {b"escape": b"pwned\n"}}}, ".."),
    "nested-dotdot": ({b"chart": {b"..": {b"..": {b"escape": b"pwned\n"}}}}, "chart/.."),
    "dot": ({**CHART, b".": {b"x": b"x\n"}}, "."),
    "dotgit": ({**CHART, b".git": INSIDE}, ".git"),
    "dotgit-upper-case": ({**CHART, b".GiT": INSIDE}, ".GiT"),
    "dotgit-ntfs-short-name": ({**CHART, b"GIT~1": INSIDE}, "GIT~1"),
    "dotgit-trailing-dot": ({**CHART, b".git.": INSIDE}, ".git."),
    "dotgit-hfs-ignorable": ({**CHART, ".g\u200cit".encode(): INSIDE}, ".g\u200cit"),
    "nested-dotgit": ({b"chart": {b".git": INSIDE}}, "chart/.git"),
    "slash-in-a-name": ({**CHART, b"a/../../escape": b"pwned\n"}, "a/../../escape"),
    "empty-name": ({**CHART, b"": b"pwned\n"}, ""),
    "not-utf8": ({**CHART, b"bad\xff": b"x\n"}, "bad\\xff"),
    "duplicate": ([*CHART.items(), (b"twice", b"1\n"), (b"twice", b"2\n")], "twice"),
}


def policy(attempts: int = 1) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, deadline=60, timeout=10, backoff=0.05)


def tagged(path: Path, tree: Tree | list[tuple[bytes, bytes | Tree]], *, annotated: bool = True,
           head: str = "refs/heads/main") -> tuple[Bare, str]:
    bare = Bare(path, head=head)
    commit = bare.commit(bare.tree(tree))
    bare.branch("release", commit)
    bare.tag("v1.0.0", commit, annotated=annotated)
    return bare, commit


@pytest.mark.parametrize("case", sorted(BAD_TREES))
def test_a_tree_git_refuses_writes_nothing(case: str, tmp_path: Path) -> None:
    tree, shown = BAD_TREES[case]
    bare, _ = tagged(tmp_path / "bad.git", tree)
    into = tmp_path / "work" / "deps" / "dep"
    with pytest.raises(DependencyError) as raised:
        fetch_tree(GitSource("dep", bare.url, "v1.0.0", None, ""), into, objects=tmp_path / "work" / "git" / "dep",
                   policy=policy(), credentials=Credentials("", ""))
    message = raised.value.message
    assert f"`dep` ({bare.url} v1.0.0)" in message and f"the path `{shown}`" in message, message
    assert not into.exists(), "files were written before the tree was checked"
    assert not any(p.name == "escape" for p in tmp_path.rglob("*")), "a file landed outside the vendor folder"


def test_the_pin_is_checked_before_the_tree_is_read(tmp_path: Path) -> None:
    bare, commit = tagged(tmp_path / "moved.git", {**CHART, b"..": {b"escape": b"x\n"}})
    into = tmp_path / "deps" / "dep"
    with pytest.raises(DependencyError) as raised:
        fetch_tree(GitSource("dep", bare.url, "v1.0.0", None, "git:" + "1" * 40), into, objects=tmp_path / "objects",
                   policy=policy(), credentials=Credentials("", ""))
    assert commit in raised.value.message and "1" * 40 in raised.value.message
    assert "`..`" not in raised.value.message and not into.exists()  # the tree was never read


@pytest.mark.parametrize("annotated", [True, False], ids=["annotated-tag", "lightweight-tag"])
@pytest.mark.parametrize("head", ["refs/heads/main", "refs/heads/gone"], ids=["head-on-main", "head-names-no-branch"])
@pytest.mark.parametrize("transport", ["file", "smart-http"])
def test_odd_heads_and_both_kinds_of_tag_are_fetched(tmp_path: Path, annotated: bool, head: str,
                                                     transport: str) -> None:
    bare, commit = tagged(tmp_path / "repos" / "dep.git", CHART, annotated=annotated, head=head)
    if head == "refs/heads/main":
        bare.branch("main", commit)
    server = GitHttpServer(tmp_path / "repos") if transport == "smart-http" else None
    try:
        url = f"{server.base_url}/dep.git" if server else bare.url
        into = tmp_path / "deps" / "dep"
        found = fetch_tree(GitSource("dep", url, "v1.0.0", None, f"git:{commit}"), into, objects=tmp_path / "objects",
                           policy=policy(), credentials=Credentials("", ""))
    finally:
        if server:
            server.shutdown()
    assert found == commit
    assert (into / "chart" / "Chart.yaml").read_bytes() == CHART[b"chart"][b"Chart.yaml"]  # type: ignore[index]


def write_git_dependency(workspace: Path, url: str, commit: str, *, alias: str = "dep") -> None:
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    'hello = { path = "vendor/charts/hello" }\n'
                    f'{alias} = {{ git = "{url}", tag = "v1.0.0" }}\n')
    (workspace / "pkg" / "akua.lock").write_text(lock_file([
        {"name": alias, "version": "v1.0.0", "source": f"git+{url}@v1.0.0", "digest": f"git:{commit}"}]))


@pytest.mark.parametrize("transport", ["file", "smart-http"])
def test_a_git_dependency_alone_from_a_bare_repository_publishes(publish, target: Target, workspace: Path,
                                                                 tmp_path: Path, transport: str) -> None:
    """A git dependency vendored first (the run once failed with exit 70 unless an OCI one came before it),
    from `git init --bare` whose HEAD names a branch that does not exist."""
    bare, commit = tagged(workspace / "repos" / "dep.git", CHART, head="refs/heads/master")
    server = GitHttpServer(workspace / "repos") if transport == "smart-http" else None
    try:
        write_git_dependency(workspace, f"{server.base_url}/dep.git" if server else bare.url, commit, alias="aa-dep")
        run = publish()
    finally:
        if server:
            server.shutdown()
    assert run.returncode == 0, run.log
    assert "Vendored aa-dep: " in run.log and f"git:{commit}" in run.log


@pytest.mark.parametrize("transport", ["file", "smart-http"])
def test_a_tree_with_dotdot_stops_the_publish(publish, target: Target, workspace: Path, tmp_path: Path,
                                              transport: str) -> None:
    bare, commit = tagged(workspace / "repos" / "dep.git", BAD_TREES["dotdot"][0])
    server = GitHttpServer(workspace / "repos") if transport == "smart-http" else None
    try:
        url = f"{server.base_url}/dep.git" if server else bare.url
        write_git_dependency(workspace, url, commit)
        run = publish()
    finally:
        if server:
            server.shutdown()
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Dependency cannot be vendored"
    assert "`dep`" in message and "the path `..`" in message and "git itself refuses" in message
    target.assert_untouched()
    assert not any(p.name == "escape" for p in tmp_path.rglob("*"))


def test_plain_http_git_to_another_machine_is_refused_before_any_request(publish, target: Target,
                                                                         workspace: Path) -> None:
    write_git_dependency(workspace, "http://git.example.com/acme/dep.git", "0" * 40)
    run = publish()
    assert run.returncode == 1, run.log
    _, message = parse_annotation(error_lines(run)[0])
    assert "plain http to another machine" in message and "https" in message
    assert "Retrying" not in run.log
    target.assert_untouched()


class Failing(http.server.BaseHTTPRequestHandler):
    """A git server that answers 503 to everything."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Failing.seen.append(self.path)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_git_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Failing.seen = []
    yield f"http://127.0.0.1:{server.server_port}/dep.git"
    server.shutdown()


@pytest.mark.parametrize("down", ["connection-refused", "http-503"])
def test_a_git_server_that_is_down_is_retried_then_exit_75(publish, target: Target, workspace: Path,
                                                           failing_git_server: str, down: str) -> None:
    url = failing_git_server if down == "http-503" else f"http://127.0.0.1:{free_port()}/dep.git"
    write_git_dependency(workspace, url, "0" * 40)
    run = publish(inputs={"max-attempts": "3"})
    assert run.returncode == 75, run.log
    _, message = parse_annotation(error_lines(run)[0])
    assert "`dep`" in message and "cannot be reached or failed" in message
    assert run.log.count("Retrying in") == 2
    if down == "http-503":
        assert len(Failing.seen) == 3
    target.assert_untouched()


def test_fetch_tree_retries_under_the_policy(tmp_path: Path, failing_git_server: str) -> None:
    with pytest.raises(DependencyUnavailableError):
        fetch_tree(GitSource("dep", failing_git_server, "v1.0.0", None, ""), tmp_path / "deps" / "dep",
                   objects=tmp_path / "objects", policy=policy(attempts=2), credentials=Credentials("", ""))
    assert len(Failing.seen) == 2


def test_a_yaml_password_with_quotes_hash_colon_and_spaces_reaches_the_git_server(
        publish, target: Target, workspace: Path, tmp_path: Path) -> None:
    password = "it's a \"pass: word\" # not a comment"
    _, commit = tagged(tmp_path / "repos" / "dep.git", CHART)
    server = GitHttpServer(tmp_path / "repos", ("git-reader", password))
    try:
        write_git_dependency(workspace, f"{server.base_url}/dep.git", commit)
        host = server.base_url.removeprefix("http://")
        quoted = "'" + password.replace("'", "''") + "'"
        credentials = f"{host}:\n  username: git-reader\n  password: {quoted}  # from a secret\n"
        run = publish(inputs={"dependency-credentials": credentials})
    finally:
        server.shutdown()
    assert run.returncode == 0, run.log
    assert server.credentials_seen and password not in run.log
    assert "::add-mask::" + password in run.stdout


SECRET_TREE: Tree = {**CHART, b"credentials": b"password=hunter2\n"}


def test_a_file_dependency_outside_the_workspace_stops_the_run(publish, target: Target, workspace: Path,
                                                               tmp_path: Path) -> None:
    """Akua's own pack vendors it, credentials file and all; here it stops the run before anything leaves."""
    bare, _ = tagged(tmp_path / "elsewhere" / "secrets.git", SECRET_TREE)
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    f'leak = {{ git = "{bare.url}", tag = "v1.0.0" }}\n')
    run = publish()
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Dependency cannot be vendored" and props["file"] == "akua.toml"
    assert f"`leak` ({bare.url})" in message and "outside the workspace (the checked-out repository)" in message
    assert "hunter2" not in run.log
    target.assert_untouched()


@pytest.mark.parametrize("where", ["", "/.git"])
def test_the_repository_being_published_is_vendored_only_when_pinned(publish, target: Target, workspace: Path,
                                                                     where: str) -> None:
    git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "package"], check=True)
    subprocess.run([*git, "tag", "v1.0.0"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    url = f"file://{workspace}{where}"
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    f'self = {{ git = "{url}", tag = "v1.0.0" }}\n')
    unpinned = publish()
    assert unpinned.returncode == 1, unpinned.log
    _, message = parse_annotation(error_lines(unpinned)[0])
    assert "`self`" in message and "the repository being published" in message and "pins no commit" in message
    target.assert_untouched()
    (workspace / "pkg" / "akua.lock").write_text(lock_file([
        {"name": "self", "version": "v1.0.0", "source": f"git+{url}@v1.0.0", "digest": f"git:{commit}"}]))
    pinned = publish()
    assert pinned.returncode == 0, pinned.log
    assert f"Vendored self: {url} v1.0.0 (git:{commit})" in pinned.log


def test_the_command_line_reads_file_dependencies_below_its_folder_or_file_root(target: Target, workspace: Path,
                                                                               tmp_path: Path) -> None:
    bare, commit = tagged(tmp_path / "elsewhere" / "dep.git", CHART)
    write_git_dependency(workspace, bare.url, commit)
    flags = ("--package-id", target.package_id, "--path", "pkg", "--api-url", target.akua.server.base_url,
             "--version", "0.3.0", "--dry-run")
    env = {"AKUA_API_TOKEN": target.akua.token}
    refused = run_cli(workspace, *flags, env=env)
    assert refused.returncode == 1, refused.stderr + refused.stdout
    assert "outside the working directory (or the folder `--file-root` names)" in refused.stdout + refused.stderr
    allowed = run_cli(workspace, *flags, "--file-root", str(tmp_path / "elsewhere"), env=env)
    assert allowed.returncode == 0, allowed.stderr + allowed.stdout
    assert f"Vendored dep: {bare.url} v1.0.0 (git:{commit})" in allowed.stdout + allowed.stderr
