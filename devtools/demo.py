"""The main job, locally: publish examples/hello to a real registry and the emulator.

Starts Debian's Distribution registry and the Akua API emulator on loopback,
runs the action as a tag push of the example's version would, and prints what
a workflow would see: the log, the step outputs and the job summary.
"""

from __future__ import annotations

import secrets
import sys
import tomllib

from akua_emulator import Emulator, Grant, Store
from devtools.action import ROOT, run_action
from devtools.registry import LocalRegistry

EXAMPLE = "examples/hello"


def main() -> int:
    version = tomllib.loads((ROOT / EXAMPLE / "akua.toml").read_text())["package"]["version"]
    token = "sk_akua_demo_" + secrets.token_hex(16)
    with LocalRegistry() as registry:
        store = Store()
        store.grants[token] = Grant(("ws_demo",))
        package_id = store.add_package(
            "ws_demo", "hello", {"kind": "oci", "oci_ref": f"oci://{registry.host}/examples/hello"}
        )
        emulator = Emulator(store).start()
        print(f"registry: http://{registry.host}  Akua API emulator: {emulator.base_url}")
        print(f"publishing {EXAMPLE} as tag v{version} to package {package_id}\n", flush=True)
        run = run_action(
            ROOT,
            {"package-id": package_id, "path": EXAMPLE, "api-url": emulator.base_url},
            {"GITHUB_REF": f"refs/tags/v{version}", "AKUA_API_TOKEN": token,
             "GITHUB_REPOSITORY": "owner/akua-publish", "GITHUB_SHA": "0" * 40},
        )
        emulator.shutdown()
        print(run.log)
        print("== step outputs ==")
        for name, value in run.outputs.items():
            print(f"{name}={value}")
        print("\n== job summary ==\n" + run.summary)
        recorded = store.created_versions(package_id)
        print(f"== Akua emulator: {len(recorded)} version(s) recorded ==")
        for item in recorded:
            print(f"{item['semver']} {item['ref']} {item['id']}")
        print(f"\nexit code: {run.returncode}")
        if run.leaked([token]):
            print("the API token leaked into the action's output", file=sys.stderr)
            return 1
        return run.returncode


if __name__ == "__main__":
    sys.exit(main())
