"""The OCI registry adapter: the only module that imports ``oras``.

oras-py does the blob uploads (a single PUT, or 4 MiB PATCHes streamed from
the file, which GHCR accepts); everything else is the action's own: every
request oras makes goes through ``RegistryTransport`` (credentials only where
they belong, timeouts, TLS with the configured CA, failures classified, no
retry loop of oras's), the manifest goes out as the exact bytes whose sha256 is
the reported digest, and tags are read directly.

What this relies on in oras (checked by ``tests/test_oras_contract.py`` so that
an oras release that changes it fails the tests, not a user's release): the
upload methods ``put_upload`` and ``upload_blob(..., do_chunked, chunk_size)``
send every request through ``Registry.do_request(url, method, data, headers,
json, stream)``, use ``Registry.prefix`` for URLs, and never touch
``Registry.session`` or ``Registry.auth`` when ``do_request`` is replaced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import oras.container
import oras.provider
import requests
import urllib3

from akua_publish.artifact import (
    CONFIG_MEDIA_TYPE,
    CONTENT_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    Artifact,
    Descriptor,
    PackedLayer,
    layer_descriptors,
)
from akua_publish.clients.registry_answers import BLOB_UNKNOWN, REJECTED_HINT, error_codes, expect_status
from akua_publish.clients.registry_transport import RegistryTransport
from akua_publish.clients.retry import RetryPolicy, quiet
from akua_publish.errors import (
    OrasContractError,
    RegistryContentError,
    RegistryRejectedError,
    RegistryUnavailableError,
)
from akua_publish.progress import Meter, Progress, no_progress
from akua_publish.reference import Credentials, Repository

CHUNK_SIZE = 4 * 1024 * 1024  # GHCR refuses chunks over 4 MiB
READ_CHUNK = 1024 * 1024
SMALL_BLOB_LIMIT = 1024 * 1024  # a sidecar's payload or envelope is a few kilobytes
MANIFEST_ACCEPT = ", ".join((
    MANIFEST_MEDIA_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
))


class _NoDirectRequests(requests.Session):
    """The session handed to oras: any request oras makes around ``do_request`` fails closed."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        raise OrasContractError(
            f"oras-py sent {method!r} around akua-publish's transport; nothing was sent.",
            "This oras-py release changed an internal akua-publish relies on: please report it.",
        )


class _Oras(oras.provider.Registry):  # type: ignore[misc]  # oras ships no type information
    """oras-py's client, with every request routed through the action's transport."""

    def __init__(self, transport: RegistryTransport) -> None:
        super().__init__(hostname=transport.host, insecure=transport.scheme == "http")
        self.session = _NoDirectRequests()
        self._transport = transport
        self.meter: Meter | None = None  # counts the bytes of blob data sent, while an upload runs

    def do_request(  # noqa: PLR0917 (oras's own signature, which its upload methods call)
        self, url: str, method: str = "GET", data: dict[str, Any] | bytes | None = None,
        headers: dict[str, str] | None = None, json: dict[str, Any] | None = None, stream: bool = False,
    ) -> requests.Response:
        response = self._transport.request(method, url, data=data, headers=headers, json=json, stream=stream)
        if self.meter is not None and method in ("PATCH", "PUT") and isinstance(data, bytes):
            self.meter.add(len(data))
        return response


@dataclass(frozen=True)
class StoredManifest:
    """A manifest as the registry holds it: its digest, its exact bytes and its layers."""

    digest: str
    raw: bytes
    layers: tuple[Descriptor, ...]


class BlobReader(Protocol):
    def feed(self, chunk: bytes) -> bool:
        """Take the next chunk of the blob; False when nothing more is wanted."""


Reader = TypeVar("Reader", bound=BlobReader)


