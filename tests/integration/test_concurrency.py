"""Runs at once: a monorepo's matrix (several packages, one registry, one Akua, no interference), and runs of
one version that meet (a tag moved while its first run goes on, a re-run beside a new run)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXAMPLE, WORKSPACE_ID, Akua
from devtools.action import run_action
from devtools.registry import LocalRegistry

RUNS = 6


def test_concurrent_publishes_of_different_packages(registry: LocalRegistry, akua: Akua, tmp_path: Path) -> None:
    jobs = []
    for i in range(RUNS):
        root = tmp_path / f"checkout-{i}"
        shutil.copytree(EXAMPLE, root / "pkg", symlinks=True)
        if i % 2:  # half share their content (and so their layer blob) with another package
            (root / "pkg" / "README.md").write_text(f"package {i}\n")
        repo = f"matrix/pkg-{i}-{secrets.token_hex(3)}"
        package_id = akua.store.add_package(WORKSPACE_ID, f"hello-{i}",
                                            {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
        jobs.append((root, repo, package_id))

    def publish(job: tuple[Path, str, str]):
        root, _, package_id = job
        return run_action(root, {"package-id": package_id, "path": "pkg", "api-url": akua.server.base_url},
                          {"GITHUB_REF": "refs/tags/hello/v0.3.0", "AKUA_API_TOKEN": akua.token})

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        runs = list(pool.map(publish, jobs))

    for (_, repo, package_id), run in zip(jobs, runs, strict=True):
        assert run.returncode == 0, run.log
        assert run.leaked(akua.secrets) == []
        assert run.outputs["status"] == "published"
        assert registry.tags(repo) == ["0.3.0"]
        assert registry.manifest_digest(repo, "0.3.0") == run.outputs["digest"]
        [version] = akua.store.created_versions(package_id)
        assert version["ref"] == run.outputs["digest"]
    digests = {run.outputs["digest"] for run in runs}
    assert len(digests) == RUNS // 2 + 1  # the unchanged copies share one digest, each changed one has its own


ROUNDS = [("A", "A", "B", "B"), ("A", "B", "B", "B"), ("A", "A", "A", "A"), ("A", "B", "A", "B"), ("B", "A", "A"),
          ("A", "B"), ("A", "B", "C"), ("A", "A", "B", "B", "A")]
BIG = 6 * 1024 * 1024  # incompressible bytes: packing and pushing take long enough for the runs to overlap


@pytest.mark.parametrize("labels", ROUNDS, ids=["-".join(r) for r in ROUNDS])
def test_runs_of_one_version_started_together_leave_the_tag_on_what_akua_registered(
        registry: LocalRegistry, akua: Akua, tmp_path: Path, labels: tuple[str, ...]) -> None:
    """A tag moved while its first run goes on, a re-run beside a new run: real processes, one registry, one Akua
    that records versions atomically. Same content may differ in digest (another commit in the annotations)."""
    contents = {label: os.urandom(BIG) for label in set(labels)}
    repo = f"race/hello-{secrets.token_hex(4)}"
    package_id = akua.store.add_package(WORKSPACE_ID, "hello", {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
    roots = []
    for i, label in enumerate(labels):
        root = tmp_path / f"run-{i}"
        shutil.copytree(EXAMPLE, root / "pkg", symlinks=True)
        (root / "pkg" / "data.bin").write_bytes(contents[label])
        roots.append(root)

    def publish(i: int):
        return run_action(roots[i], {"package-id": package_id, "path": "pkg", "api-url": akua.server.base_url},
                          {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": akua.token,
                           "GITHUB_SHA": f"{i:040x}"})  # each its own commit: same content, another digest

    with ThreadPoolExecutor(max_workers=len(labels)) as pool:
        runs = list(pool.map(publish, range(len(labels))))

    [version] = akua.store.created_versions(package_id)
    assert registry.tags(repo) == ["0.3.0"], [run.log for run in runs]
    assert registry.manifest_digest(repo, "0.3.0") == version["ref"]
    pushed = [re.findall(r"Manifest digest: (sha256:[0-9a-f]{64})", run.log) for run in runs]
    [winner] = {labels[i] for i, digests in enumerate(pushed) if version["ref"] in digests}
    for label, run, digests in zip(labels, runs, pushed, strict=True):
        assert "Traceback" not in run.log and run.leaked(akua.secrets) == []
        if label == winner:
            assert run.returncode == 0, run.log
            assert run.outputs["digest"] == version["ref"], run.log
            assert run.outputs["status"] in ("published", "already-published")
        else:
            assert run.returncode == 1, run.log
            assert "Akua already has 0.3.0" in run.log or "already holds" in run.log, run.log
            if digests and f"holds oci://{registry.host}/{repo}@{digests[0]}" in run.log:  # it pushed: it says so
                assert f"untagged manifest, oci://{registry.host}/{repo}@{digests[0]}" in run.log, run.log
    again = publish(labels.index(winner))
    assert again.returncode == 0 and again.outputs["status"] == "already-published", again.log
    assert registry.manifest_digest(repo, "0.3.0") == version["ref"] == again.outputs["digest"]
