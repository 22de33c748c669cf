"""Verify a pushed artifact the way Akua's backend does, before a version is recorded.

Akua reads the artifact back from the package's recorded repository: the
manifest by digest (OCI image manifest only), the first Akua content layer
(its digest checked), then ``akua.toml`` and ``package.k`` from the archive
root. The semver must match ``akua.toml`` and ``input_schema`` must equal the
schema the artifact exports.

Nothing here is the action's code. With Akua's core (the tests), its reader
gives the metadata, ``akua.toml``'s verdict and the schema, and its packer the
vendored files, so the emulator can refuse what the action's own code would
accept. Without it (the demo) the emulator checks what it can itself: the
manifest, the layer, ``akua.toml``'s package table and the vendored folders; it
cannot export a schema, and says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import tempfile
import tomllib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from .core import AkuaCore
from .offline import VENDOR, check_vendored
from .openapi import ApiError
from .signatures import check_signature

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.akua.package.config.v1+json"
CONTENT_MEDIA_TYPE = "application/vnd.akua.package.content.v1.tar+gzip"


def _fail(message: str, *path: str) -> ApiError:
    return ApiError(422, message, list(path))


def verify_artifact(oci_ref: str, semver: str, ref: str, input_schema: Any,
                    connections: dict[str, tuple[str, str]], *, tls: dict[str, str] | None = None,
                    core: AkuaCore | None = None, signature_key: str = "",
                    log: Callable[[str], None] = print) -> None:
    """``tls`` maps registry hosts served over HTTPS (loopback ones included) to the CA file to trust;
    ``signature_key``, a public key PEM, makes a valid cosign signature by it a condition."""
    host, _, name = oci_ref.removeprefix("oci://").partition("/")
    if not oci_ref.startswith("oci://") or not host or not name:
        raise _fail(f"Package source {oci_ref} is not an OCI repository")
    tls = tls or {}
    scheme = "http" if _loopback(host) and host not in tls else "https"
    base = f"{scheme}://{host}/v2/{name}"
    session = _RegistrySession(connections.get(host), name)
    if host in tls:
        session.verify = tls[host]
    try:
        manifest_response = session.get(
            f"{base}/manifests/{ref}", headers={"Accept": MANIFEST_MEDIA_TYPE}, timeout=30
        )
    except requests.RequestException as exc:
        raise _fail(f"Cannot reach registry {host}: {type(exc).__name__}", "body", "ref") from exc
    if manifest_response.status_code in (401, 403):
        raise _fail(f"Registry {host} requires credentials: add a registry connection", "body", "ref")
    if manifest_response.status_code != 200:
        raise _fail(
            f"Artifact {ref} not found in {oci_ref} (registry answered "
            f"{manifest_response.status_code})", "body", "ref",
        )
    raw = manifest_response.content
    content_type = manifest_response.headers.get("Content-Type", "").split(";")[0]
    if content_type != MANIFEST_MEDIA_TYPE:
        raise _fail(f"Artifact is {content_type}, not an OCI image manifest", "body", "ref")
    if "sha256:" + hashlib.sha256(raw).hexdigest() != ref:
        raise _fail("Manifest bytes do not hash to ref", "body", "ref")
    manifest = json.loads(raw)
    if signature_key:
        check_signature(session, base, ref, signature_key)
    if manifest.get("schemaVersion") != 2:
        raise _fail("Manifest schemaVersion is not 2", "body", "ref")
    if (manifest.get("config") or {}).get("mediaType") != CONFIG_MEDIA_TYPE:
        raise _fail(f"Config media type is not {CONFIG_MEDIA_TYPE}", "body", "ref")
    layer = next((item for item in manifest.get("layers") or []
                  if item.get("mediaType") == CONTENT_MEDIA_TYPE), None)
    if layer is None:
        raise _fail(f"No layer of media type {CONTENT_MEDIA_TYPE}", "body", "ref")
    with tempfile.TemporaryFile() as blob:
        _download(session, f"{base}/blobs/{layer['digest']}", layer["digest"], blob)
        blob.seek(0)
        files = _read_members(blob)
    if "package.k" not in files:
        raise _fail("package.k is missing from the archive root", "body", "ref")
    if "akua.toml" not in files:
        raise _fail("akua.toml is missing from the archive root", "body", "ref")
    judge = core if core is not None and host not in tls else None  # Akua's reader: plain HTTP to loopback
    if judge is None:
        if core is not None:
            log(f"Akua's core cannot read {host} (HTTPS on loopback): the emulator's own checks, no schema check.")
        check_vendored(_akua_toml(files["akua.toml"], semver), files, connections, None, log)
        return  # the schema cannot be exported without Akua's core
    exported = _inspected_schema(judge, oci_ref, ref, semver, connections.get(host))  # akua.toml: Akua's verdict
    check_vendored(files["akua.toml"].decode("utf-8"), files, connections, judge, log)
    if not _same_json(exported, input_schema):
        raise _fail("input_schema differs from the schema exported from the artifact's package.k",
                    "body", "input_schema")


def _inspected_schema(core: AkuaCore, oci_ref: str, ref: str, semver: str,
                      credentials: tuple[str, str] | None) -> Any:
    """Akua's own reader on the published artifact: its metadata must agree, its schema is the judge."""
    try:
        seen = core.inspect_published(oci_ref, ref, credentials)
    except Exception as exc:
        if re.search(r"registry returned 5\d\d", str(exc)):  # the registry failing under it: an outage
            raise ApiError(503, f"Akua's reader could not read the registry: {exc}; try again") from exc
        raise _fail(f"Akua's reader refused the artifact: {exc}", "body", "ref") from exc
    if seen.get("manifest_digest") != ref:
        raise _fail(f"Akua's reader found {seen.get('manifest_digest')} at {ref}", "body", "ref")
    if seen.get("package_version") is None:
        raise _fail("Akua's reader finds no package version in the artifact: its akua.toml is not a manifest Akua "
                    "reads", "body", "ref")
    if seen.get("package_version") != semver:
        raise _fail(f"semver {semver} does not match the artifact's version {seen.get('package_version')}",
                    "body", "semver")
    return seen.get("input_schema")


