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
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

from akua_publish.chunk_worker import ChunkWorker
from akua_publish.clients.registry_transport import RegistryTransport
from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.git import CREDENTIALS_HINT, GitSource, fetch_tree
from akua_publish.deps.tree import CHUNK, OutOfTime, TooLarge, TreeProblem, chart_root, unpack
from akua_publish.errors import (
    DependencyError,
    DependencyUnavailableError,
    PublishError,
    RetryableError,
    UnpackDeadlineError,
)
from akua_publish.options import UnpackLimits
from akua_publish.progress import Meter, Progress, no_progress
from akua_publish.reference import Credentials, Repository, is_loopback_host
from akua_publish.wording import setting

HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
AKUA_LAYER = "application/vnd.akua.package.content.v1.tar+gzip"
KCL_LAYER = "application/vnd.oci.image.layer.v1.tar"
KCL_ANNOTATIONS = ("org.kcllang.package.name", "org.kclpkg.package.name", "dev.akua.package.name")
ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"


MAX_BLOB = 1024**3  # Akua refuses a chart layer over 1 GiB before downloading it


class NetworkFetcher:
    def __init__(self, policy: RetryPolicy, credentials: Mapping[str, Credentials], scratch: Path,
                 ca_bundle: str = "", limits: UnpackLimits | None = None, *, progress: Progress = no_progress) -> None:
        self._policy = policy
        self._progress = progress
        self._credentials = credentials
        self._scratch = scratch  # downloaded blobs and git objects, apart from the trees that are vendored
        self._ca_bundle = ca_bundle
        self._limits = limits or UnpackLimits()

    def _for(self, host: str) -> Credentials:
        return self._credentials.get(host.lower(), Credentials("", ""))

    def oci(self, alias: str, oci: str, version: str, pin: str, into: Path) -> tuple[Path, str]:
        """Pull the chart layer of ``oci:version`` and unpack it; (chart root, digest).

        The layer's digest is held against ``pin`` from its descriptor, before anything is downloaded;
        the blob is hashed while it streams to disk and checked again before anything is unpacked;
        only then is it unpacked, within the limits and the deadline.
        """
        host, _, name = oci.removeprefix("oci://").partition("/")
        what = f"`{alias}` ({oci}:{version})"
        blob = self._scratch / "blobs" / alias
        transport = RegistryTransport(Repository(host, name), self._for(host), is_loopback_host(host),
                                      self._policy, self._ca_bundle, actions="pull")
        try:
            # No `/v2/` probe first: a registry that wants credentials says so on the manifest's 401,
            # which the transport answers once (anonymous token, or the host's credentials).
            manifest = self._policy.run(lambda: transport.request(
                "GET", transport.url(f"/v2/{name}/manifests/{version}"), headers={"Accept": ACCEPT}),
                f"GET of the manifest of {alias}")
            if manifest.status_code == 404:
                raise DependencyError(f"The dependency {what} does not exist: the registry has no `{version}`.",
                                      "Check `version` in akua.toml (a tag of the chart, used verbatim).")
            layer, size, helm = _chart_layer(manifest, what)
            _check_pin(what, layer, pin)
            found = self._policy.run(
                lambda: _download(transport, f"/v2/{name}/blobs/{layer}", blob, size,
                                  self._progress(f"Downloading {alias}", size if size < MAX_BLOB else 0)),
                f"Download of {alias}")
        except DependencyError:
            raise
        except PublishError as exc:
            raise _wrapped(exc, what) from exc
        finally:
            transport.close()
        if found != layer:
            raise DependencyError(f"The chart layer of {what} hashes to {found}, not to its descriptor's {layer}.",
                                  "The registry served corrupt content; re-run the job, or report it to its operator.")
        try:
            unpack(blob, into, gzipped=helm is not None, limits=self._limits, time_left=self._policy.time_left)
            return chart_root(into, helm=helm is True), found
        except TooLarge as exc:
            raise _too_large(what, exc) from exc
        except OutOfTime as exc:
            raise UnpackDeadlineError(
                f"The run's deadline ({self._policy.deadline:g} s) passed while the dependency {what} was being "
                f"unpacked ({_mib(exc.unpacked)} so far); nothing was pushed.",
                f"Raise {setting('deadline')} if the chart really is that large; a chart that unpacks to gigabytes "
                "is more likely a decompression bomb.") from exc
        except TreeProblem as exc:
            raise DependencyError(f"The dependency {what} cannot be vendored: {exc}.",
                                  "Check that the dependency is a Helm chart or an Akua package.") from exc
        finally:
            blob.unlink(missing_ok=True)

    def git(self, source: GitSource, into: Path) -> str:
        """Write the tree of ``source``'s commit into ``into`` (checked against its pin first); return the commit."""
        host = urlsplit(source.url).netloc.rpartition("@")[2]  # host[:port], as for registries
        return fetch_tree(source, into, objects=self._scratch / "git" / source.alias, policy=self._policy,
                          credentials=self._for(host), ca_bundle=self._ca_bundle)


