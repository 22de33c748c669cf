"""The network side of vendoring: OCI charts from registries, git commits from git servers.

OCI dependencies are pulled with the registry transport (``pull`` scope, the
anonymous bearer handshake GHCR and Docker Hub use for public charts, the
``dependency-credentials`` of that host otherwise; plain HTTP only for loopback,
as Akua). Git dependencies are fetched with dulwich, a pure-Python git client:
the image needs no ``git`` binary (tens of MB of Debian packages) and no SSH.
Every failure names the dependency; an unreachable source is worth a re-run
(exit 75), anything else is not.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import requests
import urllib3

from .chunk_worker import ChunkWorker
from .errors import DependencyError, DependencyUnavailableError, PublishError, RetryableError
from .reference import Credentials, Repository, is_loopback_host
from .registry_transport import RegistryTransport
from .retry import RetryPolicy
from .vendor_tree import TreeProblem, chart_root, unpack

HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
AKUA_LAYER = "application/vnd.akua.package.content.v1.tar+gzip"
KCL_LAYER = "application/vnd.oci.image.layer.v1.tar"
KCL_ANNOTATIONS = ("org.kcllang.package.name", "org.kclpkg.package.name", "dev.akua.package.name")
ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
CREDENTIALS_HINT = ("For a private dependency, give its host's credentials in the `dependency-credentials` input: "
                    '{"<host>": {"username": "...", "password": "${{ secrets.X }}"}}.')
FULL_SHA = re.compile(r"[0-9a-f]{40}")


class NetworkFetcher:
    def __init__(self, policy: RetryPolicy, credentials: dict[str, Credentials], ca_bundle: str = "") -> None:
        self._policy = policy
        self._credentials = credentials
        self._ca_bundle = ca_bundle

    def _for(self, host: str) -> Credentials:
        return self._credentials.get(host.lower(), Credentials("", ""))

    def oci(self, alias: str, oci: str, version: str, pin: str, into: Path) -> tuple[Path, str]:
        """Pull the chart layer of ``oci:version``, check it against ``pin``, unpack it; (chart root, digest)."""
        host, _, name = oci.removeprefix("oci://").partition("/")
        what = f"`{alias}` ({oci}:{version})"
        try:
            transport = RegistryTransport(Repository(host, name), self._for(host), is_loopback_host(host),
                                          self._policy, self._ca_bundle, actions="pull")
            # No `/v2/` probe first: a registry that wants credentials says so on the manifest's 401,
            # which the transport answers once (anonymous token, or the host's credentials).
            manifest = self._policy.run(lambda: transport.request(
                "GET", transport.url(f"/v2/{name}/manifests/{version}"), headers={"Accept": ACCEPT}),
                f"GET of the manifest of {alias}")
            if manifest.status_code == 404:
                raise DependencyError(f"The dependency {what} does not exist: the registry has no `{version}`.",
                                      "Check `version` in akua.toml (a tag of the chart, used verbatim).")
            layer, helm = _chart_layer(manifest, what)
            found = self._policy.run(lambda: _pull(transport, f"/v2/{name}/blobs/{layer}", into, helm),
                                     f"Download of {alias}")
        except DependencyError:
            raise
        except PublishError as exc:
            raise _wrapped(exc, what) from None
        except TreeProblem as exc:
            raise DependencyError(f"The dependency {what} cannot be vendored: {exc}.",
                                  "Check that the dependency is a Helm chart or an Akua package.") from None
        if found != layer:
            raise DependencyError(f"The chart layer of {what} hashes to {found}, not to its descriptor's {layer}.",
                                  "The registry served corrupt content; re-run the job, or report it to its operator.")
        if found != pin:
            raise DependencyError(
                f"The chart layer of {what} is {found}, but akua.lock pins {pin}: the tag now points at other "
                "content, or the lock is stale.",
                "If the new chart is the one you want, run `akua lock` and commit akua.lock; otherwise pin the "
                "version that matches the lock.", file="akua.lock")
        try:
            return chart_root(into, helm=helm is True), found
        except TreeProblem as exc:
            raise DependencyError(f"The dependency {what} cannot be vendored: {exc}.",
                                  "Check that the dependency is a Helm chart or an Akua package.") from None

    def git(self, alias: str, url: str, tag: str | None, rev: str | None, into: Path) -> str:
        """Fetch ``url`` and write the tree of ``tag`` (peeled) or ``rev`` into ``into``; return the commit."""
        from dulwich.client import HTTPUnauthorized, default_urllib3_manager, get_transport_and_path
        from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
        from dulwich.objects import Commit, Tag
        from dulwich.repo import Repo

        ref = tag or rev or ""
        what = f"`{alias}` ({url} {ref})"
        parts = urlsplit(url)
        if url.startswith("git@") or parts.scheme not in ("https", "http", "file"):
            raise DependencyError(f"The git dependency {what} uses {parts.scheme or 'SSH'}: only https (and file) "
                                  "URLs can be fetched here; the action holds no SSH keys.",
                                  "Use the repository's https URL; private ones take `dependency-credentials`.")
        credentials = self._for(parts.netloc.rpartition("@")[2])  # host[:port], as for registries
        if parts.scheme == "http" and not is_loopback_host(parts.netloc):
            credentials = Credentials("", "")  # never over plain http to another machine
        bare = into.with_suffix(".git")
        with Repo.init_bare(str(bare), mkdir=True) as repo:  # closed: its pack files stay open otherwise

            def fetch() -> dict[Any, Any]:
                # A git server that stalls gets the same read timeout as every other request (never past
                # the deadline); file:// URLs need none.
                pool = (cast(urllib3.PoolManager, default_urllib3_manager(None, base_url=url,
                                                                     timeout=self._policy.timeouts()[1]))
                        if parts.scheme != "file" else None)  # without an auth callback: a (proxy) PoolManager
                try:
                    client, path = get_transport_and_path(url, username=credentials.username or None,
                                                          password=credentials.password or None, pool_manager=pool)
                    return dict(client.fetch(path, repo).refs)
                except HTTPUnauthorized:
                    raise DependencyError(f"The git server of {what} asks for credentials"
                                          + (" and refused the ones given." if credentials.password else
                                             ", and none were given."), CREDENTIALS_HINT) from None
                except (HangupException, ConnectionError, OSError) as exc:
                    raise DependencyUnavailableError(
                        f"The git server of {what} cannot be reached: {type(exc).__name__}.",
                        "Re-run the job later.") from None
                except (GitProtocolError, NotGitRepository) as exc:
                    raise DependencyError(f"The git dependency {what} cannot be fetched: {exc}.",
                                          CREDENTIALS_HINT) from None

            refs = self._policy.run(fetch, f"Fetch of {alias}")
            if tag:
                sha = refs.get(b"refs/tags/" + tag.encode())
                if sha is None:
                    raise DependencyError(f"The git dependency {what} has no tag `{tag}`.",
                                          "Check `tag` in akua.toml against the repository's tags.")
                target = repo[sha]
                while isinstance(target, Tag):
                    target = repo[target.object[1]]
            else:
                try:
                    if not FULL_SHA.fullmatch(rev or ""):
                        raise KeyError(rev)
                    target = repo[(rev or "").encode()]
                except KeyError:
                    raise DependencyError(f"The git dependency {what}: `rev` must be a full 40-hex commit of the "
                                          "repository, and this one is not.",
                                          "Pin a full commit id, or use `tag`.") from None
            if not isinstance(target, Commit):
                raise DependencyError(f"The git dependency {what} does not name a commit.", "Pin a tag or commit.")
            _write_tree(repo, target.tree, into, what)
            return target.id.decode()


def _chart_layer(response: requests.Response, what: str) -> tuple[str, bool | None]:
    """Akua's layer choice: a Helm chart, else an Akua package, else an annotated KCL module (plain tar).

    Returns the layer digest and True (Helm), False (Akua package) or None (KCL module).
    """
    try:
        manifest = response.json()
        layers = [layer for layer in manifest["layers"] if isinstance(layer, dict)]
    except (ValueError, KeyError, TypeError):
        raise DependencyError(f"The dependency {what} is not an OCI image manifest with layers.",
                              "Point `oci` at a Helm chart or an Akua package (not an image index).") from None
    annotations = manifest.get("annotations") or {}
    choices: list[tuple[str, bool | None]] = [(HELM_LAYER, True), (AKUA_LAYER, False)]
    if any(key in annotations for key in KCL_ANNOTATIONS):
        choices.append((KCL_LAYER, None))
    for media_type, helm in choices:
        for layer in layers:
            if layer.get("mediaType") == media_type and isinstance(layer.get("digest"), str):
                return layer["digest"], helm
    raise DependencyError(f"The dependency {what} has no Helm chart or Akua package layer.",
                          "Point `oci` at a chart pushed with `helm push` or a package published to Akua.")


def _pull(transport: RegistryTransport, path: str, into: Path, helm: bool | None) -> str:
    """Stream a chart blob into ``into``, unpacked on the way (one pass, no copy of the blob on disk);
    return the sha256 of the bytes that arrived, which the caller checks before anything is used."""
    shutil.rmtree(into, ignore_errors=True)  # a retry starts afresh
    response = transport.request("GET", transport.url(path), stream=True)
    if response.status_code != 200:
        raise DependencyError(f"The registry {transport.host} answered HTTP {response.status_code} for {path}.",
                              CREDENTIALS_HINT)
    reader = _Hashing(response.raw)
    try:
        stream = io.BufferedReader(reader, 1024 * 1024)
        unpack(stream, into, gzipped=helm is not None)  # a KCL module layer is a plain tar
        while stream.read(1024 * 1024):  # the gzip trailer and padding count for the digest too
            pass
    except (requests.RequestException, urllib3.exceptions.HTTPError):
        raise DependencyUnavailableError(f"The download of {path} from {transport.host} broke off.",
                                         "Re-run the job.") from None
    finally:
        reader.close()
    return "sha256:" + reader.hexdigest()


class _Hashing(io.RawIOBase):
    """A response body as a readable file whose bytes are hashed on the way, in a second thread
    (``ChunkWorker``): a chart's sha256 overlaps its unpacking instead of adding a fifth to it."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self._worker = ChunkWorker(self._sha.update, "akua-sha256")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer), decode_content=True)
        buffer[:len(data)] = data
        if data:
            self._worker.put(data)
        return len(data)

    def close(self) -> None:
        try:
            self._worker.close()
        finally:
            super().close()

    def hexdigest(self) -> str:
        """The sha256 of every byte read (the reading is over)."""
        self._worker.close()
        return self._sha.hexdigest()


def _write_tree(repo: Any, tree: Any, into: Path, what: str) -> None:
    """A commit's tree as Akua's checkout writes it: regular files only (no links, no submodules)."""
    from dulwich.object_store import iter_tree_contents

    into.mkdir(parents=True, exist_ok=True)
    store = repo.object_store
    for entry in iter_tree_contents(store, tree):
        if entry.mode & 0o170000 != 0o100000:  # symlinks and gitlinks are skipped, as Akua does
            continue
        name = entry.path.decode("utf-8", "strict")
        if "\\" in name:
            raise DependencyError(f"The git dependency {what} holds the file name `{name}`, which Akua refuses.",
                                  "Rename the file upstream.")
        path = into / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store[entry.sha].data)


def _wrapped(exc: PublishError, what: str) -> PublishError:
    """A registry failure, said of the dependency (and with the dependency credentials' hint)."""
    message = f"The dependency {what} cannot be pulled: {exc.message}"
    if isinstance(exc, RetryableError):
        return DependencyUnavailableError(message, exc.hint, retry_after=exc.retry_after)
    return DependencyError(message, CREDENTIALS_HINT)
