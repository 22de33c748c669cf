"""Git dependencies: one commit's tree, fetched with dulwich and checked before anything is written.

dulwich is a pure-Python git client: the image needs no ``git`` binary (tens of MB
of Debian packages) and no SSH. The order of the steps is the security argument:

1. the URL: https, ``file://``, and plain http only to a loopback address (the
   credentials of ``dependency-credentials`` never cross a network in clear);
   SSH forms are refused by ``akua_toml`` with the https form to use instead;
2. the fetch: for a tag, only that tag's objects; a server that cannot be
   reached, stalls or answers 5xx/429 is retried under the run's policy and ends
   as "unavailable" (exit 75), anything else is the user's to fix (exit 1);
3. the commit: the tag peeled (annotated or lightweight) or the full ``rev``,
   checked against the ``git:<commit>`` pin of ``akua.lock`` before its tree is read;
4. the tree: every entry name checked by git's rules (``git_paths``) and the whole
   list of files made before the first one is written, so a tree that would
   write outside the vendor folder writes nothing at all.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import urllib3

from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.git_paths import bad_name
from akua_publish.errors import DependencyError, DependencyUnavailableError
from akua_publish.reference import Credentials, is_loopback_host
from akua_publish.wording import secret, setting

CREDENTIALS_HINT = (f"For a private dependency, give its host's credentials in {setting('dependency-credentials')}: "
                    '{"<host>": {"username": "...", "password": "..."}}, passed as '
                    f"{secret('dependency-credentials')}.")
FULL_SHA = re.compile(r"[0-9a-f]{40}")
RETRYABLE_STATUS = (408, 429, 500, 502, 503, 504)
FILE_MODE, FILE_KIND, TREE_KIND = 0o100000, 0o170000, 0o040000


@dataclass(frozen=True)
class GitSource:
    """One git dependency as akua.toml and akua.lock give it."""

    alias: str
    url: str
    tag: str | None
    rev: str | None
    pin: str  # "git:<commit>" from akua.lock, "" when the lock has no entry for it

    @property
    def what(self) -> str:
        return f"`{self.alias}` ({self.url} {self.tag or self.rev})"


def fetch_tree(source: GitSource, into: Path, *, objects: Path, policy: RetryPolicy,
               credentials: Credentials, ca_bundle: str = "") -> str:
    """Write the tree of ``source``'s commit into ``into`` (git objects kept in ``objects``); return the commit."""
    from dulwich.objects import Commit, Tag
    from dulwich.repo import Repo

    parts = _checked_url(source)
    shutil.rmtree(objects, ignore_errors=True)
    objects.parent.mkdir(parents=True, exist_ok=True)
    with Repo.init_bare(str(objects), mkdir=True) as repo:  # closed: its pack files stay open otherwise
        refs = policy.run(lambda: _fetch(source, parts, repo, policy=policy, credentials=credentials,
                                         ca_bundle=ca_bundle),
                          f"Fetch of {source.alias}")
        target = _commit(source, repo, refs)
        while isinstance(target, Tag):
            target = repo[target.object[1]]
        if not isinstance(target, Commit):
            raise DependencyError(f"The git dependency {source.what} does not name a commit.", "Pin a tag or commit.")
        commit = target.id.decode()
        if source.pin and source.pin != f"git:{commit}":
            raise DependencyError(
                f"The git dependency {source.what} resolves to commit {commit}, but akua.lock pins "
                f"{source.pin.removeprefix('git:')} (the tag moved, or the lock is stale); nothing of it was read.",
                "Check the upstream tag; if the new commit is right, run `akua pkg lock` and commit akua.lock.",
                file="akua.lock")
        files = _checkout_plan(repo.object_store, target.tree, source)
        _write(repo.object_store, files, into, source)
        return commit


def _checked_url(source: GitSource) -> Any:
    parts = urlsplit(source.url)
    if parts.scheme not in ("https", "http", "file"):
        raise DependencyError(f"The git dependency {source.what} uses `{parts.scheme or source.url}`: only https "
                              "(and file://) URLs can be fetched here.",
                              f"Use the repository's https URL; private ones take {setting('dependency-credentials')}.")
    if parts.scheme == "http" and not is_loopback_host(parts.netloc.rpartition("@")[2]):
        raise DependencyError(
            f"The git dependency {source.what} uses plain http to another machine: its content (and any "
            "credentials) would cross the network unprotected.",
            "Use the repository's https URL (plain http is allowed only for a server on a loopback address).")
    return parts


