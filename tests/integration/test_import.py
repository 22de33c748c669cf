"""First publish with nothing set up in Akua: the package found by name, or imported with its first version."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest

from akua_emulator.faults import Fault
from conftest import WORKSPACE_ID, Akua, Target, error_lines, parse_annotation
from devtools.action import ActionRun, run_action
from devtools.registry import LocalRegistry


@pytest.fixture
def new_repo(registry: LocalRegistry) -> str:
    """A repository no package points at yet."""
    return f"{registry.host}/first/hello-{secrets.token_hex(4)}"


@pytest.fixture
def name() -> str:
    """A package name no other test uses: the look-up is by name, across the tests' one workspace."""
    return f"hello-{secrets.token_hex(4)}"


def packages_named(akua: Akua, name: str) -> list[dict]:
    return [p for p in akua.store.packages.values() if p["name"] == name]


def first_publish(publish, name: str, repository: str, **inputs: str) -> ActionRun:
    return publish(inputs={"package-id": "", "package-name": name, "repository": repository, **inputs})


def test_a_package_that_does_not_exist_is_imported_with_its_first_version(publish, registry: LocalRegistry,
                                                                          akua: Akua, new_repo: str,
                                                                          name: str) -> None:
    run = first_publish(publish, name, new_repo, **{"display-image-url": "https://example.com/hello.png"})
    assert run.returncode == 0, run.log
    [package] = packages_named(akua, name)
    assert run.outputs["package-id"] == package["id"] and run.outputs["status"] == "imported"
    assert package["source"] == {"kind": "oci", "oci_ref": f"oci://{new_repo}"}
    assert package["display_image_url"] == "https://example.com/hello.png"
    [version] = akua.store.created_versions(package["id"])
    assert (version["semver"], version["ref"]) == ("0.3.0", run.outputs["digest"])
    assert run.outputs["version-id"] == version["id"] and run.outputs["contract"] == "first"
    assert f"Created the Akua package {name} ({package['id']}, {package['html_url']})" in run.log
    assert f"package-id: {package['id']}" in run.summary and package["html_url"] in run.summary
    again = first_publish(publish, name, new_repo)
    assert again.returncode == 0 and again.outputs["status"] == "already-published", again.log
    assert again.outputs["package-id"] == package["id"] and len(packages_named(akua, name)) == 1


def test_the_name_finds_an_existing_package(publish, target: Target, akua: Akua) -> None:
    name = f"hello-{secrets.token_hex(4)}"
    package_id = akua.store.add_package(WORKSPACE_ID, name, {"kind": "oci", "oci_ref": target.oci_ref})
    found = publish(inputs={"package-id": "", "package-name": name})
    assert found.returncode == 0 and found.outputs["package-id"] == package_id, found.log
    assert found.outputs["status"] == "published" and [v["semver"] for v in akua.store.created_versions(package_id)]
    assert f"Found the Akua package {name} by name: {package_id}" in found.log


@pytest.mark.parametrize("kind", ["hosted", "several"])
def test_an_ambiguous_name_fails_before_the_push_and_lists_the_ids(publish, akua: Akua, new_repo: str, name: str,
                                                                 registry: LocalRegistry, kind: str) -> None:
    ids = [akua.store.add_package(WORKSPACE_ID, name, {"kind": "hosted", "repository_id": "repo_1"}
                                  if kind == "hosted" else {"kind": "oci", "oci_ref": f"oci://{new_repo}-{n}"})
           for n in range(1 if kind == "hosted" else 2)]
    run = first_publish(publish, name, new_repo)
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    _, message = parse_annotation(line)
    assert all(i in message for i in ids) and "package-id" in message
    assert ("not OCI-backed" if kind == "hosted" else "2 Akua packages") in message
    assert registry.tags(new_repo.split("/", 1)[1]) == []


def test_a_dropped_connection_after_the_import_committed_still_gives_one_package(publish, akua: Akua,
                                                                                new_repo: str, name: str) -> None:
    def imports() -> int:
        return sum(1 for c in akua.store.calls if c[0] == "POST" and c[1].endswith("/packages:import"))

    before = imports()
    akua.server.faults.add(Fault("POST", r"/packages:import$", action="commit-drop"))
    try:
        run = first_publish(publish, name, new_repo)
    finally:
        akua.server.faults.clear()
    assert run.returncode == 0 and run.outputs["status"] == "imported", run.log
    assert "Retrying" in run.log
    [package] = packages_named(akua, name)
    assert run.outputs["package-id"] == package["id"] and len(akua.store.created_versions(package["id"])) == 1
    assert imports() - before == 2  # the committed one, then its retry with the same idempotency key


