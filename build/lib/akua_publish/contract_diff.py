"""What changed between two versions' input schemas, and whether installs survive the upgrade.

An install of an Akua package holds input values written against the version it
was installed from. Upgraded, those values must still satisfy the new
``schema Input``: every difference is classed by that test (the rules are the
README's table, each with a rule id here):

- breaking: some values valid before are refused now (a property removed, a new
  required property without a default, a type narrowed, a constraint tightened);
- compatible: everything valid before is still valid;
- notable: still valid, but an upgraded install behaves differently (a default
  changed or removed), or a keyword this module does not judge changed;
- cosmetic: descriptions, titles and ``x-ui`` hints.

Akua exports every attribute that has a default as ``required``; a required
property with a default never makes an install that omits it invalid, so
"required" only counts without a default. Local ``$ref``s are resolved. A
schema in a dialect this module does not know raises ``UnknownDialect``: the
caller skips the comparison rather than guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .schema import same_json

KNOWN_DIALECTS = {
    "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema",
}
BREAKING, COMPATIBLE, NOTABLE, COSMETIC = "breaking", "compatible", "notable", "cosmetic"
CLASSES = (BREAKING, NOTABLE, COMPATIBLE, COSMETIC)  # most severe first
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(none)"})()
# Bounds: (keyword, whether a higher value is tighter)
_BOUNDS = (("minimum", True), ("exclusiveMinimum", True), ("minLength", True), ("minItems", True),
           ("minProperties", True), ("maximum", False), ("exclusiveMaximum", False), ("maxLength", False),
           ("maxItems", False), ("maxProperties", False))
_UNIONS = ("oneOf", "anyOf")
_COSMETIC = ("description", "title", "x-ui", "examples", "$comment", "deprecated", "readOnly", "writeOnly")
_JUDGED = {"type", "properties", "required", "additionalProperties", "items", "oneOf", "anyOf", "enum", "const",
           "pattern", "default", "x-akua-kcl-type", "multipleOf", "uniqueItems", "$ref", "$defs", "definitions",
           "$schema", "$id", "format", *_COSMETIC, *(k for k, _ in _BOUNDS)}


class UnknownDialect(ValueError):
    """The schema is not one this module can compare (dialect, or not a schema at all)."""


@dataclass(frozen=True)
class Change:
    pointer: str  # where, in the new schema (in the old one for what was removed)
    kind: str
    rule: str
    why: str
    old: Any = field(default=ABSENT)
    new: Any = field(default=ABSENT)


def compare(old: Any, new: Any) -> list[Change]:
    """Every difference from ``old`` to ``new``, most severe first, in schema order within a class."""
    for schema in (old, new):
        if not isinstance(schema, dict):
            raise UnknownDialect("the schema is not a JSON object")
        dialect = schema.get("$schema", next(iter(KNOWN_DIALECTS)))
        if dialect not in KNOWN_DIALECTS:
            raise UnknownDialect(f"the dialect {dialect!r} is not one akua-publish compares")
        from jsonschema.exceptions import SchemaError  # loaded in this phase only (start-up time)
        from jsonschema.validators import Draft202012Validator, validator_for

        try:
            validator_for(schema, default=Draft202012Validator).check_schema(schema)
        except SchemaError as exc:
            where = "/" + "/".join(str(part) for part in exc.path)
            raise UnknownDialect(f"it is not a valid JSON Schema ({exc.message} at {where})") from None
    changes: dict[tuple[str, str], Change] = {}  # one per place and rule (alternatives can repeat one)
    _Walk(old, new, lambda c: changes.setdefault((c.pointer, c.rule), c)).schema(old, new, "", set())
    return sorted(changes.values(), key=lambda c: CLASSES.index(c.kind))


def verdict(changes: list[Change]) -> str:
    """``unchanged``, ``compatible`` (nothing breaks, notable and cosmetic included) or ``breaking``."""
    if not changes:
        return "unchanged"
    return BREAKING if any(c.kind == BREAKING for c in changes) else COMPATIBLE


class _Walk:
    def __init__(self, old_root: Any, new_root: Any, report: Callable[[Change], object]) -> None:
        self.roots = (old_root, new_root)
        self.report = report

    def _resolve(self, schema: Any, side: int) -> Any:
        """Follow local ``$ref``s (``#/$defs/...``), at most 32 deep."""
        for _ in range(32):
            if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
                return schema
            ref = schema["$ref"]
            if not ref.startswith("#"):
                raise UnknownDialect(f"the reference {ref!r} is not local")
            target: Any = self.roots[side]
            for escaped in filter(None, ref[1:].split("/")):
                part = escaped.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise UnknownDialect(f"the reference {ref!r} leads nowhere")
                target = target[part]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if isinstance(target, dict) and siblings else target
        raise UnknownDialect("the references loop")

    def schema(self, old: Any, new: Any, at: str, seen: set[tuple[int, int]]) -> None:
        """Compare two sub-schemas; ``seen`` holds the pairs being compared above this one (recursion)."""
        old, new = self._resolve(old, 0), self._resolve(new, 1)
        key = (id(old), id(new))
        if key in seen or at.count("/") > 256:
            return
        seen.add(key)
        try:
            self._compare(old, new, at, seen)
        finally:
            seen.discard(key)

    def _compare(self, old: Any, new: Any, at: str, seen: set[tuple[int, int]]) -> None:
        if old is True or old == {}:
            old = {}
        if new is True or new == {}:
            new = {}
        if old is False or new is False:
            if old != new:
                self._add(at, BREAKING if new is False else COMPATIBLE, "schema-closed" if new is False
                          else "schema-opened", "nothing is accepted here any more" if new is False
                          else "values are accepted here now", old, new)
            return
        if not isinstance(old, dict) or not isinstance(new, dict):
            raise UnknownDialect(f"{at or '/'} is not a schema")
        self._default(old, new, at)
        if any(word in schema for word in _UNIONS for schema in (old, new)):
            self._union(old, new, at, seen)
        else:
            self._types(old, new, at)
            self._values(old, new, at)
            self._bounds(old, new, at)
            self._properties(old, new, at, seen)
            self._additional(old, new, at, seen)
            if "items" in old or "items" in new:
                self.schema(old.get("items", {}), new.get("items", {}), f"{at}/items", seen)
        self._annotations(old, new, at)

    def _annotations(self, old: dict[str, Any], new: dict[str, Any], at: str) -> None:
        for word in sorted((set(old) | set(new)) - _JUDGED):
            if old.get(word, ABSENT) != new.get(word, ABSENT):
                self._add(f"{at}/{word}", NOTABLE, "keyword-not-judged",
                          f"`{word}` changed; akua-publish does not judge this keyword: review it",
                          old.get(word, ABSENT), new.get(word, ABSENT))
        for word in _COSMETIC:
            if old.get(word, ABSENT) != new.get(word, ABSENT):
                self._add(f"{at}/{word}", COSMETIC, f"{word}-changed", "shown to users, not checked",
                          old.get(word, ABSENT), new.get(word, ABSENT))

    def _add(self, at: str, kind: str, rule: str, why: str, *old_new: Any) -> None:
        """Report a change; ``old_new`` are the old and the new value where the change has them."""
        self.report(Change(at or "/", kind, rule, why, *old_new))

    def _types(self, old: dict[str, Any], new: dict[str, Any], at: str) -> None:
        before, after = _types(old), _types(new)
        if before == after:
            pass
        elif after is None or (before is not None and _accepts(after, before)):
            self._add(f"{at}/type", COMPATIBLE, "type-widened", "every value of the old type is still accepted",
                      old.get("type", ABSENT), new.get("type", ABSENT))
        else:
            narrowed = before is None or bool(before & after) or ("number" in before and "integer" in after)
            self._add(f"{at}/type", BREAKING, "type-narrowed" if narrowed else "type-changed",
                      "values of the old type are refused", old.get("type", ABSENT), new.get("type", ABSENT))
        if old.get("x-akua-kcl-type", ABSENT) != new.get("x-akua-kcl-type", ABSENT):
            self._add(f"{at}/x-akua-kcl-type", BREAKING, "kcl-type-changed",
                      "KCL checks values against this type, which is another one now",
                      old.get("x-akua-kcl-type", ABSENT), new.get("x-akua-kcl-type", ABSENT))

    def _values(self, old: dict[str, Any], new: dict[str, Any], at: str) -> None:
        before, after = _allowed(old), _allowed(new)
        if before == after:
            return
        word = "const" if "const" in new or ("const" in old and "enum" not in new) else "enum"
        if after is None:
            self._add(f"{at}/{word}", COMPATIBLE, "values-widened", "any value of the type is accepted now",
                      _shown_values(old), ABSENT)
        elif before is not None and all(any(same_json(v, a) for a in after) for v in before):
            self._add(f"{at}/{word}", COMPATIBLE, "values-widened", "every value allowed before still is",
                      _shown_values(old), _shown_values(new))
        else:
            self._add(f"{at}/{word}", BREAKING, "values-narrowed", "some values allowed before are refused",
                      _shown_values(old) if before is not None else ABSENT, _shown_values(new))

    def _bounds(self, old: dict[str, Any], new: dict[str, Any], at: str) -> None:
        for word, higher_is_tighter in _BOUNDS:
            before, after = old.get(word, ABSENT), new.get(word, ABSENT)
            if same_json(before, after):
                continue
            tighter = after is not ABSENT and (before is ABSENT or (after > before) == higher_is_tighter)
            self._add(f"{at}/{word}", BREAKING if tighter else COMPATIBLE,
                      "constraint-tightened" if tighter else "constraint-relaxed",
                      "values within the old bound are refused" if tighter else "the bound accepts more",
                      before, after)
        for word in ("pattern", "format"):
            before, after = old.get(word, ABSENT), new.get(word, ABSENT)
            if before != after:
                tighter = after is not ABSENT
                self._add(f"{at}/{word}", BREAKING if tighter else COMPATIBLE,
                          f"{word}-{'added' if before is ABSENT else 'changed' if tighter else 'removed'}",
                          "values that matched the old one may be refused" if tighter else "the check is gone",
                          before, after)
        before, after = old.get("multipleOf", ABSENT), new.get("multipleOf", ABSENT)
        if before != after:
            divides = after is ABSENT or (before is not ABSENT and _divides(after, before))
            self._add(f"{at}/multipleOf", COMPATIBLE if divides else BREAKING,
                      "constraint-relaxed" if divides else "constraint-tightened",
                      "every multiple of the old step still is one" if divides else "old multiples are refused",
                      before, after)
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            tighter = bool(new.get("uniqueItems"))
            self._add(f"{at}/uniqueItems", BREAKING if tighter else COMPATIBLE,
                      "constraint-tightened" if tighter else "constraint-relaxed",
                      "lists with repeated items are refused" if tighter else "repeats are accepted",
                      old.get("uniqueItems", ABSENT), new.get("uniqueItems", ABSENT))

    def _default(self, old: dict[str, Any], new: dict[str, Any], at: str) -> None:
        before, after = old.get("default", ABSENT), new.get("default", ABSENT)
        if same_json(before, after):
            return
        if after is ABSENT:
            self._add(f"{at}/default", NOTABLE, "default-removed",
                      "installs that left it unset no longer get the old value", before, after)
        elif before is ABSENT:
            self._add(f"{at}/default", COMPATIBLE, "default-added", "installs that leave it unset get a value",
                      before, after)
        else:
            self._add(f"{at}/default", NOTABLE, "default-changed",
                      "installs that left it unset get the new value on upgrade", before, after)

    def _properties(self, old: dict[str, Any], new: dict[str, Any], at: str, seen: set[tuple[int, int]]) -> None:
        before, after = old.get("properties") or {}, new.get("properties") or {}
        required_before, required_after = set(old.get("required") or []), set(new.get("required") or [])
        for name in [*before, *(n for n in after if n not in before)]:
            where = f"{at}/properties/{_escape(name)}"
            if name not in after:
                self._add(where, BREAKING, "property-removed",
                          "installs that set it are refused (KCL rejects attributes the schema lacks)",
                          _summary(before[name]), ABSENT)
                continue
            defaulted = "default" in self._resolve(after[name], 1) if isinstance(after[name], dict) else False
            if name not in before:
                needed = name in required_after and not defaulted
                self._add(where, BREAKING if needed else COMPATIBLE,
                          "required-property-added" if needed else "property-added",
                          "installs lack a value for it" if needed else
                          ("installs get its default" if defaulted else "installs may leave it unset"),
                          ABSENT, _summary(after[name]))
                continue
            if name in required_after and name not in required_before:
                self._add(where, COMPATIBLE if defaulted else BREAKING,
                          "required-with-default" if defaulted else "property-now-required",
                          "installs that left it unset get its default" if defaulted
                          else "installs that left it unset are refused", "optional", "required")
            elif name in required_before and name not in required_after:
                self._add(where, COMPATIBLE, "property-now-optional", "installs may still set it",
                          "required", "optional")
            self.schema(before[name], after[name], where, seen)

    def _additional(self, old: dict[str, Any], new: dict[str, Any], at: str, seen: set[tuple[int, int]]) -> None:
        before, after = old.get("additionalProperties", ABSENT), new.get("additionalProperties", ABSENT)
        if before is ABSENT and after is ABSENT:
            return
        closed_before, closed_after = before is False, after is False
        if closed_after and not closed_before:
            self._add(f"{at}/additionalProperties", BREAKING, "additional-properties-closed",
                      "keys not listed in properties are refused", before, after)
        elif closed_before and not closed_after:
            self._add(f"{at}/additionalProperties", COMPATIBLE, "additional-properties-opened",
                      "keys not listed in properties are accepted", before, after)
        elif not closed_after:
            self.schema({} if before is ABSENT else before, {} if after is ABSENT else after,
                        f"{at}/additionalProperties", seen)

    def _union(self, old: dict[str, Any], new: dict[str, Any], at: str, seen: set[tuple[int, int]]) -> None:
        """Alternatives (``oneOf``/``anyOf``; a schema without either is its own one alternative): every
        old one must fit some new one, else the values it allowed are refused."""
        word = "oneOf" if "oneOf" in old or "oneOf" in new else "anyOf"
        old_alternatives, new_alternatives = _alternatives(old), _alternatives(new)
        matched: set[int] = set()
        for index, alternative in enumerate(old_alternatives):
            fits = [i for i, candidate in enumerate(new_alternatives)
                    if not _breaks(alternative, candidate, self.roots)]
            if not fits:
                where = f"{at}/{word}/{index}" if _union_word(old) else at
                self._add(where, BREAKING, "branch-removed" if _union_word(old) else "alternatives-narrowed",
                          "values of this alternative are refused", _summary(alternative), ABSENT)
                continue
            same = [i for i in fits if same_json(self._resolve(new_alternatives[i], 1), self._resolve(alternative, 0))]
            chosen = (same or fits)[0]
            matched.add(chosen)
            self.schema(alternative, new_alternatives[chosen], f"{at}/{word}/{chosen}" if _union_word(new) else at,
                        seen)
        for index, alternative in enumerate(new_alternatives):
            if index not in matched and (matched or _union_word(old)):
                self._add(f"{at}/{word}/{index}" if _union_word(new) else at, COMPATIBLE, "branch-added",
                          "one more alternative is accepted", ABSENT, _summary(alternative))


def _union_word(schema: dict[str, Any]) -> str:
    return next((word for word in _UNIONS if isinstance(schema.get(word), list)), "")


def _alternatives(schema: dict[str, Any]) -> list[Any]:
    """The schema's alternatives, each with the schema's other assertions merged in."""
    word = _union_word(schema)
    core = {k: v for k, v in schema.items() if k not in (*_UNIONS, "default", *_COSMETIC)}
    if not word:
        return [core]
    return [{**core, **branch} if isinstance(branch, dict) else branch for branch in schema[word]]


def _breaks(old: Any, new: Any, roots: tuple[Any, Any]) -> bool:
    found: list[Change] = []
    _Walk(*roots, found.append).schema(old, new, "", set())
    return any(c.kind == BREAKING for c in found)


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _accepts(after: frozenset[str], before: frozenset[str]) -> bool:
    return all(t in after or (t == "integer" and "number" in after) for t in before)


def _allowed(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _shown_values(schema: dict[str, Any]) -> Any:
    return schema["const"] if "const" in schema else schema.get("enum", ABSENT)


def _divides(step: Any, multiple: Any) -> bool:
    try:
        ratio = float(multiple) / float(step)
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return math.isclose(ratio, round(ratio))


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _summary(schema: Any) -> Any:
    """A short form of a sub-schema for the report: its type, or the schema itself when small."""
    if isinstance(schema, dict):
        return {k: v for k, v in schema.items() if k not in ("properties", "description", "x-ui")} or schema
    return schema