def _fetch(source: GitSource, parts: Any, repo: Any, *, policy: RetryPolicy, credentials: Credentials,
           ca_bundle: str) -> dict[bytes, bytes]:
    """One fetch attempt: the refs the server advertised; only the tag's objects are fetched for a tag."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized, get_transport_and_path
    from dulwich.errors import GitProtocolError, HangupException, NotGitRepository

    pool = _pool(source.url, policy, ca_bundle) if parts.scheme != "file" else None
    wanted = (b"refs/tags/" + source.tag.encode()) if source.tag else None

    def wants(refs: Mapping[Any, Any], depth: int | None = None) -> list[Any]:
        if wanted is None:
            return cast(list[Any], repo.object_store.determine_wants_all(refs, depth))
        sha = refs.get(wanted)
        return [sha] if sha and sha not in repo.object_store else []

    try:
        client, path = get_transport_and_path(source.url, username=credentials.username or None,
                                              password=credentials.password or None, pool_manager=pool)
        return {name: sha for name, sha in client.fetch(path, repo, determine_wants=wants).refs.items() if sha}
    except HTTPUnauthorized as exc:
        raise DependencyError(f"The git server of {source.what} asks for credentials"
                              + (" and refused the ones given." if credentials.password else ", and none were given."),
                              CREDENTIALS_HINT) from exc
    except HTTPProxyUnauthorized as exc:
        raise DependencyError(f"The proxy in front of the git server of {source.what} asks for credentials.",
                              "Put them in the proxy URL (https_proxy), or allow the git host through.") from exc
    except NotGitRepository as exc:
        raise DependencyError(f"The git dependency {source.what}: no git repository is there.",
                              "Check the `git` URL in akua.toml. " + CREDENTIALS_HINT) from exc
    except (HangupException, ConnectionError) as exc:
        raise _unavailable(source, type(exc).__name__) from exc
    except GitProtocolError as exc:
        status = pool.last_status if isinstance(pool, _Recording) else 0
        if isinstance(exc.__cause__, urllib3.exceptions.HTTPError) or status in RETRYABLE_STATUS:
            raise _unavailable(source, f"HTTP {status}" if status in RETRYABLE_STATUS else _reason(exc.__cause__),
                               pool.retry_after if isinstance(pool, _Recording) else None) from exc
        raise DependencyError(f"The git dependency {source.what} cannot be fetched: {exc}.", CREDENTIALS_HINT) from exc
    except OSError as exc:
        if parts.scheme == "file":
            raise DependencyError(f"The git dependency {source.what} cannot be read: {exc.strerror}.",
                                  "Check the `file://` path in akua.toml.") from exc
        raise _unavailable(source, type(exc).__name__) from exc


def _unavailable(source: GitSource, why: str, retry_after: float | None = None) -> DependencyUnavailableError:
    return DependencyUnavailableError(f"The git server of {source.what} cannot be reached or failed: {why}.",
                                      "Re-run the job later.", retry_after=retry_after)


def _reason(error: BaseException | None) -> str:
    """The last words of urllib3's error (``[Errno 111] Connection refused``, ``Read timed out.``)."""
    inner = getattr(error, "reason", None) or error
    return str(inner).rsplit(": ", 1)[-1].strip("\"')")


