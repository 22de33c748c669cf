"""A Docker engine and the base image the action's Dockerfile names, made locally.

No container registry can be reached from the test machines, so the image the
Dockerfile starts FROM is made here: a Debian bookworm root filesystem from
debootstrap (with the machine's own apt mirror), imported into Docker, with a
virtualenv at /usr/local so ``python`` and ``pip`` are where the official
image has them. It is tagged with the Dockerfile's exact FROM name, so the
Dockerfile is built unchanged, and it stays in the engine for later runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from devtools.action import ROOT

ROOTFS_IMAGE = "akua-publish-dev/bookworm-minbase:local"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
STAND_IN = """\
FROM {rootfs}
COPY host-ca.crt /usr/local/share/host-ca.crt
# Debian's Python in a venv at /usr/local: python and pip on PATH as in the official image.
RUN python3 -m venv /usr/local && /usr/local/bin/python -m pip --version
# This machine reaches PyPI through a TLS-intercepting proxy; trust its CA here only.
ENV PIP_CERT=/usr/local/share/host-ca.crt REQUESTS_CA_BUNDLE=/usr/local/share/host-ca.crt
"""


def docker(*args: str, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, **kwargs)


def engine_running() -> bool:
    return shutil.which("docker") is not None and docker("info", check=False).returncode == 0


def ensure_engine() -> None:
    """Start ``dockerd`` by hand when no engine answers (there is no init system here)."""
    if engine_running():
        return
    log_path = Path(tempfile.gettempdir()) / "akua-publish-dockerd.log"
    if shutil.which("dockerd") is None:
        raise RuntimeError("dockerd is not installed (apt-get install docker.io)")
    with open(log_path, "ab") as log:
        subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if engine_running():
            return
        time.sleep(0.5)
    raise RuntimeError(f"dockerd did not start within 90 s; see {log_path}")


def image_exists(name: str) -> bool:
    return docker("image", "inspect", name, check=False).returncode == 0


def base_image_name(dockerfile: Path = ROOT / "Dockerfile") -> str:
    match = re.search(r"^FROM\s+(\S+)", dockerfile.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError("the Dockerfile has no FROM line")
    return match.group(1)


def debian_mirror() -> str:
    """The Debian mirror apt on this machine uses (deb822 or one-line format)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        match = re.search(r"^URIs:\s*(\S+)", sources.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        match = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", listing.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    raise RuntimeError("no Debian mirror found in apt's sources")


def ensure_rootfs_image(image: str = ROOTFS_IMAGE, arch: str = "") -> str:
    """A Debian bookworm minbase root with Python, imported into Docker as ``image`` (made once);
    ``arch`` another architecture's (run under QEMU user emulation)."""
    if image_exists(image):
        return image
    with tempfile.TemporaryDirectory(prefix="akua-rootfs-") as work:
        target = Path(work, "rootfs")
        subprocess.run(
            ["debootstrap", *([f"--arch={arch}"] if arch else []), "--variant=minbase",
             "--include=python3,python3-venv,ca-certificates", "bookworm", str(target), debian_mirror()],
            check=True, capture_output=True,
        )
        tar = subprocess.Popen(["tar", "-C", str(target), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "-", image], stdin=tar.stdout, check=True, capture_output=True)
        tar.wait()
    return image


def build_stand_in(rootfs: str, name: str) -> str:
    """The base image's stand-in, ``name``, on ``rootfs``: Python and pip at /usr/local as in the official one."""
    with tempfile.TemporaryDirectory(prefix="akua-stand-in-") as context:
        shutil.copyfile(HOST_CA, Path(context, "host-ca.crt"))
        Path(context, "Dockerfile").write_text(STAND_IN.format(rootfs=rootfs))
        docker("build", "-q", "-t", name, context)
    return name


def ensure_base_image() -> str:
    """The Dockerfile's FROM image: the real one if present, else a local stand-in."""
    name = base_image_name()
    if image_exists(name):
        return name
    return build_stand_in(ensure_rootfs_image(), name)
