"""Whether anyone may read an artifact: the readability check's one request, as Akua's reader makes it
without a registry connection. Apart from the registry client (``registry``), which holds the run's
credentials: this one never has any to send."""

from __future__ import annotations

from akua_publish.artifact import MANIFEST_MEDIA_TYPE
from akua_publish.clients.registry_transport import RegistryTransport
from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import RegistryAuthError
from akua_publish.reference import Credentials, Repository


def anonymous_read(repository: Repository, digest: str, plain_http: bool, policy: RetryPolicy,
                   ca_bundle: str = "") -> str:
    """Whether anyone may read the manifest ``digest`` without credentials, as Akua's reader does without a
    registry connection: the registry's anonymous token flow (or none), then the manifest. Returns ""
    when it can be read, else what the registry answered. No credential of any kind is sent."""
    transport = RegistryTransport(repository, Credentials("", ""), plain_http, policy, ca_bundle, actions="pull")
    url = transport.url(f"/v2/{repository.name}/manifests/{digest}")
    try:
        response = policy.run(lambda: transport.request("GET", url, headers={"Accept": MANIFEST_MEDIA_TYPE}),
                              f"Anonymous GET of manifest {digest[:19]}")
    except RegistryAuthError:
        return "it asks for credentials"
    finally:
        transport.close()
    with response:
        return "" if response.status_code == 200 else f"HTTP {response.status_code} to an anonymous GET of the manifest"
