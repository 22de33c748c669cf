"""The input-contract diff: one case per rule and direction, nested and ``$ref`` cases, bad schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from akua_publish.contract.diff import UnknownDialect, compare, verdict
from akua_publish.contract.keywords import ABSENT
from akua_publish.schema.kcl_export import export_input_schema

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema = {"$schema": DIALECT, "type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


def prop(schema: dict[str, Any], name: str = "x") -> dict[str, Any]:
    """A one-property object: how most cases put the schema under test at /properties/x."""
    return obj({name: schema})


STR, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
LITERALS = {"oneOf": [{"type": "string", "const": c} for c in ("a", "b", "c")]}
P = "/properties/x"
B, C, NO, CO = "breaking", "compatible", "notable", "cosmetic"

CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, str, str]]]] = [
    ("identical", prop(STR), prop(STR), []),
    ("property-removed", obj({"x": STR, "y": STR}), prop(STR), [("/properties/y", B, "property-removed")]),
    ("property-added-optional", prop(STR), obj({"x": STR, "y": STR}), [("/properties/y", C, "property-added")]),
    ("property-added-required", prop(STR), obj({"x": STR, "y": STR}, ["y"]),
     [("/properties/y", B, "required-property-added")]),
    ("property-added-required-with-default", prop(STR), obj({"x": STR, "y": {**STR, "default": "d"}}, ["y"]),
     [("/properties/y", C, "property-added")]),
    ("optional-becomes-required", prop(STR), obj({"x": STR}, ["x"]), [(P, B, "property-now-required")]),
    ("optional-becomes-required-with-default", prop(STR), obj({"x": {**STR, "default": "d"}}, ["x"]),
     [(P, C, "required-with-default"), (f"{P}/default", C, "default-added")]),
    ("required-becomes-optional", obj({"x": STR}, ["x"]), prop(STR), [(P, C, "property-now-optional")]),
    ("number-to-integer", prop(NUM), prop(INT), [(f"{P}/type", B, "type-narrowed")]),
    ("integer-to-number", prop(INT), prop(NUM), [(f"{P}/type", C, "type-widened")]),
    ("string-to-integer", prop(STR), prop(INT), [(f"{P}/type", B, "type-changed")]),
    ("type-dropped", prop(STR), prop({}), [(f"{P}/type", C, "type-widened")]),
    ("type-given-to-any", prop({}), prop(STR), [(f"{P}/type", B, "type-narrowed")]),
    ("nullable-dropped", prop({"type": ["string", "null"]}), prop(STR), [(f"{P}/type", B, "type-narrowed")]),
    ("nullable-added", prop(STR), prop({"type": ["string", "null"]}), [(f"{P}/type", C, "type-widened")]),
    ("literal-removed", prop(LITERALS), prop({"oneOf": LITERALS["oneOf"][:2]}),
     [(f"{P}/oneOf/2", B, "branch-removed")]),
    ("literal-added", prop({"oneOf": LITERALS["oneOf"][:2]}), prop(LITERALS), [(f"{P}/oneOf/2", C, "branch-added")]),
    ("union-member-removed", prop({"oneOf": [INT, STR]}), prop({"oneOf": [INT]}),
     [(f"{P}/oneOf/1", B, "branch-removed")]),
    ("literals-to-any-string", prop(LITERALS), prop(STR), [(f"{P}/const", C, "values-widened")]),
    ("any-string-to-literals", prop(STR), prop(LITERALS), [(P, B, "alternatives-narrowed")]),
    ("enum-narrowed", prop({**STR, "enum": ["a", "b"]}), prop({**STR, "enum": ["a"]}),
     [(f"{P}/enum", B, "values-narrowed")]),
    ("enum-widened", prop({**STR, "enum": ["a"]}), prop({**STR, "enum": ["a", "b"]}),
     [(f"{P}/enum", C, "values-widened")]),
    ("enum-added", prop(STR), prop({**STR, "enum": ["a"]}), [(f"{P}/enum", B, "values-narrowed")]),
    ("enum-removed", prop({**STR, "enum": ["a"]}), prop(STR), [(f"{P}/enum", C, "values-widened")]),
    ("const-changed", prop({**STR, "const": "a"}), prop({**STR, "const": "b"}), [(f"{P}/const", B, "values-narrowed")]),
    ("const-to-enum-with-it", prop({**STR, "const": "a"}), prop({**STR, "enum": ["a", "b"]}),
     [(f"{P}/enum", C, "values-widened")]),
    ("minimum-raised", prop({**INT, "minimum": 1}), prop({**INT, "minimum": 2}),
     [(f"{P}/minimum", B, "constraint-tightened")]),
    ("minimum-lowered", prop({**INT, "minimum": 2}), prop({**INT, "minimum": 1}),
     [(f"{P}/minimum", C, "constraint-relaxed")]),
    ("minimum-added", prop(INT), prop({**INT, "minimum": 0}), [(f"{P}/minimum", B, "constraint-tightened")]),
    ("minimum-removed", prop({**INT, "minimum": 0}), prop(INT), [(f"{P}/minimum", C, "constraint-relaxed")]),
    ("maximum-lowered", prop({**INT, "maximum": 9}), prop({**INT, "maximum": 8}),
     [(f"{P}/maximum", B, "constraint-tightened")]),
    ("maximum-raised", prop({**INT, "maximum": 8}), prop({**INT, "maximum": 9}),
     [(f"{P}/maximum", C, "constraint-relaxed")]),
    ("min-length-raised", prop({**STR, "minLength": 1}), prop({**STR, "minLength": 3}),
     [(f"{P}/minLength", B, "constraint-tightened")]),
    ("max-length-raised", prop({**STR, "maxLength": 3}), prop({**STR, "maxLength": 9}),
     [(f"{P}/maxLength", C, "constraint-relaxed")]),
    ("min-items-raised", prop({"type": "array", "minItems": 0}), prop({"type": "array", "minItems": 1}),
     [(f"{P}/minItems", B, "constraint-tightened")]),
    ("max-items-lowered", prop({"type": "array", "maxItems": 5}), prop({"type": "array", "maxItems": 4}),
     [(f"{P}/maxItems", B, "constraint-tightened")]),
    ("pattern-added", prop(STR), prop({**STR, "pattern": "^a"}), [(f"{P}/pattern", B, "pattern-added")]),
    ("pattern-changed", prop({**STR, "pattern": "^a"}), prop({**STR, "pattern": "^b"}),
     [(f"{P}/pattern", B, "pattern-changed")]),
    ("pattern-removed", prop({**STR, "pattern": "^a"}), prop(STR), [(f"{P}/pattern", C, "pattern-removed")]),
    ("multiple-of-coarser", prop({**INT, "multipleOf": 2}), prop({**INT, "multipleOf": 4}),
     [(f"{P}/multipleOf", B, "constraint-tightened")]),
    ("multiple-of-finer", prop({**INT, "multipleOf": 4}), prop({**INT, "multipleOf": 2}),
     [(f"{P}/multipleOf", C, "constraint-relaxed")]),
    ("unique-items-added", prop({"type": "array"}), prop({"type": "array", "uniqueItems": True}),
     [(f"{P}/uniqueItems", B, "constraint-tightened")]),
    ("additional-properties-closed", prop({"type": "object"}), prop({"type": "object", "additionalProperties": False}),
     [(f"{P}/additionalProperties", B, "additional-properties-closed")]),
    ("additional-properties-opened", prop({"type": "object", "additionalProperties": False}), prop({"type": "object"}),
     [(f"{P}/additionalProperties", C, "additional-properties-opened")]),
    ("map-values-narrowed", prop({"type": "object", "additionalProperties": NUM}),
     prop({"type": "object", "additionalProperties": INT}), [(f"{P}/additionalProperties/type", B, "type-narrowed")]),
    ("list-items-changed", prop({"type": "array", "items": STR}), prop({"type": "array", "items": INT}),
     [(f"{P}/items/type", B, "type-changed")]),
    ("list-items-widened", prop({"type": "array", "items": INT}), prop({"type": "array", "items": NUM}),
     [(f"{P}/items/type", C, "type-widened")]),
    ("kcl-type-changed", prop({"x-akua-kcl-type": "k8s.Deployment"}), prop({"x-akua-kcl-type": "k8s.StatefulSet"}),
     [(f"{P}/x-akua-kcl-type", B, "kcl-type-changed")]),
    ("default-changed", prop({**INT, "default": 1}), prop({**INT, "default": 2}),
     [(f"{P}/default", NO, "default-changed")]),
    ("default-removed", prop({**INT, "default": 1}), prop(INT), [(f"{P}/default", NO, "default-removed")]),
    ("default-added", prop(INT), prop({**INT, "default": 1}), [(f"{P}/default", C, "default-added")]),
    ("default-1-is-1.0", prop({**NUM, "default": 1}), prop({**NUM, "default": 1.0}), []),
    ("default-true-is-not-1", prop({"default": True}), prop({"default": 1}), [(f"{P}/default", NO, "default-changed")]),
    ("description-changed", prop({**STR, "description": "a"}), prop({**STR, "description": "b"}),
     [(f"{P}/description", CO, "description-changed")]),
    ("x-ui-changed", prop({**STR, "x-ui": {"order": 1}}), prop({**STR, "x-ui": {"order": 2}}),
     [(f"{P}/x-ui", CO, "x-ui-changed")]),
    ("unknown-keyword-changed", prop({**STR, "contentEncoding": "base64"}), prop(STR),
     [(f"{P}/contentEncoding", NO, "keyword-not-judged")]),
    ("schema-closed", prop(True), prop(False), [(P, B, "schema-closed")]),
    ("nested-property-removed", prop(obj({"a": STR, "b": STR})), prop(obj({"a": STR})),
     [("/properties/x/properties/b", B, "property-removed")]),
    ("nested-required-added", prop(obj({"a": STR})), prop(obj({"a": STR, "b": INT}, ["b"])),
     [("/properties/x/properties/b", B, "required-property-added")]),
    ("ref-resolved-on-one-side", obj({"x": {"$ref": "#/$defs/Port"}}, **{"$defs": {"Port": NUM}}), prop(INT),
     [(f"{P}/type", B, "type-narrowed")]),
    ("ref-on-both-sides", obj({"x": {"$ref": "#/$defs/R"}}, **{"$defs": {"R": obj({"a": STR})}}),
     obj({"x": {"$ref": "#/$defs/R"}}, **{"$defs": {"R": obj({"a": STR, "b": STR})}}),
     [("/properties/x/properties/b", C, "property-added")]),
    ("ref-unchanged-target", obj({"x": {"$ref": "#/$defs/R"}}, **{"$defs": {"R": STR}}), prop(STR), []),
    ("ref-recursive", obj({"x": {"$ref": "#"}, "y": STR}), obj({"x": {"$ref": "#"}, "y": STR}), []),
]


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_classifies_its_change(old: dict[str, Any], new: dict[str, Any],
                                         expected: list[tuple[str, str, str]]) -> None:
    found = compare(copy.deepcopy(old), copy.deepcopy(new))
    assert sorted((c.pointer, c.kind, c.rule) for c in found) == sorted(expected), found
    assert verdict(found) == ("unchanged" if not expected else
                              "breaking" if any(k == B for _, k, _ in expected) else "compatible")


def test_a_change_carries_the_old_and_new_value_and_why() -> None:
    [change] = compare(prop({**INT, "minimum": 1}), prop({**INT, "minimum": 5}))
    assert (change.old, change.new) == (1, 5) and "refused" in change.why
    [removed] = compare(obj({"x": STR, "gone": INT}), prop(STR))
    assert removed.old == INT and removed.new is ABSENT and "KCL" in removed.why


@pytest.mark.parametrize("bad", [
    {"$schema": "https://example.com/my-dialect"}, {"$schema": "http://json-schema.org/draft-04/schema#"},
    [], "not a schema", obj({"x": {"$ref": "https://example.com/s.json"}}), obj({"x": {"$ref": "#/$defs/none"}}),
    obj({"x": 5}),
], ids=["unknown-dialect", "draft-04", "array", "string", "remote-ref", "dangling-ref", "property-not-a-schema"])
def test_a_schema_the_diff_does_not_know_is_refused_not_guessed(bad: Any) -> None:
    with pytest.raises(UnknownDialect):
        compare(bad, prop(STR))
    with pytest.raises(UnknownDialect):
        compare(prop(STR), bad)


PACKAGE_K = '''schema Input:
    """The inputs."""
    {fields}
'''


def exported(tmp_path: Path, fields: str) -> dict[str, Any]:
    path = tmp_path / "package.k"
    path.write_text(PACKAGE_K.format(fields=fields.replace("\n", "\n    ")))
    return export_input_schema(path, "package.k")


@pytest.mark.parametrize(("before", "after", "expected"), [
    ('name: str = "web"\nreplicas: int = 1', 'name: str = "web"\nreplicas: float = 1', [
        ("/properties/replicas/type", C, "type-widened")]),
    ('name: str = "web"', 'name: str = "web"\nport: int = 8080', [("/properties/port", C, "property-added")]),
    ('name: str = "web"', 'name: str = "web"\nport: int', [("/properties/port", B, "required-property-added")]),
    ('name: str = "web"\ntier: "a" | "b" = "a"', 'name: str = "web"\ntier: "a" = "a"', [
        ("/properties/tier/oneOf/1", B, "branch-removed")]),
    ('name: str = "web"\nport?: int', 'name: str = "web"', [("/properties/port", B, "property-removed")]),
    ('name: str = "web"', 'name: str = "api"', [("/properties/name/default", NO, "default-changed")]),
], ids=["float-widens-int", "new-input-with-default", "new-input-without-default", "literal-dropped",
        "optional-input-removed", "default-changed"])
def test_schemas_exported_from_package_k(tmp_path: Path, before: str, after: str,
                                         expected: list[tuple[str, str, str]]) -> None:
    """The diff on the exporter's own dialect: Akua marks defaulted attributes required."""
    old, new = exported(tmp_path, before), exported(tmp_path, after)
    found = [(c.pointer, c.kind, c.rule) for c in compare(old, new) if c.kind != CO]
    assert sorted(found) == sorted(expected), found
