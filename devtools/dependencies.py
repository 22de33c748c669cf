"""Dependencies as real packages have them: a Helm chart pushed as an OCI artifact with Helm's media
types, an Akua package published to a registry, and a git repository with an annotated tag and a
later commit. Used by the vendoring tests (and the oracle comparison).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from devtools.registry import LocalRegistry

CHUNK = 1024 * 1024
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"

# A chart with the traps Akua's vendoring meets: hidden files, names Akua skips, a symlink, a file outside
# the chart folder, names that sort differently component by component, an executable file.
CHART_FILES: dict[str, tuple[bytes, int]] = {
    "Chart.yaml": (b"apiVersion: v2\nname: podinfo\nversion: 0.1.0\n", 0o644),
    "values.yaml": (b"replicaCount: 1\n", 0o644),
    "templates/a/deployment.yaml": (b"kind: Deployment\n", 0o644),
    "templates/a-b.yaml": (b"kind: Service\n", 0o644),
    "templates/.hidden.yaml": (b"hidden\n", 0o644),
    ".helmignore": (b"*.tmp\n", 0o644),
    "files/dist/x.js": (b"skipped\n", 0o644),
    "files/out": (b"skipped too\n", 0o644),
    "files/run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
    "files/inputs.yaml": (b"kept inside vendored trees\n", 0o600),
}


def chart_tarball(name: str = "podinfo", files: dict[str, tuple[bytes, int]] | None = None) -> bytes:
    """A gzip tar shaped like `helm package` output: everything under `<name>/`, plus traps outside it."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, tarfile.open(fileobj=zipped, mode="w") as tar:
        for rel, (data, mode) in (files or CHART_FILES).items():
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mode, info.mtime = len(data), mode, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{name}/templates/link.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "a-b.yaml"
        tar.addfile(link)
        stray = tarfile.TarInfo("outside.txt")
        stray.size = 3
        tar.addfile(stray, io.BytesIO(b"no\n"))
    return buffer.getvalue()


def zeros_chart(size: int) -> bytes:
    """A chart, ``bomb/``, of a Chart.yaml and ``files/zeros``: ``size`` zero bytes, about a thousandth of that
    compressed (a decompression bomb at a gigabyte), gzip-compressed as it is written, never whole in memory."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
        chart = b"apiVersion: v2\nname: bomb\nversion: 1.0.0\n"
        for name, length in (("bomb/Chart.yaml", len(chart)), ("bomb/files/zeros", size)):
            info = tarfile.TarInfo(name)
            info.size = length
            zipped.write(info.tobuf(tarfile.GNU_FORMAT))
            if name.endswith("Chart.yaml"):
                zipped.write(chart)
            else:
                for _ in range(length // CHUNK):
                    zipped.write(bytes(CHUNK))
                zipped.write(bytes(length % CHUNK))
            zipped.write(bytes(-length % 512))
        zipped.write(bytes(1024))
    return out.getvalue()


def push_blob(registry: LocalRegistry, repo: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    answer = requests.put(registry.monolithic_upload_url(repo, digest), data=data, timeout=30,
                          **registry.client_auth(repo))
    assert answer.status_code == 201, answer.text
    return digest


def push_manifest(registry: LocalRegistry, repo: str, tag: str, config: tuple[str, bytes],
                  layer: tuple[str, bytes], *, annotations: dict[str, str] | None = None) -> str:
    """Push a one-layer OCI manifest under ``tag``; return the layer's digest."""
    config_digest = push_blob(registry, repo, config[1])
    layer_digest = push_blob(registry, repo, layer[1])
    manifest: dict[str, object] = {
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": config[0], "digest": config_digest, "size": len(config[1])},
        "layers": [{"mediaType": layer[0], "digest": layer_digest, "size": len(layer[1])}],
    }
    if annotations:
        manifest["annotations"] = annotations
    auth = registry.client_auth(repo)
    headers = {"Content-Type": MANIFEST, **auth.pop("headers", {})}
    answer = requests.put(f"{registry.base}/v2/{repo}/manifests/{tag}", data=json.dumps(manifest).encode(),
                          headers=headers, timeout=30, **auth)
    assert answer.status_code == 201, answer.text
    return layer_digest


