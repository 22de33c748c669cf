"""The schema export from package.k: every rule of Akua's exporter, alone and combined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akua_publish.errors import KclExportError
from akua_publish.kcl_export import export_input_schema

D = "https://json-schema.org/draft/2020-12/schema"


def export(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "package.k"
    path.write_text(source)
    return export_input_schema(path, "pkg/package.k")


def root(properties: dict, required: list[str] | None = None, **extra: object) -> dict:
    out: dict = {"$schema": D, "title": "Input", "type": "object", "properties": properties, **extra}
    if required:
        out["required"] = required
    return out


PROBE = {"type": "object", "description": "A health probe.", "required": ["path"],
         "properties": {"path": {"type": "string", "default": "/healthz", "description": "HTTP path."},
                        "period": {"type": "integer"}}}
CONTAINER = {"type": "object", "description": "One container.", "required": ["image", "ports"],
             "properties": {"image": {"type": "string"}, "probe": PROBE,
                            "ports": {"type": "array", "items": {"type": "integer"}, "default": [80]}}}

CASES = {
    "basic-types-and-required": (
        """
schema Input:
    name: str
    count: int
    ratio: float
    enabled: bool
    nick?: str
""",
        root({"name": {"type": "string"}, "count": {"type": "integer"}, "ratio": {"type": "number"},
              "enabled": {"type": "boolean"}, "nick": {"type": "string"}},
             ["name", "count", "ratio", "enabled"]),
    ),
    "defaults-are-required-unless-optional": (
        """
schema Input:
    port: int = 8080
    debug: bool = False
    verbose?: bool = True
    ratio: float = 0.25
    name: str = "web"
    tags: [str] = ["a", "b"]
    labels: {str:str} = {app = "web"}
""",
        root({"port": {"type": "integer", "default": 8080},
              "debug": {"type": "boolean", "default": False},
              "verbose": {"type": "boolean", "default": True},
              "ratio": {"type": "number", "default": 0.25},
              "name": {"type": "string", "default": "web"},
              "tags": {"type": "array", "items": {"type": "string"}, "default": ["a", "b"]},
              # not JSON: kept as the KCL text
              "labels": {"type": "object", "additionalProperties": {"type": "string"},
                         "default": '{app = "web"}'}},
             ["port", "debug", "ratio", "name", "tags", "labels"]),
    ),
    "collections-nest": (
        """
schema Input:
    matrix: [[int]]
    index: {str:[str]}
    maps?: [{str:float}]
""",
        root({"matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
              "index": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
              "maps": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "number"}}}},
             ["matrix", "index"]),
    ),
    "unions-and-literals": (
        """
schema Input:
    apiVersion: "apps/v1"
    replicas: 3
    ratio: 0.5
    on: True
    off: False
    mode: "fast" | "safe" = "safe"
    size: int | str
    mixed?: int | "auto"
""",
        # KCL gives an attribute of a literal type that literal as its default.
        root({"apiVersion": {"type": "string", "const": "apps/v1", "default": "apps/v1"},
              "replicas": {"type": "integer", "const": 3, "default": 3},
              "ratio": {"type": "number", "const": 0.5, "default": 0.5},
              "on": {"type": "boolean", "const": True, "default": True},
              "off": {"type": "boolean", "const": False, "default": False},
              "mode": {"oneOf": [{"type": "string", "const": "fast"}, {"type": "string", "const": "safe"}],
                       "default": "safe"},
              "size": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
              "mixed": {"oneOf": [{"type": "integer"}, {"type": "string", "const": "auto"}]}},
             ["apiVersion", "replicas", "ratio", "on", "off", "mode", "size"]),
    ),
    "any-and-unmapped-types": (
        """
schema Input:
    extra: any
    memory: 1Ki
""",
        root({"extra": {}, "memory": {"x-akua-kcl-type": "number_multiplier(1Ki)", "default": "1Ki"}},
             ["extra", "memory"]),
    ),
    "nested-schemas-inline-with-docs": (
        '''
schema Probe:
    """A health probe."""
    path: str = "/healthz"
    """HTTP path."""
    period?: int

schema Container:
    """One container."""
    image: str
    probe?: Probe
    ports: [int] = [80]

schema Input:
    """The app.

    Multi-line docs."""
    main: Container
    """The main container."""
    sidecars?: [Container]
    backup: Probe | str
''',
        root({
            "main": {**CONTAINER, "description": "The main container."},
            "sidecars": {"type": "array", "items": CONTAINER},
            "backup": {"oneOf": [PROBE, {"type": "string"}]},
        # The compiler folds a multi-line docstring's lines into one.
        }, ["main", "backup"], description="The app.  Multi-line docs."),
    ),
    "ui-decorators-and-attribute-docs": (
        '''
schema Input:
    @ui(order=1, label="Replicas", min=-1, step=0.5, advanced=False, choices=["a", "b", 3])
    replicas: int = 2
    """How many pods."""

    @ui(widget="textarea")
    notes?: str
''',
        root({"replicas": {"type": "integer", "default": 2, "description": "How many pods.",
                           "x-ui": {"order": 1, "label": "Replicas", "min": -1, "step": 0.5, "advanced": False,
                                    "choices": ["a", "b", 3]}},
              "notes": {"type": "string", "x-ui": {"widget": "textarea"}}},
             ["replicas"]),
    ),
    "imports-checks-and-program-around-it": (
        '''
import akua.ctx
import charts.nginx as nginx

schema Input:
    """Inputs."""
    values?: nginx.Values
    """Passed to the chart."""
    name: str = "web"

    check:
        len(name) > 0, "name must not be empty"

input: Input = ctx.input()
resources = nginx.render({name = input.name, values = input.values})
''',
        root({"values": {"x-akua-kcl-type": "nginx.Values", "description": "Passed to the chart."},
              "name": {"type": "string", "default": "web"}},
             ["name"], description="Inputs."),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_export_rules(tmp_path: Path, name: str) -> None:
    source, expected = CASES[name]
    got = export(tmp_path, source)
    assert got == expected, json.dumps(got, indent=1)
    assert list(got) == sorted(got), "keys are sorted as in Akua's output"


def test_the_example_package_exports_its_committed_schema() -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "hello"
    exported = export_input_schema(example / "package.k", "package.k")
    assert exported == json.loads((example / "exported" / "inputs.schema.json").read_text())


def test_package_without_schema_input(tmp_path: Path) -> None:
    with pytest.raises(KclExportError, match=r"declares no `schema Input`") as caught:
        export(tmp_path, "schema Values:\n    a: int\n")
    assert caught.value.file == "pkg/package.k"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(KclExportError, match=r"pkg/package.k:4: KCL InvalidSyntax") as caught:
        export(tmp_path, "import akua.ctx\n\nschema Input:\n    name: str =\n    port: int\n")
    assert caught.value.line == 4 and caught.value.file == "pkg/package.k"


def test_non_literal_ui_argument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KclExportError, match=r"@ui argument `label` is not a literal"):
        export(tmp_path, 'prefix = "x"\n\nschema Input:\n    @ui(label=prefix)\n    a: str\n')
