"""Export ``schema Input`` of a ``package.k`` to JSON Schema 2020-12, as Akua does.

Akua does not trust the schema a publisher sends: it exports it from the
artifact's ``package.k`` and rejects a version whose ``input_schema`` differs.
This module follows the same rules (the README's "Input schema export") with
the KCL toolchain's own Python package: the compiler reports the schema types
(``get_schema_type_mapping``) and the parser gives the AST, which carries what
the type mapping leaves out: attribute docstrings, ``@ui(...)`` decorators and
the spelling of types from imported modules.

Only ``package.k`` is read. Its imports (``akua.ctx``, chart modules) exist
only once Akua resolves dependencies; the compiler types what it cannot
resolve as ``any``, so nothing needs to be installed for them, and a type
named from such a module is exported as ``x-akua-kcl-type``, as Akua's
exporter does for anything it cannot map.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KclExportError

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASIC = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
LITERAL = re.compile(r"(str|int|float|bool)\((.*)\)", re.DOTALL)
TOLERATED = {"Error(CannotFindModule)"}  # imports resolved only by Akua


@dataclass
class _Attr:
    doc: str = ""
    ui: dict[str, Any] = field(default_factory=dict)
    ty: dict[str, Any] | None = None


@dataclass
class _Source:
    """What the AST says of each schema declared in package.k."""

    schemas: dict[str, dict[str, _Attr]] = field(default_factory=dict)


def export_input_schema(path: Path, shown: str) -> dict[str, Any]:
    """The JSON Schema Akua would export from ``path`` (shown as ``shown`` in errors)."""
    from kcl_lib import api

    client = api.API()
    try:
        parsed = client.parse_file(api.ParseFileArgs(path=str(path)))
    except Exception as exc:
        raise KclExportError(f"{shown} cannot be parsed: {_first_line(exc)}.", _HINT, file=shown) from None
    for error in parsed.errors:
        if error.level == "error" and error.code not in TOLERATED:
            message = error.messages[0] if error.messages else None
            where = f"{shown}:{message.pos.line}" if message and message.pos.line else shown
            text = message.msg if message else error.code
            raise KclExportError(
                f"{where}: KCL {error.code.removeprefix('Error(').rstrip(')')}: {text}.",
                "Fix package.k (`kcl run package.k` shows the same diagnostic). " + _HINT,
                file=shown, line=message.pos.line if message else None,
            )
    source = _index(json.loads(parsed.ast_json), shown)
    args = api.GetSchemaTypeMappingArgs(schema_name="Input")
    args.exec_args.k_filename_list.append(str(path))
    try:
        mapping = client.get_schema_type_mapping(args).schema_type_mapping
    except Exception as exc:
        raise KclExportError(f"KCL cannot compile {shown}: {_first_line(exc)}.", _HINT, file=shown) from None
    if "Input" not in mapping or mapping["Input"].type != "schema":
        raise KclExportError(
            f"{shown} declares no `schema Input`: Akua takes the package's input contract from it.",
            "Declare `schema Input:` in package.k with the package's inputs as attributes.",
            file=shown,
        )
    root = _schema(mapping["Input"], source)
    root["$schema"] = DIALECT
    root["title"] = "Input"
    exported: dict[str, Any] = _sorted(root)
    return exported


_HINT = "Or set `schema-check: off` and commit the schema `akua pkg export` writes."


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _index(ast: dict[str, Any], shown: str) -> _Source:
    source = _Source()
    for statement in ast.get("body") or []:
        node = statement["node"]
        if node.get("type") != "Schema":
            continue
        attrs: dict[str, _Attr] = {}
        body = node.get("body") or []
        for i, item in enumerate(body):
            stmt = item["node"]
            if stmt.get("type") != "SchemaAttr":
                continue
            attr = _Attr(ty=(stmt.get("ty") or {}).get("node"))
            attr.doc = _docstring(body[i + 1]["node"]) if i + 1 < len(body) else ""
            for decorator in stmt.get("decorators") or []:
                call = decorator["node"]
                if _names(call["func"]["node"]) == ["ui"]:
                    for keyword in call.get("keywords") or []:
                        name = _names(keyword["node"]["arg"]["node"])[-1]
                        attr.ui[name] = _literal(keyword["node"]["value"]["node"], shown, name,
                                                 keyword["node"]["value"].get("line"))
            attrs[stmt["name"]["node"]] = attr
        source.schemas[node["name"]["node"]] = attrs
    return source


def _docstring(stmt: dict[str, Any]) -> str:
    """KCL's attribute docstring: a lone string literal right after the attribute."""
    exprs = stmt.get("exprs") or []
    if stmt.get("type") == "Expr" and len(exprs) == 1 and exprs[0]["node"].get("type") == "StringLit":
        return str(exprs[0]["node"]["value"]).strip()
    return ""