class _Recording(urllib3.PoolManager):
    """dulwich's connection pool, remembering the last HTTP status: dulwich reports a 503 only as text."""

    last_status = 0
    retry_after: float | None = None

    def urlopen(self, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:  # type: ignore[override]
        response = super().urlopen(method, url, redirect=redirect, **kw)
        self.last_status = response.status
        asked = response.headers.get("Retry-After", "")
        self.retry_after = float(asked) if asked.isdigit() else None
        return response


class _RecordingProxy(_Recording, urllib3.ProxyManager):
    """The same, through the proxy that ``https_proxy`` names."""


def _pool(url: str, policy: RetryPolicy, ca_bundle: str) -> Any:
    """dulwich's pool for ``url`` (proxy from the environment, the run's CA bundle, a read timeout that never
    waits past the deadline), recording statuses."""
    from dulwich.client import default_urllib3_manager
    from dulwich.config import ConfigDict

    config = ConfigDict()
    if ca_bundle:
        config.set((b"http",), b"sslCAInfo", ca_bundle.encode())
    return default_urllib3_manager(config, pool_manager_cls=_Recording, proxy_manager_cls=_RecordingProxy,
                                   base_url=url, timeout=policy.timeouts()[1])


def _commit(source: GitSource, repo: Any, refs: dict[bytes, bytes]) -> Any:
    """The object the tag or rev names (a tag is peeled by the caller)."""
    if source.tag:
        sha = refs.get(b"refs/tags/" + source.tag.encode())
        if sha is None:
            raise DependencyError(f"The git dependency {source.what} has no tag `{source.tag}`.",
                                  "Check `tag` in akua.toml against the repository's tags.")
        return repo[sha]
    try:
        if not FULL_SHA.fullmatch(source.rev or ""):
            raise KeyError(source.rev)
        return repo[(source.rev or "").encode()]
    except KeyError as exc:
        raise DependencyError(f"The git dependency {source.what}: `rev` must be a full 40-hex commit of the "
                              "repository, and this one is not.", "Pin a full commit id, or use `tag`.") from exc


def _checkout_plan(store: Any, tree_id: bytes, source: GitSource) -> list[tuple[str, bytes]]:
    """Every regular file of the tree as (path, blob id), each name checked first; links and submodules
    are skipped, as Akua's checkout skips them. Trees are read from their raw bytes: dulwich's ``Tree``
    keeps one entry per name, which would hide a duplicate."""
    files: list[tuple[str, bytes]] = []
    pending: list[tuple[str, bytes]] = [("", tree_id)]
    while pending:
        prefix, sha = pending.pop()
        seen: set[bytes] = set()
        for name, mode, child in _tree_entries(store, sha, source):
            shown = prefix + name.decode("utf-8", "backslashreplace")
            problem = bad_name(name) or ("a name listed twice" if name in seen else None)
            if problem:
                raise DependencyError(
                    f"The git dependency {source.what} holds the path `{shown}` ({problem}), which git itself refuses "
                    "to check out and which could write outside the dependency's folder; nothing of it was written.",
                    "Fix the tree upstream (`git fsck` names it), or pin a commit without it.")
            seen.add(name)
            kind = mode & FILE_KIND
            if kind == TREE_KIND:
                pending.append((shown + "/", child))
            elif kind == FILE_MODE:
                files.append((shown, child))
    return files


def _tree_entries(store: Any, sha: bytes, source: GitSource) -> list[tuple[bytes, int, bytes]]:
    """(name, mode, hex id) of each entry of a tree, duplicates kept."""
    from dulwich.errors import ObjectFormatException
    from dulwich.objects import Tree, parse_tree

    try:
        kind, raw = store.get_raw(sha)
        if kind != Tree.type_num:
            raise ValueError(kind)
        return list(parse_tree(raw, 20))  # ids come back in hex
    except (KeyError, ValueError, ObjectFormatException) as exc:
        raise DependencyError(f"The git server of {source.what} sent an incomplete or malformed commit ({sha.decode()} "
                              "is not the tree its parent names).",
                              "Re-run the job; if it persists, check the repository upstream (`git fsck`).") from exc


def _write(store: Any, files: list[tuple[str, bytes]], into: Path, source: GitSource) -> None:
    from dulwich.objects import Blob

    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for rel, sha in files:
        path = into / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_object(store, sha, Blob, source).data)


def _object(store: Any, sha: bytes, kind: type, source: GitSource) -> Any:
    """An object the tree names, of the kind it says: a server may send a pack that lacks it or lies."""
    try:
        found = store[sha]
    except KeyError:
        found = None
    if not isinstance(found, kind):
        raise DependencyError(f"The git server of {source.what} sent an incomplete or inconsistent commit "
                              f"({sha.decode()} is not the {kind.__name__.lower()} its tree names).",
                              "Re-run the job; if it persists, check the repository upstream (`git fsck`).")
    return found
