"""Vendoring a chart dependency against fetching the same blob with curl, side by side.

Used by ``bench/perf.py``: a 20 MiB chart (incompressible data) is pushed to the local
registry with Helm's media types; the action's fetcher pulls it (manifest, blob, sha256
against the lock pin, unpack, walk) and ``curl`` fetches the blob alone, and piped into
``tar -xz`` (fetching and unpacking, what vendoring does). Medians of nine runs.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import tarfile
import time
from pathlib import Path

from akua_publish.dependency_fetch import NetworkFetcher
from akua_publish.retry import RetryPolicy
from akua_publish.vendor_tree import walk
from devtools.dependencies import push_chart
from devtools.registry import LocalRegistry

TARGET = 1.3  # vendoring / curl fetch of the same blob
RUNS = 9


def chart_of(size_mb: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("big/Chart.yaml", b"name: big\n"), ("big/files/blob.bin", os.urandom(size_mb << 20))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def measure(registry: LocalRegistry, work: Path, size_mb: int = 20) -> dict[str, float]:
    digest = push_chart(registry, "bench/chart", "1.0.0", chart_of(size_mb))
    url = f"http://{registry.host}/v2/bench/chart/blobs/{digest}"
    vendor, fetch, fetch_unpack = [], [], []
    for run in range(RUNS):
        started = time.perf_counter()
        root, _ = NetworkFetcher(RetryPolicy(), {}, work).oci("big", f"oci://{registry.host}/bench/chart", "1.0.0",
                                                              digest, work / f"vendor-{run}")
        walk(root)
        vendor.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(["curl", "-sf", "-o", str(work / f"curl-{run}.tgz"), url], check=True)
        fetch.append(time.perf_counter() - started)
        (work / f"tar-{run}").mkdir()
        started = time.perf_counter()
        subprocess.run(f"curl -sf '{url}' | tar -xz -C {work / f'tar-{run}'}", shell=True, check=True)
        fetch_unpack.append(time.perf_counter() - started)
    return {"vendor": statistics.median(vendor), "curl": statistics.median(fetch),
            "curl_tar": statistics.median(fetch_unpack), "size_mb": size_mb}


def report(figures: dict[str, float]) -> tuple[list[str], list[str]]:
    ratio = figures["vendor"] / figures["curl"]
    lines = ["", f"Vendoring a {figures['size_mb']:.0f} MiB chart dependency: {figures['vendor']:.2f} s; "
             f"curl of the same blob {figures['curl']:.2f} s ({ratio:.2f}x, target {TARGET}x); "
             f"curl | tar -xz {figures['curl_tar']:.2f} s ({figures['vendor'] / figures['curl_tar']:.2f}x)."]
    missed = [f"vendoring is {ratio:.2f}x a curl fetch (target {TARGET}x)"] if ratio > TARGET else []
    return lines, missed
