"""The command line: installed by pip, flags from the inputs table, plain logs, --json, the action's exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from akua_publish.frontends.inputs import TABLE
from conftest import Target
from devtools.action import ROOT, WITHOUT_DAC_OVERRIDE, run_cli
from devtools.lock import pins as lock_pins
from devtools.registry import free_port


def cli(workspace: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(workspace, *args, env=env)


def test_help_lists_every_input_with_its_default(tmp_path: Path) -> None:
    shown = " ".join(cli(tmp_path, "--help").stdout.split())
    for entry in TABLE:
        assert entry.flag in shown, entry.name
        if entry.default:
            assert f"default: {entry.default}" in shown, entry.name
        if entry.env:
            assert f"${entry.env}" in shown, entry.name
    assert "--version-from-package" in shown and "--json" in shown and "Exit codes" in shown


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a read-only copy of the checkout (nothing may be written into it), installed with
    its dependencies into a fresh virtualenv, as `pip install` gives it to a user: the venv's bin folder."""
    root = tmp_path_factory.mktemp("pip")
    source = root / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build",
                                                                ".pytest_cache", ".mypy_cache", ".ruff_cache"))
    before = sorted(str(p.relative_to(source)) for p in source.rglob("*"))
    subprocess.run(["chmod", "-R", "a-w", str(source)], check=True)
    try:
        built = subprocess.run([*WITHOUT_DAC_OVERRIDE, sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                                str(root / "dist"), str(source)], capture_output=True, text=True, timeout=600,
                               check=False, cwd=root)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(source)], check=True)
    assert built.returncode == 0, built.stderr
    assert sorted(str(p.relative_to(source)) for p in source.rglob("*")) == before, "the build wrote into the checkout"
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    [wheel] = (root / "dist").glob("akua_publish-*.whl")
    data = {str(p.relative_to(ROOT)) for p in (ROOT / "akua_publish").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc")}
    with zipfile.ZipFile(wheel) as archive:
        assert data and data <= set(archive.namelist()), "a data file the code reads is missing from the wheel"
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert sorted(re.findall(r"^Requires-Dist: (\S+)", metadata, re.MULTILINE)) == sorted(direct_pins())
    done = subprocess.run([str(root / "venv/bin/pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    return root / "venv" / "bin"


def direct_pins() -> list[str]:
    """The pins requirements.txt lists before its indirect section: the wheel's requirements."""
    text = (ROOT / "requirements.txt").read_text().split("# indirect")[0]
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_wheel_requires_the_direct_pins_only() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(listed) == sorted(direct_pins())
    assert "urllib3" not in " ".join(listed) and len(direct_pins()) < len(lock_pins(ROOT / "requirements.txt"))


def test_the_installed_command_publishes_from_a_folder_outside_the_checkout(installed: Path, workspace: Path,
                                                                           target: Target) -> None:
    """`pip install` of the wheel: a real publish, a dry run with --json, and a failure for each of exit 1 and 75,
    run from the package's repository, outside akua-publish's checkout (nothing of it on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "AKUA_",
                                                                    "PYTHON"))}
    env |= {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url}

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(installed / "akua-publish"), "--package-id", target.package_id, "--path", "pkg",
                               *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False)

    dry = command("--version-from-package", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["status"] == "dry-run"
    target.assert_untouched()
    real = command("--version", "0.3.0", "--json")
    assert real.returncode == 0, real.stderr
    outputs = json.loads(real.stdout)
    assert outputs["status"] == "published" and outputs["digest"] == json.loads(dry.stdout)["digest"]
    assert outputs["digest"] == target.registry.manifest_digest(target.repo, "0.3.0")
    wrong = command("--version", "0.4.0")
    assert wrong.returncode == 1 and "Error: " in wrong.stderr, wrong.stdout + wrong.stderr
    down = command("--version", "0.3.0", "--api-url", f"http://127.0.0.1:{free_port()}/v1", "--max-attempts", "1")
    assert down.returncode == 75 and "Error: " in down.stderr, down.stdout + down.stderr
    assert "Traceback" not in dry.stderr + real.stderr + wrong.stderr + down.stderr


def test_a_laptop_dry_run_prints_the_digest_akua_would_record(workspace: Path, target: Target) -> None:
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--api-url",
               target.akua.server.base_url, "--version-from-package", "--dry-run", "--json",
               env={"AKUA_API_TOKEN": target.akua.token})
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = json.loads(done.stdout)
    assert outputs["status"] == "dry-run" and outputs["semver"] == "0.3.0"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", outputs["digest"])
    assert "::" not in done.stdout + done.stderr and "== Pack ==" in done.stderr
    assert target.akua.token not in done.stdout + done.stderr
    target.assert_untouched()


def test_a_publish_from_the_command_line(workspace: Path, target: Target) -> None:
    flags = ["--package-id", target.package_id, "--path", "pkg", "--version", "v0.3.0", "--json"]
    env = {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url}
    done = cli(workspace, *flags, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = json.loads(done.stdout)
    assert outputs["status"] == "published" and outputs["digest"] == target.registry.manifest_digest(target.repo,
                                                                                                     "0.3.0")
    again = cli(workspace, *flags, "--dry-run", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["digest"] == outputs["digest"]


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["--max-attempts", "0"], 1, "`--max-attempts` is `0`"),
    (["--sign", "true"], 1, "`--sign` is true, but there is no signing key"),
    (["--version-from-package", "--path", "nowhere"], 1, "The package directory `nowhere` does not exist"),
    (["--version", "1.2"], 1, "is not a SemVer 2.0 version"),
    (["--api-url", "http://127.0.0.1:9/v1", "--max-attempts", "1"], 75, "Cannot reach the Akua API"),
], ids=["bad-number", "sign-without-key", "no-akua-toml", "bad-version", "akua-unreachable"])
def test_the_command_line_fails_as_the_action_does(workspace: Path, target: Target, args: list[str], code: int,
                                                   needle: str) -> None:
    version = [] if "--version-from-package" in args else ["--version", "0.3.0"]
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", *version, *args,
               env={"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url})
    assert done.returncode == code, done.stdout + done.stderr
    assert needle in done.stderr and "Error: " in done.stderr and "::" not in done.stdout + done.stderr
    target.assert_untouched()


def test_a_version_and_the_packages_version_together_are_refused(workspace: Path, target: Target) -> None:
    """Which one was meant cannot be told: neither wins silently."""
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version", "9.9.9",
               "--version-from-package", "--dry-run", env={"AKUA_API_TOKEN": target.akua.token,
                                                           "AKUA_API_BASE_URL": target.akua.server.base_url})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--version and --version-from-package both name the version to publish; give one of them" in done.stderr
    target.assert_untouched()


@pytest.mark.parametrize(("text", "needle"), [
    ('\ufeff[package]\nname = "hello"\nversion = "0.3.0"\nedition = "akua.dev/v1alpha1"\n', ""),
    ('[package]\nname = "hello"\nedition = "akua.dev/v1alpha1"\n', "[package].version is missing"),
    ('[package\nname = "hello"\n', "not valid TOML"),
], ids=["bom", "no-version", "not-toml"])
def test_the_version_akua_toml_declares_as_the_run_reads_it(workspace: Path, target: Target, text: str,
                                                            needle: str) -> None:
    """--version-from-package is akua.toml's version as the run parses the file (once): its problems are the
    run's annotations, each with its line."""
    (workspace / "pkg" / "akua.toml").write_text(text)
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version-from-package", "--dry-run",
               "--json", env={"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url})
    if not needle:
        assert done.returncode == 0 and json.loads(done.stdout)["semver"] == "0.3.0", done.stderr
        return
    assert done.returncode == 1 and needle in done.stderr and "Invalid akua.toml" in done.stderr, done.stderr


def test_the_process_ends_with_its_code_and_output_and_without_the_last_collections() -> None:
    """``finish`` (the action's and the command's last step): the exit code, atexit handlers and buffered
    output as ``sys.exit`` leaves them, and what is alive frozen, out of the collector's reach at exit."""
    code = ("import atexit, gc, sys; from akua_publish.frontends.cli.command import finish; "
            "atexit.register(lambda: print('frozen:', gc.get_freeze_count() > 0)); "
            "sys.stdout.write('buffered, '); finish(3)")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (3, "buffered, frozen: True\n"), done.stderr


SECRET_ENTRIES = [entry for entry in TABLE if entry.secret]


@pytest.mark.parametrize("entry", SECRET_ENTRIES, ids=[e.name for e in SECRET_ENTRIES])
def test_a_secret_given_as_a_flag_works_with_a_warning(workspace: Path, target: Target, entry) -> None:
    from devtools.keys import generate

    values = {"api-token": target.akua.token, "dependency-credentials": "{}",
              "cosign-private-key": generate("pkcs8").private_pem, "cosign-password": "unused"}
    value = values.get(entry.name, "s3cret-" + entry.name)
    args = [f"--{entry.name}", value]
    env = {"AKUA_API_TOKEN": target.akua.token} if entry.name != "api-token" else {}
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--api-url",
               target.akua.server.base_url, "--version", "0.3.0", "--dry-run", *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Warning: --{entry.name} on the command line can be read by every user of this machine" in done.stderr
    assert f"${entry.env} or --{entry.name}-file" in done.stderr


def test_secrets_from_files_and_environment_variables(workspace: Path, target: Target, tmp_path: Path) -> None:
    """The token from --api-token-file, the signing key and its passphrase from a file and from the
    environment: the dry run signs with the key (its fingerprint is logged); no warning."""
    from devtools.keys import generate

    pair = generate("pkcs8-pbkdf2")
    (tmp_path / "token").write_text(target.akua.token + "\n")
    (tmp_path / "key.pem").write_text(pair.private_pem)
    (tmp_path / "passphrase").write_text(pair.passphrase)
    common = ["--package-id", target.package_id, "--path", "pkg", "--api-url", target.akua.server.base_url,
              "--version", "0.3.0", "--dry-run", "--api-token-file", str(tmp_path / "token")]
    from_files = cli(workspace, *common, "--cosign-private-key-file", str(tmp_path / "key.pem"),
                     "--cosign-password-file", str(tmp_path / "passphrase"))
    from_env = cli(workspace, *common, env={"AKUA_COSIGN_PRIVATE_KEY": pair.private_pem,
                                            "AKUA_COSIGN_PASSPHRASE": pair.passphrase})
    for done in (from_files, from_env):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Signing key: ECDSA P-256" in done.stderr and "Warning: --" not in done.stderr
        assert pair.passphrase not in done.stdout + done.stderr
    both = cli(workspace, *common, "--api-token", "x")
    assert both.returncode == 1 and "give --api-token or --api-token-file, not both" in both.stderr
    missing = cli(workspace, *common[:-1], str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "--api-token-file" in missing.stderr and "No such file" in missing.stderr


@pytest.mark.parametrize("how", ["environment", "file"])
def test_dependency_credentials_from_the_environment_or_a_file(workspace: Path, target: Target, tmp_path: Path,
                                                               how: str) -> None:
    (tmp_path / "credentials").write_text("{")
    source = ({"AKUA_DEPENDENCY_CREDENTIALS": "{"}, []) if how == "environment" else (
        {}, ["--dependency-credentials-file", str(tmp_path / "credentials")])
    done = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version", "0.3.0", *source[1],
               env={"AKUA_API_TOKEN": target.akua.token, **source[0]})
    assert done.returncode == 1 and "`--dependency-credentials` (or AKUA_DEPENDENCY_CREDENTIALS) is not valid JSON" \
        in done.stderr, done.stderr


def test_the_command_line_takes_a_path_outside_the_current_folder(workspace: Path, target: Target,
                                                                  tmp_path: Path) -> None:
    """On a laptop a package is wherever it is: an absolute --path, or one above the current folder."""
    elsewhere = tmp_path / "elsewhere" / "deep"
    elsewhere.mkdir(parents=True)
    common = ["--package-id", target.package_id, "--api-url", target.akua.server.base_url, "--version", "0.3.0",
              "--dry-run", "--json"]
    env = {"AKUA_API_TOKEN": target.akua.token}
    absolute = cli(elsewhere, *common, "--path", str(workspace / "pkg"), env=env)
    above = cli(elsewhere, *common, "--path", str(Path("../..") / workspace.relative_to(tmp_path) / "pkg"), env=env)
    assert absolute.returncode == above.returncode == 0, absolute.stderr + above.stderr
    assert json.loads(absolute.stdout)["digest"] == json.loads(above.stdout)["digest"]


def on_a_terminal(workspace: Path, *args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """The command with its stderr on a pseudo-terminal (stdout a pipe, as `> outputs.json` makes it)."""
    import pty
    import select

    main, side = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "AKUA_"))}
    process = subprocess.Popen([sys.executable, "-m", "akua_publish", *args], cwd=workspace, stdout=subprocess.PIPE,
                               stderr=side, text=True, env={**clean, "PYTHONPATH": str(ROOT), **env})
    os.close(side)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        try:
            data = os.read(main, 65536) if ready else b""
        except OSError:  # the other side closed
            data = b""
        if not data:
            break
        seen += data
    stdout = process.stdout.read() if process.stdout else ""
    os.close(main)
    return subprocess.CompletedProcess(args, process.wait(timeout=60), stdout, ""), seen.decode(errors="replace")


@pytest.mark.parametrize("quiet", [False, True], ids=["bar", "quiet"])
def test_a_terminal_gets_a_live_bar_on_stderr_and_json_stays_clean(workspace: Path, target: Target,
                                                                   quiet: bool) -> None:
    (workspace / "pkg" / "data.bin").write_bytes(os.urandom(48 << 20))  # long enough to be drawn
    env = {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url}
    done, terminal = on_a_terminal(workspace, "--package-id", target.package_id, "--path", "pkg", "--version",
                                   "0.3.0", "--json", *(["--quiet"] if quiet else []), env=env)
    assert done.returncode == 0, terminal
    assert json.loads(done.stdout)["status"] == "published"  # stdout holds the JSON and nothing else
    drawn = re.findall(r"\r(Packing|Uploading) \[[#-]+\] +\d+%", terminal)
    assert bool(drawn) is not quiet, terminal[-2000:]
    if not quiet:
        assert "\r\x1b[K" in terminal and {"Packing", "Uploading"} <= set(drawn)


def test_log_and_errors_go_to_stderr_and_the_result_to_stdout(workspace: Path, target: Target) -> None:
    """As command lines do: stdout holds the result alone (text, or one JSON object, on failure too)."""
    env = {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url}
    flags = ("--package-id", target.package_id, "--path", "pkg", "--version", "0.3.0", "--dry-run")
    text = cli(workspace, *flags, env=env)
    assert text.returncode == 0 and "== Pack ==" in text.stderr, text.stderr
    shown = dict(line.split(": ", 1) for line in text.stdout.splitlines())
    assert shown["status"] == "dry-run" and shown["digest"].startswith("sha256:") and "== " not in text.stdout
    down = ["--api-url", "http://127.0.0.1:9/v1", "--max-attempts", "1"]
    for args, code, title in ((["--max-attempts", "0"], 1, "Invalid option"), (down, 75, "Akua API unavailable"),
                              (["--no-such-flag"], 1, "Invalid option")):
        plain = cli(workspace, *flags, *args, env=env)
        assert plain.returncode == code and plain.stdout == "" and "Error: " in plain.stderr, plain.stderr
        failed = cli(workspace, *flags, *args, "--json", env=env)
        answer = json.loads(failed.stdout)
        assert failed.returncode == code and (answer["status"], answer["exit-code"], answer["title"]) == (
            "failed", code, title), failed.stdout
        assert answer["message"] and answer["hint"] and "Error: " in failed.stderr
    assert "--max-attempts" in json.loads(cli(workspace, *flags, "--max-attempts", "0", "--json", env=env).stdout)[
        "message"], "the command line's words"


def test_the_tool_tells_its_own_version(tmp_path: Path) -> None:
    from akua_publish import __version__

    for flag in ("-V", "--tool-version"):
        done = cli(tmp_path, flag)
        assert (done.returncode, done.stdout) == (0, f"akua-publish {__version__}\n"), done.stderr


def test_a_gitlab_tag_gives_the_version_with_the_tag_rules(workspace: Path, target: Target) -> None:
    env = {"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url,
           "GITLAB_CI": "true", "CI_COMMIT_SHA": "1" * 40, "CI_PROJECT_URL": "https://gitlab.example.com/acme/hello"}
    flags = ("--package-id", target.package_id, "--path", "pkg", "--dry-run", "--json")
    tagged = cli(workspace, *flags, env={**env, "CI_COMMIT_TAG": "hello/v0.3.0"})
    assert tagged.returncode == 0 and json.loads(tagged.stdout)["semver"] == "0.3.0", tagged.stderr
    other = cli(workspace, *flags, env={**env, "CI_COMMIT_TAG": "web/v0.3.0"})
    assert other.returncode == 1 and "is for the package `web`" in json.loads(other.stdout)["message"]
    untagged = cli(workspace, *flags, env=env)
    assert untagged.returncode == 1 and "neither `--version` nor `--version-from-package`" in untagged.stderr
    laptop = cli(workspace, *flags, "--version", "0.3.0", env={"AKUA_API_TOKEN": target.akua.token,
                                                               "AKUA_API_BASE_URL": target.akua.server.base_url})
    assert json.loads(laptop.stdout)["digest"] != json.loads(tagged.stdout)["digest"], "the commit is annotated"


def test_a_laptop_dry_run_gives_the_digest_the_workflow_will_publish(workspace: Path, target: Target) -> None:
    """The commit and the repository go into the annotations: given as the workflow has them (docs/cli.md), a
    dry run on a laptop prints the digest the Action publishes from that commit."""
    from devtools.action import run_action

    ci = {"GITHUB_REPOSITORY": "acme/hello", "GITHUB_SHA": "2" * 40}
    action = run_action(workspace, {"package-id": target.package_id, "path": "pkg", "dry-run": "true",
                                    "api-url": target.akua.server.base_url},
                        {"GITHUB_REF": "refs/tags/v0.3.0", "AKUA_API_TOKEN": target.akua.token, **ci})
    laptop = cli(workspace, "--package-id", target.package_id, "--path", "pkg", "--version-from-package", "--dry-run",
                 "--json", env={"AKUA_API_TOKEN": target.akua.token, "AKUA_API_BASE_URL": target.akua.server.base_url,
                                **ci})
    assert action.returncode == laptop.returncode == 0, action.log + laptop.stderr
    assert json.loads(laptop.stdout)["digest"] == action.outputs["digest"]
