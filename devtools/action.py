"""Run ``entrypoint.py`` as the runner would: inputs as ``INPUT_*``, files for outputs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    output_file: str
    on_github: bool = True

    @property
    def log(self) -> str:
        """The log as a user sees it: on GitHub the runner consumes ``::add-mask::`` lines; elsewhere
        nothing does, so there every line counts (and none may be a workflow command)."""
        lines = (self.stdout + self.stderr).splitlines(keepends=True)
        if not self.on_github:
            return "".join(lines)
        return "".join(line for line in lines if not line.startswith("::add-mask::"))

    def leaked(self, secrets: list[str]) -> list[str]:
        """Secrets found anywhere a user or a later step could read them."""
        seen = self.log + self.output_file + self.summary
        return [s for s in secrets if s and s in seen]


ACTION_FILES = ("action.yml", "Dockerfile", ".dockerignore", "entrypoint.py", "requirements.lock")


def copy_action(into: Path, files: tuple[str, ...] = ACTION_FILES) -> Path:
    """The action's files (its image's build context and action.yml) and code, copied to ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy2(ROOT / name, into / name)
    shutil.copytree(ROOT / "akua_publish", into / "akua_publish", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def release_copy(version: str, into: Path) -> Path:
    """A copy of the action whose release string is ``version``: what a user's re-run gets after
    ``@v1`` moved to another release."""
    copy_action(into, ("entrypoint.py",))
    init = into / "akua_publish" / "about.py"
    text = init.read_text()
    init.write_text(re.sub(r'__version__ = "[^"]*"', f'__version__ = "{version}"', text))
    return into


def parse_outputs(text: str) -> dict[str, str]:
    """Read the ``name<<DELIM`` / value / ``DELIM`` blocks of a GITHUB_OUTPUT file."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1:end])
        i = end + 1
    return outputs


# Root without the capabilities that let it read any file: unreadable files stay unreadable.
WITHOUT_DAC_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def action_env(workspace: Path, runner_dir: Path, inputs: dict[str, str], env: dict[str, str] | None, *,
               on_github: bool, action_root: Path) -> dict[str, str]:
    """The environment the runner gives the action: inputs as ``INPUT_*``, its files under ``runner_dir``."""
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runner_dir),
        "PYTHONPATH": str(action_root),
    }
    if on_github:
        full_env.update({
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(runner_dir / "output"),
            "GITHUB_STEP_SUMMARY": str(runner_dir / "summary"),
            "RUNNER_TEMP": str(runner_dir),
        })
    full_env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    full_env.update(env or {})
    return full_env


def run_action(workspace: Path, inputs: dict[str, str], env: dict[str, str] | None = None, *,
               timeout: float = 300, honour_permissions: bool = False, on_github: bool = True,
               action_root: Path = ROOT, file_size_limit: int | None = None) -> ActionRun:
    """Run the action. ``on_github=False`` runs it as another CI would: no ``GITHUB_ACTIONS``, no
    runner files. ``action_root`` runs another copy of the action (another release of it).
    ``file_size_limit`` (bytes) makes a bigger file fail to be written, as on a full disk."""
    with tempfile.TemporaryDirectory(prefix="akua-runner-") as runner_dir:
        output_file = Path(runner_dir, "output")
        summary_file = Path(runner_dir, "summary")
        output_file.touch()
        summary_file.touch()
        full_env = action_env(workspace, Path(runner_dir), inputs, env, on_github=on_github, action_root=action_root)
        prefix = WITHOUT_DAC_OVERRIDE if honour_permissions else []
        if file_size_limit is not None:
            prefix = ["prlimit", f"--fsize={file_size_limit}", *prefix]
        done = subprocess.run(
            [*prefix, sys.executable, str(action_root / "entrypoint.py")], cwd=workspace, env=full_env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        output_text = output_file.read_text()
        return ActionRun(
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            outputs=parse_outputs(output_text),
            summary=summary_file.read_text(),
            output_file=output_text,
            on_github=on_github,
        )


def run_cli(workspace: Path, *args: str, env: dict[str, str] | None = None, honour_permissions: bool = False,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m akua_publish`` in ``workspace``, as on a laptop: none of the runner's variables but those
    ``env`` sets."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "AKUA_"))}
    clean["PYTHONPATH"] = str(ROOT)
    prefix = WITHOUT_DAC_OVERRIDE if honour_permissions else []
    return subprocess.run([*prefix, sys.executable, "-m", "akua_publish", *args], cwd=workspace,
                          env={**clean, **(env or {})}, capture_output=True, text=True, timeout=timeout, check=False)
