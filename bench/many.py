"""Many packages, one step: a repository of 50 packages of which 3 have new versions, side by side in one run.

Against a local Distribution registry and the Akua emulator, in a workspace that holds 250 other packages
(three pages of Akua's package list), it measures in alternating rounds:

- the step: one run of entrypoint.py with ``packages: packages/*`` (3 published, 47 unchanged);
- three single-package runs in sequence, each of ``path`` and ``version``, publishing the same three bumps;
- a plan of the step (``plan: true``): nothing pushed, the matrix of the three.

and prints each one's median time, peak RSS and requests to Akua (``GET /packages`` pages in particular),
with the ratio the target is judged by: the step at most 1.3x the three single runs, its peak RSS at most
that of a single run plus 20 MB. Exits non-zero when a target is missed.

    .venv/bin/python -m bench.many [--rounds 3]      (3 rounds write bench/results/many.md)
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from akua_emulator import Emulator, Grant, Store
from bench.runs import run_action
from devtools.action import ROOT
from devtools.registry import LocalRegistry

RESULTS = ROOT / "bench" / "results"
PACKAGES, BUMPED, OTHERS, DEFAULT_ROUNDS = 50, 3, 250, 3
TIME_TARGET, RSS_SLACK_MB = 1.3, 20
WORKSPACE = "ws_bench"


@dataclass
class Figures:
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    listings: list[int] = field(default_factory=list)  # GET /v1/packages
    calls: list[int] = field(default_factory=list)  # every request to Akua

    def add(self, seconds: float, rss: float, listings: int, calls: int) -> None:
        self.seconds.append(seconds)
        self.rss_mb.append(rss)
        self.listings.append(listings)
        self.calls.append(calls)


def repository(root: Path, store: Store, registry: LocalRegistry) -> list[str]:
    """``packages/pkg-NN``: the hello example, renamed, each an Akua package of its own repository."""
    names = []
    for i in range(PACKAGES):
        name = f"pkg-{i:02d}-{secrets.token_hex(2)}"
        folder = root / "packages" / f"pkg-{i:02d}"
        shutil.copytree(ROOT / "examples/hello", folder, symlinks=True,
                        ignore=shutil.ignore_patterns("node_modules", "rendered", "latest-render"))
        toml = folder / "akua.toml"
        toml.write_text(toml.read_text().replace('name = "hello"', f'name = "{name}"'))
        store.add_package(WORKSPACE, name, {"kind": "oci", "oci_ref": f"oci://{registry.host}/many/{name}"})
        names.append(name)
    for i in range(OTHERS):
        store.add_package(WORKSPACE, f"other-{i:03d}", {"kind": "oci", "oci_ref": f"oci://{registry.host}/o/{i}"})
    return names


def bump(root: Path, round_no: int, version: str) -> list[str]:
    """The round's three packages, bumped to ``version``: folders relative to ``root``."""
    folders = [f"packages/pkg-{(round_no * BUMPED + k) % PACKAGES:02d}" for k in range(BUMPED)]
    for folder in folders:
        toml = root / folder / "akua.toml"
        text = toml.read_text()
        old = text.split('version = "', 1)[1].split('"', 1)[0]
        toml.write_text(text.replace(f'version = "{old}"', f'version = "{version}"', 1))
    return folders


