"""The OCI registry adapter: the only module that imports ``oras``.

oras-py does the blob uploads and the registry auth handshakes; this module
works around the parts of it that would hurt a CI job (see the README's notes):
credentials come only from the action's inputs (never ``~/.docker/config.json``);
the auth backend follows the registry's own challenge (Basic or bearer token);
for token registries a pull-and-push token is fetched up front (oras would reuse
a pull-only one for the upload); every request has timeouts and oras's blanket
retry loop is replaced by the action's retry policy; uploads stream in chunks
GHCR accepts and restart whole when a connection drops; and the manifest goes
out as the exact bytes whose sha256 is the reported digest.
"""

from __future__ import annotations

import hashlib
from typing import Any

import oras.auth.utils
import oras.container
import oras.provider
import requests

from .errors import RegistryAuthError, RegistryRejectedError, RegistryUnavailableError
from .http_session import RETRY_STATUSES, make_session
from .manifest import CONFIG_MEDIA_TYPE, CONTENT_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, Artifact
from .packing import PackedLayer
from .reference import Credentials, Repository
from .retry import RetryPolicy

CHUNK_SIZE = 4 * 1024 * 1024  # GHCR refuses chunks over 4 MiB
READ_METHODS = frozenset({"GET", "HEAD"})
MANIFEST_ACCEPT = ", ".join((
    MANIFEST_MEDIA_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
))
CREDENTIAL_HINT = (
    "Check the `registry-username` and `registry-password` inputs. For GHCR the defaults "
    "(github.actor and github.token) work when the job has `permissions: packages: write`."
)
UNREACHABLE_HINT = "Check the repository host, and `plain-http` for an HTTP-only registry; then re-run the job."
PUSH_HINT = (
    "Give the credentials push (write) access to the repository. On GHCR with the default "
    "github.token, add `permissions: packages: write` to the job and, for an existing package, "
    "grant this repository write access in the package's settings."
)


