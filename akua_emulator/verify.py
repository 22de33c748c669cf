"""Verify a pushed artifact the way Akua's backend does, before a version is recorded.

Akua reads the artifact back from the package's recorded repository: the
manifest by digest (OCI image manifest only), the first Akua content layer
(its digest checked), then ``akua.toml`` and ``package.k`` from the archive
root. The semver must match ``akua.toml`` and ``input_schema`` must equal the
schema the artifact exports.

With an ``inspector`` (the tests pass Akua's own ``inspectOciPackage``, run from
Akua's core), the metadata and the schema come from Akua's reader itself, so
the emulator can catch what the action's own exporter would miss; without one
(the demo), the action's exporter stands in for Akua's.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from akua_publish.errors import KclExportError
from akua_publish.package import akua_toml
from akua_publish.package.manifest import CONFIG_MEDIA_TYPE, CONTENT_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from akua_publish.reference import parse_repository
from akua_publish.schema.document import same_json
from akua_publish.schema.kcl_export import export_input_schema

from .offline import VENDOR, check_vendored
from .openapi import ApiError
from .signatures import check_signature

# (oci_ref, manifest digest, registry credentials or None) -> Akua's inspection of the artifact:
# at least ``manifest_digest``, ``package_version`` and ``input_schema``. Raises when Akua's reader refuses.
Inspector = Callable[[str, str, tuple[str, str] | None], dict[str, Any]]


def _fail(message: str, *path: str) -> ApiError:
    return ApiError(422, message, list(path))


def verify_artifact(oci_ref: str, semver: str, ref: str, input_schema: Any,
                    connections: dict[str, tuple[str, str]], *, tls: dict[str, str] | None = None,
                    inspector: Inspector | None = None, signature_key: str = "") -> None:
    """``tls`` maps registry hosts served over HTTPS (loopback ones included) to the CA file to trust;
    ``signature_key``, a public key PEM, makes a valid cosign signature by it a condition."""
    try:
        repo = parse_repository(oci_ref, "oci_ref")
    except Exception:
        raise _fail(f"Package source {oci_ref} is not an OCI repository") from None
    tls = tls or {}
    scheme = "http" if repo.is_loopback and repo.host not in tls else "https"
    base = f"{scheme}://{repo.host}/v2/{repo.name}"
    session = _RegistrySession(connections.get(repo.host), repo.name)
    if repo.host in tls:
        session.verify = tls[repo.host]
    try:
        manifest_response = session.get(
            f"{base}/manifests/{ref}", headers={"Accept": MANIFEST_MEDIA_TYPE}, timeout=30
        )
    except requests.RequestException as exc:
        raise _fail(f"Cannot reach registry {repo.host}: {type(exc).__name__}", "body", "ref") from None
    if manifest_response.status_code in (401, 403):
        raise _fail(
            f"Registry {repo.host} requires credentials: add a registry connection", "body", "ref"
        )
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
    try:
        manifest, problems = akua_toml.parse(files["akua.toml"].decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail("akua.toml in the artifact is not UTF-8", "body", "ref") from None
    if problems:
        raise _fail("akua.toml in the artifact is invalid: " + "; ".join(p for p, _ in problems), "body", "ref")
    declared = manifest["package"]["version"]
    if declared != semver:
        raise _fail(f"semver {semver} does not match akua.toml version {declared}", "body", "semver")
    check_vendored(manifest, files, connections)
    if inspector is None or repo.host in tls:  # Akua's reader speaks plain HTTP to loopback hosts
        exported = _exported_schema(files["package.k"])
    else:
        exported = _inspected_schema(inspector, oci_ref, ref, semver, connections.get(repo.host))
    if not same_json(exported, input_schema):
        raise _fail(
            "input_schema differs from the schema exported from the artifact's package.k",
            "body", "input_schema",
        )


def _inspected_schema(inspector: Inspector, oci_ref: str, ref: str, semver: str,
                      credentials: tuple[str, str] | None) -> Any:
    """Akua's own reader on the published artifact: its metadata must agree, its schema is the judge."""
    try:
        seen = inspector(oci_ref, ref, credentials)
    except Exception as exc:
        if re.search(r"registry returned 5\d\d", str(exc)):  # the registry failing under it: an outage
            raise ApiError(503, f"Akua's reader could not read the registry: {exc}; try again") from None
        raise _fail(f"Akua's reader refused the artifact: {exc}", "body", "ref") from None
    if seen.get("manifest_digest") != ref:
        raise _fail(f"Akua's reader found {seen.get('manifest_digest')} at {ref}", "body", "ref")
    if seen.get("package_version") != semver:
        raise _fail(f"semver {semver} does not match the artifact's version {seen.get('package_version')}",
                    "body", "semver")
    return seen.get("input_schema")


class _RegistrySession(requests.Session):
    """Reads with the workspace's registry connection: HTTP Basic, or a bearer token got with it."""

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
        if response.status_code != 401 or not self._credentials:
            return response
        if challenge.lower().startswith("basic"):
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


def _exported_schema(package_k: bytes) -> Any:
    """What Akua exports from the artifact's package.k (the same exporter the action uses)."""
    with tempfile.TemporaryDirectory(prefix="akua-emulator-") as work:
        path = Path(work, "package.k")
        path.write_bytes(package_k)
        try:
            return export_input_schema(path, "package.k")
        except KclExportError as exc:
            raise _fail(f"Cannot export the input schema from package.k: {exc.message}",
                        "body", "input_schema") from None
