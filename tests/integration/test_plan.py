"""A repository of packages that depend on each other: a package publishes after the sibling whose new version it
vendors, a failing package stops its dependents only, and a plan (``plan``) checks everything without pushing and
outputs the matrix whose entries, run one by one, publish what it planned. Akua's package list is read once a
batch, and a version Akua has costs a content hash (no schema export, no contract)."""

from __future__ import annotations

import json
import math
import re
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXAMPLE, WORKSPACE_ID, Akua
from devtools.action import run_action, run_cli
from devtools.keys import generate
from devtools.registry import LocalRegistry

NAMES = ("alpha", "beta", "gamma", "delta", "epsilon")
NEEDS = {"beta": "alpha", "epsilon": "delta"}  # beta vendors alpha's new version, epsilon delta's


def siblings(root: Path, registry: LocalRegistry, akua: Akua) -> tuple[dict[str, str], dict[str, str]]:
    """``charts/<name>`` for each of NAMES (the example, renamed ``<name>-<suffix>``, new to Akua), each an Akua
    package whose repository ends with its name; a package of NEEDS vendors its sibling's 0.3.0 from that
    repository. Their ids and repositories."""
    ids, repos = {}, {}
    namespace, suffix = f"plan-{secrets.token_hex(3)}", f"-{secrets.token_hex(3)}"
    for short in NAMES:
        repos[short] = f"{namespace}/{short}{suffix}"
        ids[short] = akua.store.add_package(WORKSPACE_ID, f"{short}{suffix}", {
            "kind": "oci", "oci_ref": f"oci://{registry.host}/{repos[short]}"})
    for short in NAMES:
        folder = root / "charts" / short
        shutil.copytree(EXAMPLE, folder, symlinks=True)
        toml = (folder / "akua.toml").read_text().replace('name = "hello"', f'name = "{short}{suffix}"')
        if short in NEEDS:
            toml += (f'{NEEDS[short]} = {{ oci = "oci://{registry.host}/{repos[NEEDS[short]]}", '
                     'version = "0.3.0" }\n')
        (folder / "akua.toml").write_text(toml)
    return ids, repos


def pin(root: Path, akua: Akua, dependent: str, repos: dict[str, str], registry: LocalRegistry) -> None:
    """Lock the dependent's sibling at the layer a dry run of the sibling packs (the packer is reproducible)."""
    sibling = NEEDS[dependent]
    dry = run_cli(root, "--path", f"charts/{sibling}", "--version-from-package", "--dry-run", env={
        "AKUA_API_TOKEN": akua.token, "AKUA_API_BASE_URL": akua.server.base_url})
    assert dry.returncode == 0, dry.stderr
    [layer] = re.findall(r"layer (sha256:[0-9a-f]{64})", dry.stderr)
    (root / "charts" / dependent / "akua.lock").write_text(
        f'# akua.lock\n# pins\n\nversion = 1\n\n[[package]]\nname = "{sibling}"\nversion = "0.3.0"\n'
        f'source = "oci://{registry.host}/{repos[sibling]}"\ndigest = "{layer}"\n')


def batch(root: Path, akua: Akua, ref: str = "refs/heads/main", **inputs: str):
    run = run_action(root, {"api-url": akua.server.base_url, "packages": "charts/*", **inputs},
                     {"GITHUB_REF": ref, "AKUA_API_TOKEN": akua.token})
    assert "Traceback" not in run.log and run.leaked(akua.secrets) == []
    return run


def base(name: str) -> str:
    return name.rpartition("-")[0]


def statuses(run) -> dict[str, str]:
    return {base(entry["name"]): entry["status"] for entry in json.loads(run.outputs["results"])}


def listings(akua: Akua) -> int:
    return sum(1 for method, path, *_ in akua.store.calls if method == "GET" and path == "/v1/packages")