class _RegistrySession(requests.Session):
    """Reads with the workspace's registry connection: HTTP Basic, or a bearer token got with it; without
    one, anonymously (a token service's anonymous token, as for a public GHCR package)."""

    def __init__(self, credentials: tuple[str, str] | None, name: str) -> None:
        super().__init__()
        self._credentials, self._name = credentials, name

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """A GET as Akua's reader makes it; a registry failing (5xx, e.g. mid-write by another client) is
        an outage, answered 503 (worth a retry), never taken for an invalid artifact."""
        response = self._get(url, **kwargs)
        if response.status_code >= 500:
            response.close()
            raise ApiError(503, f"The registry answered {response.status_code} to a read of "
                                f"{urlsplit(str(url)).path}; try again")
        return response

    def _get(self, url: str | bytes, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("verify", self.verify)  # else REQUESTS_CA_BUNDLE of the environment would win
        response = super().get(url, **kwargs)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code != 401:
            return response
        if challenge.lower().startswith("basic"):
            if not self._credentials:
                return response
            self.auth = self._credentials
        elif challenge.lower().startswith("bearer"):
            params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
            answer = requests.get(params.get("realm", ""), auth=self._credentials, timeout=30, verify=self.verify,
                                  params={"service": params.get("service", ""),
                                          "scope": f"repository:{self._name}:pull"})
            if answer.status_code != 200:
                return response
            self.headers["Authorization"] = f"Bearer {answer.json().get('token')}"
        return super().get(url, **kwargs)


def _download(session: requests.Session, url: str, digest: str, sink: Any) -> None:
    sha = hashlib.sha256()
    with session.get(url, stream=True, timeout=30) as response:
        if response.status_code != 200:
            raise _fail(f"Layer {digest} cannot be read ({response.status_code})", "body", "ref")
        for chunk in response.iter_content(1024 * 1024):
            sha.update(chunk)
            sink.write(chunk)
    if "sha256:" + sha.hexdigest() != digest:
        raise _fail(f"Layer content does not hash to {digest}", "body", "ref")


def _read_members(blob: Any) -> dict[str, bytes]:
    """akua.toml, package.k, akua.lock and the vendored files of the archive, by name."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=blob, mode="r:gz") as archive:
            for member in archive:
                wanted = member.name in ("akua.toml", "package.k", "akua.lock") or member.name.startswith(VENDOR)
                if wanted and member.isfile():
                    found[member.name] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError):
        raise _fail("Layer is not a gzip-compressed tar archive", "body", "ref") from None
    return found


def _akua_toml(raw: bytes, semver: str) -> str:
    """akua.toml of the artifact, as far as the emulator checks it itself: TOML, a [package] with a name, a
    version equal to the semver and an akua.dev/ edition (Akua's core, when there, checks all of it)."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
        package = tomllib.loads(text).get("package")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(f"akua.toml in the artifact cannot be read: {exc}", "body", "ref") from exc
    fields = ("name", "version", "edition")
    if not isinstance(package, dict) or not all(isinstance(package.get(field), str) for field in fields):
        raise _fail("akua.toml in the artifact has no [package] name, version and edition", "body", "ref")
    if not package["edition"].startswith("akua.dev/"):
        raise _fail(f"akua.toml in the artifact has edition {package['edition']}", "body", "ref")
    if package["version"] != semver:
        raise _fail(f"semver {semver} does not match akua.toml version {package['version']}", "body", "semver")
    return text


def _loopback(host: str) -> bool:
    """Akua's reader talks plain HTTP to ``localhost``, ``127.0.0.1`` and ``::1`` only, as written, port aside
    (``registry_scheme`` in Akua's core, oci_transport.rs); 127.0.0.2 or any other name it reads over HTTPS."""
    name = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in ("localhost", "127.0.0.1", "::1")


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: key order aside, but ``true`` is not ``1``."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