def measured(store: Store, run: Callable[[], tuple[float, float, float, str]]) -> tuple[float, float, int, int, str]:
    """A run's seconds, peak RSS and log, with the requests Akua saw from it (all, and package-list pages)."""
    before = len(store.calls)
    seconds, _, rss, log = run()
    calls = store.calls[before:]
    return seconds, rss, sum(1 for m, p, *_ in calls if m == "GET" and p == "/v1/packages"), len(calls), log


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    rounds = parser.parse_args().rounds
    token = "sk_akua_bench_" + secrets.token_hex(12)
    store = Store()
    store.grants[token] = Grant((WORKSPACE,))
    step, singles, plan = Figures(), Figures(), Figures()
    with LocalRegistry() as registry, tempfile.TemporaryDirectory(prefix="akua-many-") as work:
        emulator = Emulator(store).start()
        root = Path(work)
        repository(root, store, registry)
        url = emulator.base_url
        branch = "refs/heads/main"

        def batch(**inputs: str) -> tuple[float, float, float, str]:
            return run_action(root, "", url, token, ref=branch, inputs={"packages": "packages/*", **inputs})

        batch()  # every package's first version: from here on, all but the bumped ones are unchanged
        def single(folder: str, version: str) -> tuple[float, float, float, str]:
            return run_action(root, "", url, token, ref=branch, inputs={"path": folder, "version": version})

        for round_no in range(2 * rounds):
            version = f"0.4.{round_no + 1}"
            folders = bump(root, round_no, version)
            if round_no % 2 == 0:  # the plan first (it changes nothing), then the step
                seconds, rss, listings, calls, log = measured(store, lambda: batch(plan="true"))
                assert log.count("Dry run: nothing was pushed") == BUMPED, log
                plan.add(seconds, rss, listings, calls)
                seconds, rss, listings, calls, log = measured(store, batch)
                assert log.count("is already-published as") == PACKAGES - BUMPED, log
                step.add(seconds, rss, listings, calls)
            else:
                total, peak, listings_sum, calls_sum = 0.0, 0.0, 0, 0
                for folder in folders:
                    seconds, rss, listings, calls, log = measured(store, lambda f=folder, v=version: single(f, v))
                    assert "status: published" in log, log
                    total, peak = total + seconds, max(peak, rss)
                    listings_sum, calls_sum = listings_sum + listings, calls_sum + calls
                singles.add(total, peak, listings_sum, calls_sum)
            print(f"round {round_no + 1} of {2 * rounds}", flush=True)
        emulator.shutdown()
    return report(step, singles, plan, write=rounds == DEFAULT_ROUNDS)


def report(step: Figures, singles: Figures, plan: Figures, *, write: bool) -> int:
    med = statistics.median
    ratio = med(step.seconds) / med(singles.seconds)
    rss_over = med(step.rss_mb) - med(singles.rss_mb)
    lines = [
        f"{PACKAGES} packages, {BUMPED} with new versions; Akua's workspace holds {PACKAGES + OTHERS} packages "
        f"(pages of 100). Medians of {len(step.seconds)} rounds each.",
        "",
        "| run | seconds | peak RSS MB | Akua requests | of them GET /packages |",
        "|---|---|---|---|---|",
        f"| the step (`packages`) | {med(step.seconds):.2f} | {med(step.rss_mb):.0f} | {med(step.calls):.0f} | "
        f"{med(step.listings):.0f} |",
        f"| {BUMPED} single runs in sequence | {med(singles.seconds):.2f} | {med(singles.rss_mb):.0f} (each) | "
        f"{med(singles.calls):.0f} | {med(singles.listings):.0f} |",
        f"| the plan (`plan: true`) | {med(plan.seconds):.2f} | {med(plan.rss_mb):.0f} | {med(plan.calls):.0f} | "
        f"{med(plan.listings):.0f} |",
        "",
        f"Step / {BUMPED} single runs: {ratio:.2f}x (target {TIME_TARGET}x); peak RSS {rss_over:+.0f} MB against "
        f"a single run (target at most +{RSS_SLACK_MB} MB); the step's time a package: "
        f"{med(step.seconds) / PACKAGES * 1000:.0f} ms, a single run's: {med(singles.seconds) / BUMPED * 1000:.0f} ms.",
    ]
    missed = []
    if ratio > TIME_TARGET:
        missed.append(f"the step took {ratio:.2f}x the single runs")
    if rss_over > RSS_SLACK_MB:
        missed.append(f"the step's peak RSS is {rss_over:.0f} MB over a single run's")
    if max(step.listings) > (PACKAGES + OTHERS + 99) // 100:
        missed.append("the step listed Akua's packages more than once a page")
    lines += ["", "Missed: " + ("; ".join(missed) if missed else "none")]
    if write:  # a shorter run must not replace the published figures
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "many.md").write_text("# akua-publish: many packages, one step\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps({"ratio": round(ratio, 3), "rss_over_mb": round(rss_over, 1)}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