def test_a_plan_checks_without_pushing_and_its_matrix_publishes_dependencies_first(
        registry: LocalRegistry, akua: Akua, tmp_path: Path) -> None:
    ids, repos = siblings(tmp_path, registry, akua)
    pin(tmp_path, akua, "beta", repos, registry)
    assert batch(tmp_path, akua, packages="charts/gamma").returncode == 0  # published before: unchanged
    akua.store.record_version(ids["delta"], "0.3.0", "sha256:" + "e" * 64, {"type": "object"})  # not bumped

    before = listings(akua)
    pages = math.ceil(sum(1 for p in akua.store.packages.values() if p["workspace_id"] == WORKSPACE_ID) / 100)
    plan = batch(tmp_path, akua, plan="true")
    assert listings(akua) - before == pages  # once a page, not once a package and page
    assert plan.returncode == 1, plan.log  # delta was not bumped
    assert statuses(plan) == {"alpha": "planned", "beta": "planned", "gamma": "unchanged", "delta": "failed",
                              "epsilon": "failed"}, plan.log
    blocked = next(e for e in json.loads(plan.outputs["results"]) if base(e["name"]) == "epsilon")
    assert re.search(r"was left out of the plan: it depends on delta-\w+, which failed", blocked["error"])
    assert re.search(r"akua.lock pins alpha-\w+ at the layers this plan packs", plan.log)
    assert [base(n) for n in json.loads(plan.outputs["planned"])] == ["alpha", "beta"]
    matrix = json.loads(plan.outputs["matrix"])["include"]
    assert [(base(e["package"]), e["path"], e["version"], e["packages"], e["wave"]) for e in matrix] \
        == [("alpha", "charts/alpha", "0.3.0", "charts/alpha", 1),
            ("beta", "charts/beta", "0.3.0", "charts/alpha charts/beta", 2)]
    assert "#### The matrix: a job each" in plan.summary
    cli = run_cli(tmp_path, "--packages", "charts/*", "--plan", "--json", env={
        "AKUA_API_TOKEN": akua.token, "AKUA_API_BASE_URL": akua.server.base_url})
    assert cli.returncode == 1 and json.loads(cli.stdout)["matrix"] == {"include": matrix}, cli.stderr
    for short in ("alpha", "beta"):  # a plan pushes and registers nothing
        assert registry.tags(repos[short]) == [] and akua.store.created_versions(ids[short]) == []

    lock = tmp_path / "charts/beta/akua.lock"
    pinned = lock.read_text()
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, pinned))
    stale = batch(tmp_path, akua, plan="true")
    assert stale.returncode == 1 and statuses(stale)["beta"] == "failed" and statuses(stale)["alpha"] == "planned"
    [wrong] = [e["error"] for e in json.loads(stale.outputs["results"]) if base(e["name"]) == "beta"]
    assert "publishing would fail to vendor it" in wrong and "sha256:" + "0" * 64 in wrong, wrong
    lock.write_text(pinned)

    # The matrix's jobs, the dependent first: its job publishes what it needs; the other then finds it done.
    dependent = batch(tmp_path, akua, packages=matrix[1]["packages"])
    assert dependent.returncode == 0 and statuses(dependent) == {"alpha": "published", "beta": "published"}, \
        dependent.log
    assert dependent.log.index("Package alpha-") < dependent.log.index("Package beta-")
    vendored = akua.store.created_versions(ids["beta"])
    assert len(vendored) == 1 and registry.tags(repos["beta"]) == ["0.3.0"]
    first = batch(tmp_path, akua, packages=matrix[0]["packages"])
    assert first.returncode == 0 and statuses(first) == {"alpha": "unchanged"}, first.log

    again = batch(tmp_path, akua, plan="true")
    assert json.loads(again.outputs["planned"]) == [] and json.loads(again.outputs["matrix"]) == {"include": []}
    assert statuses(again) == {"alpha": "unchanged", "beta": "unchanged", "gamma": "unchanged", "delta": "failed",
                               "epsilon": "failed"}, again.log


