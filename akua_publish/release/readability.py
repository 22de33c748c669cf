"""Whether Akua will be able to read what is pushed, checked before Akua is asked to register it.

Akua reads a version's artifact back from the registry before recording it,
with the workspace's registry connection for that registry if it has one, else
anonymously. GHCR makes a package private on its first push, so a workspace
without a connection for ghcr.io gets a refusal from Akua after the push and no
idea why. Before the push the run lists the workspace's connections; after it,
when no active one covers the registry, it asks the registry what anyone may
read (its anonymous token flow, then the manifest). When neither holds, the run
stops before registering, with both fixes; a re-run after either finds the
artifact in the registry and registers it without uploading again. The read is
made as Akua makes it: over HTTPS to every registry but ``localhost``,
``127.0.0.1`` and ``::1``, so a registry the run reached in plain HTTP and Akua
cannot reach over HTTPS stops the run too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from akua_publish.clients.akua_types import RegistryConnection
from akua_publish.errors import PublishError, UnreadableArtifactError
from akua_publish.options import CheckMode, CiContext
from akua_publish.reference import Repository
from akua_publish.reporter import Reporter
from akua_publish.wording import setting

if TYPE_CHECKING:
    from akua_publish.clients.akua_api import AkuaClient

DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
WARN_TITLE = "Akua may not be able to read the artifact"


class Coverage(StrEnum):
    """What the workspace's registry connections say about the repository's registry."""

    ACTIVE = "active"  # an active connection covers it: Akua reads with it
    INACTIVE = "inactive"  # only inactive ones do
    NONE = "none"
    UNKNOWN = "unknown"  # Akua would not list the connections


@dataclass(frozen=True)
class Connections:
    coverage: Coverage
    names: tuple[str, ...] = ()  # the connections that cover the registry


def covers(connection: RegistryConnection, repository: Repository) -> bool:
    """A connection's ``registry_url`` (``ghcr.io``, ``https://ghcr.io``, ``ghcr.io/acme``) covers the
    repository when the hosts are the same (Docker Hub's names are one) and any path is a prefix of it."""
    text = connection.registry_url.strip()
    parts = urlsplit(text if "://" in text else f"//{text}")
    host = parts.netloc.rpartition("@")[2].lower()
    mine = repository.host.lower()
    if host != mine and not (host in DOCKER_HUB and mine in DOCKER_HUB):
        return False
    prefix = parts.path.strip("/")
    return not prefix or repository.name == prefix or repository.name.startswith(prefix + "/")


def check_connections(akua: AkuaClient, repository: Repository, reporter: Reporter) -> Connections:
    """Before the push: which of the workspace's connections (every page) cover the repository's registry."""
    listed = akua.registry_connections()
    host = repository.host
    if listed.withheld:
        reporter.warning(
            f"Akua did not list the workspace's registry connections ({listed.withheld}): the token may not read "
            f"them. Whether Akua can read {host} is judged from the registry alone, after the push; the run goes on "
            "either way.", title=WARN_TITLE)
        return Connections(Coverage.UNKNOWN)
    covering = [c for c in listed.connections if covers(c, repository)]
    active = tuple(c.name or c.registry_url for c in covering if c.is_active)
    if active:
        reporter.info(f"Akua reads {host} with the workspace's registry connection {', '.join(active)}.")
        return Connections(Coverage.ACTIVE, active)
    inactive = tuple(c.name or c.registry_url for c in covering)
    which = f"only the inactive connection {', '.join(inactive)}" if inactive else "no registry connection"
    reporter.info(f"The Akua workspace has {which} for {host}: Akua can read the artifact only if anyone may; "
                  "that is checked after the push.")
    return Connections(Coverage.INACTIVE if inactive else Coverage.NONE, inactive)


def warn_of_basic_auth(auth_scheme: str, repository: Repository, reporter: Reporter) -> None:
    """Akua's reader of published packages (``inspectOciPackage`` in Akua's core) answers only Bearer token
    challenges: a registry that asks for HTTP Basic may be pushed to, but Akua may not read it back."""
    if auth_scheme == "basic":
        reporter.warning(
            f"The registry {repository.host} asks for HTTP Basic authentication. Akua's reader of published "
            "packages (inspectOciPackage in Akua's core) answers only Bearer token challenges, so Akua may "
            "not be able to read the version back (HTTP 422). Registries such as GHCR, Docker Hub and "
            "Harbor use tokens.", title="Akua may not read this registry")


@dataclass(frozen=True)
class Fixes:
    """What the fixes need to name: where Akua is, and the CI's account (for GHCR's settings page)."""

    api_url: str
    workspace: str
    ci: CiContext


def check_readable(mode: CheckMode, connections: Connections, *, repository: Repository, digest: str,
                   anonymous_read: Callable[[], str], fixes: Fixes, reporter: Reporter,
                   over_https: bool = False) -> None:
    """After the push, before the registration: stop (``strict``) or warn when Akua could not read it.

    ``anonymous_read`` reads as Akua reads, over HTTPS but for the three names Akua's core reads in plain
    HTTP; ``over_https`` says that the run itself pushed in plain HTTP, so that whether Akua can reach the
    registry at all is in question, with a registry connection or without."""
    if over_https:
        try:
            refused = anonymous_read()
        except PublishError as exc:
            _unreachable(mode, repository, digest, exc, reporter)
            return
        if connections.coverage is Coverage.ACTIVE:
            return
    elif connections.coverage is Coverage.ACTIVE:
        return
    else:
        refused = anonymous_read()
    if not refused:
        reporter.info(f"Anyone may read oci://{repository}@{digest}: Akua needs no registry connection for it.")
        return
    if connections.coverage is Coverage.UNKNOWN:
        reporter.warning(f"The registry does not let anyone read oci://{repository} without credentials ({refused}); "
                         f"unless the Akua workspace has an active registry connection for {repository.host}, Akua "
                         "will refuse the version. Registering it.", title=WARN_TITLE)
        return
    inactive = (f" (its connection {', '.join(connections.names)} is inactive: activate it, or add another)"
                if connections.coverage is Coverage.INACTIVE else "")
    message = (f"oci://{repository}@{digest} was pushed, but Akua will not be able to read it: the registry does not "
               f"let anyone read it without credentials ({refused}), and the Akua workspace has no active registry "
               f"connection for {repository.host}{inactive}.")
    hint = (f"Either make the package public{_visibility(repository, fixes.ci)}; or add a registry connection for "
            f"{repository.host} in Akua: {_connection_call(repository, fixes)}. Then re-run the job: it finds the "
            "artifact in the registry and registers the version without uploading it again.")
    if mode is CheckMode.STRICT:
        raise UnreadableArtifactError(f"{message} The version was not registered.",
                                      f"{hint} To register it anyway, set {setting('readability-check')} to warn.")
    reporter.warning(f"{message} Registering it anyway ({setting('readability-check')}: warn): Akua will refuse it. "
                     f"{hint}", title=WARN_TITLE)


def _unreachable(mode: CheckMode, repository: Repository, digest: str, failure: PublishError,
                 reporter: Reporter) -> None:
    message = (f"oci://{repository}@{digest} was pushed in plain HTTP, but Akua reads registries over HTTPS (plain "
               f"HTTP only for localhost, 127.0.0.1 and ::1), and {repository.host} does not answer over HTTPS: "
               f"{failure.wording.message}")
    hint = (f"Serve the registry over HTTPS with a certificate from a public CA and set {setting('plain-http')} to "
            "false; then re-run the job: it finds the artifact in the registry and registers it.")
    if mode is CheckMode.STRICT:
        raise UnreadableArtifactError(f"{message} The version was not registered.",
                                      f"{hint} To register it anyway, set {setting('readability-check')} to warn.")
    reporter.warning(f"{message} Registering it anyway ({setting('readability-check')}: warn): Akua will refuse it. "
                     f"{hint}", title=WARN_TITLE)


def _github(repository: Repository) -> str:
    """The GitHub whose container registry holds ``repository`` (``ghcr.io``, ``containers.<host>`` on GitHub
    Enterprise), as its web address; "" for any other registry."""
    host = repository.host.lower()
    if host == "ghcr.io":
        return "https://github.com"
    return f"https://{host.removeprefix('containers.')}" if host.startswith("containers.") else ""


def _visibility(repository: Repository, ci: CiContext) -> str:
    """Where GitHub's registry makes a package public: the settings page of a user's or an organisation's."""
    server = _github(repository)
    if not server:
        return " (in the registry's settings of the repository)"
    owner, _, name = repository.name.partition("/")
    page = f"packages/container/{quote(name, safe='')}/settings"
    kinds = {"User": "users", "Organization": "orgs"}
    if owner.lower() == ci.owner.lower() and ci.owner_kind in kinds:
        return f" (Danger Zone, Change visibility: {server}/{kinds[ci.owner_kind]}/{owner}/{page})"
    return (f" (Danger Zone, Change visibility: {server}/orgs/{owner}/{page} for an organisation's package, "
            f"{server}/users/{owner}/{page} for a user's)")


def _connection_call(repository: Repository, fixes: Fixes) -> str:
    """The API call that adds the connection (the password is a placeholder, never a value of this run)."""
    password = "<a token that may read the package" + (" (read:packages)>" if _github(repository) else ">")
    body = json.dumps({"name": repository.host, "registry_url": repository.host, "type": "basic",
                       "credentials": {"username": "<user>", "password": password}})
    context = f' -H "akua-context: {fixes.workspace}"' if fixes.workspace else ""
    return (f"curl -X POST {fixes.api_url.rstrip('/')}/registry_connections -H \"Authorization: Bearer "
            f"$AKUA_API_TOKEN\"{context} -H \"Content-Type: application/json\" -d '{body}'")
