"""The layout is the architecture: imports flow one way, front ends -> pipeline -> domains -> clients and
base modules, with no cycle anywhere (imports inside functions and under TYPE_CHECKING included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from akua_publish.frontends.inputs import INPUTS
from akua_publish.wording import terms

PACKAGE = Path(__file__).resolve().parents[2] / "akua_publish"
BASE = {"about", "cancellation", "errors", "wording", "reporter", "options", "result", "reference", "chunk_worker",
        "artifact", "progress"}
DOMAINS = {"package", "schema", "contract", "deps", "signing", "release"}
ALLOWED = {  # a layer, and the layers its modules may import
    "base": {"base"},
    "clients": {"base", "clients"},
    "domains": {"base", "clients", "domains"},
    "pipeline": {"base", "clients", "domains", "pipeline"},
    "api": {"base", "pipeline"},
    "frontends": {"base", "clients", "domains", "pipeline", "frontends"},
    "main": {"frontends"},
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def layer(module: str) -> str:
    top = module.split(".", maxsplit=1)[0]
    if module == "":
        return "api"
    if module == "__main__":
        return "main"
    if top in BASE:
        return "base"
    if top in DOMAINS:
        return "domains"
    return top  # clients, pipeline, frontends


def imports(path: Path) -> set[str]:
    """Every module of akua_publish this file imports, wherever the import stands."""
    known, found = modules(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "akua_publish":
            base = node.module.removeprefix("akua_publish").lstrip(".")
            names = [f"{base}.{a.name}".lstrip(".") if f"{base}.{a.name}".lstrip(".") in known else base
                     for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.removeprefix("akua_publish").lstrip(".") for a in node.names
                     if a.name.split(".")[0] == "akua_publish"]
        found.update(name for name in names if name in known)
    return found


GRAPH = {module: imports(path) - {module} for module, path in modules().items()}


@pytest.mark.parametrize("module", sorted(GRAPH), ids=lambda m: m or "akua_publish")
def test_imports_flow_one_way(module: str) -> None:
    wrong = {target for target in GRAPH[module] if layer(target) not in ALLOWED[layer(module)]}
    assert not wrong, f"{module} ({layer(module)}) imports {sorted(wrong)}"
    assert "" not in GRAPH[module] or module == "__main__", f"{module} imports the package's __init__"


def test_there_is_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "import cycle: " + " -> ".join([*path[path.index(module):], module])
        if module in done:
            return
        for target in sorted(GRAPH[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_each_subpackage_says_what_it_owns_and_may_import() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(doc) > 80, init
        if init.parent != PACKAGE:
            assert "import" in doc, f"{init} does not say what it may import"


def test_oras_is_imported_by_the_registry_client_only() -> None:
    users = [path for path in PACKAGE.rglob("*.py") if any(
        isinstance(node, (ast.Import, ast.ImportFrom)) and "oras" in ((node.module or "") if isinstance(
            node, ast.ImportFrom) else " ".join(a.name for a in node.names)).split(".")[:1]
        for node in ast.walk(ast.parse(path.read_text())))]
    assert [p.relative_to(PACKAGE).as_posix() for p in users] == ["clients/registry.py"]


def test_every_setting_a_message_names_is_an_input() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setting", "secret") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                assert node.args[0].value in INPUTS, f"{path}: {node.args[0].value}"
    assert terms("⟦setting:deadline⟧ and ⟦secret:api-token⟧") == [("setting", "deadline"), ("secret", "api-token")]
