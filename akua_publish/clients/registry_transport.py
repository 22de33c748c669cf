"""HTTP to one OCI registry: where credentials may go, the auth handshake, and what failures mean.

Kept apart from the ``oras`` client (``registry``) because it decides what must
never be left to a library: the credentials are sent only to the registry's own
host and only over https (plain http only when the registry itself is plain
http), and a token service gets them only when the registry named it over https
or it sits on the registry's own host. Everything else gets no credentials and
a clear error instead. Each call here is one attempt; ``RetryPolicy.run`` in
the callers decides on retries.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from akua_publish.about import USER_AGENT
from akua_publish.clients.http import RETRY_STATUSES, TimeoutSession, connection_reason, retry_after, tls_problem
from akua_publish.clients.retry import RetryPolicy, quiet
from akua_publish.errors import (
    CredentialsWithheldError,
    RegistryAuthError,
    RegistryProtocolError,
    RegistryRejectedError,
    RegistryTlsError,
    RegistryUnavailableError,
)
from akua_publish.reference import Credentials, Repository, is_loopback_host
from akua_publish.wording import setting

CREDENTIAL_HINT = (
    f"Check {setting('registry-username')} and {setting('registry-password')}. For GHCR on GitHub the job's own "
    "token works when the job has `permissions: packages: write`; other registries get no credentials "
    "unless these are set."
)
PUSH_HINT = (
    "Give the credentials push (write) access to the repository. On GHCR with the default "
    "github.token, add `permissions: packages: write` to the job and, for an existing package, "
    "grant this repository write access in the package's settings."
)
UNREACHABLE_HINT = (f"Check the repository host, and {setting('plain-http')} for an HTTP-only registry; then re-run "
                    "the job.")
CA_HINT = (
    "For a registry with a certificate from a private CA, point REQUESTS_CA_BUNDLE or SSL_CERT_FILE at "
    "the CA's PEM file (for the action, a file under the workspace: /github/workspace/...)."
)
HTTPS_ONLY_ANSWER = "HTTP request to an HTTPS server"


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``WWW-Authenticate`` as (scheme, parameters), e.g. ``("bearer", {"realm": ..., "service": ...})``."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for part in _split_params(rest):
        key, _, value = part.partition("=")
        if key.strip():
            params[key.strip().lower()] = value.strip().strip('"')
    return scheme.lower(), params


def _split_params(text: str) -> list[str]:
    """Split on commas outside quotes (scopes hold commas: ``pull,push``)."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


