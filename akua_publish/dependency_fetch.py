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
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from .chunk_worker import ChunkWorker
from .errors import DependencyError, DependencyUnavailableError, PublishError, RetryableError
from .git_fetch import CREDENTIALS_HINT, GitSource, fetch_tree
from .reference import Credentials, Repository, is_loopback_host
from .registry_transport import RegistryTransport
from .retry import RetryPolicy
from .vendor_tree import TreeProblem, chart_root, unpack

HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
AKUA_LAYER = "application/vnd.akua.package.content.v1.tar+gzip"
KCL_LAYER = "application/vnd.oci.image.layer.v1.tar"
KCL_ANNOTATIONS = ("org.kcllang.package.name", "org.kclpkg.package.name", "dev.akua.package.name")
ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"


class NetworkFetcher:
    def __init__(self, policy: RetryPolicy, credentials: dict[str, Credentials], scratch: Path,
                 ca_bundle: str = "") -> None:
        self._policy = policy
        self._credentials = credentials
        self._scratch = scratch  # git objects, apart from the trees that are vendored
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

    def git(self, source: GitSource, into: Path) -> str:
        """Write the tree of ``source``'s commit into ``into`` (checked against its pin first); return the commit."""
        host = urlsplit(source.url).netloc.rpartition("@")[2]  # host[:port], as for registries
        return fetch_tree(source, into, objects=self._scratch / "git" / source.alias, policy=self._policy,
                          credentials=self._for(host), ca_bundle=self._ca_bundle)


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


def _wrapped(exc: PublishError, what: str) -> PublishError:
    """A registry failure, said of the dependency (and with the dependency credentials' hint)."""
    message = f"The dependency {what} cannot be pulled: {exc.message}"
    if isinstance(exc, RetryableError):
        return DependencyUnavailableError(message, exc.hint, retry_after=exc.retry_after)
    return DependencyError(message, CREDENTIALS_HINT)
