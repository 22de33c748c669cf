"""OCI repository references (``oci://host[:port]/name``) and the credentials for them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from akua_publish.errors import InputError

_NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class Credentials:
    """Registry credentials from the action's inputs; empty password means anonymous."""

    username: str
    password: str = field(repr=False)

    @property
    def anonymous(self) -> bool:
        return not self.password


@dataclass(frozen=True)
class Repository:
    host: str  # host[:port], as in the registry's URL
    name: str  # path inside the registry

    def __str__(self) -> str:
        return f"{self.host}/{self.name}"

    def oci_ref(self, digest: str) -> str:
        return f"oci://{self}@{digest}"

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


def parse_repository(text: str, origin: str) -> Repository:
    """Parse ``[oci://]host/name`` (no tag, no digest) or explain what is wrong."""
    raw = text.strip()
    bare = raw[len("oci://"):] if raw.startswith("oci://") else raw
    host, _, name = bare.partition("/")
    if "@" in name or ":" in name.rsplit("/", 1)[-1]:
        raise InputError(
            f"{origin} `{raw}` names a tag or digest; it must name only the repository.",
            "Use the form oci://host/name, e.g. oci://ghcr.io/acme/hello.",
        )
    if not host or not _HOST.fullmatch(host) or not _NAME.fullmatch(name):
        raise InputError(
            f"{origin} `{raw}` is not an OCI repository reference.",
            "Use the form oci://host/name (lower-case name), e.g. oci://ghcr.io/acme/hello.",
        )
    return Repository(host=host, name=name)


AKUA_PLAIN_HTTP_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def akua_reads_plain_http(host_port: str) -> bool:
    """Whether Akua's reader talks plain HTTP to this registry: only to these three names, port aside, as
    written (``registry_scheme`` in Akua's core, oci_transport.rs); every other host, 127.0.0.2 included, it
    reads over HTTPS."""
    return _bare_host(host_port) in AKUA_PLAIN_HTTP_HOSTS


def _bare_host(host_port: str) -> str:
    if host_port.startswith("["):
        return host_port[1:host_port.find("]")]
    return host_port.split(":", maxsplit=1)[0] if host_port.count(":") == 1 else host_port


def is_loopback_host(host_port: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1, with or without a port."""
    host = _bare_host(host_port)
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
