"""Cancelled runs: SIGTERM (a cancelled job, ``docker stop``) and SIGINT (Ctrl-C) during vendoring, packing, the
push and the registration. The run stops within seconds, removes what it wrote, says in one line what it had
pushed or registered, exits 143 or 130; the re-run publishes."""

from __future__ import annotations

import os
import secrets
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from akua_emulator.faults import Fault
from conftest import WORKSPACE_ID, Akua, Target, parse_annotation
from devtools.action import ROOT, action_env
from devtools.dependencies import chart_tarball, lock_file, push_chart
from devtools.fault_proxy import FaultProxy
from devtools.registry import LocalRegistry

STOPS_WITHIN = 5.0  # seconds from the signal to the end of the process
UNSAFE_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWOTH


class Started:
    """The action running in a process of its own, its log read as it comes."""

    def __init__(self, workspace: Path, runner: Path, inputs: dict[str, str], env: dict[str, str]) -> None:
        self.runner, self.temp = runner / "runner", runner / "tmp"
        self.runner.mkdir(parents=True)
        self.temp.mkdir()
        (self.runner / "output").touch()
        (self.runner / "summary").touch()
        (runner / "home").mkdir()  # kcl-lib keeps its cache under HOME: not the run's scratch
        full = action_env(workspace, self.runner, inputs, {**env, "TMPDIR": str(self.temp), "PYTHONUNBUFFERED": "1",
                                                           "HOME": str(runner / "home")},
                          on_github=True, action_root=ROOT)
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py")], cwd=workspace, env=full,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_for(self, ready: Callable[[], bool], timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while not ready():
            assert self.process.poll() is None, f"the run ended before the moment to cancel it:\n{self.log}"
            assert time.monotonic() < end, f"the moment to cancel never came:\n{self.log}"
            time.sleep(0.02)

    def cancel(self, signum: int) -> tuple[int, float]:
        """Send ``signum``; the exit code and the seconds the process took to end."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        took = time.monotonic() - sent
        self._reader.join(10)
        return code, took

    def scratch(self) -> list[str]:
        """What the run left in RUNNER_TEMP (but the runner's own files) and in TMPDIR."""
        left = [p for p in self.runner.rglob("*") if p.name not in ("output", "summary")]
        return sorted(str(p) for p in [*left, *self.temp.rglob("*")])


@pytest.fixture
def start(workspace: Path, tmp_path: Path, akua: Akua) -> Iterator[Callable[..., Started]]:
    runs: list[Started] = []

    def begin(package_id: str, inputs: dict[str, str] | None = None) -> Started:
        run = Started(workspace, tmp_path / f"cancel-{len(runs)}",
                      {"package-id": package_id, "path": "pkg", "api-url": akua.server.base_url, **(inputs or {})},
                      {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": akua.token})
        runs.append(run)
        return run

    yield begin
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()


@pytest.fixture
def proxy(registry: LocalRegistry, akua: Akua) -> Iterator[FaultProxy]:
    server = FaultProxy(registry.host)
    yield server
    server.faults.clear()
    akua.server.faults.clear()
    server.shutdown()


def proxied(proxy: FaultProxy, registry: LocalRegistry, akua: Akua) -> Target:
    """A package whose recorded repository is reached through the fault proxy."""
    repo = f"cancel/hello-{secrets.token_hex(4)}"
    source = {"kind": "oci", "oci_ref": f"oci://{proxy.host}/{repo}"}
    return Target(registry, akua, akua.store.add_package(WORKSPACE_ID, "hello", source), repo)


def said(run: Started, code: int) -> str:
    """The one error line of a cancelled run, checked."""
    lines = [line for line in run.lines if line.startswith("::error")]
    assert len(lines) == 1, run.log
    props, message = parse_annotation(lines[0].rstrip("\n"))
    assert props["title"] == "Cancelled" and code in (130, 143), run.log
    assert "Traceback" not in run.log
    assert "Re-run the job: it finds what is already there and completes the publish." in message
    return message


def test_sigterm_while_packing_removes_the_partial_layer(start, target: Target, workspace: Path, publish) -> None:
    (workspace / "pkg" / "big.bin").write_bytes(os.urandom(160 * 1024 * 1024))
    run = start(target.package_id)
    run.wait_for(lambda: "::group::Pack\n" in run.lines)
    time.sleep(0.3)  # into the layer file
    code, took = run.cancel(signal.SIGTERM)
    assert code == 143 and took < STOPS_WITHIN, (code, took, run.log)
    assert "Nothing was pushed or registered." in said(run, code)
    assert run.scratch() == []
    target.assert_untouched()
    again = publish()
    assert again.returncode == 0 and again.outputs["status"] == "published", again.log


def test_ctrl_c_while_vendoring_removes_the_unpacked_charts(start, target: Target, workspace: Path, proxy: FaultProxy,
                                                              registry: LocalRegistry, publish) -> None:
    """The first chart is unpacked (its setuid and world-writable files without those bits on disk) when the
    second one's download hangs; Ctrl-C then removes both."""
    files = {"Chart.yaml": (b"apiVersion: v2\nname: first\nversion: 0.1.0\n", 0o644),
             "files/setuid": (b"#!/bin/sh\n", 0o4755), "files/shared": (b"anyone writes\n", 0o666),
             "files/group": (b"setgid\n", 0o2775), "files/sticky": (b"sticky\n", 0o1777)}
    first = push_chart(registry, "cancel/first", "0.1.0", chart_tarball("first", files))
    second = push_chart(registry, "cancel/second", "0.1.0", chart_tarball("second"))
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0] + "[dependencies]\n"
                    'hello = { path = "vendor/charts/hello" }\n'
                    f'a = {{ oci = "oci://{proxy.host}/cancel/first", version = "0.1.0" }}\n'
                    f'b = {{ oci = "oci://{proxy.host}/cancel/second", version = "0.1.0" }}\n')
    (workspace / "pkg" / "akua.lock").write_text(lock_file([
        {"name": "a", "version": "0.1.0", "source": f"oci://{proxy.host}/cancel/first", "digest": first},
        {"name": "b", "version": "0.1.0", "source": f"oci://{proxy.host}/cancel/second", "digest": second}]))
    proxy.add(Fault("GET", f"/blobs/{second}$", action="stall", seconds=60))
    run = start(target.package_id)
    run.wait_for(lambda: bool(proxy.faults.hits))
    unpacked = {p.name: stat.S_IMODE(p.stat().st_mode) for p in run.runner.rglob("*")
                if p.is_file() and p.parent.name == "files"}
    assert set(unpacked) >= {"setuid", "shared", "group", "sticky"}, run.log
    assert all(mode & UNSAFE_BITS == 0 for mode in unpacked.values()), unpacked
    assert unpacked["setuid"] & stat.S_IXUSR, "the executable bit stays"
    code, took = run.cancel(signal.SIGINT)
    assert code == 130 and took < STOPS_WITHIN, (code, took, run.log)
    assert "Nothing was pushed or registered." in said(run, code)
    assert run.scratch() == []
    target.assert_untouched()
    proxy.faults.clear()
    again = publish()
    assert again.returncode == 0 and again.outputs["status"] == "published", again.log


def test_sigterm_during_the_push_then_the_rerun_publishes(start, proxy: FaultProxy, registry: LocalRegistry,
                                                          akua: Akua, workspace: Path, publish) -> None:
    (workspace / "pkg" / "blob.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    target = proxied(proxy, registry, akua)
    proxy.add(Fault("PUT", r"/manifests/sha256:", action="stall", seconds=60))
    run = start(target.package_id)
    run.wait_for(lambda: bool(proxy.faults.hits))
    assert any(p.stat().st_size > 6 * 1024 * 1024 for p in run.runner.rglob("*") if p.is_file()), "the packed layer"
    code, took = run.cancel(signal.SIGTERM)
    assert code == 143 and took < STOPS_WITHIN, (code, took, run.log)
    message = said(run, code)
    assert f"The push of oci://{proxy.host}/{target.repo}@sha256:" in message and "was under way" in message
    assert run.scratch() == []
    assert target.tags() == [] and target.created() == []
    proxy.faults.clear()
    again = publish(inputs={"package-id": target.package_id})
    assert again.returncode == 0 and again.outputs["status"] == "published", again.log
    assert target.registry.manifest_digest(target.repo, "0.3.0") == again.outputs["digest"]


def test_sigterm_during_the_registration_then_the_rerun_finishes_it(start, target: Target, akua: Akua,
                                                                     publish) -> None:
    akua.server.faults.add(Fault("POST", r"/versions$", action="stall", seconds=60))
    run = start(target.package_id)
    run.wait_for(lambda: bool(akua.server.faults.hits))
    code, took = run.cancel(signal.SIGTERM)
    assert code == 143 and took < STOPS_WITHIN, (code, took, run.log)
    message = said(run, code)
    assert "was pushed (untagged) and its registration in Akua was under way" in message
    assert run.scratch() == [] and target.tags() == []
    akua.server.faults.clear()
    again = publish()
    assert again.returncode == 0 and again.outputs["status"] == "published", again.log
    assert "nothing to upload" in again.log and target.tags() == ["0.3.0"]

