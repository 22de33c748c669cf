"""Publishing big packages: the action against tar|gzip and curl, side by side, in one run.

For packages of 1 MB, 100 MB and 1 GB (mostly incompressible data plus many
1 KB files) it measures, against a local Distribution registry on loopback:
packing against ``tar -c | gzip -6``; pushing against a bare client that makes
the same requests (POST, 4 MiB PATCHes, PUT, then the config and the manifest:
GHCR answers 416 above 4 MiB a request), with one monolithic ``curl -T`` PUT
kept as the physical limit; the whole run (from the start of entrypoint.py to
the end of its process, against the emulator) against tar|gzip plus the bare
client, from 100 MiB up, and below that against those plus one interpreter
start with the runtime imports (a fixed cost no packer of this size escapes);
the action's peak RSS; a re-run of the published version; start-up (first log
line, import time of each dependency); and vendoring a chart (bench/vendoring.py).
Below 200 MiB each figure is the median of several runs (each whole run
publishes to a package of its own, so none is a re-run). A run of the default
sizes writes ``bench/results/perf.md`` and ``perf.png``; every run exits
non-zero when a target is missed.

    .venv/bin/python -m bench.perf [--sizes 1,100,1024]      (sizes in MiB)
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from akua_emulator import Emulator, Grant, Store
from akua_publish.clients.registry import RegistryClient
from akua_publish.clients.retry import RetryPolicy
from akua_publish.package.manifest import build_artifact
from akua_publish.package.packing import pack
from akua_publish.reference import Credentials, parse_repository
from bench import vendoring
from devtools.action import ROOT
from devtools.registry import LocalRegistry, with_digest

RESULTS = ROOT / "bench" / "results"
DEFAULT_SIZES = "1,100,1024"
SMALL_FILE = 1024
TARGETS = {"pack": 1.3, "push": 1.1, "run": 1.5, "run-small": 1.3}
LARGE_MB = 100  # from this size the whole run is judged against tar|gzip + bare client alone
CHUNK = 4 * 1024 * 1024
RUNTIME_IMPORTS = ("import requests, jsonschema, oras.provider, kcl_lib.api, "
                   "cryptography.hazmat.primitives.asymmetric.ec")
MAX_RSS_MB, RSS_SPREAD_MB, RERUN_SLACK_S, FIRST_LINE_S = 100, 20, 1.0, 1.0


@dataclass
class Row:
    size_mb: int
    tar_gzip: float = 0
    pack: float = 0
    curl: float = 0
    bare: float = 0
    push: float = 0
    run: float = 0
    akua_server: float = 0  # of ``run``: the emulator reading the artifact back (Akua's work, not the action's)
    rerun: float = 0
    rerun_pack: float = 0  # of ``rerun``: its own packing, as its log says
    rerun_uploads: int = 0
    rss_mb: float = 0
    first_line: float = 0
    notes: list[str] = field(default_factory=list)


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


def run_action(workspace: Path, package_id: str, api_url: str, token: str) -> tuple[float, float, float, str]:
    """(seconds, seconds to first log line, peak RSS MB, log) of one run of entrypoint.py."""
    env = {"PATH": os.environ["PATH"], "GITHUB_WORKSPACE": str(workspace), "GITHUB_REF": "refs/tags/v0.3.0",
           "AKUA_API_TOKEN": token, "INPUT_PACKAGE-ID": package_id, "INPUT_API-URL": api_url,
           "INPUT_PATH": "pkg", "PYTHONPATH": str(ROOT)}
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


def measure(size_mb: int, *, registry: LocalRegistry, store: Store, emulator: Emulator, token: str,
            work: Path) -> Row:
    row = Row(size_mb)
    workspace = work / f"ws-{size_mb}"
    make_package(workspace / "pkg", size_mb)
    (work / "ours").mkdir(exist_ok=True)
    repeats = 11 if size_mb <= 10 else 3 if size_mb <= 200 else 1  # short runs: the median of several
    tar_times, pack_times, curl_times, bare_times, push_times = [], [], [], [], []
    for _ in range(repeats):
        tar_times.append(timed(f"tar -C {workspace} -c pkg | gzip -6 > {work / 'baseline.tar.gz'}"))
        started = time.perf_counter()
        layer = pack(workspace / "pkg", work / "ours")
        pack_times.append(time.perf_counter() - started)
        curl_times.append(curl_put(registry, f"bench/curl-{size_mb}-{secrets.token_hex(3)}", layer.path,
                                   layer.digest))
        artifact = build_artifact(layer, {})
        bare_times.append(bare_push(registry, f"bench/bare-{size_mb}-{secrets.token_hex(3)}", layer.path,
                                    layer.digest, config=artifact.config, manifest=artifact.manifest))
        repo = parse_repository(f"{registry.host}/bench/push-{size_mb}-{secrets.token_hex(3)}", "bench")
        client = RegistryClient(repo, Credentials("", ""), True, RetryPolicy())
        started = time.perf_counter()
        client.push("0.3.0", layer, artifact)
        push_times.append(time.perf_counter() - started)
    row.tar_gzip, row.pack = statistics.median(tar_times), statistics.median(pack_times)
    row.curl, row.push = statistics.median(curl_times), statistics.median(push_times)
    row.bare = statistics.median(bare_times)

    runs = []  # (seconds less Akua's, seconds, of them in Akua, first log line, peak RSS) of each fresh publish
    for _ in range(repeats):
        name = f"bench/run-{size_mb}-{secrets.token_hex(3)}"
        package_id = store.add_package("ws_bench", "bench",
                                       {"kind": "oci", "oci_ref": f"oci://{registry.host}/{name}"})
        before_calls = len(store.calls)
        elapsed, first_line, rss, _ = run_action(workspace, package_id, emulator.base_url, token)
        in_akua = sum(call[4] for call in store.calls[before_calls:])
        runs.append((elapsed - in_akua, elapsed, in_akua, first_line, rss))
    _, row.run, row.akua_server, _, _ = sorted(runs)[len(runs) // 2]
    row.first_line = statistics.median(run[3] for run in runs)
    row.rss_mb = max(run[4] for run in runs)
    before = registry.requests_seen("PATCH", name) + registry.requests_seen("PUT", name)
    row.rerun, _, _, log = run_action(workspace, package_id, emulator.base_url, token)
    packed = re.search(r"Packed \d+ files in ([0-9.]+) s", log)
    row.rerun_pack = float(packed.group(1)) if packed else 0
    if not packed:
        row.notes.append("the re-run's log gives no packing time")
    row.rerun_uploads = registry.requests_seen("PATCH", name) + registry.requests_seen("PUT", name) - before
    if "status: already-published" not in log:
        row.notes.append("re-run did not report already-published")
    shutil.rmtree(workspace)
    return row


def import_times() -> list[tuple[str, float]]:
    found = []
    for module in ("requests", "jsonschema", "oras.provider", "kcl_lib.api", "akua_publish.frontends.github.action"):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stderr
        last = [line for line in out.splitlines() if line.startswith("import time:")][-1]
        found.append((module, int(last.split("|")[1]) / 1e6))
    return found


def report(rows: list[Row], imports: list[tuple[str, float]], start: float) -> tuple[list[str], list[str]]:
    missed: list[str] = []
    lines = [
        "| package | tar \\| gzip -6 | akua pack | ratio | curl -T PUT | bare client | akua push | push / bare | "
        "whole run | of it in Akua | run / baseline | peak RSS | re-run | re-run uploads | first log line |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    smallest = min(rows, key=lambda r: r.size_mb)
    for r in rows:
        large = r.size_mb >= LARGE_MB
        baseline = r.tar_gzip + r.bare + (0 if large else start)
        ratios = {"pack": r.pack / r.tar_gzip, "push": r.push / r.bare,
                  "run" if large else "run-small": (r.run - r.akua_server) / baseline}
        run_ratio = ratios["run" if large else "run-small"]
        lines.append(
            f"| {r.size_mb} MiB | {r.tar_gzip:.2f} s | {r.pack:.2f} s | {ratios['pack']:.2f}x | {r.curl:.2f} s | "
            f"{r.bare:.2f} s | {r.push:.2f} s | {ratios['push']:.2f}x | {r.run:.2f} s | {r.akua_server:.2f} s | "
            f"{run_ratio:.2f}x"
            f"{'' if large else ' (+start)'} | {r.rss_mb:.0f} MB | {r.rerun:.2f} s ({r.rerun_pack:.2f} s packing) | "
            f"{r.rerun_uploads} | "
            f"{r.first_line:.3f} s |")
        for name, ratio in ratios.items():
            if ratio > TARGETS[name]:
                missed.append(f"{r.size_mb} MiB: {name} is {ratio:.2f}x its baseline (target {TARGETS[name]}x)")
        if r.rss_mb > MAX_RSS_MB or r.rss_mb - smallest.rss_mb > RSS_SPREAD_MB:
            missed.append(f"{r.size_mb} MiB: peak RSS {r.rss_mb:.0f} MB ({smallest.rss_mb:.0f} MB at "
                          f"{smallest.size_mb} MiB)")
        if r.rerun_uploads or r.rerun > r.rerun_pack + RERUN_SLACK_S:
            missed.append(f"{r.size_mb} MiB: re-run took {r.rerun:.2f} s, {r.rerun_pack:.2f} s of it packing, "
                          f"with {r.rerun_uploads} uploads (target: none, at most packing + {RERUN_SLACK_S} s)")
        if r.first_line > FIRST_LINE_S:
            missed.append(f"{r.size_mb} MiB: first log line after {r.first_line:.3f} s")
        missed += [f"{r.size_mb} MiB: {note}" for note in r.notes]
    lines += ["", "| import | seconds |", "|---|---|"]
    lines += [f"| `{module}` | {seconds:.3f} |" for module, seconds in imports]
    lines += [f"| interpreter start with the runtime imports | {start:.3f} |"]
    lines += ["", f"Targets: pack <= {TARGETS['pack']}x of tar|gzip; push <= {TARGETS['push']}x of the bare client "
              f"(curl -T is the physical limit, not a target); whole run <= {TARGETS['run']}x of tar|gzip + bare "
              f"client from {LARGE_MB} MiB, <= {TARGETS['run-small']}x of those plus the interpreter start below "
              "(the run less the time Akua's emulator spends answering, reading the artifact back included); "
              f"peak RSS <= {MAX_RSS_MB} MB and within {RSS_SPREAD_MB} MB of the smallest package; re-run uploads "
              f"nothing and costs at most its own packing + {RERUN_SLACK_S:g} s; first log line within "
              f"{FIRST_LINE_S:g} s."]
    return lines, missed


def chart(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.size_mb for r in rows]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for label, values, style in (
        ("akua-publish whole run", [r.run for r in rows], "o-"),
        ("akua pack", [r.pack for r in rows], "s-"),
        ("akua push", [r.push for r in rows], "^-"),
        ("tar | gzip -6", [r.tar_gzip for r in rows], "s--"),
        ("curl -T (one PUT)", [r.curl for r in rows], "^--"),
        ("bare client (same requests)", [r.bare for r in rows], "x:"),
        ("tar|gzip + bare client", [r.tar_gzip + r.bare for r in rows], "o--"),
    ):
        axis.plot(sizes, values, style, label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("package size (MiB)")
    axis.set_ylabel("seconds")
    axis.set_title("Publishing time against package size (loopback registry)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="package sizes in MiB, comma-separated")
    given = parser.parse_args().sizes
    sizes = [int(s) for s in given.split(",")]
    token = "sk_akua_bench_" + secrets.token_hex(12)
    store = Store()
    store.grants[token] = Grant(("ws_bench",))
    rows = []
    with LocalRegistry(access_log=True) as registry, tempfile.TemporaryDirectory(prefix="akua-perf-") as work:
        emulator = Emulator(store).start()
        for size in sizes:
            rows.append(measure(size, registry=registry, store=store, emulator=emulator, token=token,
                                work=Path(work)))
            print(f"measured {size} MiB", flush=True)
        emulator.shutdown()
        dependency = vendoring.measure(registry, Path(work))
        large = vendoring.measure_large(registry, Path(work))
    lines, missed = report(rows, import_times(), statistics.median(interpreter_start() for _ in range(5)))
    more_lines, more_missed = vendoring.report(dependency, large)
    lines, missed = lines + more_lines, missed + more_missed
    lines += ["", "Missed: " + ("; ".join(missed) if missed else "none")]
    if given == DEFAULT_SIZES:  # a partial run must not replace the published figures
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "perf.md").write_text("# akua-publish performance\n\n" + "\n".join(lines) + "\n")
        chart(rows, RESULTS / "perf.png")
    print("\n".join(lines))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
