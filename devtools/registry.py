"""A real CNCF Distribution registry (Debian's ``docker-registry``) on loopback."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import requests

from devtools.tls import TestCA
from devtools.token_server import TokenServer


def with_digest(url: str, digest: str) -> str:
    """The URL whose PUT completes an upload session with ``digest``."""
    return url + ("&" if "?" in url else "?") + f"digest={digest}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRegistry:
    """Starts ``docker-registry serve`` with its own storage; stops and cleans it on exit."""

    def __init__(self, basic_auth: tuple[str, str] | None = None, token_server: TokenServer | None = None,
                 access_log: bool = False, tls: TestCA | None = None) -> None:
        """``tls``: serve HTTPS with a certificate of that CA (else plain HTTP)."""
        self._access_log = access_log
        self._tls = tls
        self.verify: str | bool = str(tls.ca_file) if tls else True
        self._basic_auth = basic_auth
        self._token_server = token_server
        self._dir = Path(tempfile.mkdtemp(prefix="akua-registry-"))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.base = f"{'https' if tls else 'http'}://{self.host}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalRegistry:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        config = self._dir / "registry.yml"
        auth_yaml = ""
        if self._basic_auth:
            user, password = self._basic_auth
            hashed = subprocess.run(  # the password goes in on stdin, never on a command line
                ["htpasswd", "-niB", user], input=password, capture_output=True, text=True, check=True
            ).stdout
            (self._dir / "htpasswd").write_text(hashed)
            auth_yaml = f"auth: {{htpasswd: {{realm: akua-tests, path: {self._dir / 'htpasswd'}}}}}\n"
        elif self._token_server:
            auth_yaml = self._token_server.registry_auth_yaml()
        config.write_text(
            "version: 0.1\n"
            f"log: {{level: error, accesslog: {{disabled: {'false' if self._access_log else 'true'}}}}}\n"
            f"storage: {{filesystem: {{rootdirectory: {self._dir / 'data'}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: {self.host}"
            + (f", tls: {{certificate: {self._tls.cert_file}, key: {self._tls.key_file}}}" if self._tls else "")
            + "}\n" + auth_yaml
        )
        log = open(self._dir / "registry.log", "wb")
        self._process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError((self._dir / "registry.log").read_text())
            try:
                requests.get(f"{self.base}/v2/", timeout=1, verify=self.verify)
            except requests.ConnectionError:
                time.sleep(0.1)
            else:
                return self
        raise RuntimeError("docker-registry did not start within 30 s")

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        shutil.rmtree(self._dir, ignore_errors=True)

    def client_auth(self, name: str) -> dict[str, object]:
        """How the tests themselves read the registry (not through the action)."""
        if self._token_server:
            token = self._token_server.mint("tests", [f"repository:{name}:pull,push,delete"], admin=True)
            return {"headers": {"Authorization": f"Bearer {token}"}, "verify": self.verify}
        return {"auth": self._basic_auth, "verify": self.verify}

    def monolithic_upload_url(self, name: str, digest: str) -> str:
        """Open an upload session; the URL a single PUT of the whole blob completes."""
        location = requests.post(f"{self.base}/v2/{name}/blobs/uploads/", timeout=30,
                                 **self.client_auth(name)).headers["Location"]
        return with_digest(self.absolute(location), digest)

    def absolute(self, location: str) -> str:
        """An upload session's Location, which registries may give relative to the registry."""
        return location if location.startswith("http") else f"{self.base}{location}"

    def requests_seen(self, method: str, path_part: str) -> int:
        """How many ``method`` requests whose path holds ``path_part`` the access log shows."""
        log = (self._dir / "registry.log").read_text(errors="replace")
        return sum(1 for line in log.splitlines() if f'"{method} ' in line and path_part in line)

    def untag(self, name: str, tag: str) -> None:
        """Remove a tag but keep its manifest, as a registry's retention policy does.

        Distribution's API can only delete a manifest with all its tags, so the tag's
        directory goes from the storage (the registry reads tags from there on each request).
        """
        shutil.rmtree(self._dir / "data" / "docker/registry/v2/repositories" / name / "_manifests/tags" / tag)

    def delete_manifest(self, name: str, digest: str) -> None:
        """Delete a manifest (and every tag on it) through the API."""
        response = requests.delete(f"{self.base}/v2/{name}/manifests/{digest}", timeout=10,
                                   **self.client_auth(name))
        assert response.status_code == 202, response.text

    def tags(self, name: str) -> list[str]:
        response = requests.get(f"{self.base}/v2/{name}/tags/list", timeout=10, **self.client_auth(name))
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])

    def manifest(self, name: str, reference: str) -> bytes | None:
        """The manifest's exact bytes, or None when the registry has none."""
        kwargs = self.client_auth(name)
        headers = {"Accept": "application/vnd.oci.image.manifest.v1+json", **kwargs.pop("headers", {})}
        response = requests.get(f"{self.base}/v2/{name}/manifests/{reference}", headers=headers, timeout=10,
                                **kwargs)
        return response.content if response.ok else None

    def blob(self, name: str, digest: str) -> bytes:
        response = requests.get(f"{self.base}/v2/{name}/blobs/{digest}", timeout=10, **self.client_auth(name))
        response.raise_for_status()
        return response.content

    def put(self, name: str, reference: str, blobs: list[bytes], manifest: bytes) -> None:
        """Upload blobs and a manifest as a tool other than the action would (tampering, other publishers)."""
        for data in blobs:
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            kwargs = self.client_auth(name)
            response = requests.put(self.monolithic_upload_url(name, digest), data=data, timeout=30, **kwargs)
            assert response.status_code == 201, response.text
        kwargs = self.client_auth(name)
        headers = {"Content-Type": "application/vnd.oci.image.manifest.v1+json", **kwargs.pop("headers", {})}
        response = requests.put(f"{self.base}/v2/{name}/manifests/{reference}", data=manifest, headers=headers,
                                timeout=30, **kwargs)
        assert response.status_code == 201, response.text

    def manifest_digest(self, name: str, reference: str) -> str | None:
        kwargs = self.client_auth(name)
        headers = {"Accept": "application/vnd.oci.image.manifest.v1+json", **kwargs.pop("headers", {})}
        response = requests.head(f"{self.base}/v2/{name}/manifests/{reference}", headers=headers,
                                 timeout=10, **kwargs)
        return response.headers.get("Docker-Content-Digest") if response.ok else None
