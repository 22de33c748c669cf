"""What a CI run says about itself: GitHub Actions for either front end (the command line runs in
workflows too), GitLab CI for the command line; the CI context of the options, and the job's
GitHub token as a credential for GitHub's own registry only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from akua_publish.options import CiContext
from akua_publish.reference import Credentials


def github_context(environ: Mapping[str, str]) -> CiContext:
    """The run as the runner's variables describe it (empty off GitHub)."""

    def env(name: str) -> str:
        return environ.get(name, "").strip()

    server, repository, run_id = env("GITHUB_SERVER_URL") or "https://github.com", env("GITHUB_REPOSITORY"), \
        env("GITHUB_RUN_ID")
    owner = env("GITHUB_REPOSITORY_OWNER")
    return CiContext(
        ref=env("GITHUB_REF"), commit=env("GITHUB_SHA"),
        repository_url=f"{server.rstrip('/')}/{repository}" if repository else "",
        workflow_ref=env("GITHUB_WORKFLOW_REF"), event=env("GITHUB_EVENT_NAME"),
        run_url=f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}" if repository and run_id else "",
        registry_namespace=f"{github_registry(server)}/{owner}" if owner else "",
        owner=owner, owner_kind=_owner_kind(env("GITHUB_EVENT_PATH")),
    )


def command_line_context(environ: Mapping[str, str]) -> CiContext:
    """The command line's CI: a GitHub workflow's (``GITHUB_REF``), else a GitLab pipeline's, whose tag
    (``CI_COMMIT_TAG``) gives the version as a GitHub tag does, else none (a laptop)."""
    if environ.get("GITHUB_REF", "").strip() or environ.get("GITLAB_CI", "").strip() != "true":
        return github_context(environ)

    def env(name: str) -> str:
        return environ.get(name, "").strip()

    tag = env("CI_COMMIT_TAG")
    return CiContext(ref=f"refs/tags/{tag}" if tag else "", commit=env("CI_COMMIT_SHA"),
                     repository_url=env("CI_PROJECT_URL"), event=env("CI_PIPELINE_SOURCE"),
                     run_url=env("CI_PIPELINE_URL"), owner=env("CI_PROJECT_NAMESPACE"))


def _owner_kind(event_path: str) -> str:
    """``User`` or ``Organization``, as the event's repository owner says (for GHCR's settings page)."""
    try:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
        kind = event["repository"]["owner"]["type"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return kind if kind in ("User", "Organization") else ""


def github_registry(server_url: str) -> str:
    """GitHub's own container registry: ``ghcr.io`` for github.com, ``containers.<host>`` on GHES."""
    host = (urlsplit(server_url).hostname or "github.com").lower()
    return "ghcr.io" if host == "github.com" else f"containers.{host}"


def github_token_credentials(username: str, token: str, environ: Mapping[str, str]) -> dict[str, Credentials]:
    """The job's token, for GitHub's own registry only: sent to Harbor, ECR or Docker Hub it would hand a
    third party a token that can write this repository's packages."""
    if not token:
        return {}
    server = environ.get("GITHUB_SERVER_URL", "").strip() or "https://github.com"
    return {github_registry(server): Credentials(username, token)}