def test_an_unchanged_version_costs_a_hash_and_its_share_of_akuas_answers(
        registry: LocalRegistry, akua: Akua, tmp_path: Path) -> None:
    """No schema export and no contract: Akua has the version with this content. A tag the registry lost is put
    back on Akua's digest; a plan leaves it for the real run (the matrix lists the package)."""
    ids, repos = siblings(tmp_path, registry, akua)
    first = batch(tmp_path, akua, packages="charts/alpha charts/gamma")
    assert first.returncode == 0, first.log
    registry.untag(repos["gamma"], "0.3.0")
    plan = batch(tmp_path, akua, packages="charts/alpha charts/gamma", plan="true")
    assert statuses(plan) == {"alpha": "unchanged", "gamma": "planned"}, plan.log
    versions_before = sum(1 for m, p, *_ in akua.store.calls if m == "GET" and p.endswith("/versions"))
    run = batch(tmp_path, akua, packages="charts/alpha charts/gamma")
    assert run.returncode == 0 and statuses(run) == {"alpha": "unchanged", "gamma": "unchanged"}, run.log
    assert registry.tags(repos["gamma"]) == ["0.3.0"]
    assert sum(1 for m, p, *_ in akua.store.calls if m == "GET" and p.endswith("/versions")) - versions_before == 2
    assert "Check the package" not in run.log and "Compare the input contract" not in run.log
    assert run.log.count("Hashed ") == 2 and "input schema are valid" not in run.log
    assert all(len(akua.store.created_versions(ids[short])) == 1 for short in ("alpha", "gamma"))
    tag = f"refs/tags/{repos['alpha'].rpartition('/')[2]}/v0.3.0"  # the tag re-pushed: the same, at no more cost
    for inputs in ({"plan": "true"}, {}):
        tagged = batch(tmp_path, akua, ref=tag, **inputs)
        assert tagged.returncode == 0 and statuses(tagged) == {"alpha": "unchanged"}, tagged.log
        assert json.loads(tagged.outputs["planned"]) == [] and "input schema are valid" not in tagged.log
    other = batch(tmp_path, akua, ref=tag.replace("v0.3.0", "v0.3.1"))  # the tag and akua.toml differ: checked
    assert other.returncode == 1 and "0.3.1" in other.log and statuses(other) == {"alpha": "failed"}, other.log


@pytest.mark.parametrize("round_no", range(3))
def test_the_matrix_jobs_of_a_dependency_run_at_once(registry: LocalRegistry, akua: Akua, tmp_path: Path,
                                                     round_no: int) -> None:
    """Both jobs publish alpha (one of them as beta's dependency), at the same moment, as real processes: Akua
    records alpha once, both jobs pass, and beta is published on it."""
    ids, repos = siblings(tmp_path, registry, akua)
    pin(tmp_path, akua, "beta", repos, registry)
    plan = batch(tmp_path, akua, packages="charts/alpha charts/beta", plan="true")
    assert plan.returncode == 0, plan.log
    entries = json.loads(plan.outputs["matrix"])["include"]
    assert [e["packages"] for e in entries] == ["charts/alpha", "charts/alpha charts/beta"]
    with ThreadPoolExecutor(2) as pool:
        jobs = list(pool.map(lambda entry: batch(tmp_path, akua, packages=entry["packages"]), entries))
    for job in jobs:
        assert job.returncode == 0, job.log
    alpha_job, beta_job = (statuses(job) for job in jobs)
    assert alpha_job["alpha"] in ("published", "unchanged") and beta_job["alpha"] in ("published", "unchanged")
    assert "published" in (alpha_job["alpha"], beta_job["alpha"]) and beta_job["beta"] == "published"
    assert [len(akua.store.created_versions(ids[short])) for short in ("alpha", "beta")] == [1, 1]
    assert registry.tags(repos["alpha"]) == ["0.3.0"] and registry.tags(repos["beta"]) == ["0.3.0"]
    created = akua.store.created_versions(ids["alpha"])[0]["ref"]
    assert registry.manifest_digest(repos["alpha"], "0.3.0") == created


def test_with_a_signing_key_an_unchanged_package_is_checked_in_full_and_its_lost_signature_restored(
        registry: LocalRegistry, akua: Akua, tmp_path: Path) -> None:
    ids, repos = siblings(tmp_path, registry, akua)
    pair = generate("cosign")
    key = {"packages": "charts/gamma", "cosign-private-key": pair.private_pem, "cosign-password": pair.passphrase}
    first = batch(tmp_path, akua, **key)
    assert first.returncode == 0 and statuses(first) == {"gamma": "published"}, first.log
    digest = registry.manifest_digest(repos["gamma"], "0.3.0")
    signature = f"sha256-{digest[7:]}.sig"
    registry.untag(repos["gamma"], signature)
    again = batch(tmp_path, akua, **key)
    assert again.returncode == 0 and statuses(again) == {"gamma": "unchanged"}, again.log
    assert "This run signs: the package is checked in full" in again.log and "input schema are valid" in again.log
    assert signature in registry.tags(repos["gamma"]) and len(akua.store.created_versions(ids["gamma"])) == 1
    unsigned = batch(tmp_path, akua, packages="charts/gamma", sign="false")
    assert statuses(unsigned) == {"gamma": "unchanged"} and "input schema are valid" not in unsigned.log