class RegistryTransport:
    """Single requests to one registry, with its credentials attached only where they belong."""

    def __init__(self, repository: Repository, credentials: Credentials, plain_http: bool,
                 policy: RetryPolicy, ca_bundle: str = "", *, actions: str = "pull,push",
                 warn: Callable[[str], None] = quiet) -> None:
        """``actions``: the token scope to ask for (``pull`` for a dependency, ``pull,push`` to publish);
        ``warn``: told once when credentials or a token cross plain HTTP to a host off loopback."""
        self.repository = repository
        self._warn = warn
        self._actions = actions
        self.scheme = "http" if plain_http else "https"
        self._credentials = credentials
        self._policy = policy
        self._session = TimeoutSession(policy.timeouts, ca_bundle, USER_AGENT)
        self._session.auth = _no_netrc  # an explicit auth keeps requests from adding ~/.netrc credentials
        self._authorization = ""
        self.auth_scheme = ""  # "basic" or "bearer" once the registry asked for credentials

    @property
    def host(self) -> str:
        return self.repository.host

    def close(self) -> None:
        """Close the connections the session keeps."""
        self._session.close()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def connect(self) -> None:
        """Ask ``/v2/`` how the registry authenticates, then log in as it says (before any upload)."""
        response = self._policy.run(lambda: self._send("GET", self.url("/v2/")), f"GET {self.host}/v2/")
        if response.status_code == 400 and HTTPS_ONLY_ANSWER in response.text:
            raise RegistryProtocolError(
                f"The registry {self.host} speaks HTTPS, but akua-publish used plain HTTP "
                "(the default for a loopback address).",
                f"Set {setting('plain-http')} to false to use HTTPS with this registry.",
            )
        if response.status_code == 401:
            challenge = response.headers.get("WWW-Authenticate", "")
            self._policy.run(lambda: self._login(challenge), f"Login to {self.host}")

    def _login(self, challenge: str) -> None:
        """Answer the registry's challenge: Basic with the credentials, or a token from its token service.

        One attempt: the caller's retry loop (``connect``'s, or that of the request that met the 401)
        tries again, so a token request is never retried inside another retry loop."""
        scheme, params = parse_challenge(challenge)
        if not scheme:
            raise auth_error(self.host, 401, "GET", "", self._credentials.anonymous)
        self.auth_scheme = scheme
        if scheme == "basic":
            if self._credentials.anonymous:
                raise RegistryAuthError(
                    f"The registry {self.host} requires a user name and password, and none were given.",
                    CREDENTIAL_HINT,
                )
            pair = f"{self._credentials.username}:{self._credentials.password}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        elif scheme == "bearer":
            self._fetch_token(params)
        else:
            raise RegistryRejectedError(
                f"The registry {self.host} asks for `{scheme}` authentication, which OCI registries do not use.",
                "Check that the repository points at an OCI distribution registry.",
            )
        if self.scheme == "http" and not is_loopback_host(self.host):
            self._warn_in_clear()

    def _warn_in_clear(self) -> None:
        """Once: say that what authenticates this run crosses the network unencrypted."""
        what = "A registry token" if self._credentials.anonymous else "The registry password"
        self._warn(f"{what} for {self.host} crosses the network in plain HTTP "
                   f"({setting('plain-http')} is true and {self.host} is not on loopback): anyone on the way can read "
                   "and reuse it. Serve the registry over HTTPS, or keep plain HTTP to a registry on this machine.")
        self._warn = quiet

    def _fetch_token(self, params: dict[str, str]) -> None:
        """A token for the repository with all the actions needed up front (oras would reuse a pull-only
        one for the upload)."""
        realm = params.get("realm", "")
        self._check_realm(realm)
        query = {"scope": f"repository:{self.repository.name}:{self._actions}"}
        if params.get("service"):
            query["service"] = params["service"]
        auth = None if self._credentials.anonymous else (self._credentials.username, self._credentials.password)
        try:
            answer = self._session.get(realm, params=query, auth=auth, allow_redirects=False)
        except requests.RequestException as exc:
            raise self._failure(exc, "the token service") from exc
        if answer.status_code in (401, 403):
            raise auth_error(self.host, 401, "GET", "", self._credentials.anonymous)
        if answer.status_code in RETRY_STATUSES:
            raise RegistryUnavailableError(
                f"The token service of the registry {self.host} answered HTTP {answer.status_code}.",
                "Re-run the job later.", retry_after=retry_after(answer),
            )
        token = None
        if answer.status_code == 200:
            try:
                body = answer.json()
                token = body.get("token") or body.get("access_token")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token:
            raise RegistryRejectedError(
                f"The token service of the registry {self.host} answered HTTP {answer.status_code} without a token.",
                "Check that the repository points at an OCI distribution registry.",
            )
        self._authorization = f"Bearer {token}"

    def _check_realm(self, realm: str) -> None:
        """Refuse to send credentials to a token service the registry could not vouch for."""
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryRejectedError(
                f"The registry {self.host} names `{realm}` as its token service, which is not an http(s) URL.",
                "Check that the repository points at an OCI distribution registry.",
            )
        if self._credentials.anonymous:
            return
        registry_host = urlsplit(self.url("/")).hostname
        if parts.scheme == "http" and self.scheme == "https":
            raise CredentialsWithheldError(
                f"The registry {self.host} (HTTPS) sends clients to the token service {realm} over plain "
                "HTTP; the registry password would travel unencrypted, so it was not sent.",
                "Ask the registry's operator to serve the token endpoint over HTTPS. Nothing was pushed.",
            )
        if parts.hostname != registry_host and self.scheme == "http":
            raise CredentialsWithheldError(
                f"The plain-HTTP registry {self.host} names a token service on another host ({realm}); "
                "over plain HTTP that answer could be forged, so the password was not sent there.",
                f"Use the registry over HTTPS ({setting('plain-http')} false), or run its token service on the "
                "registry's own host.",
            )

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request; the registry's own URLs carry the credentials, other hosts never do."""
        parts = urlsplit(url)
        own = _origin(url) == _origin(self.url("/"))
        if parts.scheme == "http" and self.scheme == "https":
            raise RegistryRejectedError(
                f"The registry {self.host} sent akua-publish to {parts.scheme}://{parts.netloc}, a plain-HTTP "
                "address, from HTTPS; nothing is sent there.",
                "The registry is misconfigured (its external URL); ask its operator.",
            )
        headers = dict(kwargs.pop("headers", None) or {})
        headers.pop("Authorization", None)
        if own and self._authorization:
            headers["Authorization"] = self._authorization
        response = self._send(method, url, headers=headers, **kwargs)
        if response.status_code == 401 and own and isinstance(kwargs.get("data"), bytes | None):
            # A registry that let /v2/ through anonymously, or a token that expired: log in once, again.
            self._login(response.headers.get("WWW-Authenticate", ""))
            headers["Authorization"] = self._authorization
            response = self._send(method, url, headers=headers, **kwargs)
        if response.status_code in (401, 403):
            raise auth_error(self.host, response.status_code, method,
                             response.headers.get("WWW-Authenticate", ""), self._credentials.anonymous)
        if response.status_code in RETRY_STATUSES:
            raise RegistryUnavailableError(
                f"The registry {self.host} answered {method} with HTTP {response.status_code}.",
                "The registry is failing or throttling; re-run the job later.", retry_after=retry_after(response),
            )
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise self._failure(exc, f"{method}") from exc

    def _failure(self, exc: requests.RequestException, what: str) -> Exception:
        """The error for a request that got no answer: TLS and protocol problems are never retried."""
        problem = tls_problem(exc)
        if problem is not None and problem[0] == "plain-http":
            return RegistryProtocolError(
                f"The registry {self.host} answered an HTTPS request in plain HTTP.",
                f"Set {setting('plain-http')} to true for a registry that only speaks HTTP (on a network you trust).",
            )
        if problem is not None:
            return RegistryTlsError(
                f"The TLS certificate of the registry {self.host} was not accepted: {problem[1]}.",
                CA_HINT,
            )
        if isinstance(exc, requests.Timeout):
            return self._policy.deadline_error(f"the registry {self.host} ({what})") or RegistryUnavailableError(
                f"The registry {self.host} did not answer {what} in time.",
                f"Check the registry's status and re-run the job (or raise {setting('timeout')}).",
            )
        return RegistryUnavailableError(
            f"Cannot connect to the registry {self.host} ({what}): {connection_reason(exc)}.",
            UNREACHABLE_HINT,
        )


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Leaves the request as it is (proxy settings from the environment still apply)."""
    return request


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port, with the scheme's default port filled in (``ghcr.io`` = ``ghcr.io:443``)."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def auth_error(host: str, status: int, method: str, challenge: str, anonymous: bool) -> RegistryAuthError:
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