class RegistryClient:
    def __init__(self, repository: Repository, credentials: Credentials, plain_http: bool,
                 policy: RetryPolicy, ca_bundle: str = "", *, progress: Progress = no_progress,
                 warn: Callable[[str], None] = quiet) -> None:
        self.repository = repository
        self._policy = policy
        self._progress = progress
        self._transport = RegistryTransport(repository, credentials, plain_http, policy, ca_bundle, warn=warn)
        self._connected = False
        self._client = _Oras(self._transport)

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def _logged_in(self) -> RegistryTransport:
        """The transport, logged in on first use (``/v2/`` asked how, before any upload); nothing is sent while
        the client is only built."""
        if not self._connected:
            self._transport.connect()
            self._connected = True
        return self._transport

    @property
    def plain_http(self) -> bool:
        """Whether this run speaks plain HTTP to the registry (the options' choice, made once)."""
        return self._transport.scheme == "http"

    @property
    def auth_scheme(self) -> str:
        """How the registry asked for credentials: "basic", "bearer", or "" (it did not)."""
        return self._logged_in().auth_scheme

    def _manifest_url(self, reference: str) -> str:
        return self._transport.url(f"/v2/{self.repository.name}/manifests/{reference}")

    def manifest(self, reference: str) -> StoredManifest | None:
        """The manifest a tag or digest names, or None when the registry has none."""

        def get() -> requests.Response:
            return self._logged_in().request("GET", self._manifest_url(reference),
                                           headers={"Accept": MANIFEST_ACCEPT})

        response = self._policy.run(get, f"GET of manifest {reference}")
        if response.status_code == 404:
            return None
        expect_status(response, (200,), f"GET of manifest {reference}")
        raw = response.content
        try:
            content = json.loads(raw)
        except ValueError:
            content = None
        if not isinstance(content, dict):
            raise RegistryRejectedError(f"The registry answered GET of manifest {reference} with no JSON object.",
                                        "Check that the repository points at an OCI distribution registry.")
        return StoredManifest("sha256:" + hashlib.sha256(raw).hexdigest(), raw, layer_descriptors(content))

    def has_manifest(self, digest: str) -> bool:
        """Whether the registry holds the manifest ``digest`` (a HEAD: nothing is read)."""

        def head() -> requests.Response:
            return self._logged_in().request("HEAD", self._manifest_url(digest), headers={"Accept": MANIFEST_ACCEPT})

        response = self._policy.run(head, f"HEAD of manifest {digest[:19]}")
        if response.status_code == 404:
            return False
        expect_status(response, (200,), f"HEAD of manifest {digest[:19]}")
        return True

    def blob(self, digest: str, limit: int = SMALL_BLOB_LIMIT) -> bytes | None:
        """A small blob (a sidecar's layer), or None when the registry does not have it or it is over ``limit``."""

        def get() -> requests.Response:
            return self._logged_in().request("GET", self._transport.url(f"/v2/{self.repository.name}/blobs/{digest}"),
                                           stream=True)

        response = self._policy.run(get, f"GET of blob {digest[:19]}")
        with response:
            if response.status_code == 404:
                return None
            expect_status(response, (200,), f"GET of blob {digest[:19]}")
            data = response.raw.read(limit + 1, decode_content=True)
        return data if len(data) <= limit else None

    def read_blob(self, digest: str, size: int, reader: Callable[[], Reader]) -> Reader | None:
        """Stream a blob (checked against its digest) into a new ``reader()``, from the start again when
        the registry fails midway; None when the registry has no such blob."""
        url = self._transport.url(f"/v2/{self.repository.name}/blobs/{digest}")

        def attempt() -> Reader | None:
            response = self._logged_in().request("GET", url, stream=True)
            with response:
                if response.status_code == 404:
                    return None
                expect_status(response, (200,), f"GET of blob {digest[:19]}")
                fed, sha, wanted = reader(), hashlib.sha256(), True
                with self._progress("Reading back the published layer", max(size, 0)) as meter:
                    try:
                        # To the end even when the reader has seen enough: only the whole blob's digest tells
                        # a registry that serves corrupt bytes from a blob of other content.
                        for chunk in response.iter_content(READ_CHUNK):
                            sha.update(chunk)
                            meter.add(len(chunk))
                            wanted = wanted and fed.feed(chunk)
                    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                        raise RegistryUnavailableError(
                            f"The download of the blob {digest[:19]} from {self.repository.host} broke off.",
                            "Re-run the job.") from exc
            if "sha256:" + sha.hexdigest() != digest:
                raise RegistryContentError(
                    f"The registry {self.repository.host} served the blob {digest} with other bytes; nothing "
                    "was pushed or registered.",
                    "Re-run the job; if it persists, report it to the registry's operator.")
            return fed

        return self._policy.run(attempt, f"GET of blob {digest[:19]}")

    def push(self, reference: str, layer: PackedLayer, artifact: Artifact) -> str:
        """Upload both blobs, then the manifest under ``reference`` (its digest, or a tag); return its digest."""
        if layer.path is None:
            raise ValueError("a layer packed without a file cannot be uploaded")
        config_path = layer.path.with_name("config.json")
        config_path.write_bytes(artifact.config)
        self._upload((
            (layer.path, CONTENT_MEDIA_TYPE, layer.digest, layer.size),
            (config_path, CONFIG_MEDIA_TYPE, artifact.config_digest, len(artifact.config)),
        ))
        return self.put_manifest(reference, artifact.manifest)

    def push_small(self, tag: str, blobs: list[tuple[bytes, str]], manifest: bytes, work_dir: Path) -> str:
        """Upload in-memory blobs (bytes, media type), then the manifest; return its digest (a sidecar)."""
        files = []
        for data, media_type in blobs:
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            path = work_dir / digest.replace(":", "-")
            path.write_bytes(data)
            files.append((path, media_type, digest, len(data)))
        self._upload(files)
        return self.put_manifest(tag, manifest)

    def _upload(self, blobs: Iterable[tuple[Path, str, str, int]]) -> None:
        """Upload blobs; the progress of any over one request (the layer) is shown."""
        self._logged_in()  # before oras sends anything
        container = oras.container.Container(self.repository.name, registry=self.repository.host)
        container.registry = self.repository.host
        container.namespace, _, container.repository = self.repository.name.rpartition("/")
        container.namespace = container.namespace or None
        for path, media_type, digest, size in blobs:
            descriptor = {"mediaType": media_type, "digest": digest, "size": size}

            def upload(path: str = str(path), descriptor: dict[str, Any] = descriptor) -> None:
                try:
                    if descriptor["size"] <= CHUNK_SIZE:
                        # Fits one request: POST and PUT it. Asking first whether the registry has it
                        # would cost as much as sending it (the tag is new, so it rarely has).
                        response = self._client.put_upload(path, container, descriptor)
                    else:  # ask first, then PATCHes of at most 4 MiB, streamed from the file
                        with self._progress("Uploading", descriptor["size"]) as meter:
                            self._client.meter = meter
                            try:
                                response = self._client.upload_blob(
                                    path, container, descriptor, do_chunked=True, chunk_size=CHUNK_SIZE
                                )
                            finally:
                                self._client.meter = None
                except ValueError as exc:  # oras's word for an answer it did not expect (a 4xx to the upload's start)
                    raise RegistryRejectedError(f"The registry refused the upload of blob {descriptor['digest']}: "
                                                f"{exc}.", REJECTED_HINT) from exc
                expect_status(response, (200, 201, 202), f"upload of blob {descriptor['digest']}")

            self._policy.run(upload, f"Upload of blob {digest[:19]}")

    def put_manifest(self, reference: str, manifest: bytes) -> str:
        """PUT these exact manifest bytes under ``reference`` (a tag, or their own digest: stored untagged);
        return their digest, checked against the registry's."""
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        what = f"the manifest {reference}" if reference == digest else f"the manifest for tag {reference}"

        def put() -> requests.Response:
            response = self._logged_in().request("PUT", self._manifest_url(reference), data=manifest,
                                               headers={"Content-Type": MANIFEST_MEDIA_TYPE})
            if response.status_code == 400 and error_codes(response) & BLOB_UNKNOWN:
                # Its blobs were uploaded (or found) a moment ago: another upload of the same blob finishing
                # beside this one (runs that meet share their layers) can hide it from the registry for a
                # moment (Distribution rewrites the blob's link in place). Worth a retry, not a failure.
                raise RegistryUnavailableError(
                    f"The registry {self.repository.host} did not yet see a blob of {what}.",
                    "Re-run the job: its blobs are in the registry.")
            expect_status(response, (200, 201), f"upload of {what}")
            return response

        response = self._policy.run(put, f"Upload of {what}")
        stored = response.headers.get("Docker-Content-Digest", digest)
        if stored != digest:
            raise RegistryRejectedError(
                f"The registry stored the manifest as {stored}, but its bytes hash to {digest}.",
                "The registry rewrote the manifest; Akua would not find the pushed digest. "
                "Use an OCI-compliant registry.",
            )
        return stored
