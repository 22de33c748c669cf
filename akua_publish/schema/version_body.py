"""The body of ``POST /packages/{id}/versions``, checked against Akua's own spec.

The body is checked before the push with a placeholder digest: a body Akua's
schema rejects would otherwise leave a pushed artifact with no version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from akua_publish.clients.akua_types import VersionBody
from akua_publish.errors import InputError, RequestBodyError
from akua_publish.schema.spec import first_problem
from akua_publish.wording import setting

PLACEHOLDER_REF = "sha256:" + "0" * 64
COMPAT_EXAMPLE = (
    '{"clusterTypes": ["eks"], "kubernetes": {"minVersion": "1.27"}, '
    '"placement": {"providers": "any", "regions": "any"}}'
)


def parse_compatibility(text: str, origin: str) -> dict[str, Any] | None:
    """The version's ``compatibility``: empty, or a JSON object (``origin`` names where it came from)."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{origin} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            f"Pass a JSON object, e.g. {COMPAT_EXAMPLE}",
        ) from exc
    if not isinstance(value, dict):
        raise InputError(
            f"{origin} is a JSON {type(value).__name__}, not an object.",
            f"Pass a JSON object, e.g. {COMPAT_EXAMPLE}",
        )
    return value


def build_body(
    semver: str, ref: str, input_schema: dict[str, Any], compatibility: Mapping[str, Any] | None
) -> VersionBody:
    return VersionBody(semver, ref, input_schema, compatibility)


def check_body(body: VersionBody) -> None:
    """Raise unless ``body`` satisfies ``CreatePackageVersionBody``."""
    problem = first_problem("CreatePackageVersionBody", body.to_json())
    if problem is None:
        return
    where, message = problem
    if where.startswith("/compatibility"):
        raise RequestBodyError(
            f"{setting('compatibility')} at {where[len('/compatibility'):] or '/'}: "
            f"{message}.",
            "It needs clusterTypes (list of strings), kubernetes ({minVersion?, maxVersion?}) "
            'and placement ({providers, regions}, each "any" or a list), and optionally '
            "kaas.networkProfile (linux_cilium or mixed_os_calico). Example: " + COMPAT_EXAMPLE,
        )
    raise RequestBodyError(
        f"The version request at {where}: {message}.",
        "This part of the request comes from the package; fix the value named above.",
    )
