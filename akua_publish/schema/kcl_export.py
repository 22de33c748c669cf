"""Export ``schema Input`` of a ``package.k`` to JSON Schema 2020-12, exactly as Akua does.

Akua does not trust the schema a publisher sends: it exports it from the
artifact's ``package.k`` and rejects a version whose ``input_schema`` differs.
This module is a port of Akua's exporter (``crates/akua-core/src/export.rs`` of
akua-dev/akuapkg) onto the KCL toolchain's own Python package, and the tests
compare it with Akua's real core on a corpus of packages. Like Akua's, it takes
the types, defaults and ``required`` from the compiler
(``get_schema_type_mapping``) and the docstrings and ``@ui(...)`` decorators
from the parser's AST, and it keeps Akua's surprises, because Akua's server
compares against its own export: docstrings as written (an attribute's
untrimmed, a schema's trimmed), a nested schema's own docstring before the
attribute's, only the first ``@ui`` decorator, ``@ui`` arguments that are not
literals (a negative number among them) dropped, types it cannot resolve (an
import that only Akua resolves) as ``{}``, and a file with syntax errors
exported as far as the parser recovers it (the run refuses such a file before
it exports anything: ``syntax_errors``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from akua_publish.errors import KclExportError
from akua_publish.schema.kcl_ast import I64, SchemaAst, schema_annotations
from akua_publish.wording import setting

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TYPES = {"str": "string", "int": "integer", "float": "number", "number": "number",
         "number_multiplier": "number", "bool": "boolean"}
JSON_INTEGERS = (-(2**63), 2**64 - 1)  # serde_json reads integers beyond these as floats


def export_input_schema(path: Path, shown: str) -> dict[str, Any]:
    """The JSON Schema Akua exports from ``path`` (shown as ``shown`` in errors)."""
    from kcl_lib import api

    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise KclExportError(f"{shown} cannot be read: {reason}.", _HINT, file=shown) from exc
    client = api.API()
    args = api.GetSchemaTypeMappingArgs(schema_name="Input")
    args.exec_args.k_filename_list.append(str(path))
    args.exec_args.k_code_list.append(source)
    args.exec_args.compile_only = True
    try:
        mapping = client.get_schema_type_mapping(args).schema_type_mapping
        parsed = client.parse_program(api.ParseProgramArgs(paths=[str(path)], sources=[source]))
    except Exception as exc:
        raise KclExportError(f"KCL cannot compile {shown}: {_first_line(exc)}.", _HINT, file=shown) from exc
    if "Input" not in mapping:
        raise KclExportError(
            f"{shown} declares no `schema Input`: Akua takes the package's input contract from it.",
            "Declare `schema Input:` in package.k, with one attribute per value an install gives.",
            file=shown,
        )
    root = _json_schema(mapping["Input"], "Input", schema_annotations(json.loads(parsed.ast_json)))
    root["$schema"] = DIALECT
    root.setdefault("title", "Input")
    exported: dict[str, Any] = _sorted(root)
    return exported


def syntax_errors(path: Path) -> list[tuple[str, int | None]]:
    """What the KCL parser reports for ``path``: (message, line) of each error. They are Akua's parser's
    own (its `check` and `lint` report the same messages and lines, compared in the tests), except
    an import that does not resolve, which is not a syntax error (Akua resolves ``akua.*`` and charts)."""
    from kcl_lib import api

    try:
        parsed = api.API().parse_file(api.ParseFileArgs(path=str(path)))
    except Exception:  # unreadable or not UTF-8: the export says so, as an error
        return []
    found: list[tuple[str, int | None]] = []
    for error in parsed.errors:
        if error.level == "error" and error.code != "Error(CannotFindModule)":
            message = error.messages[0] if error.messages else None
            found.append((message.msg if message else error.code, message.pos.line or None if message else None))
    return found


_HINT = f"Or set {setting('schema-check')} to off and commit the schema `akua pkg export` writes."


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _default(text: str) -> Any:
    """KCL True/False become booleans; other literals are read as JSON (as serde_json does), else kept as text."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return _as_serde_json(json.loads(text))
    except ValueError:
        return text


def _as_serde_json(value: Any) -> Any:
    """Integers serde_json cannot hold as integers become floats, as in Akua's output."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not JSON_INTEGERS[0] <= value <= JSON_INTEGERS[1]:
        return float(value)
    if isinstance(value, list):
        return [_as_serde_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_serde_json(item) for key, item in value.items()}
    return value


def _json_schema(kcl: Any, attr_name: str, schemas: dict[str, SchemaAst]) -> dict[str, Any]:
    """Akua's ``kcl_type_to_json_schema``, case for case."""
    out: dict[str, Any] = {}
    kind = kcl.type
    if kind == "schema":
        out["type"] = "object"
        ast = schemas.get(kcl.schema_name) or schemas.get(attr_name)
        if ast and ast.doc:
            out["description"] = ast.doc
        if kcl.properties:
            properties = {name: _json_schema(prop, name, schemas) for name, prop in kcl.properties.items()}
            for name, prop in properties.items():
                attr = ast.attrs.get(name) if ast else None
                if attr and attr.description is not None:
                    prop.setdefault("description", attr.description)
                if attr and attr.x_ui is not None:
                    prop["x-ui"] = attr.x_ui
            out["properties"] = properties
        if kcl.required:
            out["required"] = list(kcl.required)
    elif kind in TYPES:
        out["type"] = TYPES[kind]
    elif kind == "list":
        out["type"] = "array"
        if kcl.HasField("item"):
            out["items"] = _json_schema(kcl.item, attr_name, schemas)
    elif kind == "dict":
        out["type"] = "object"
        if kcl.HasField("item"):
            out["additionalProperties"] = _json_schema(kcl.item, attr_name, schemas)
    elif kind == "union":
        if kcl.union_types:
            out["oneOf"] = [_json_schema(variant, attr_name, schemas) for variant in kcl.union_types]
    elif kind != "any":
        out.update(_literal_type(kind))
    if kcl.default:
        out["default"] = _default(kcl.default)
    return out


def _literal_type(kind: str) -> dict[str, Any]:
    """``str(apps/v1)``, ``int(42)``, ``bool(True)``: the base type and a ``const``; else the KCL type."""
    base, paren, rest = kind.partition("(")
    if not paren or not kind.endswith(")"):
        return {"x-akua-kcl-type": kind}
    literal = rest[:-1]
    if base == "int":
        try:
            value = int(literal)
        except ValueError:
            return {"type": "integer"}
        return {"type": "integer", "const": value} if I64[0] <= value <= I64[1] else {"type": "integer"}
    if base in ("float", "number"):
        try:
            return {"type": "number", "const": float(literal)}
        except ValueError:
            return {"type": "number"}
    if base == "bool":
        return {"type": "boolean", "const": literal.lower() == "true"}
    if base == "str":
        return {"type": "string", "const": literal}
    return {"x-akua-kcl-type": kind}


def _sorted(value: Any) -> Any:
    """Keys sorted, as Akua writes them (arrays keep their order)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
