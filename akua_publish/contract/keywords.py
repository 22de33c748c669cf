"""The keywords of input schemas judged one group at a time: what a change of a type, the allowed
values, a bound, a default or an annotation does to installs, with no sub-schema to walk.

``contract_diff`` walks two schemas (properties, items, alternatives, references)
and calls these at each place. Each reports through ``add``: where, the class,
the rule id, why, and the old and the new value where the change has them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from akua_publish.result import ABSENT
from akua_publish.schema.document import same_json

BREAKING, COMPATIBLE, NOTABLE, COSMETIC = "breaking", "compatible", "notable", "cosmetic"
CLASSES = (BREAKING, NOTABLE, COMPATIBLE, COSMETIC)  # most severe first
UNIONS = ("oneOf", "anyOf")
COSMETIC_WORDS = ("description", "title", "x-ui", "examples", "$comment", "deprecated", "readOnly", "writeOnly")
# Bounds: (keyword, whether a higher value is tighter)
_BOUNDS = (("minimum", True), ("exclusiveMinimum", True), ("minLength", True), ("minItems", True),
           ("minProperties", True), ("maximum", False), ("exclusiveMaximum", False), ("maxLength", False),
           ("maxItems", False), ("maxProperties", False))
_JUDGED = {"type", "properties", "required", "additionalProperties", "items", "oneOf", "anyOf", "enum", "const",
           "pattern", "default", "x-akua-kcl-type", "multipleOf", "uniqueItems", "$ref", "$defs", "definitions",
           "$schema", "$id", "format", *COSMETIC_WORDS, *(k for k, _ in _BOUNDS)}


Add = Callable[..., object]  # (where, class, rule id, why, *the old and the new value)


def default_changes(old: dict[str, Any], new: dict[str, Any], at: str, add: Add) -> None:
    """A default added, changed or removed: installs that leave the value unset get another one."""
    before, after = old.get("default", ABSENT), new.get("default", ABSENT)
    if same_json(before, after):
        return
    if after is ABSENT:
        add(f"{at}/default", NOTABLE, "default-removed",
            "installs that left it unset no longer get the old value", before, after)
    elif before is ABSENT:
        add(f"{at}/default", COMPATIBLE, "default-added", "installs that leave it unset get a value",
            before, after)
    else:
        add(f"{at}/default", NOTABLE, "default-changed",
            "installs that left it unset get the new value on upgrade", before, after)


def type_changes(old: dict[str, Any], new: dict[str, Any], at: str, add: Add) -> None:
    """``type`` (an integer is a number) and the KCL type Akua records beside it."""
    before, after = _types(old), _types(new)
    if before == after:
        pass
    elif after is None or (before is not None and _accepts(after, before)):
        add(f"{at}/type", COMPATIBLE, "type-widened", "every value of the old type is still accepted",
            old.get("type", ABSENT), new.get("type", ABSENT))
    else:
        narrowed = before is None or bool(before & after) or ("number" in before and "integer" in after)
        add(f"{at}/type", BREAKING, "type-narrowed" if narrowed else "type-changed",
            "values of the old type are refused", old.get("type", ABSENT), new.get("type", ABSENT))
    if old.get("x-akua-kcl-type", ABSENT) != new.get("x-akua-kcl-type", ABSENT):
        add(f"{at}/x-akua-kcl-type", BREAKING, "kcl-type-changed",
            "KCL checks values against this type, which is another one now",
            old.get("x-akua-kcl-type", ABSENT), new.get("x-akua-kcl-type", ABSENT))


def value_changes(old: dict[str, Any], new: dict[str, Any], at: str, add: Add) -> None:
    """``enum`` and ``const``: the values allowed."""
    before, after = _allowed(old), _allowed(new)
    if before == after:
        return
    word = "const" if "const" in new or ("const" in old and "enum" not in new) else "enum"
    if after is None:
        add(f"{at}/{word}", COMPATIBLE, "values-widened", "any value of the type is accepted now",
            _shown_values(old), ABSENT)
    elif before is not None and all(any(same_json(v, a) for a in after) for v in before):
        add(f"{at}/{word}", COMPATIBLE, "values-widened", "every value allowed before still is",
            _shown_values(old), _shown_values(new))
    else:
        add(f"{at}/{word}", BREAKING, "values-narrowed", "some values allowed before are refused",
            _shown_values(old) if before is not None else ABSENT, _shown_values(new))


def bound_changes(old: dict[str, Any], new: dict[str, Any], at: str, add: Add) -> None:
    """Minimums, maximums, lengths, counts, ``pattern``, ``format``, ``multipleOf``, ``uniqueItems``."""
    for word, higher_is_tighter in _BOUNDS:
        before, after = old.get(word, ABSENT), new.get(word, ABSENT)
        if same_json(before, after):
            continue
        tighter = after is not ABSENT and (before is ABSENT or (after > before) == higher_is_tighter)
        add(f"{at}/{word}", BREAKING if tighter else COMPATIBLE,
            "constraint-tightened" if tighter else "constraint-relaxed",
            "values within the old bound are refused" if tighter else "the bound accepts more",
            before, after)
    for word in ("pattern", "format"):
        before, after = old.get(word, ABSENT), new.get(word, ABSENT)
        if before != after:
            tighter = after is not ABSENT
            add(f"{at}/{word}", BREAKING if tighter else COMPATIBLE,
                f"{word}-{'added' if before is ABSENT else 'changed' if tighter else 'removed'}",
                "values that matched the old one may be refused" if tighter else "the check is gone",
                before, after)
    before, after = old.get("multipleOf", ABSENT), new.get("multipleOf", ABSENT)
    if before != after:
        divides = after is ABSENT or (before is not ABSENT and _divides(after, before))
        add(f"{at}/multipleOf", COMPATIBLE if divides else BREAKING,
            "constraint-relaxed" if divides else "constraint-tightened",
            "every multiple of the old step still is one" if divides else "old multiples are refused",
            before, after)
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        tighter = bool(new.get("uniqueItems"))
        add(f"{at}/uniqueItems", BREAKING if tighter else COMPATIBLE,
            "constraint-tightened" if tighter else "constraint-relaxed",
            "lists with repeated items are refused" if tighter else "repeats are accepted",
            old.get("uniqueItems", ABSENT), new.get("uniqueItems", ABSENT))


def annotation_changes(old: dict[str, Any], new: dict[str, Any], at: str, add: Add) -> None:
    """Cosmetic keywords, and any keyword this module does not judge (notable, never breaking)."""
    for word in sorted((set(old) | set(new)) - _JUDGED):
        if old.get(word, ABSENT) != new.get(word, ABSENT):
            add(f"{at}/{word}", NOTABLE, "keyword-not-judged",
                f"`{word}` changed; akua-publish does not judge this keyword: review it",
                old.get(word, ABSENT), new.get(word, ABSENT))
    for word in COSMETIC_WORDS:
        if old.get(word, ABSENT) != new.get(word, ABSENT):
            add(f"{at}/{word}", COSMETIC, f"{word}-changed", "shown to users, not checked",
                old.get(word, ABSENT), new.get(word, ABSENT))


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
