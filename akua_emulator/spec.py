"""Akua's published API spec, read from the files the action bundles (the one thing the emulator shares
with it: ``akua_publish/schema/openapi-packages.json`` and, beside it, ``openapi-registry-connections.json``
which extends it; found by path, not imported).

Schemas are validated with jsonschema's 2020-12 validator, each given the spec's
``components`` beside it, so that ``#/components/...`` references resolve in the
spec itself and nothing is fetched.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parents[1] / "akua_publish" / "schema"
SPEC_FILES = (SPEC_DIR / "openapi-packages.json", SPEC_DIR / "openapi-registry-connections.json")


@cache
def spec() -> dict[str, Any]:
    """The documents as one: their paths and their component schemas together."""
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in SPEC_FILES]
    merged: dict[str, Any] = {**documents[0], "paths": {}, "components": dict(documents[0]["components"])}
    merged["components"]["schemas"] = {}
    for document in documents:
        merged["paths"].update(document["paths"])
        merged["components"]["schemas"].update(document["components"]["schemas"])
    return merged


def schema_validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({**schema, "components": spec()["components"]})


def json_pointer(path: Any) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path) if path else "/"
