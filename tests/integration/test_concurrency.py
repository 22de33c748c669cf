"""A monorepo's matrix: several publishes at once, one registry, one Akua, no interference."""

from __future__ import annotations

import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
                          {"GITHUB_REF": "refs/tags/hello-x/v0.3.0", "AKUA_API_TOKEN": akua.token})

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
