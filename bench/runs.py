"""How the figures of ``bench/perf.py`` are taken: the package, the baselines' commands, one run of the action.

Each function measures one thing and nothing around it: ``timed`` a shell
command, ``curl_put`` and ``bare_push`` the floors of a push, ``run_action`` one
run of ``entrypoint.py`` with its first log line and its peak RSS (``PeakRss``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from devtools.action import ROOT
from devtools.registry import LocalRegistry, with_digest

SMALL_FILE = 1024
CHUNK = 4 * 1024 * 1024
RUNTIME_IMPORTS = ("import requests, jsonschema, oras.provider, kcl_lib.api, "
                   "cryptography.hazmat.primitives.asymmetric.ec")


def make_package(root: Path, size_mb: int) -> None:
    """akua.toml, package.k, its schema, many 1 KB files and incompressible data."""
    example = ROOT / "examples" / "hello"
    root.mkdir(parents=True)
    for name in ("package.k", "exported"):
        (shutil.copytree if (example / name).is_dir() else shutil.copy)(example / name, root / name)
    (root / "akua.toml").write_text('[package]\nname = "bench"\nversion = "0.3.0"\nedition = "akua.dev/v1alpha1"\n')
    small = min(10_000, size_mb * 1024 * 1024 // (2 * SMALL_FILE))
    for i in range(small):
        folder = root / "vendor" / f"chart-{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{i:05d}.yaml").write_bytes(os.urandom(SMALL_FILE // 2).hex().encode())
    remaining = size_mb * 1024 * 1024 - small * SMALL_FILE
    with open(root / "data.bin", "wb") as handle:
        while remaining > 0:
            step = min(remaining, 16 * 1024 * 1024)
            handle.write(os.urandom(step))
            remaining -= step


def timed(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, shell=True, check=True, capture_output=True)
    return time.perf_counter() - started


def curl_put(registry: LocalRegistry, repo: str, blob: Path, digest: str) -> float:
    url = registry.monolithic_upload_url(repo, digest)
    return timed(f"curl -sf -T {blob} -H 'Content-Type: application/octet-stream' '{url}'")


def bare_push(registry: LocalRegistry, repo: str, blob: Path, digest: str, *, config: bytes, manifest: bytes) -> float:
    """The requests a registry client must make, with nothing around them: the push's floor in Python."""
    import hashlib

    import requests

    session, base = requests.Session(), registry.base
    started = time.perf_counter()

    def upload(data_path: Path | None, data: bytes, blob_digest: str, size: int) -> None:
        url = registry.absolute(session.post(f"{base}/v2/{repo}/blobs/uploads/").headers["Location"])
        if size > CHUNK and data_path is not None:
            with open(data_path, "rb") as handle:
                offset = 0
                while chunk := handle.read(CHUNK):
                    answer = session.patch(url, data=chunk, headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
                    url = registry.absolute(answer.headers["Location"])
                    offset += len(chunk)
            session.put(with_digest(url, blob_digest)).raise_for_status()
        else:
            body = data if data_path is None else data_path.read_bytes()
            session.put(with_digest(url, blob_digest), data=body).raise_for_status()

    upload(blob, b"", digest, blob.stat().st_size)
    upload(None, config, "sha256:" + hashlib.sha256(config).hexdigest(), len(config))
    session.put(f"{base}/v2/{repo}/manifests/0.3.0", data=manifest,
                headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}).raise_for_status()
    return time.perf_counter() - started


def interpreter_start() -> float:
    """One Python start with the action's runtime imports: the fixed cost of any run."""
    return timed(f"{sys.executable} -c '{RUNTIME_IMPORTS}'")


def run_action(workspace: Path, package_id: str, api_url: str, token: str, *, ref: str = "refs/tags/v0.3.0",
               inputs: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """(seconds, seconds to first log line, peak RSS MB, log) of one run of entrypoint.py: of the package ``pkg``
    with ``package_id``, or with the ``inputs`` given instead."""
    given = inputs if inputs is not None else {"package-id": package_id, "path": "pkg"}
    env = {"PATH": os.environ["PATH"], "GITHUB_WORKSPACE": str(workspace), "GITHUB_REF": ref,
           "AKUA_API_TOKEN": token, "INPUT_API-URL": api_url, "PYTHONPATH": str(ROOT),
           **{f"INPUT_{name.upper()}": value for name, value in given.items()}}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py")], cwd=workspace, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = PeakRss(process.pid)
    assert process.stdout is not None
    first = process.stdout.readline()
    first_line = time.perf_counter() - started
    rest = process.stdout.read()
    code = process.wait()
    elapsed = time.perf_counter() - started
    log = (first + rest).decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"the action failed:\n{log}")
    return elapsed, first_line, peak.stop(), log


class PeakRss:
    """The process's own high-water RSS (VmHWM), read from /proc while it runs.

    ``ru_maxrss`` of a child is no good here: it counts the parent's pages the
    child had before ``exec``. VmHWM belongs to the new program's memory and
    only grows, so the last reading taken is its peak (to within one poll).
    """

    def __init__(self, pid: int) -> None:
        self._path = Path(f"/proc/{pid}/status")
        self._kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            try:
                for line in self._path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self._kb = max(self._kb, int(line.split()[1]))
            except (OSError, ValueError):
                return
            time.sleep(0.01)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self._kb / 1024
