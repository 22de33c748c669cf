"""The action's image: pinned base, root, lean, and a dependency layer that survives code changes."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import Target, secret_parts
from devtools.action import ROOT, copy_action
from devtools.docker_env import docker
from devtools.lock import normalise, pins


@pytest.fixture(scope="module")
def image(built_image: str) -> Iterator[str]:
    yield built_image
    docker("image", "prune", "-f", check=False)  # the layers the rebuild test left dangling


def test_base_image_is_pinned_to_an_exact_version_tag() -> None:
    froms = re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert len(froms) == 1 and re.fullmatch(r"python:3\.\d+\.\d+-slim-bookworm", froms[0]), froms


def test_the_image_runs_the_command_line(image: str) -> None:
    """`docker run <image> --help` (arguments: the CLI), and `akua-publish` on PATH for shell-based CI."""
    assert "--package-id" in docker("run", "--rm", image, "--help").stdout
    assert "--dry-run" in docker("run", "--rm", "--entrypoint", "akua-publish", image, "--help").stdout


def test_image_runs_as_root_with_python_settings(image: str) -> None:
    config = json.loads(docker("image", "inspect", image, "--format", "{{json .Config}}").stdout)
    assert config.get("User", "") in ("", "root", "0")
    assert docker("run", "--rm", "--entrypoint", "id", image, "-u").stdout.strip() == "0"
    assert {"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"} <= set(config["Env"])
    assert config["Entrypoint"] == ["python", "/action/entrypoint.py"]


def test_image_holds_only_the_runtime_dependencies_and_the_code(image: str) -> None:
    listing = docker("run", "--rm", "--entrypoint", "sh", image, "-c",
                     "cd /action && find . -type f | sort; test ! -e /root/.cache/pip && echo no-pip-cache").stdout
    files = listing.split()
    assert "no-pip-cache" in files
    assert all(f.startswith(("./akua_publish/", "./entrypoint.py", "./requirements.lock")) or f == "no-pip-cache"
               for f in files), files
    assert not any(f.endswith(".pyc") for f in files)
    frozen = docker("run", "--rm", "--entrypoint", "python", image, "-m", "pip", "freeze", "--all").stdout
    installed = {_canonical(line) for line in frozen.split() if "==" in line and not line.startswith(("pip==",
                                                                                                        "setuptools=="))}
    pinned = {_canonical(line) for line in (ROOT / "requirements.txt").read_text().split() if "==" in line}
    assert installed == pinned


def test_image_stays_within_80_mb_of_its_base(image: str) -> None:
    """The dependencies (kcl-lib, cryptography, dulwich, ...) and the code add at most 80 MB."""
    base = re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)[0]
    sizes = [int(docker("image", "inspect", name, "--format", "{{.Size}}").stdout) for name in (image, base)]
    added = sizes[0] - sizes[1]
    print(f"image {sizes[0] / 1e6:.1f} MB = base {sizes[1] / 1e6:.1f} MB + {added / 1e6:.1f} MB")
    assert added <= 80e6, f"the image adds {added / 1e6:.1f} MB to its base"


def test_the_image_installs_from_a_lock_with_the_hashes_of_every_pin() -> None:
    """requirements.lock pins exactly what requirements.txt pins, each with hashes (pip --require-hashes)."""
    lock = (ROOT / "requirements.lock").read_text()
    locked = {normalise(name): version for name, version in re.findall(r"^([\w.-]+)==(\S+) \\$", lock, re.MULTILINE)}
    assert locked == pins(ROOT / "requirements.txt")
    first_hashes = re.findall(r"^([\w.-]+)==\S+ \\\n    --hash=sha256:[0-9a-f]{64}", lock, re.MULTILINE)
    assert {normalise(n) for n in first_hashes} == set(locked)
    assert "--require-hashes -r requirements.lock" in (ROOT / "Dockerfile").read_text()


def _canonical(requirement: str) -> str:
    """PEP 503 name normalisation: kcl_lib and kcl-lib are the same project."""
    name, _, version = requirement.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version


def test_code_only_change_reuses_the_dependency_layer(image: str, tmp_path: Path) -> None:
    context = tmp_path / "context"
    copy_action(context)
    docker("build", "-t", "akua-publish-test:layers", str(context))
    (context / "akua_publish" / "__init__.py").write_text(
        (context / "akua_publish" / "__init__.py").read_text() + f"\n# code-only change {secrets.token_hex(8)}\n")
    rebuilt = docker("build", "-t", "akua-publish-test:layers", str(context)).stdout
    steps = re.split(r"^Step \d+/\d+ : ", rebuilt, flags=re.MULTILINE)
    pip_step = next(s for s in steps if s.startswith("RUN pip install"))
    code_step = next(s for s in steps if s.startswith("COPY akua_publish/"))
    assert "Using cache" in pip_step, rebuilt
    assert "Using cache" not in code_step, rebuilt


def gitlab_job() -> dict:
    """The GitLab CI job docs/cli.md shows."""
    page = (ROOT / "docs" / "cli.md").read_text()
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", page, re.DOTALL) if b.startswith("# .gitlab-ci.yml")]
    return yaml.safe_load(block)["publish-akua"]


def test_the_documented_gitlab_job_runs_in_the_image(workspace: Path, target: Target, image: str) -> None:
    """The job's script, run as GitLab would: a shell in the image (entrypoint cleared), CI variables set."""
    job = gitlab_job()
    assert job["image"]["entrypoint"] == [""]
    package = workspace / "examples" / "hello"
    package.parent.mkdir(parents=True)
    (workspace / "pkg").rename(package)
    env = {"GITLAB_CI": "true", "CI_COMMIT_TAG": "v0.3.0", "AKUA_PACKAGE_ID": target.package_id,
           "AKUA_API_TOKEN": target.akua.token,
           "AKUA_API_BASE_URL": target.akua.server.base_url}
    command = ["docker", "run", "--rm", "--network", "host", "-v", f"{workspace}:/builds/project",
               "-w", "/builds/project", "--entrypoint", "sh"]
    for name in env:
        command += ["-e", name]
    done = subprocess.run([*command, image, "-c", "set -e\n" + "\n".join(job["script"])],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = json.loads((workspace / "akua-outputs.json").read_text())
    assert outputs["status"] == "published" and [v["ref"] for v in target.created()] == [outputs["digest"]]
    assert not [s for s in secret_parts([target.akua.token]) if s in done.stdout + done.stderr]


def test_docker_stop_ends_the_run_at_once_and_it_cleans_up(workspace: Path, target: Target, image: str,
                                                            tmp_path: Path) -> None:
    """The entrypoint is the container's first process, which ignores SIGTERM unless it handles it: before,
    `docker stop` waited its grace period and killed it (exit 137), leaving the packed layer behind."""
    (workspace / "pkg" / "big.bin").write_bytes(os.urandom(160 * 1024 * 1024))
    scratch = tmp_path / "runner-temp"
    scratch.mkdir()
    name = f"akua-publish-stop-{secrets.token_hex(4)}"
    env = {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url}
    command = ["docker", "run", "--name", name, "--network", "host", "-v", f"{workspace}:/work", "-w", "/work",
               "-v", f"{scratch}:/scratch", "-e", "TMPDIR=/scratch", "-e", "AKUA_API_TOKEN", "-e", "AKUA_API_BASE_URL",
               image, "--package-id", target.package_id, "--path", "pkg", "--version", "0.3.0"]
    run = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        lines: list[str] = []
        assert run.stdout is not None
        for line in run.stdout:
            lines.append(line)
            if line.startswith("== Pack =="):
                break
        time.sleep(0.3)
        started = time.monotonic()
        docker("stop", "-t", "20", name)
        took = time.monotonic() - started
        lines += run.stdout.readlines()
        code = run.wait(timeout=60)
    finally:
        docker("rm", "-f", name, check=False)
    log = "".join(lines)
    assert code == 143 and took < 10, (code, took, log)
    assert "Error: Cancelled: The run was cancelled (SIGTERM)" in log and "Nothing was pushed or registered." in log
    assert list(scratch.iterdir()) == [], "the scratch folder is left behind"
    target.assert_untouched()