def _names(identifier: dict[str, Any]) -> list[str]:
    return [part["node"] for part in identifier.get("names") or []]


def _literal(node: dict[str, Any], shown: str, name: str, line: int | None) -> Any:
    kind = node.get("type")
    if kind == "StringLit":
        return node["value"]
    if kind == "NumberLit" and not node.get("binary_suffix"):
        return node["value"]["value"]
    if kind == "NameConstantLit":
        return {"True": True, "False": False, "None": None}[node["value"]]
    if kind == "Unary" and node.get("op") == "USub":
        value = _literal(node["operand"]["node"], shown, name, line)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if kind == "List":
        return [_literal(item["node"], shown, name, line) for item in node.get("elts") or []]
    raise KclExportError(
        f"{shown}:{line}: the @ui argument `{name}` is not a literal; Akua exports only strings, "
        "numbers, booleans and lists of them as x-ui.",
        "Write the argument as a literal. " + _HINT, file=shown, line=line,
    )


def _default(text: str) -> Any:
    """KCL True/False become booleans; other literals are read as JSON, else kept as text."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return json.loads(text)
    except ValueError:
        return text


def _schema(kcl: Any, source: _Source) -> dict[str, Any]:
    attrs = source.schemas.get(kcl.schema_name, {})
    properties: dict[str, Any] = {}
    for name, prop in kcl.properties.items():
        attr = attrs.get(name, _Attr())
        sub = _type(prop, attr.ty, source)
        if prop.default:
            sub["default"] = _default(prop.default)
        if attr.doc:
            sub["description"] = attr.doc
        if attr.ui:
            sub["x-ui"] = attr.ui
        properties[name] = sub
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if kcl.required:
        out["required"] = list(kcl.required)
    if kcl.schema_doc:
        out["description"] = kcl.schema_doc
    return out


def _type(kcl: Any, ty: dict[str, Any] | None, source: _Source) -> dict[str, Any]:
    """One KCL type as JSON Schema; ``ty`` is the same type in the AST, where known."""
    kind = kcl.type
    ty_value = (ty or {}).get("value") or {}
    if kind in BASIC:
        return {"type": BASIC[kind]}
    literal = LITERAL.fullmatch(kind)
    if literal:
        base, raw = literal.groups()
        const: Any = {"str": str, "int": int, "float": float}.get(base, lambda v: v == "True")(raw)
        return {"type": BASIC[base], "const": const}
    if kind == "list":
        inner = (ty_value.get("inner_type") or {}).get("node") if (ty or {}).get("type") == "List" else None
        return {"type": "array", "items": _type(kcl.item, inner, source)}
    if kind == "dict":
        inner = (ty_value.get("value_type") or {}).get("node") if (ty or {}).get("type") == "Dict" else None
        return {"type": "object", "additionalProperties": _type(kcl.item, inner, source)}
    if kind == "union":
        elements = ty_value.get("type_elements") or [] if (ty or {}).get("type") == "Union" else []
        nodes = [e["node"] for e in elements] if len(elements) == len(kcl.union_types) else [None] * len(
            kcl.union_types)
        return {"oneOf": [_type(u, n, source) for u, n in zip(kcl.union_types, nodes, strict=True)]}
    if kind == "schema":
        return _schema(kcl, source)
    if kind == "any":
        written = _names(ty_value) if (ty or {}).get("type") == "Named" else []
        if written and ".".join(written) not in source.schemas:
            return {"x-akua-kcl-type": ".".join(written)}
        return {}
    return {"x-akua-kcl-type": kind}


def _sorted(value: Any) -> Any:
    """Keys sorted, as Akua writes them (arrays keep their order)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
