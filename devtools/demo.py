"""The main job, locally: publish the examples to a real registry and the emulator.

Starts Debian's Distribution registry and the Akua API emulator on loopback and
runs the action as a tag push of each example's version would: first
``examples/hello``, then ``examples/wrapper``, whose OCI and git dependencies
are served on loopback too (the chart pushed to the registry with Helm's media
types, the git repository by a smart-HTTP server) and vendored into its
artifact. ``examples/hello`` is signed with a key made for the run (its package
in the emulator accepts only versions signed by it); ``examples/wrapper`` is not
in Akua yet, so its first publish creates the package. It prints what a
workflow would see: the log, the step outputs and the job summary.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from akua_emulator import Emulator, Grant, Store
from devtools.action import ROOT, ActionRun, run_action
from devtools.dependencies import CHART_FILES, GitHttpServer, git_repository, push_chart
from devtools.registry import LocalRegistry

EXAMPLES = ("examples/hello", "examples/wrapper")
# The addresses examples/wrapper/akua.toml names; the demo's own servers stand in for them.
WRAPPER_REGISTRY, WRAPPER_GIT = "127.0.0.1:5000", "http://127.0.0.1:5001"


def main() -> int:
    token = "sk_akua_demo_" + secrets.token_hex(16)
    with LocalRegistry() as registry, tempfile.TemporaryDirectory(prefix="akua-demo-") as work:
        store = Store()
        store.grants[token] = Grant(("ws_demo",))
        emulator = Emulator(store).start()
        git = serve_dependencies(registry, Path(work))
        print(f"registry: http://{registry.host}  git: {git.base_url}  Akua API emulator: {emulator.base_url}\n")
        workspace = Path(work) / "checkout"
        for example in EXAMPLES:
            shutil.copytree(ROOT / example, workspace / example)
        toml = workspace / "examples/wrapper/akua.toml"
        toml.write_text(toml.read_text().replace(WRAPPER_REGISTRY, registry.host).replace(WRAPPER_GIT, git.base_url))
        key, passphrase, public = signing_key()
        code = 0
        for example in EXAMPLES:
            name = Path(example).name
            repository = f"{registry.host}/examples/{name}"
            if name == "hello":  # set up in Akua, accepting only versions signed by the run's key
                package_id = store.add_package("ws_demo", name, {"kind": "oci", "oci_ref": f"oci://{repository}"})
                store.signature_keys[package_id] = public
                inputs = {"package-id": package_id, "cosign-private-key": key, "cosign-password": passphrase}
            else:  # not in Akua yet: the first publish finds no package of its name and imports it
                inputs = {"repository": repository}
            run = publish(workspace, example, emulator.base_url, token, inputs)
            code = code or report(run, store, run.outputs.get("package-id", ""), [token, key, passphrase])
        git.shutdown()
        emulator.shutdown()
        return code


def serve_dependencies(registry: LocalRegistry, work: Path) -> GitHttpServer:
    """The wrapper's dependencies: its chart in the registry, its git repository over smart HTTP."""
    push_chart(registry, "charts/podinfo", "0.1.0")
    files = {f"chart/{rel}": data for rel, (data, _) in CHART_FILES.items()}
    git_repository(work / "repos" / "podinfo.git", {**files, "values.yaml": b"replicaCount: 1\n"})
    return GitHttpServer(work / "repos")


def signing_key() -> tuple[str, str, str]:
    """An encrypted PKCS#8 P-256 key for this run, its passphrase and its public key (cosign.pub)."""
    key = ec.generate_private_key(ec.SECP256R1())
    passphrase = secrets.token_urlsafe(16)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(passphrase.encode())).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, passphrase, public


def publish(workspace: Path, example: str, api_url: str, token: str, inputs: dict[str, str]) -> ActionRun:
    version = tomllib.loads((workspace / example / "akua.toml").read_text())["package"]["version"]
    target = f"package {inputs['package-id']}, signed" if inputs.get("package-id") else "a package it creates"
    print(f"== publishing {example} as tag v{version} to {target} ==\n", flush=True)
    return run_action(
        workspace,
        {"path": example, "api-url": api_url, **inputs},
        {"GITHUB_REF": f"refs/tags/v{version}", "AKUA_API_TOKEN": token,
         "GITHUB_REPOSITORY": "owner/akua-publish", "GITHUB_SHA": "0" * 40},
    )


def report(run: ActionRun, store: Store, package_id: str, secret_values: list[str]) -> int:
    print(run.log)
    print("== step outputs ==")
    for name, value in run.outputs.items():
        print(f"{name}={value}")
    print("\n== job summary ==\n" + run.summary)
    recorded = store.created_versions(package_id)
    print(f"== Akua emulator: {len(recorded)} version(s) recorded ==")
    for item in recorded:
        print(f"{item['semver']} {item['ref']} {item['id']}")
    print(f"\nexit code: {run.returncode}\n")
    lines = [line for value in secret_values for line in value.splitlines() if len(line) >= 16
             and not line.startswith("-----")]
    if run.leaked(secret_values + lines):
        print("a secret (the API token, the signing key or its passphrase) leaked into the action's output",
              file=sys.stderr)
        return 1
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
