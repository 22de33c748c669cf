"""Akua's own core, run as the reference the tests compare with.

Akua publishes its Rust core on npm as a Node-API addon
(``@akua-dev/native-linux-x64-gnu``). It needs glibc 2.39 or newer, which these
bookworm machines lack, so it runs in a Debian trixie root made with
debootstrap, under trixie's Node, through ``chroot``; the root has ``git`` too,
because Akua's git client (gix) runs ``git-upload-pack`` for ``file://`` URLs. The root is built once per
machine and kept in ``CACHE`` (like the base image kept in the Docker engine);
the addon's npm tarball is checked against the integrity pinned here before it
is used. It is a test reference only: nothing of it goes into the action's image.

``Oracle`` keeps one Node process running a small driver of this project's own
(``oracle_driver.js``) and sends it one JSON request per line; a Rust panic
aborts that process, which is then restarted for the next call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import tomllib
import uuid
from pathlib import Path
from typing import Any

from devtools.docker_env import debian_mirror

ADDON = "@akua-dev/native-linux-x64-gnu"
ADDON_VERSION = "0.9.5"
ADDON_INTEGRITY = "sha512-bn2rE/vbqGtMIk99pLhNVyfKqCmQZLRix1DJivMoOcYTeSA/C8N5fNW93MTbnVQB3XrOdKbbOJHjK4HPWOo2tA=="
CACHE = Path(os.environ.get("AKUA_ORACLE_CACHE", "/var/cache/akua-publish/oracle-" + ADDON_VERSION))
DRIVER = Path(__file__).with_name("oracle_driver.js")


class OracleUnavailable(RuntimeError):
    """The reference could not be built or started here; the message says why and what was tried."""


class OracleError(RuntimeError):
    """Akua's core refused the input (its own error message), or aborted on it."""


def ensure_root() -> Path:
    """The trixie root with Node and the addon, built on first use and reused after."""
    root = CACHE / "root"
    if all((root / part).exists() for part in ("oracle/akua.node", "usr/bin/node", "usr/bin/git")):
        _install_driver(root)
        return root
    if os.geteuid() != 0:
        raise OracleUnavailable("building the oracle needs root (debootstrap and chroot)")
    for tool in ("debootstrap", "npm", "chroot"):
        if shutil.which(tool) is None:
            raise OracleUnavailable(f"`{tool}` is not installed (scripts/setup.sh --docker installs debootstrap; "
                                    "npm comes with Node)")
    CACHE.mkdir(parents=True, exist_ok=True)
    building = CACHE / "root.building"
    shutil.rmtree(building, ignore_errors=True)
    done = subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=nodejs,ca-certificates,git", "trixie", str(building),
         debian_mirror()], capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise OracleUnavailable("debootstrap of Debian trixie failed: " + (done.stderr or done.stdout)[-2000:])
    addon = _fetch_addon()
    (building / "oracle").mkdir()
    (building / "oracle" / "akua.node").write_bytes(addon)
    shutil.rmtree(root, ignore_errors=True)
    building.rename(root)
    _install_driver(root)
    return root


def _install_driver(root: Path) -> None:
    shutil.copyfile(DRIVER, root / "oracle" / "driver.js")