def _chart_layer(response: requests.Response, what: str) -> tuple[str, int, bool | None]:
    """Akua's layer choice: a Helm chart, else an Akua package, else an annotated KCL module (plain tar).

    Returns the layer digest, its declared size (``MAX_BLOB`` when it declares none) and True (Helm),
    False (Akua package) or None (KCL module).
    """
    try:
        manifest = response.json()
        layers = [layer for layer in manifest["layers"] if isinstance(layer, dict)]
    except (ValueError, KeyError, TypeError) as exc:
        raise DependencyError(f"The dependency {what} is not an OCI image manifest with layers.",
                              "Point `oci` at a Helm chart or an Akua package (not an image index).") from exc
    annotations = manifest.get("annotations") or {}
    choices: list[tuple[str, bool | None]] = [(HELM_LAYER, True), (AKUA_LAYER, False)]
    if any(key in annotations for key in KCL_ANNOTATIONS):
        choices.append((KCL_LAYER, None))
    for media_type, helm in choices:
        for layer in layers:
            if layer.get("mediaType") == media_type and isinstance(layer.get("digest"), str):
                size = layer.get("size")
                if isinstance(size, int) and not isinstance(size, bool) and size > MAX_BLOB:
                    raise DependencyError(f"The chart layer of {what} is {_mib(size)}; Akua refuses chart layers "
                                          f"over {_mib(MAX_BLOB)}.", "Depend on a smaller chart.")
                return layer["digest"], size if isinstance(size, int) and size >= 0 else MAX_BLOB, helm
    raise DependencyError(f"The dependency {what} has no Helm chart or Akua package layer.",
                          "Point `oci` at a chart pushed with `helm push` or a package published to Akua.")


def _check_pin(what: str, layer: str, pin: str) -> None:
    if layer != pin:
        raise DependencyError(
            f"The chart layer of {what} is {layer}, but akua.lock pins {pin}: the tag now points at other "
            "content, or the lock is stale; nothing of it was downloaded.",
            "If the new chart is the one you want, run `akua pkg lock` and commit akua.lock; otherwise pin the "
            "version that matches the lock.", file="akua.lock")


def _download(transport: RegistryTransport, path: str, blob: Path, declared: int, meter: Meter) -> str:
    """Stream a chart blob to ``blob``, hashing it on the way in a second thread (``ChunkWorker``), and
    return the sha256 of the bytes that arrived; more bytes than the descriptor declares are refused."""
    with meter:
        return _stream(transport, path, blob, declared, meter)


def _stream(transport: RegistryTransport, path: str, blob: Path, declared: int, meter: Meter) -> str:
    response = transport.request("GET", transport.url(path), stream=True)
    if response.status_code != 200:
        raise DependencyError(f"The registry {transport.host} answered HTTP {response.status_code} for {path}.",
                              CREDENTIALS_HINT)
    blob.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256()
    worker = ChunkWorker(sha.update, "akua-sha256")
    received = 0
    try:
        with open(blob, "wb") as out:
            while chunk := response.raw.read(CHUNK, decode_content=True):
                received += len(chunk)
                if received > declared:
                    raise DependencyError(f"The registry {transport.host} sent more than the {declared} bytes the "
                                          f"descriptor of {path} declares.",
                                          "The registry served corrupt content; report it to its operator.")
                worker.put(chunk)
                out.write(chunk)
                meter.add(len(chunk))
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise DependencyUnavailableError(f"The download of {path} from {transport.host} broke off.",
                                         "Re-run the job.") from exc
    finally:
        response.close()
        worker.close()
    return "sha256:" + sha.hexdigest()


def _too_large(what: str, exc: TooLarge) -> DependencyError:
    """A bomb, or a chart bigger than the limits allow: the sizes, and which input to raise."""
    if exc.limit == "max-expansion-ratio":
        reason = (f"its {_mib(exc.compressed)} compressed would unpack to more than {_mib(exc.unpacked)}, over "
                  f"the limit of {setting('max-expansion-ratio')}")
        raise_it = f"Raise {setting('max-expansion-ratio')}"
    elif exc.limit == "max-dependency-size":
        reason = (f"it would unpack to more than {_mib(exc.unpacked)}, over the limit of "
                  f"{setting('max-dependency-size')}")
        raise_it = f"Raise {setting('max-dependency-size')} (MiB)"
    else:
        reason = f"it holds {exc.limit}"
        raise_it = "Check the chart upstream"
    return DependencyError(f"The dependency {what} is not vendored: {reason}; nothing of it was used.",
                           f"{raise_it} if the chart really is that large; otherwise it is a decompression bomb: "
                           "depend on another chart.")


def _mib(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB"


def _wrapped(exc: PublishError, what: str) -> PublishError:
    """A registry failure, said of the dependency (and with the dependency credentials' hint)."""
    message = f"The dependency {what} cannot be pulled: {exc.wording.message}"
    if isinstance(exc, RetryableError):
        return DependencyUnavailableError(message, exc.wording.hint, retry_after=exc.retry_after)
    return DependencyError(message, CREDENTIALS_HINT)