class _Oras(oras.provider.Registry):
    """oras-py's client with its own retry loop removed and failures classified."""

    anonymous = True

    def do_request(self, url: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        single_attempt = oras.provider.Registry.do_request.__wrapped__  # type: ignore[attr-defined]
        host = self.hostname
        try:
            response = single_attempt(self, url, method, *args, **kwargs)
        except requests.Timeout:
            raise RegistryUnavailableError(
                f"The registry {host} did not answer {method} in time.",
                "Check the registry's status and re-run the job (or raise the `timeout` input).",
            ) from None
        except requests.RequestException as exc:
            raise RegistryUnavailableError(
                f"Cannot talk to the registry {host}: {_reason(exc)}.",
                UNREACHABLE_HINT,
            ) from None
        except ValueError:  # oras: the registry asked for credentials it cannot supply
            raise _auth_error(host, 401, method, "", self.anonymous) from None
        if response.status_code in (401, 403):
            raise _auth_error(host, response.status_code, method,
                              response.headers.get("WWW-Authenticate", ""), self.anonymous)
        if response.status_code in RETRY_STATUSES:
            raise RegistryUnavailableError(
                f"The registry {host} answered {method} with HTTP {response.status_code}.",
                "The registry is failing or throttling; re-run the job later.",
            )
        return response


class RegistryClient:
    def __init__(self, repository: Repository, credentials: Credentials, plain_http: bool,
                 policy: RetryPolicy) -> None:
        self.repository = repository
        self._policy = policy
        self._prefix = "http" if plain_http else "https"
        session = make_session(policy, READ_METHODS)
        challenge = self._challenge(session)
        backend = "basic" if challenge.lower().startswith("basic") else "token"
        if backend == "basic" and credentials.anonymous:
            raise RegistryAuthError(
                f"The registry {repository.host} requires a user name and password, and none were given.",
                CREDENTIAL_HINT,
            )
        client = _Oras(hostname=repository.host, insecure=plain_http, auth_backend=backend)
        session.cookies.set_policy(client.session.cookies.get_policy())
        client.session = session
        client.auth.session = session
        client.auth.prefix = self._prefix
        if not credentials.anonymous:
            client.auth.set_basic_auth(credentials.username, credentials.password)
            client.anonymous = False
        self._client = client
        if challenge.lower().startswith("bearer"):
            self._fetch_push_token(session, challenge, credentials)

    def _challenge(self, session: requests.Session) -> str:
        """The registry's ``WWW-Authenticate`` on ``/v2/`` ("" for an open registry)."""
        host = self.repository.host
        try:
            return session.get(f"{self._prefix}://{host}/v2/").headers.get("WWW-Authenticate", "")
        except requests.RequestException as exc:
            raise RegistryUnavailableError(
                f"Cannot connect to the registry {host}: {_reason(exc)}.",
                UNREACHABLE_HINT,
            ) from None

    def _fetch_push_token(self, session: requests.Session, challenge: str, credentials: Credentials) -> None:
        """Ask the token service for pull and push up front (oras would reuse a pull-only token)."""
        header = oras.auth.utils.parse_auth_header(challenge)
        params = {"scope": f"repository:{self.repository.name}:pull,push"}
        if header.service:
            params["service"] = header.service
        auth = None if credentials.anonymous else (credentials.username, credentials.password)
        host = self.repository.host
        try:
            answer = session.get(str(header.realm), params=params, auth=auth)
        except requests.RequestException as exc:
            raise RegistryUnavailableError(
                f"Cannot reach the token service of the registry {host}: {_reason(exc)}.",
                "Re-run the job later.",
            ) from None
        if answer.status_code in (401, 403):
            raise _auth_error(host, 401, "GET", "", credentials.anonymous)
        if answer.status_code != 200:
            raise RegistryUnavailableError(
                f"The token service of the registry {host} answered HTTP {answer.status_code}.",
                "Re-run the job later.",
            )
        try:
            body = answer.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not token:
            raise RegistryRejectedError(f"The token service of the registry {host} sent no token.",
                                        "Check that the registry is an OCI distribution registry.")
        self._client.auth.set_token_auth(token)

    def _container(self, reference: str) -> oras.container.Container:
        container = oras.container.Container(
            f"{self.repository.name}:{reference}", registry=self.repository.host
        )
        container.registry = self.repository.host
        container.namespace, _, container.repository = self.repository.name.rpartition("/")
        container.namespace = container.namespace or None
        return container

    def _manifest_url(self, reference: str) -> str:
        return f"{self._prefix}://{self.repository.host}/v2/{self.repository.name}/manifests/{reference}"

    def tag_digest(self, tag: str) -> str | None:
        """The digest the tag points at now, or None when the tag does not exist."""
        url = self._manifest_url(tag)
        response = self._client.do_request(url, "HEAD", headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None
        _expect(response, (200,), f"HEAD of tag {tag}")
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        body = self._client.do_request(url, "GET", headers={"Accept": MANIFEST_ACCEPT})
        _expect(body, (200,), f"GET of tag {tag}")
        return "sha256:" + hashlib.sha256(body.content).hexdigest()

    def push(self, tag: str, layer: PackedLayer, artifact: Artifact) -> str:
        """Upload both blobs (skipping any already there), then the manifest; return its digest."""
        container = self._container(tag)
        config_path = layer.path.with_name("config.json")
        config_path.write_bytes(artifact.config)
        blobs = (
            (layer.path, CONTENT_MEDIA_TYPE, layer.digest, layer.size),
            (config_path, CONFIG_MEDIA_TYPE, artifact.config_digest, len(artifact.config)),
        )
        for path, media_type, digest, size in blobs:
            descriptor = {"mediaType": media_type, "digest": digest, "size": size}

            def upload(path: str = str(path), descriptor: dict = descriptor) -> None:
                if descriptor["size"] <= CHUNK_SIZE:
                    # Fits one request: POST and PUT it. Asking first whether the registry has it
                    # would cost as much as sending it (the tag is new, so it rarely has).
                    response = self._client.put_upload(path, container, descriptor)
                else:  # ask first, then PATCHes of at most 4 MiB, streamed from the file
                    response = self._client.upload_blob(
                        path, container, descriptor, do_chunked=True, chunk_size=CHUNK_SIZE
                    )
                _expect(response, (200, 201, 202), f"upload of blob {descriptor['digest']}")

            self._policy.run(upload, f"Upload of blob {digest[:19]}")

        def put_manifest() -> Any:
            response = self._client.do_request(
                self._manifest_url(tag), "PUT", data=artifact.manifest,
                headers={"Content-Type": MANIFEST_MEDIA_TYPE},
            )
            _expect(response, (200, 201), f"upload of the manifest for tag {tag}")
            return response

        response = self._policy.run(put_manifest, f"Upload of the manifest for tag {tag}")
        stored = response.headers.get("Docker-Content-Digest", artifact.digest)
        if stored != artifact.digest:
            raise RegistryRejectedError(
                f"The registry stored the manifest as {stored}, but its bytes hash to "
                f"{artifact.digest}.",
                "The registry rewrote the manifest; Akua would not find the pushed digest. "
                "Use an OCI-compliant registry.",
            )
        return stored


def _expect(response: Any, ok: tuple[int, ...], what: str) -> None:
    if response.status_code in ok:
        return
    detail = ""
    try:
        errors = response.json().get("errors") or []
        detail = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        pass
    raise RegistryRejectedError(
        f"The registry refused the {what}: HTTP {response.status_code}"
        + (f" ({detail})" if detail else "") + ".",
        "Check that the repository exists or may be created by these credentials, "
        "and that the registry accepts OCI artifacts.",
    )


def _auth_error(host: str | None, status: int, method: str, challenge: str, anonymous: bool) -> RegistryAuthError:
    if anonymous:
        return RegistryAuthError(
            f"The registry {host} requires credentials for this repository, and none were given "
            f"(HTTP {status} on {method}).",
            CREDENTIAL_HINT,
        )
    writing = method in ("POST", "PUT", "PATCH", "DELETE")
    if status == 403 or "insufficient_scope" in challenge or (writing and status == 401):
        return RegistryAuthError(
            f"The registry {host} accepted the credentials but denied {method}: they may read "
            "but not push to this repository (push permission is missing).",
            PUSH_HINT,
        )
    return RegistryAuthError(
        f"The registry {host} requires authentication and rejected the credentials given "
        "(HTTP 401).",
        CREDENTIAL_HINT,
    )


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Temporary failure in name resolution", "Connection reset", "Connection aborted",
                   "Max retries exceeded"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
