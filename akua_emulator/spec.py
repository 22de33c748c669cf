"""Akua's published API spec, read from the file the action bundles (the one thing the emulator shares
with it: ``akua_publish/schema/openapi-packages.json``, found by path, not imported).

Schemas are validated with jsonschema's 2020-12 validator, each given the spec's
``components`` beside it, so that ``#/components/...`` references resolve in the
spec itself and nothing is fetched.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).resolve().parents[1] / "akua_publish" / "schema" / "openapi-packages.json"


@cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return document


def schema_validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({**schema, "components": spec()["components"]})


def json_pointer(path: Any) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path) if path else "/"
