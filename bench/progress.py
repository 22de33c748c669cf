"""What showing progress costs: packing, hashing and pushing one package with each way of showing it.

The same work runs with no progress, with the CI log's lines (a reading every
10 s) and with the terminal bar (ten redraws a second, into a buffer), in turn,
several times; each figure is the fastest of its runs, so that the ratios
compare the work and not the machine's noise. Called by ``bench/perf.py`` for
its largest package.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from akua_publish.clients.registry import RegistryClient
from akua_publish.clients.retry import RetryPolicy
from akua_publish.frontends.log import PlainLog, ProgressStyle
from akua_publish.package.manifest import build_artifact
from akua_publish.package.packing import hash_content, pack
from akua_publish.progress import Progress, no_progress
from akua_publish.reference import Credentials, parse_repository
from devtools.registry import LocalRegistry

TARGET = 1.02
REPEATS = 3


def styles() -> dict[str, Progress]:
    return {
        "none": no_progress,
        "log lines": PlainLog(io.StringIO(), progress=ProgressStyle.LINES).progress,
        "terminal bar": PlainLog(io.StringIO(), progress=ProgressStyle.BAR, bar_out=io.StringIO()).progress,
    }


def fastest(work: Callable[[Progress], object]) -> dict[str, float]:
    """The fastest of ``REPEATS`` runs of ``work`` with each style, the styles taking turns."""
    times: dict[str, list[float]] = {name: [] for name in styles()}
    for _ in range(REPEATS):
        for name, progress in styles().items():
            started = time.perf_counter()
            work(progress)
            times[name].append(time.perf_counter() - started)
    return {name: min(found) for name, found in times.items()}


def measure(package: Path, work: Path, registry: LocalRegistry) -> dict[str, dict[str, float]]:
    out = work / "progress"
    out.mkdir(exist_ok=True)
    layer = pack(package, out)
    artifact = build_artifact(layer, {})

    def push(progress: Progress) -> None:
        repo = parse_repository(f"{registry.host}/bench/progress-{secrets.token_hex(3)}", "bench")
        RegistryClient(repo, Credentials("", ""), True, RetryPolicy(), progress=progress).push(
            "0.3.0", layer, artifact)

    return {"packing": fastest(lambda progress: pack(package, out, progress=progress)),
            "hashing (a re-run)": fastest(lambda progress: hash_content(package, progress=progress)),
            "pushing": fastest(push)}


def report(size_mb: int, figures: dict[str, dict[str, float]]) -> tuple[list[str], list[str]]:
    parts, missed = [], []
    for task, times in figures.items():
        base = times["none"]
        shown = ", ".join(f"{times[name]:.2f} s with {name} ({times[name] / base:.3f}x)"
                          for name in times if name != "none")
        parts.append(f"{task} {base:.2f} s without, {shown}")
        missed += [f"{task} with {name} is {times[name] / base:.3f}x without (target {TARGET}x)"
                   for name in times if times[name] / base > TARGET]
    line = (f"Progress at {size_mb} MiB (fastest of {REPEATS} runs each, target {TARGET}x): " + "; ".join(parts)
            + ".")
    return ["", line], missed