def _fetch_addon() -> bytes:
    """``npm pack`` the addon, check the tarball against the pinned integrity, return the .node file."""
    with tempfile.TemporaryDirectory(prefix="akua-oracle-npm-") as work:
        done = subprocess.run(["npm", "pack", f"{ADDON}@{ADDON_VERSION}", "--silent"], cwd=work,
                              capture_output=True, text=True, check=False)
        tarballs = list(Path(work).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise OracleUnavailable(f"npm pack {ADDON}@{ADDON_VERSION} failed: {done.stderr[-2000:]}")
        data = tarballs[0].read_bytes()
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        if integrity != ADDON_INTEGRITY:
            raise OracleUnavailable(f"{ADDON}@{ADDON_VERSION} from npm has integrity {integrity}, "
                                    f"not the pinned {ADDON_INTEGRITY}")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile("package/akua.linux-x64-gnu.node")
            if member is None:
                raise OracleUnavailable("the addon's tarball holds no akua.linux-x64-gnu.node")
            return member.read()


class Oracle:
    """Calls into Akua's core: ``export``, ``execute``, ``inspect``, ``inspectOciPackage``, ..."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._answers: Any = None
        # What the addon's CLI verbs print; one file per instance, as test runs may share the root.
        name = uuid.uuid4().hex
        self.stdout = root / "oracle" / f"stdout-{name}.log"
        self.stderr = root / "oracle" / f"stderr-{name}.log"

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            read, write = os.pipe()
            with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
                command = [shutil.which("chroot") or "/usr/sbin/chroot", str(self.root), "node",
                           "/oracle/driver.js", str(write)]
                self._process = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=out, stderr=err, text=True, pass_fds=(write,),
                    env={"PATH": "/usr/bin:/bin", "HOME": "/"},
                )
            os.close(write)
            self._answers = os.fdopen(read, "r")
        return self._process

    def call(self, function: str, argument: Any, cwd: str = "/", env: dict[str, str] | None = None) -> Any:
        """Run ``addon[function](argument)`` with the working directory ``cwd`` (a path in the root) and
        ``env`` added to the environment for that call."""
        with self._lock:
            process = self._start()
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps({"fn": function, "arg": argument, "cwd": cwd, "env": env or {}}) + "\n")
                process.stdin.flush()
                line = self._answers.readline()
            except BrokenPipeError:
                line = ""
            if not line:
                process.wait(timeout=10)
                stderr = self.stderr.read_text(errors="replace")
                self._process = None
                raise OracleError(f"Akua's core aborted on {function}: {stderr.strip()[-1000:]}")
            answer = json.loads(line)
            if "error" in answer:
                raise OracleError(answer["error"])
            return answer["result"]

    def workdir(self) -> Path:
        """A fresh folder inside the root (its host path); ``inside(path)`` gives the path Node sees."""
        path = self.root / "work" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def inside(self, host_path: Path) -> str:
        return "/" + str(host_path.relative_to(self.root))

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self.stdout.unlink(missing_ok=True)
        self.stderr.unlink(missing_ok=True)

    # --- the calls the tests use -------------------------------------------------------------

    def inspect_published(self, oci_ref: str, reference: str, credentials: tuple[str, str] | None) -> dict[str, Any]:
        """Akua's ``inspectOciPackage``: a published package read from its registry as Akua's server reads it."""
        argument: dict[str, Any] = {"ociRef": oci_ref, "tag": reference}
        if credentials:
            host = oci_ref.removeprefix("oci://").split("/", 1)[0]
            argument["auth"] = {host: {"username": credentials[0], "password": credentials[1]}}
        answer: dict[str, Any] = self.call("inspectOciPackage", argument)
        return answer

    def vendored(self, akua_toml: str, akua_lock: str, alias: str,
                 connections: dict[str, tuple[str, str]]) -> dict[str, bytes] | None:
        """The files Akua's packer vendors under ``.akua/vendor/<alias>/`` for that one dependency, pinned by
        ``akua_lock`` and read with ``connections`` (registry host -> user, password); None when Akua cannot
        resolve it from inside its root (a ``file://`` URL of the host, say)."""
        spec = tomllib.loads(akua_toml)["dependencies"][alias]
        fields = ", ".join(f"{key} = {json.dumps(spec[key])}" for key in ("oci", "git", "version", "tag", "rev")
                           if key in spec)
        work = self.workdir()
        try:
            (work / "ws").mkdir()
            (work / "ws" / "akua.toml").write_text('[package]\nname = "probe"\nversion = "0.0.1"\n'
                                                   'edition = "akua.dev/v1alpha1"\n\n[dependencies]\n'
                                                   f"{json.dumps(alias)} = {{ {fields} }}\n")
            (work / "ws" / "akua.lock").write_text(akua_lock)
            (work / "ws" / "package.k").write_text("schema Input:\n    name: str = \"x\"\n")
            (work / "config" / "akua").mkdir(parents=True)
            (work / "config" / "akua" / "auth.toml").write_text("".join(
                f'[registries.{json.dumps(host)}]\nusername = {json.dumps(user)}\npassword = {json.dumps(password)}\n\n'
                for host, (user, password) in connections.items()))
            before = self.stderr.stat().st_size if self.stderr.exists() else 0
            try:
                code, _ = self.execute(["pack", "--json", "--workspace", self.inside(work / "ws"), "--out",
                                        self.inside(work / "akua.tgz")],
                                       env={"XDG_CONFIG_HOME": self.inside(work / "config")})
            except OracleError:  # Akua's git client aborts on some servers (dulwich's smart HTTP among them)
                return None
            warned = b"dep resolution failed" in self.stderr.read_bytes()[before:]
            if code != 0 or warned:
                return None
            prefix = f".akua/vendor/{alias}/"
            with tarfile.open(work / "akua.tgz") as archive:
                return {m.name: archive.extractfile(m).read() for m in archive  # type: ignore[union-attr]
                        if m.isfile() and m.name.startswith(prefix)}
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def execute(self, args: list[str], cwd: str = "/", env: dict[str, str] | None = None) -> tuple[int, bytes]:
        """An ``akuapkg`` CLI verb: its exit code and the bytes it printed."""
        with self._lock:
            self._start()
            before = self.stdout.stat().st_size
        code = self.call("execute", args, cwd=cwd, env=env)
        with open(self.stdout, "rb") as out:
            out.seek(before)
            return int(code), out.read()

    def render_dependent(self, oci_ref: str, version: str, public_pem: str) -> tuple[int, str]:
        """Akua's ``render`` of a package that depends on ``oci_ref`` ``version`` and sets
        ``[signing] cosign_public_key``: its exit code and what it said (stdout, then stderr's tail).

        No lock and no vendored tree, so Akua fetches from the registry, the one path on which its
        consumer checks the ``.sig`` (``oci_fetcher.rs`` in akua-dev/akuapkg)."""
        work = self.workdir()
        try:
            (work / "cosign.pub").write_text(public_pem)
            (work / "akua.toml").write_text(
                '[package]\nname = "dependent"\nversion = "0.1.0"\nedition = "akua.dev/v1alpha1"\n\n'
                f'[dependencies]\nupstream = {{ oci = "{oci_ref}", version = "{version}" }}\n\n'
                '[signing]\ncosign_public_key = "cosign.pub"\n')
            (work / "package.k").write_text('schema Input:\n    name: str = "x"\n\nresources = []\n')
            errors_before = self.stderr.stat().st_size if self.stderr.exists() else 0
            code, said = self.execute(["render", "--json", "--package", self.inside(work / "package.k"),
                                       "--out", self.inside(work / "out")], cwd=self.inside(work))
            with open(self.stderr, "rb") as err:
                err.seek(errors_before)
                return code, (said + err.read()).decode(errors="replace")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def syntax_errors(self, package_k: bytes) -> list[tuple[str, int | None]]:
        """The errors Akua's `lint` reports for this package.k, as (message, line), but for imports that
        do not resolve (not syntax: Akua resolves its own and the charts' when it renders)."""
        work = self.workdir()
        try:
            (work / "package.k").write_bytes(package_k)
            linted = self.call("lint", {"package": self.inside(work / "package.k")}, cwd=self.inside(work))
            return [(issue["message"], issue.get("line") or None) for issue in linted.get("issues", [])
                    if issue.get("level") == "error" and issue.get("code") != "Error(CannotFindModule)"]
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def export_text(self, package_k: str | bytes) -> bytes:
        """The exact bytes ``akuapkg export`` writes for this package.k (Akua's CLI output)."""
        work = self.workdir()
        try:
            (work / "package.k").write_bytes(package_k.encode() if isinstance(package_k, str) else package_k)
            code, text = self.execute(["export", "--no-json", "--package", "package.k"], cwd=self.inside(work))
            if code != 0:
                raise OracleError(f"akuapkg export exited {code}: {text.decode(errors='replace')[-1000:]}")
            return text
        finally:
            shutil.rmtree(work, ignore_errors=True)
