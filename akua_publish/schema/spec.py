"""Akua's published API contract, bundled with the action.

The request body is validated against ``CreatePackageVersionBody`` of the very
spec Akua publishes, so that a body Akua would reject never leaves the machine.
The emulator uses the same helpers, so client and emulator cannot drift apart.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("openapi-packages.json")
SPEC_URI = "urn:akua:openapi-packages"


@cache
def spec() -> dict[str, Any]:
    """The parsed OpenAPI document (read once)."""
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def component(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec()["components"]["schemas"][name]
    return schema


@cache
def semver_pattern() -> re.Pattern[str]:
    """The spec's SemVer 2.0 pattern; ``re.ASCII`` keeps ``\\d`` to 0-9 as in ECMA."""
    raw = component("CreatePackageVersionBody")["properties"]["semver"]["pattern"]
    return re.compile(raw, re.ASCII)


def validator(schema: dict[str, Any]) -> Any:
    """A 2020-12 validator whose ``$ref``s resolve inside the bundled spec only.

    OpenAPI 3.1 schemas are JSON Schema 2020-12. References are rewritten to the
    spec's URN so nothing is ever fetched from the network.
    """
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator(_rebase(schema), registry=registry)


def component_validator(name: str) -> Any:
    return validator({"$ref": f"#/components/schemas/{name}"})


def _rebase(node: Any) -> Any:
    """Point local ``#/...`` references at the bundled spec's URN."""
    if isinstance(node, dict):
        out = {k: _rebase(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out["$ref"] = SPEC_URI + ref
        return out
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def pointer(parts: Any) -> str:
    """JSON pointer (RFC 6901) for a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"


def first_problem(component: str, value: Any) -> tuple[str, str] | None:
    """Where (a JSON pointer) and why ``value`` breaks the spec's schema ``component``, or None."""
    from jsonschema.exceptions import best_match

    error = best_match(component_validator(component).iter_errors(value))
    return None if error is None else (pointer(error.absolute_path), error.message)