def test_a_409_on_import_registers_the_version_on_the_package_another_run_created(publish, akua: Akua,
                                                                                 new_repo: str, name: str) -> None:
    """Another run (of another tag) imports the same name between this run's look-up and its import."""
    def other_run_imports() -> None:
        akua.store.add_package(WORKSPACE_ID, name, {"kind": "oci", "oci_ref": f"oci://{new_repo}"}, semver="0.2.0")

    akua.server.faults.add(Fault("POST", r"/packages:import$", action="before", before=other_run_imports))
    try:
        run = first_publish(publish, name, new_repo)
    finally:
        akua.server.faults.clear()
    assert run.returncode == 0, run.log
    [package] = packages_named(akua, name)
    assert run.outputs["package-id"] == package["id"] and run.outputs["status"] == "published"
    assert "was created by another run a moment ago" in run.log
    assert [v["semver"] for v in akua.store.versions[package["id"]]] == ["0.2.0", "0.3.0"]
    assert [v["semver"] for v in akua.store.created_versions(package["id"])] == ["0.3.0"]


def test_two_runs_importing_the_same_package_at_once_end_with_one_of_each(akua: Akua, workspace: Path,
                                                                         new_repo: str, name: str) -> None:
    runs: list[ActionRun] = []

    def one() -> None:
        runs.append(run_action(workspace, {"package-id": "", "package-name": name, "repository": new_repo,
                                           "path": "pkg", "api-url": akua.server.base_url},
                               {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": akua.token}))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in runs] == [0, 0], "\n\n".join(r.log for r in runs)
    [package] = packages_named(akua, name)
    assert len(akua.store.versions[package["id"]]) == 1
    assert {r.outputs["package-id"] for r in runs} == {package["id"]}


def test_a_token_that_may_not_create_packages(publish, akua: Akua, registry: LocalRegistry, new_repo: str,
                                              name: str) -> None:
    run = publish(inputs={"package-id": "", "package-name": name, "repository": new_repo},
                  env={"AKUA_API_TOKEN": akua.read_only_token})
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    _, message = parse_annotation(line)
    assert "HTTP 403" in message and "may not create packages" in message and "package-id" in message
    assert f"oci://{new_repo}@sha256:" in message and "not registered" in message
    digest = message.split(f"oci://{new_repo}@", 1)[1][:71]
    repo = new_repo.split("/", 1)[1]
    assert registry.manifest(repo, digest) and registry.tags(repo) == [], "pushed by digest, never tagged"
    assert packages_named(akua, name) == []


def test_the_default_repository_on_github_is_ghcr(publish, akua: Akua, name: str) -> None:
    run = publish(inputs={"package-id": "", "package-name": name, "dry-run": "true"},
                  env={"GITHUB_REPOSITORY_OWNER": "Acme-Corp", "GITHUB_REPOSITORY": "Acme-Corp/charts"})
    assert run.returncode == 0, run.log
    assert f"No Akua package is named {name}: a real run imports it from oci://ghcr.io/acme-corp/{name}" in run.log
    assert run.outputs["package-id"] == "" and packages_named(akua, name) == []


@pytest.mark.parametrize(("inputs", "env", "needles"), [
    ({"package-name": "x" * 121}, {}, ("121 characters", "120")),
    ({"package-name": "ok", "display-image-url": "not a url"}, {}, ("display-image-url", "https")),
    ({"package-name": "ok"}, {"GITHUB_REPOSITORY_OWNER": ""}, ("no repository to import", "`repository`")),
], ids=["name-too-long", "image-url-not-a-url", "no-repository-off-github"])
def test_what_an_import_needs_is_checked_before_anything_is_pushed(publish, akua: Akua, inputs: dict, env: dict,
                                                                   needles: tuple[str, ...]) -> None:
    run = publish(inputs={"package-id": "", **inputs}, env=env)
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    _, message = parse_annotation(line)
    for needle in needles:
        assert needle in message, message
