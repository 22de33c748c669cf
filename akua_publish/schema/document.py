"""The input schema file: reading it, comparing it with the export, and advice about it.

Akua accepts a version whose ``input_schema`` equals its own export of
package.k, whatever that export holds. So only what would make the request
itself fail (a file that cannot be read, is not JSON or not an object) is an
error here; everything else a careful publisher would want to know (an invalid
JSON Schema, a default its own rules reject) is a warning with its JSON pointer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from akua_publish.errors import SchemaError
from akua_publish.schema.spec import pointer
from akua_publish.wording import setting

# The input schema sent, as compact JSON, whether read from the file or exported from package.k. Akua's spec
# declares no limit on input_schema; this is akua-publish's own, one for both origins: an input schema describes
# an install form, and one past a mebibyte is the wrong file or a generated blow-up, not a form.
MAX_SCHEMA_BYTES = 1024 * 1024
MAX_FILE_BYTES = 16 * MAX_SCHEMA_BYTES  # what is read of the file at all (indentation takes room)
DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema"
EXPORT_HINT = "Re-export it with `akua pkg export --out exported/inputs.schema.json`."

# Keywords whose value is a subschema, a list of them, or a map of them.
_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains",
        "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def check_size(schema: dict[str, Any], origin: str, file: str) -> None:
    """The one limit on the input schema sent, whichever its origin (``MAX_SCHEMA_BYTES``)."""
    size = len(json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_SCHEMA_BYTES:
        raise SchemaError(
            f"The input schema ({origin}) is {size} bytes as compact JSON; akua-publish sends at most "
            f"{MAX_SCHEMA_BYTES} (1 MiB).",
            "An input schema describes an install form: check that `schema Input` in package.k (or the schema file) "
            "is the one meant, and that no large literal (a default, an enum) was generated into it.",
            file=file,
        )


def load_schema(path: Path, shown: str) -> dict[str, Any]:
    """Read the schema file; only what would make the request itself fail is an error here."""
    if not path.is_file():  # resolved already (``PackageOptions.schema_file``): a link was followed
        raise SchemaError(
            f"The schema file {shown} does not exist.",
            f"{EXPORT_HINT} Or point {setting('schema')} (relative to {setting('path')}) at it.",
            file=shown,
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SchemaError(
                f"{shown} is {size} bytes, which is past any input schema akua-publish sends "
                f"({MAX_SCHEMA_BYTES} bytes as compact JSON, 1 MiB).",
                "An input schema is a form description: check that the right file is used.",
                file=shown,
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{shown} is not valid UTF-8.", EXPORT_HINT, file=shown) from exc
    except OSError as exc:
        raise SchemaError(
            f"{shown} cannot be read: {exc.strerror}.", "Check its permissions.", file=shown
        ) from exc
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{shown} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            EXPORT_HINT,
            file=shown,
        ) from exc
    if not isinstance(schema, dict):  # Akua's API takes only an object as input_schema
        raise SchemaError(
            f"{shown} holds a JSON {type(schema).__name__}, not an object: "
            "an input schema is a JSON object.",
            EXPORT_HINT,
            file=shown,
        )
    check_size(schema, f"`{shown}`", shown)
    return schema


def schema_warnings(schema: dict[str, Any]) -> list[str]:
    """What makes a poor input schema, though Akua accepts it: warnings, never errors.

    Akua checks only that ``input_schema`` equals its own export of package.k, and
    its exporter writes some of these itself (a default written as a schema
    instance is exported as text, which its ``type: object`` rejects). Refusing
    them would refuse versions Akua accepts, so they are reported and the run goes on.
    """
    from jsonschema import validators
    from jsonschema.exceptions import best_match

    dialect = schema.get("$schema", DEFAULT_DIALECT)
    # None is a documented default ("if the class cannot be determined"); the stubs omit it.
    cls: Any = validators.validator_for({"$schema": dialect}, default=None) if isinstance(  # type: ignore[arg-type]
        dialect, str) else None
    if cls is None:
        return [f"at /$schema: unknown JSON Schema dialect {dialect!r}; form renderers may not read it"]
    found = [f"at {where or '/'}: $ref {ref!r} is not local; renderers will not fetch it"
             for where, ref in _refs(schema, "") if not (isinstance(ref, str) and ref.startswith("#"))]
    error = best_match(cls(cls.META_SCHEMA).iter_errors(schema))
    if error is not None:
        return [*found, f"at {pointer(error.absolute_path)}: not a valid JSON Schema ({dialect}): {error.message}"]
    if schema.get("type") != "object":
        found.append(f"at /type: the root is not \"type\": \"object\" (found {schema.get('type')!r})")
    root = cls(schema)
    for where, sub in _subschemas(schema, ""):
        if "default" in sub:
            problem = next(iter(root.evolve(schema=sub).iter_errors(sub["default"])), None)
            if problem is not None:
                found.append(f"at {where}/default: the default {_short(sub['default'])} does not satisfy its "
                             f"own schema ({problem.message}); an install form would start invalid")
    return found


def _subschemas(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema with its JSON pointer, following JSON Schema keywords only."""
    if not isinstance(node, dict):
        return
    yield where, node
    for key in _ONE:
        if isinstance(node.get(key), dict):
            yield from _subschemas(node[key], f"{where}/{key}")
    for key in (*_LIST, "items"):  # draft-07 and older also allow a list of item schemas
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield from _subschemas(sub, f"{where}/{key}/{i}")
    for key in _MAP:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield from _subschemas(sub, f"{where}/{key}{pointer([name])}")


def _refs(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    for sub_where, sub in _subschemas(node, where):
        for key in ("$ref", "$dynamicRef"):
            if key in sub:
                yield f"{sub_where}/{key}", sub[key]


def same_json(a: Any, b: Any) -> bool:
    """JSON value equality: key order ignored, but ``true`` is not ``1`` (unlike Python's ==)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def schema_diff(file_schema: Any, exported: Any, limit: int = 20) -> list[str]:
    """Readable differences (JSON pointer: how), key order ignored, at most ``limit`` lines."""
    lines: list[str] = []
    _diff(file_schema, exported, "", lines)
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def _diff(old: Any, new: Any, where: str, lines: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            at = where + pointer([key])
            if key not in new:
                lines.append(f"{at}: in the file, not in package.k's export ({_short(old[key])})")
            elif key not in old:
                lines.append(f"{at}: in package.k's export, not in the file ({_short(new[key])})")
            else:
                _diff(old[key], new[key], at, lines)
    elif not same_json(old, new):
        lines.append(f"{where or '/'}: the file has {_short(old)}, package.k exports {_short(new)}")


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
