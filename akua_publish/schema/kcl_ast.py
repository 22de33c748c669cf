"""What Akua's exporter reads from a ``package.k``'s syntax tree rather than from the compiler.

The compiler's type mapping carries no attribute docstrings and no decorators,
so Akua's exporter (``export.rs``) walks the parser's AST for them; this is the
same walk, on kcl-lib's AST: per schema its docstring (trimmed), per attribute
the string written after it (as written) and the literal arguments of its
first ``@ui(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

I64 = (-(2**63), 2**63 - 1)


@dataclass
class Attr:
    """An attribute's docstring (as written) and ``x-ui`` (the first ``@ui``'s literal arguments)."""

    description: str | None = None
    x_ui: dict[str, Any] | None = None


@dataclass
class SchemaAst:
    """A schema's docstring (trimmed) and its attributes' annotations."""

    doc: str | None = None
    attrs: dict[str, Attr] = field(default_factory=dict)


def schema_annotations(ast: dict[str, Any]) -> dict[str, SchemaAst]:
    """Docstrings and ``@ui`` arguments of every top-level schema, from the AST."""
    found: dict[str, SchemaAst] = {}
    for module in (ast.get("pkgs") or {}).get("__main__") or []:
        for statement in module.get("body") or []:
            node = statement.get("node") or {}
            if node.get("type") != "Schema" or not (node.get("name") or {}).get("node"):
                continue
            name = node["name"]["node"]
            doc = (node.get("doc") or {}).get("node")
            info = SchemaAst(doc=_unquote(doc) or None if isinstance(doc, str) else None)
            body = node.get("body") or []
            for i, item in enumerate(body):
                stmt = item.get("node") or {}
                if stmt.get("type") != "SchemaAttr" or not (stmt.get("name") or {}).get("node"):
                    continue
                attr_name = stmt["name"]["node"]
                attr = Attr(x_ui=_x_ui(stmt.get("decorators") or []))
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
