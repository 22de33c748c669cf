"""Linters and the action's metadata, as part of the test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from akua_publish.frontends.inputs import TABLE
from akua_publish.options import DEFAULT_API_URL
from devtools.action import ROOT

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff() -> None:
    done = run(str(BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_on_the_action() -> None:
    done = run(str(BIN / "mypy"))  # files and strictness from pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found" in done.stdout


def test_hadolint() -> None:
    done = run(str(BIN / "hadolint"), "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def workflows() -> list[str]:
    """This repository's workflows and the example ones users copy."""
    found = sorted(path for folder in (ROOT / ".github" / "workflows", ROOT / "examples" / "workflows")
                   for path in folder.glob("*.y*ml"))
    assert len(found) >= 2
    return [str(p) for p in found]


def test_actionlint_on_every_workflow() -> None:
    done = run(str(BIN / "actionlint"), *workflows())
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_yml_follows_githubs_metadata_schema() -> None:
    done = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_follow_githubs_workflow_schema() -> None:
    done = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows())
    assert done.returncode == 0, done.stdout + done.stderr


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_metadata_is_complete() -> None:
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    for kind in ("inputs", "outputs"):
        for name, spec in action[kind].items():
            assert spec.get("description"), f"{kind}.{name} has no description"
    from akua_publish.frontends.rendering import batch_outputs
    from akua_publish.pipeline import Batch

    assert set(action["outputs"]) == {"package-id", "semver", "prerelease", "tag", "digest", "oci-ref", "version-id",
                                      "published-at", "status", "signature-tag", "attestation-tag",
                                      "signature-digest", "contract", *batch_outputs(Batch(()))}


def test_action_inputs_are_the_table_of_the_code() -> None:
    """action.yml and the CLI share one table (akua_publish/inputs.py): names, order and defaults."""
    inputs = _action()["inputs"]
    assert list(inputs) == [entry.name for entry in TABLE]
    assert {name: spec.get("default") for name, spec in inputs.items()} == {
        entry.name: entry.default if entry.action_default is None else entry.action_default for entry in TABLE}
    assert not any(spec.get("required") for spec in inputs.values())
    assert DEFAULT_API_URL in inputs["api-url"]["description"]
    for entry in TABLE:
        if entry.env:
            assert entry.env in inputs[entry.name]["description"] or entry.action_default, entry.name
