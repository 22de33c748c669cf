"""The Akua API adapter: the only module that speaks HTTP to Akua.

It turns Akua's answers into values or into the error a user can act on,
quoting Akua's own messages from either error envelope Akua uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from akua_publish.about import USER_AGENT
from akua_publish.clients.akua_types import (
    ImportBody,
    Package,
    PackageVersion,
    RegistryConnection,
    RegistryConnections,
    VersionBody,
)
from akua_publish.clients.http import RETRY_STATUSES, TimeoutSession, connection_reason, retry_after, tls_problem
from akua_publish.clients.retry import RetryPolicy
from akua_publish.errors import (
    AkuaAuthError,
    AkuaNotFoundError,
    AkuaRejectedError,
    AkuaTlsError,
    AkuaUnavailableError,
    PublishError,
)
from akua_publish.wording import setting

PAGE_LIMIT = 100
MAX_PAGES = 1000
TOKEN_HINT = (
    f"Check {setting('api-token')}: it must be a current workspace API token (sk_akua_...) or OAuth2 token."
)


class _Withheld(Exception):
    """Akua would not list something the run only wanted to know (its answer, in words)."""


class _Bearer(requests.auth.AuthBase):
    """Bearer auth; an explicit auth object also keeps ``~/.netrc`` from overriding it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class AkuaClient:
    """Reads and the one POST; transient failures are retried by the policy.

    The POST is retried too: Akua takes no idempotency key, so a retried POST
    whose first attempt was committed answers 409, which ``publish`` resolves by
    looking the version up. A retry can therefore never create a duplicate.
    """

    def __init__(self, base_url: str, token: str, workspace: str, policy: RetryPolicy,
                 ca_bundle: str = "") -> None:
        self._base = base_url.rstrip("/")
        self._policy = policy
        self._session = TimeoutSession(policy.timeouts, ca_bundle, USER_AGENT)
        self._session.auth = _Bearer(token)
        if workspace:
            self._session.headers["akua-context"] = workspace

    def __enter__(self) -> AkuaClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections the session keeps (nothing is sent until the first call)."""
        self._session.close()

    def get_package(self, package_id: str) -> Package:
        response = self._call("GET", f"/packages/{quote(package_id)}")
        self._raise_for(response, package_id, "read the package")
        return Package.from_json(_json_object(response))

    def create_version(self, package_id: str, body: VersionBody) -> PackageVersion | None:
        """POST the version once; None means Akua answered 409 (the semver exists)."""
        response = self._call("POST", f"/packages/{quote(package_id)}/versions", json=body.to_json())
        if response.status_code == 409:
            return None
        self._raise_for(response, package_id, "register the version")
        return PackageVersion.from_json(_json_object(response))

    def find_version(self, package_id: str, semver: str) -> PackageVersion | None:
        """Page through the versions (the API has no filter) for ``semver``."""
        return next((version for version in self.versions(package_id) if version.semver == semver), None)

    def packages(self) -> Iterator[Package]:
        """Every package the token sees in the workspace, page by page."""
        yield from map(Package.from_json, self._pages("/packages", "", "list the packages"))

    def import_package(self, body: ImportBody, idempotency_key: str) -> Package | None:
        """POST /packages:import (retried with the same key, so a retry cannot create a second package);
        None means Akua answered 409 (a package of that name exists)."""
        response = self._call("POST", "/packages:import", json=body.to_json(),
                              headers={"idempotency-key": idempotency_key})
        if response.status_code == 409:
            return None
        if response.status_code == 403:
            raise AkuaAuthError(
                f"Akua answered HTTP 403 when asked to import the package: {error_messages(response).rstrip('.')}."
                " The token may not create packages.",
                f"Create the package in Akua (or with a token that may) and set {setting('package-id')} to its "
                "pkg_... id, or use a token that may create packages.",
            )
        self._raise_for(response, "", "import the package")
        return Package.from_json(_json_object(response))

    def registry_connections(self) -> RegistryConnections:
        """The workspace's registry connections, every page. A token that may not list them (403), or an
        Akua without the list (404), gets Akua's answer instead: the list is advice, not a condition of
        publishing."""

        def check(response: requests.Response, package_id: str, action: str) -> None:
            if response.status_code in (403, 404):
                raise _Withheld(f"HTTP {response.status_code}: {error_messages(response).rstrip('.')}")
            self._raise_for(response, package_id, action)

        try:
            found = [RegistryConnection.from_json(item)
                     for item in self._pages("/registry_connections", "", "list the registry connections", check)]
        except _Withheld as exc:
            return RegistryConnections(withheld=str(exc))
        return RegistryConnections(tuple(found))

    def version_inputs(self, package_id: str, version_id: str) -> Any:
        """A version's ``input_schema`` on its own (for a list entry that omits it)."""
        response = self._call("GET", f"/packages/{quote(package_id)}/versions/{quote(version_id)}/inputs")
        self._raise_for(response, package_id, "read a version's input schema")
        return _json_object(response)

    def versions(self, package_id: str) -> Iterator[PackageVersion]:
        """Every version of the package, newest first, page by page."""
        yield from map(PackageVersion.from_json,
                       self._pages(f"/packages/{quote(package_id)}/versions", package_id, "list the versions"))

    def _pages(self, path: str, package_id: str, action: str,
               check: Callable[[requests.Response, str, str], None] | None = None) -> Iterator[dict[str, Any]]:
        cursor = ""
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"limit": PAGE_LIMIT}
            if cursor:
                params["cursor"] = cursor
            response = self._call("GET", path, params=params)
            (check or self._raise_for)(response, package_id, action)
            page = _json_object(response)
            yield from (item for item in page.get("data") or [] if isinstance(item, dict))
            cursor = page.get("next_cursor") or ""
            if not page.get("has_more") or not cursor:
                return

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request, tried again (up to the policy's attempts) when it fails transiently."""
        return self._policy.run(lambda: self._attempt(method, path, **kwargs), f"{method} {path}")

    def _attempt(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self._session.request(method, self._base + path, **kwargs)
        except requests.Timeout as exc:
            raise self._policy.deadline_error(f"the Akua API ({method} {path})") or AkuaUnavailableError(
                f"The Akua API at {self._base} did not answer {method} {path} in time.",
                f"Check Akua's status and re-run the job (or raise {setting('timeout')}).",
            ) from exc
        except requests.RequestException as exc:
            problem = tls_problem(exc)
            if problem is not None:
                raise AkuaTlsError(
                    f"The TLS connection to the Akua API at {self._base} failed: {problem[1]}.",
                    f"Check {setting('api-url')}. For an API behind a private CA, point REQUESTS_CA_BUNDLE or "
                    "SSL_CERT_FILE at the CA's PEM file (for the action, a file under the "
                    "workspace: /github/workspace/...).",
                ) from exc
            raise AkuaUnavailableError(
                f"Cannot reach the Akua API at {self._base}: {connection_reason(exc)}.",
                f"Check {setting('api-url')} (default https://api.akua.dev/v1) and re-run the job.",
            ) from exc
        if response.status_code in RETRY_STATUSES:
            raise AkuaUnavailableError(
                f"Akua answered HTTP {response.status_code} to {method} {path}: "
                f"{error_messages(response).rstrip('.')}.",
                "Akua is failing or throttling; re-run the job later.", retry_after=retry_after(response),
            )
        return response

    def _raise_for(self, response: requests.Response, package_id: str, action: str) -> None:
        status = response.status_code
        if status in (200, 201):
            return
        said = f"Akua answered HTTP {status} when asked to {action}: {error_messages(response).rstrip('.')}."
        if status == 401:
            raise AkuaAuthError(said, TOKEN_HINT)
        if status == 403:
            raise AkuaAuthError(
                said,
                "The token is valid but may not do this here. Check that it belongs to the "
                f"package's workspace ({setting('workspace')} picks the workspace for broad tokens) and that it may "
                "publish versions.",
            )
        if status == 404:
            raise AkuaNotFoundError(
                said,
                f"Check {setting('package-id')} ({package_id}) and that the package is in the "
                f"workspace the token (or {setting('workspace')}) selects.",
            )
        if status == 422:
            raise AkuaRejectedError(
                said,
                "Akua reads the artifact back from the registry and exports the schema from "
                "package.k itself. If the registry is private, add a registry connection for "
                "it in the Akua workspace. If the schema differs, re-export it with "
                "`akua pkg export` and commit it.",
            )
        if status >= 500:
            raise AkuaUnavailableError(said, "Akua is failing; re-run the job later.")
        raise PublishError(said, "This answer is not part of Akua's API contract; report it.")


def error_messages(response: requests.Response) -> str:
    """Akua's own words from either envelope, else the raw text (shortened)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    found: list[str] = []
    if isinstance(body, dict):
        for entry in body.get("errors") or []:
            if isinstance(entry, dict) and entry.get("message"):
                where = ".".join(str(p) for p in entry.get("path") or [])
                found.append(f"{entry['message']}" + (f" (at {where})" if where else ""))
        single = body.get("error")
        if isinstance(single, dict) and single.get("message"):
            code = single.get("code")
            found.append(f"{single['message']}" + (f" ({code})" if code else ""))
    if found:
        return "; ".join(found)
    text = response.text.strip()
    return (text[:300] + "...") if len(text) > 300 else (text or "(empty body)")


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except (ValueError, json.JSONDecodeError):
        value = None
    if not isinstance(value, dict):
        raise AkuaUnavailableError(
            f"Akua answered HTTP {response.status_code} without a JSON object.",
            "This looks like a proxy or outage page in front of the API; re-run the job later.",
        )
    return value
