"""Many packages in one step (``packages``): every package the globs find is published at its akua.toml's version,
reported unchanged when Akua has it with this content, failed when Akua has it with other content; the others go
on; one summary, ``published`` and ``results`` outputs, and the command line's ``--json`` say what happened."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLE, WORKSPACE_ID, Akua, error_lines, parse_annotation
from devtools.action import run_action, run_cli
from devtools.registry import LocalRegistry

SUFFIX = secrets.token_hex(2)  # Akua (the emulator) lives for the session: names of this module's own


def repository_of_packages(root: Path, names: tuple[str, ...], registry: LocalRegistry, akua: Akua) -> dict[str, str]:
    """``charts/<name>`` for each name (the example, renamed; each name gets this module's suffix), each an Akua
    package on a repository of its own; their ids by the names as given."""
    ids = {}
    for base in names:
        name = f"{base}{SUFFIX}"
        folder = root / "charts" / base
        shutil.copytree(EXAMPLE, folder, symlinks=True)
        toml = folder / "akua.toml"
        toml.write_text(toml.read_text().replace('name = "hello"', f'name = "{name}"'))
        repo = f"many/{name}-{secrets.token_hex(3)}"
        ids[base] = akua.store.add_package(WORKSPACE_ID, name, {"kind": "oci", "oci_ref": f"oci://{registry.host}/{repo}"})
    return ids


def batch(root: Path, akua: Akua, ref: str = "refs/heads/main", **inputs: str):
    run = run_action(root, {"api-url": akua.server.base_url, "packages": "charts/*", **inputs},
                     {"GITHUB_REF": ref, "AKUA_API_TOKEN": akua.token})
    assert "Traceback" not in run.log and run.leaked(akua.secrets) == []
    return run


def statuses(run) -> dict[str, str]:
    return {entry["name"].removesuffix(SUFFIX): entry["status"] for entry in json.loads(run.outputs["results"])}


def names(text: str) -> list[str]:
    return [name.removesuffix(SUFFIX) for name in json.loads(text)]


def test_new_versions_publish_known_ones_are_unchanged_and_a_stale_version_fails_alone(
        registry: LocalRegistry, akua: Akua, tmp_path: Path) -> None:
    ids = repository_of_packages(tmp_path, ("alpha", "beta", "gamma"), registry, akua)
    akua.store.record_version(ids["gamma"], "0.3.0", "sha256:" + "e" * 64, {"type": "object"})  # not bumped
    first = batch(tmp_path, akua)
    assert first.returncode == 1, first.log
    assert statuses(first) == {"alpha": "published", "beta": "published", "gamma": "failed"}
    assert names(first.outputs["published"]) == ["alpha", "beta"]
    [line] = error_lines(first)
    assert parse_annotation(line)[0]["title"] == "Version already registered with another digest"
    assert f"| alpha{SUFFIX} | `charts/alpha` | :white_check_mark: published |" in first.summary
    assert f"| gamma{SUFFIX} | `charts/gamma` | :x: failed |" in first.summary
    assert [v["semver"] for v in akua.store.created_versions(ids["alpha"])] == ["0.3.0"]
    again = batch(tmp_path, akua)
    assert again.returncode == 1 and statuses(again) == {"alpha": "unchanged", "beta": "unchanged",
                                                         "gamma": "failed"}, again.log
    assert names(again.outputs["published"]) == [] and "nothing to upload" in again.log
    assert len(akua.store.created_versions(ids["beta"])) == 1


def test_a_tag_selects_its_package_and_the_command_line_says_the_same(registry: LocalRegistry, akua: Akua,
                                                                       tmp_path: Path) -> None:
    repository_of_packages(tmp_path, ("delta", "epsilon"), registry, akua)
    tagged = batch(tmp_path, akua, ref=f"refs/tags/epsilon{SUFFIX}/v0.3.0")
    assert tagged.returncode == 0 and statuses(tagged) == {"epsilon": "published"}, tagged.log
    done = run_cli(tmp_path, "--packages", "charts/*", "--json", env={
        "AKUA_API_TOKEN": akua.token, "AKUA_API_BASE_URL": akua.server.base_url})
    answer = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert [name.removesuffix(SUFFIX) for name in answer["published"]] == ["delta"]
    assert {r["name"].removesuffix(SUFFIX): r["status"] for r in answer["results"]} == {"delta": "published",
                                                                                       "epsilon": "unchanged"}
    other = batch(tmp_path, akua, ref="refs/tags/gamma/v0.3.0")
    assert other.returncode == 1 and "The tag `gamma/v0.3.0` names no package" in other.log


@pytest.mark.parametrize(("prepare", "inputs", "needle"), [
    (None, {"packages": "nothing/*"}, "`nothing/*`, which reaches no folder with an akua.toml"),
    ("twice", {}, f"Two packages are named `theta{SUFFIX}`"),
    ("outside", {}, "leads outside the workspace (through a symlink)"),
    (None, {"packages": "../charts/*"}, "leads outside the workspace"),
    (None, {"path": "charts/theta"}, "input and the `path` input are both set"),
    (None, {"version": "1.0.0"}, "input and the `version` input are both set"),
    (None, {"packages": "", "plan": "true"}, "The `plan` input is set without the `packages` input"),
    ("spaced", {"plan": "true"}, "The folder `charts/the ta` has whitespace in its name"),
], ids=["matches-nothing", "one-name-twice", "symlink-out", "dotdot", "with-path", "with-version", "plan-alone",
        "plan-spaced"])
def test_bad_package_sets_stop_before_anything_is_pushed(registry: LocalRegistry, akua: Akua, tmp_path: Path,
                                                         prepare: str | None, inputs: dict[str, str],
                                                         needle: str) -> None:
    root = tmp_path / "repo"
    ids = repository_of_packages(root, ("theta",), registry, akua)
    if prepare == "twice":
        shutil.copytree(root / "charts" / "theta", root / "charts" / "theta-copy")
    if prepare == "spaced":
        shutil.copytree(root / "charts" / "theta", root / "charts" / "the ta")
        toml = root / "charts" / "the ta" / "akua.toml"
        toml.write_text(toml.read_text().replace(f'name = "theta{SUFFIX}"', 'name = "spaced"'))
    if prepare == "outside":
        shutil.copytree(EXAMPLE, tmp_path / "elsewhere")
        (root / "charts" / "linked").symlink_to(tmp_path / "elsewhere")
    run = batch(root, akua, **inputs)
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    assert needle in parse_annotation(line)[1], line
    assert akua.store.created_versions(ids["theta"]) == [] and run.outputs == {}
    assert not re.search(r"holds oci://", run.log), "something was pushed"
