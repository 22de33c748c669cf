"""Build the action's image for linux/arm64 here, under QEMU user emulation, and start it.

The release builds arm64 with buildx on GitHub; these machines have no buildx and no arm64
base image, so this makes the same check the long way: Debian's qemu-user-static (binfmt,
with the F flag) runs arm64 binaries; debootstrap makes an arm64 bookworm root, imported
into Docker; the base image's stand-in is built on it (as devtools.docker_env does for
amd64), then the action's Dockerfile on that, installing requirements.lock by hash (the
arm64 wheels); finally the image starts: the CLI's help, and the native parts (kcl-lib,
cryptography, rpds) loaded and used. The image's metadata says amd64 (``docker import``
here ignores ``--platform``); what runs in it is arm64, as ``platform.machine()`` shows.

    apt-get install qemu-user-static binfmt-support && .venv/bin/python -m devtools.arm64
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from devtools.action import copy_action
from devtools.docker_env import base_image_name, build_stand_in, docker, ensure_engine, ensure_rootfs_image

ROOTFS = "akua-publish-dev/bookworm-minbase-arm64:local"
BASE = "akua-publish-dev/python-arm64:local"
IMAGE = "akua-publish-dev/akua-publish-arm64:local"
CHECK = """
import platform, tempfile, pathlib
import kcl_lib.api, rpds
from cryptography.hazmat.primitives.asymmetric import ec
from akua_publish.schema.kcl_export import export_input_schema
path = pathlib.Path(tempfile.mkdtemp(), "package.k")
path.write_text("schema Input:\\n    name: str = 'x'\\n")
ec.generate_private_key(ec.SECP256R1())
print(platform.machine(), export_input_schema(path, "package.k")["properties"]["name"]["type"])
"""


def main() -> int:
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        raise SystemExit("no binfmt entry for arm64: apt-get install qemu-user-static binfmt-support")
    ensure_engine()
    build_stand_in(ensure_rootfs_image(ROOTFS, arch="arm64"), BASE)
    with tempfile.TemporaryDirectory(prefix="akua-arm64-") as work:
        action = copy_action(Path(work, "action"))
        dockerfile = action / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace(f"FROM {base_image_name()}", f"FROM {BASE}"))
        docker("build", "-q", "-t", IMAGE, str(action))
    help_text = docker("run", "--rm", IMAGE, "--help").stdout
    checked = docker("run", "--rm", "--entrypoint", "python", "-w", "/action", IMAGE, "-c", CHECK).stdout.strip()
    print(f"arm64 image built from the Dockerfile and requirements.lock; --help: {'--package-id' in help_text}; "
          f"machine and export: {checked}")
    return 0 if checked == "aarch64 string" and "--package-id" in help_text else 1


if __name__ == "__main__":
    sys.exit(main())
