"""What changed between two versions' input schemas, and whether installs survive the upgrade.

An install of an Akua package holds input values written against the version it
was installed from. Upgraded, those values must still satisfy the new
``schema Input``: every difference is classed by that test (the rules are the
README's table, each with a rule id here or, for single keywords,
in ``contract_keywords``):

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

from collections.abc import Callable
from typing import Any

from akua_publish.contract.keywords import (
    BREAKING,
    CLASSES,
    COMPATIBLE,
    COSMETIC_WORDS,
    UNIONS,
    annotation_changes,
    bound_changes,
    default_changes,
    type_changes,
    value_changes,
)
from akua_publish.result import ABSENT, Change
from akua_publish.schema.document import same_json

KNOWN_DIALECTS = {
    "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema",
}


class UnknownDialect(ValueError):
    """The schema is not one this module can compare (dialect, or not a schema at all)."""


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
            raise UnknownDialect(f"it is not a valid JSON Schema ({exc.message} at {where})") from exc
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
        default_changes(old, new, at, self._add)
        if any(word in schema for word in UNIONS for schema in (old, new)):
            self._union(old, new, at, seen)
        else:
            type_changes(old, new, at, self._add)
            value_changes(old, new, at, self._add)
            bound_changes(old, new, at, self._add)
            self._properties(old, new, at, seen)
            self._additional(old, new, at, seen)
            if "items" in old or "items" in new:
                self.schema(old.get("items", {}), new.get("items", {}), f"{at}/items", seen)
        annotation_changes(old, new, at, self._add)

    def _add(self, at: str, kind: str, rule: str, why: str, *old_new: Any) -> None:
        """Report a change; ``old_new`` are the old and the new value where the change has them."""
        self.report(Change(at or "/", kind, rule, why, *old_new))

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
    return next((word for word in UNIONS if isinstance(schema.get(word), list)), "")


def _alternatives(schema: dict[str, Any]) -> list[Any]:
    """The schema's alternatives, each with the schema's other assertions merged in."""
    word = _union_word(schema)
    core = {k: v for k, v in schema.items() if k not in (*UNIONS, "default", *COSMETIC_WORDS)}
    if not word:
        return [core]
    return [{**core, **branch} if isinstance(branch, dict) else branch for branch in schema[word]]


def _breaks(old: Any, new: Any, roots: tuple[Any, Any]) -> bool:
    found: list[Change] = []
    _Walk(*roots, found.append).schema(old, new, "", set())
    return any(c.kind == BREAKING for c in found)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _summary(schema: Any) -> Any:
    """A short form of a sub-schema for the report: its type, or the schema itself when small."""
    if isinstance(schema, dict):
        return {k: v for k, v in schema.items() if k not in ("properties", "description", "x-ui")} or schema
    return schema
