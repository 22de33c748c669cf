"""The library's one entry point, as the README shows it, and the chain of causes under debug logging."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Target
from devtools.action import ROOT, run_cli


def readme_example() -> str:
    [code] = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return code


def test_the_readme_example_publishes(target: Target, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    scope = {"token": target.akua.token, "api_url": target.akua.server.base_url, "package_id": target.package_id}
    exec(compile(readme_example(), "README.md", "exec"), scope)
    printed = capsys.readouterr().out
    assert printed.startswith("published oci://") and target.tags() == ["0.3.0"], printed
    exec(compile(readme_example(), "README.md", "exec"), scope | {"token": "sk_akua_wrong"})
    title, message, hint, code = capsys.readouterr().out.rstrip("\n").split("\n")
    assert (title, code) == ("Akua rejected the credentials", "1") and "HTTP 401" in message and hint, message
    exec(compile(readme_example(), "README.md", "exec"), scope | {"token": ""})  # the options refuse it
    title, message, hint, code = capsys.readouterr().out.rstrip("\n").split("\n")
    assert (title, message, code) == ("Invalid option", "No Akua API token: `AkuaOptions.token` is not set.", "1")
    assert "`AkuaOptions.token`, read from your secret store" in hint


def test_debug_prints_the_causes_and_no_secret(workspace: Path, target: Target) -> None:
    token = target.akua.token
    quiet = run_cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version", "0.3.0",
                    "--api-url", "http://127.0.0.1:9/v1", "--max-attempts", "1", env={"AKUA_API_TOKEN": token})
    loud = run_cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version", "0.3.0",
                   "--api-url", "http://127.0.0.1:9/v1", "--max-attempts", "1", "--debug",
                   env={"AKUA_API_TOKEN": token})
    assert quiet.returncode == loud.returncode == 75
    assert "Traceback" not in quiet.stderr and "Traceback" in loud.stderr
    assert "The above exception was the direct cause of the following exception" in loud.stderr
    assert "ConnectionError" in loud.stderr and "AkuaUnavailableError" in loud.stderr
    assert token not in loud.stdout + loud.stderr
