"""Run the example publish workflow under nektos/act, as a tag push would run it on GitHub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from devtools.action import ROOT
from devtools.docker_env import ROOTFS_IMAGE

WORKFLOW = ".github/workflows/publish.yml"
EXAMPLE_VERSION = tomllib.loads((ROOT / "examples/hello/akua.toml").read_text())["package"]["version"]


@dataclass
class ActRun:
    returncode: int
    log: str

    def outputs(self) -> dict[str, str]:
        """What the workflow's later step printed of the action's outputs."""
        found: dict[str, str] = {}
        for line in self.log.splitlines():
            _, marker, rest = line.partition("akua-outputs ")
            if marker:
                found.update(pair.split("=", 1) for pair in rest.split() if "=" in pair)
        return found


def run_act(variables: dict[str, str], token: str, tag: str = f"v{EXAMPLE_VERSION}",
            timeout: float = 600, secrets: dict[str, str] | None = None, *, repo: Path = ROOT,
            workflow: str = WORKFLOW, event_name: str = "push", inputs: dict[str, str] | None = None,
            ref: str = "") -> ActRun:
    """``act`` with a tag push (a push of ``ref``, when given; or ``workflow_dispatch`` with ``inputs``) on
    ``repo``; the token and other ``secrets`` go in through the environment, never argv."""
    with tempfile.TemporaryDirectory(prefix="akua-act-") as work:
        event: dict[str, object] = {
            "repository": {"full_name": "owner/akua-publish", "name": "akua-publish", "owner": {"login": "owner"}},
        }
        if event_name == "push":
            event["ref"] = ref or f"refs/tags/{tag}"
        else:
            event["inputs"] = inputs or {}
        path = Path(work, "event.json")
        path.write_text(json.dumps(event))
        command = [
            str(Path(sys.executable).parent / "act"), event_name, "-W", workflow, "-e", str(path),
            "-P", f"ubuntu-latest={ROOTFS_IMAGE}", "--pull=false", "-s", "AKUA_API_TOKEN",
        ]
        for name, value in variables.items():
            command += ["--var", f"{name}={value}"]
        for name in secrets or {}:
            command += ["-s", name]
        env = dict(os.environ, AKUA_API_TOKEN=token, **(secrets or {}))
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        return ActRun(done.returncode, done.stdout + done.stderr)
