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
exported as far as the parser recovers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KclExportError

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TYPES = {"str": "string", "int": "integer", "float": "number", "number": "number",
         "number_multiplier": "number", "bool": "boolean"}
I64 = (-(2**63), 2**63 - 1)
JSON_INTEGERS = (-(2**63), 2**64 - 1)  # serde_json reads integers beyond these as floats


@dataclass
class _Attr:
    description: str | None = None
    x_ui: dict[str, Any] | None = None


@dataclass
class _SchemaAst:
    doc: str | None = None
    attrs: dict[str, _Attr] = field(default_factory=dict)


def export_input_schema(path: Path, shown: str) -> dict[str, Any]:
    """The JSON Schema Akua exports from ``path`` (shown as ``shown`` in errors)."""
    from kcl_lib import api

    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise KclExportError(f"{shown} cannot be read: {reason}.", _HINT, file=shown) from None
    client = api.API()
    args = api.GetSchemaTypeMappingArgs(schema_name="Input")
    args.exec_args.k_filename_list.append(str(path))
    args.exec_args.k_code_list.append(source)
    args.exec_args.compile_only = True
    try:
        mapping = client.get_schema_type_mapping(args).schema_type_mapping
        parsed = client.parse_program(api.ParseProgramArgs(paths=[str(path)], sources=[source]))
    except Exception as exc:
        raise KclExportError(f"KCL cannot compile {shown}: {_first_line(exc)}.", _HINT, file=shown) from None
    if "Input" not in mapping:
        raise KclExportError(
            f"{shown} declares no `schema Input`: Akua takes the package's input contract from it.",
            "Declare `schema Input:` in package.k with the package's inputs as attributes.",
            file=shown,
        )
    root = _json_schema(mapping["Input"], "Input", _schemas(json.loads(parsed.ast_json)))
    root["$schema"] = DIALECT
    root.setdefault("title", "Input")
    exported: dict[str, Any] = _sorted(root)
    return exported


def syntax_errors(path: Path) -> list[str]:
    """What the KCL parser reports for ``path`` (Akua exports such a file anyway; rendering fails)."""
    from kcl_lib import api

    try:
        parsed = api.API().parse_file(api.ParseFileArgs(path=str(path)))
    except Exception:  # unreadable or not UTF-8: the export says so, as an error
        return []
    found = []
    for error in parsed.errors:
        if error.level == "error" and error.code != "Error(CannotFindModule)":
            message = error.messages[0] if error.messages else None
            where = f"line {message.pos.line}: " if message and message.pos.line else ""
            found.append(where + (message.msg if message else error.code))
    return found


_HINT = "Or set `schema-check: off` and commit the schema `akua pkg export` writes."


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _schemas(ast: dict[str, Any]) -> dict[str, _SchemaAst]:
    """Docstrings and ``@ui`` arguments of every top-level schema, from the AST."""
    found: dict[str, _SchemaAst] = {}
    for module in (ast.get("pkgs") or {}).get("__main__") or []:
        for statement in module.get("body") or []:
            node = statement.get("node") or {}
            if node.get("type") != "Schema" or not (node.get("name") or {}).get("node"):
                continue
            name = node["name"]["node"]
            doc = (node.get("doc") or {}).get("node")
            info = _SchemaAst(doc=_unquote(doc) or None if isinstance(doc, str) else None)
            body = node.get("body") or []
            for i, item in enumerate(body):
                stmt = item.get("node") or {}
                if stmt.get("type") != "SchemaAttr" or not (stmt.get("name") or {}).get("node"):
                    continue
                attr_name = stmt["name"]["node"]
                attr = _Attr(x_ui=_x_ui(stmt.get("decorators") or []))
                if i + 1 < len(body):
                    attr.description = _string_expr(body[i + 1].get("node") or {})
                info.attrs[attr_name] = attr
            found[name] = info
    return found


def _unquote(raw: str) -> str:
    """A schema docstring token without its quotes, trimmed (as Akua's ``unquote_docstring``)."""
    trimmed = raw.strip()
    for quote in ('"""', "'''", '"', "'"):
        if trimmed.startswith(quote) and trimmed.endswith(quote) and len(trimmed) >= 2 * len(quote):
            return trimmed[len(quote):len(trimmed) - len(quote)].strip()
    return trimmed


def _string_expr(node: dict[str, Any]) -> str | None:
    """An attribute docstring: the string expression right after the attribute, as written.

    Akua's parser keeps a triple-quoted string's text as written between the quotes;
    kcl-lib's dedents and trims it, so that text is taken from the raw token here.
    """
    exprs = node.get("exprs") or []
    if node.get("type") != "Expr" or not exprs:
        return None
    first = exprs[0].get("node") or {}
    value, raw = first.get("value"), first.get("raw_value")
    if first.get("type") != "StringLit" or not isinstance(value, str):
        return None
    if first.get("is_long_string") and isinstance(raw, str):
        for quote in ('"""', "'''"):
            if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 6:
                return _unescape(raw[3:-3])
    return value


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def _unescape(text: str) -> str:
    """KCL's escapes in a string's text (the common ones; others stay as written)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _x_ui(decorators: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The literal keyword arguments of the first ``@ui(...)``; anything else is dropped."""
    for decorator in decorators:
        call = decorator.get("node") or {}
        names = ((call.get("func") or {}).get("node") or {}).get("names") or []
        if names and names[0].get("node") == "ui":
            break
    else:
        return None
    found: dict[str, Any] = {}
    for keyword in call.get("keywords") or []:
        node = keyword.get("node") or {}
        names = ((node.get("arg") or {}).get("node") or {}).get("names") or []
        value = (node.get("value") or {}).get("node")
        if not names or value is None:
            continue
        literal = _literal(value)
        if literal is not _DROPPED:
            found[names[0]["node"]] = literal
    return found or None


_DROPPED = object()


def _literal(node: dict[str, Any]) -> Any:
    """Akua's ``literal_value``: strings, whole numbers within i64, floats, True/False/None, lists."""
    kind = node.get("type")
    if kind == "StringLit":
        return node.get("value", _DROPPED)
    if kind == "NumberLit":
        number = node.get("value") or {}
        value = number.get("value")
        if number.get("type") == "Int" and isinstance(value, int) and I64[0] <= value <= I64[1]:
            return value
        if number.get("type") == "Float" and isinstance(value, int | float):
            return float(value)
        return _DROPPED
    if kind == "NameConstantLit":
        constants: dict[Any, Any] = {"True": True, "False": False, "None": None}
        return constants.get(node.get("value"), _DROPPED)
    if kind == "List":
        items = [_literal(item.get("node") or {}) for item in node.get("elts") or []]
        return [item for item in items if item is not _DROPPED]
    return _DROPPED


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


def _json_schema(kcl: Any, attr_name: str, schemas: dict[str, _SchemaAst]) -> dict[str, Any]:
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