def push_chart(registry: LocalRegistry, repo: str, tag: str, tarball: bytes | None = None) -> str:
    """A Helm chart as `helm push` stores it; returns the chart layer's digest (what akua.lock pins)."""
    return push_manifest(registry, repo, tag, (HELM_CONFIG, b'{"name":"podinfo","version":"0.1.0"}'),
                         (HELM_LAYER, tarball or chart_tarball()))


def git_repository(path: Path, files: dict[str, bytes]) -> tuple[str, str]:
    """A bare git repository at ``path``: ``files`` committed and tagged ``v1.0.0`` (annotated), then a
    later commit that changes ``values.yaml``. Returns (tagged commit, later commit)."""
    from dulwich import porcelain
    from dulwich.repo import Repo

    work = path.with_suffix(".work")
    work.parent.mkdir(parents=True, exist_ok=True)
    repo = Repo.init(str(work), mkdir=True)
    for rel, data in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(data)
    porcelain.add(repo, paths=[str(work / rel) for rel in files])
    author = b"Tests <tests@example.com>"
    when = {"author_timestamp": 1_700_000_000, "commit_timestamp": 1_700_000_000, "author_timezone": 0,
            "commit_timezone": 0}  # fixed, so the same files give the same commits (a committed lock holds them)
    tagged = porcelain.commit(repo, message=b"chart 1.0.0", author=author, committer=author, **when)
    porcelain.tag_create(repo, b"v1.0.0", author=author, message=b"release 1.0.0", annotated=True,
                         tag_time=1_700_000_000, tag_timezone=0)
    (work / "values.yaml").write_bytes(b"replicaCount: 2\n")
    porcelain.add(repo, paths=[str(work / "values.yaml")])
    later = porcelain.commit(repo, message=b"after the tag", author=author, committer=author,
                             **{**when, "author_timestamp": 1_700_000_100, "commit_timestamp": 1_700_000_100})
    porcelain.clone(str(work), str(path), bare=True, errstream=io.BytesIO())
    return tagged.decode(), later.decode()


def lock_file(entries: list[dict[str, str]]) -> str:
    """An akua.lock as Akua writes it (sorted by name); an entry's ``replaced`` is the folder that replaces it."""
    lines = ["# This file is written by akua lock.", "# Do not edit it by hand.", "", "version = 1"]
    for entry in sorted(entries, key=lambda e: (e["name"], e["version"])):
        lines += ["", "[[package]]"] + [f'{key} = "{entry[key]}"' for key in ("name", "version", "source", "digest")]
        if entry.get("replaced"):
            lines += ["", "[package.replaced]", f'path = "{entry["replaced"]}"']
    return "\n".join(lines) + "\n"


class GitHttpServer:
    """A git smart-HTTP server (dulwich's) for the bare repositories under ``root``, on loopback, in a
    thread of its own; behind HTTP Basic authentication when ``credentials`` are given."""

    def __init__(self, root: Path, credentials: tuple[str, str] | None = None, port: int = 0) -> None:
        import base64
        import threading
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        from dulwich.repo import Repo
        from dulwich.server import DictBackend
        from dulwich.web import make_wsgi_chain

        app = make_wsgi_chain(DictBackend({f"/{p.name}": Repo(str(p)) for p in root.glob("*.git")}))
        expected = "Basic " + base64.b64encode(":".join(credentials).encode()).decode() if credentials else ""
        self.credentials_seen: list[str] = []

        def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            given = environ.get("HTTP_AUTHORIZATION", "")
            if given:
                self.credentials_seen.append(environ.get("PATH_INFO", ""))
            if expected and given != expected:
                start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                                                    ("Content-Length", "0")])
                return [b""]
            return app(environ, start_response)

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        self._server = make_server("127.0.0.1", port, guarded, handler_class=Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def shutdown(self) -> None:
        self._server.shutdown()
