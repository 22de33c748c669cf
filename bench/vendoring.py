"""Vendoring a chart dependency against fetching the same blob with curl, side by side.

Used by ``bench/perf.py``: a 20 MiB chart (incompressible data) is pushed to the local
registry with Helm's media types; the action's fetcher pulls it (manifest, blob to disk
hashed on the way, sha256 against the lock pin, then unpack, walk) next to the same steps
with the standard tools: ``curl -o``, ``sha256sum``, ``tar -xzf`` (the baseline: vendoring
checks the digest before it unpacks anything, so it cannot unpack while it downloads). Also
shown: ``curl`` alone and ``curl | tar -xz`` (which unpacks unchecked bytes). Medians of nine
runs.

Then a chart that unpacks to 256 MiB (zeros: about 256 KiB compressed), vendored with the
expansion limit raised, in a process of its own whose peak RSS is read, next to
``curl | tar -xz`` of the same blob; and the time a 1 GiB bomb takes to be refused with
the default limits.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.oci import NetworkFetcher
from akua_publish.deps.tree import walk
from devtools.dependencies import push_chart, zeros_chart
from devtools.registry import LocalRegistry

TARGET = 1.3  # vendoring / curl -o, sha256sum, tar -xzf of the same blob
RUNS = 9
LARGE_TARGET = 1.5  # vendoring a chart that unpacks to 256 MiB / curl | tar -xz of it
RSS_TARGET_MB = 100
ONE_PROCESS = """
import sys, time
from pathlib import Path
from akua_publish.deps.oci import NetworkFetcher
from akua_publish.errors import DependencyError
from akua_publish.clients.retry import RetryPolicy
from akua_publish.deps.tree import walk
from akua_publish.options import UnpackLimits
oci, digest, work, ratio = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
started = time.perf_counter()
try:
    root, _ = NetworkFetcher(RetryPolicy(), {}, work, limits=UnpackLimits(max_ratio=ratio)).oci(
        "big", oci, "1.0.0", digest, work / "vendored")
    walk(root)
    outcome = "vendored"
except DependencyError:
    outcome = "refused"
# VmHWM, not ru_maxrss: the latter keeps the pages of the parent this process was forked from.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(time.perf_counter() - started, peak / 1024, outcome)
"""


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
    vendor, fetch, fetch_unpack, checked = [], [], [], []
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
        (work / f"checked-{run}").mkdir()
        started = time.perf_counter()
        blob = work / f"checked-{run}.tgz"
        subprocess.run(f"curl -sf -o {blob} '{url}' && sha256sum {blob} > /dev/null && "
                       f"tar -xzf {blob} -C {work / f'checked-{run}'}", shell=True, check=True)
        checked.append(time.perf_counter() - started)
    return {"vendor": statistics.median(vendor), "curl": statistics.median(fetch),
            "curl_tar": statistics.median(fetch_unpack), "checked": statistics.median(checked), "size_mb": size_mb}


def in_a_process(oci: str, digest: str, work: Path, ratio: float) -> tuple[float, float, str]:
    """Vendoring in a fresh interpreter: seconds, peak RSS in MB, and whether it vendored or refused."""
    work.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", ONE_PROCESS, oci, digest, str(work), str(ratio)],
                          capture_output=True, text=True, check=True)
    seconds, rss, outcome = done.stdout.split()
    return float(seconds), float(rss), outcome


def measure_large(registry: LocalRegistry, work: Path, size_mb: int = 256) -> dict[str, float | str]:
    digest = push_chart(registry, "bench/zeros", "1.0.0", zeros_chart(size_mb << 20))
    oci, url = f"oci://{registry.host}/bench/zeros", f"http://{registry.host}/v2/bench/zeros/blobs/{digest}"
    vendor, rss, fetch_unpack = [], [], []
    for run in range(3):
        seconds, peak, _ = in_a_process(oci, digest, work / f"large-{run}", 1e6)
        vendor.append(seconds)
        rss.append(peak)
        (work / f"large-tar-{run}").mkdir()
        started = time.perf_counter()
        subprocess.run(f"curl -sf '{url}' | tar -xz -C {work / f'large-tar-{run}'}", shell=True, check=True)
        fetch_unpack.append(time.perf_counter() - started)
    bomb = push_chart(registry, "bench/bomb", "1.0.0", zeros_chart(1 << 30))
    refused, bomb_rss, outcome = in_a_process(f"oci://{registry.host}/bench/bomb", bomb, work / "bomb", 100)
    return {"size_mb": size_mb, "vendor": statistics.median(vendor), "rss": max(rss),
            "curl_tar": statistics.median(fetch_unpack), "bomb": refused, "bomb_rss": bomb_rss, "outcome": outcome}


def report(figures: dict[str, float], large: dict[str, float | str]) -> tuple[list[str], list[str]]:
    ratio = figures["vendor"] / figures["checked"]
    lines = ["", f"Vendoring a {figures['size_mb']:.0f} MiB chart dependency: {figures['vendor']:.2f} s; "
             f"curl -o, sha256sum, tar -xzf of the same blob {figures['checked']:.2f} s ({ratio:.2f}x, target "
             f"{TARGET}x); curl alone {figures['curl']:.2f} s ({figures['vendor'] / figures['curl']:.2f}x); "
             f"curl | tar -xz {figures['curl_tar']:.2f} s ({figures['vendor'] / figures['curl_tar']:.2f}x)."]
    missed = [f"vendoring is {ratio:.2f}x curl, sha256sum and tar (target {TARGET}x)"] if ratio > TARGET else []
    vendor, curl_tar, rss = float(large["vendor"]), float(large["curl_tar"]), float(large["rss"])
    lines.append(f"A chart that unpacks to {large['size_mb']} MiB: vendored in {vendor:.2f} s, peak RSS {rss:.0f} MB "
                 f"(target {RSS_TARGET_MB}); curl | tar -xz {curl_tar:.2f} s ({vendor / curl_tar:.2f}x, target "
                 f"{LARGE_TARGET}x). A 1 GiB bomb: {large['outcome']} in {float(large['bomb']):.2f} s, peak RSS "
                 f"{float(large['bomb_rss']):.0f} MB.")
    if vendor / curl_tar > LARGE_TARGET:
        missed.append(f"vendoring a {large['size_mb']} MiB chart is {vendor / curl_tar:.2f}x curl | tar -xz "
                      f"(target {LARGE_TARGET}x)")
    if max(rss, float(large["bomb_rss"])) > RSS_TARGET_MB:
        missed.append(f"vendoring peaked at {max(rss, float(large['bomb_rss'])):.0f} MB (target {RSS_TARGET_MB} MB)")
    if large["outcome"] != "refused":
        missed.append("the 1 GiB bomb was not refused")
    return lines, missed
