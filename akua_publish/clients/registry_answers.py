"""How the registry client reads a registry's answers: the OCI error list, and the statuses it expects."""

from __future__ import annotations

from typing import Any

import requests

from akua_publish.errors import RegistryRejectedError

REJECTED_HINT = ("Check that the repository exists or may be created by these credentials, and that the registry "
                 "accepts OCI artifacts.")
BLOB_UNKNOWN = frozenset({"MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN"})


def error_codes(response: requests.Response) -> set[str]:
    """The codes of an answer's OCI error list (``{"errors": [{"code": ...}]}``)."""
    return {str(e.get("code")) for e in _errors(response)}


def _errors(response: requests.Response) -> list[dict[str, Any]]:
    """The OCI error list of an answer (``{"errors": [{"code", "message", ...}]}``), [] when it has none."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return []
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def expect_status(response: requests.Response, ok: tuple[int, ...], what: str) -> None:
    if response.status_code in ok:
        return
    detail = "; ".join(str(e.get("message", e)) for e in _errors(response))
    raise RegistryRejectedError(
        f"The registry refused the {what}: HTTP {response.status_code}" + (f" ({detail})" if detail else "") + ".",
        REJECTED_HINT)
