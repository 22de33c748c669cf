"""Run the emulator: ``python -m akua_emulator --config packages.json [--port N]``.

The config file holds the packages to start with:
``{"packages": [{"id": "pkg_...", "name": "...", "workspace_id": "ws_...", "oci_ref": "oci://host/name"}]}``;
a package with ``"cosign_public_key": "<PEM>"`` accepts only versions signed by that key.
Tokens come from the environment variable ``AKUA_EMULATOR_TOKENS``, never from
a command line or a file: ``{"<token>": {"workspaces": ["ws_..."], "write": true}}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from .server import Emulator
from .store import Grant, Store


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m akua_emulator")
    parser.add_argument("--config", required=True, help="JSON file with the packages")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--error-envelope", choices=("spec", "simple"), default="spec")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    store = Store()
    for token, grant in json.loads(os.environ.get("AKUA_EMULATOR_TOKENS") or "{}").items():
        store.grants[token] = Grant(tuple(grant["workspaces"]), bool(grant.get("write", True)))
    for package in config.get("packages", []):
        package_id = store.add_package(package["workspace_id"], package["name"],
                                       {"kind": "oci", "oci_ref": package["oci_ref"]}, package.get("id"))
        if package.get("cosign_public_key"):
            store.signature_keys[package_id] = package["cosign_public_key"]
    server = Emulator(store, port=args.port, error_envelope=args.error_envelope,
                      log=lambda message: print(message, file=sys.stderr, flush=True))
    print(f"Akua API emulator listening on {server.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
