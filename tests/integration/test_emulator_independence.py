"""The emulator stands in for Akua, not for the action: it can disagree with the action's code.

It imports nothing of akua_publish (only the spec file, by path), and each verification it
makes (the export, akua.toml, the vendored content, the artifact's metadata) asks Akua's
core. Each test here breaks the action's own check of one of them, publishes through the
library, and finds the emulator refusing what the broken action let through.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from akua_publish import AkuaOptions, LimitOptions, Options, PackageOptions, PublishError, publish
from akua_publish.reporter import LogReporter
from conftest import EMULATOR_LOG, Akua, Target
from devtools.action import ROOT


def options(target: Target, workspace: Path, version: str = "0.3.0") -> Options:
    return Options(akua=AkuaOptions(token=target.akua.token, api_url=target.akua.server.base_url),
                   package=PackageOptions(path=workspace / "pkg", shown="pkg", version=version,
                                          package_id=target.package_id),
                   limits=LimitOptions(max_attempts=1))


def refused(target: Target, workspace: Path, version: str = "0.3.0") -> str:
    with pytest.raises(PublishError) as raised:
        publish(options(target, workspace, version), LogReporter())
    assert "Akua answered HTTP 422" in raised.value.message, raised.value.message
    assert target.created() == []
    return raised.value.message


def test_the_emulator_imports_nothing_of_the_action(akua: Akua) -> None:
    for path in (ROOT / "akua_emulator").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any(name.split(".")[0] == "akua_publish" for name in names), path
    assert any("verified with Akua's own core" in line for line in EMULATOR_LOG)


def test_the_export(target: Target, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exporter of the action's that gets a docstring wrong agrees with a schema file written by it."""
    import json

    from akua_publish.schema import source
    from akua_publish.schema.kcl_export import export_input_schema

    def wrong(path: Path, shown: str) -> dict:
        schema = export_input_schema(path, shown)
        schema["description"] = "Not what Akua exports."
        return schema

    monkeypatch.setattr(source, "export_input_schema", wrong)
    schema_file = workspace / "pkg" / "exported" / "inputs.schema.json"
    schema_file.write_text(json.dumps(wrong(workspace / "pkg" / "package.k", "package.k")))
    assert "input_schema differs" in refused(target, workspace)


def test_akua_toml(target: Target, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest check of the action's that lets an edition Akua refuses through."""
    from akua_publish.package import akua_toml

    parse = akua_toml.parse
    monkeypatch.setattr(akua_toml, "parse", lambda text: (parse(text)[0], []))
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().replace('edition = "akua.dev/v1alpha1"', 'edition = "v1alpha1"'))
    assert "not a manifest Akua reads" in refused(target, workspace)


def test_the_vendored_content(target: Target, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fetcher of the action's that vendors one file more than the chart the lock pins."""
    from akua_publish.deps.oci import NetworkFetcher
    from devtools.dependencies import lock_file, push_chart

    digest = push_chart(target.registry, "charts/independent", "0.1.0")
    fetch = NetworkFetcher.oci

    def more(self: NetworkFetcher, *args: object) -> tuple[Path, str]:
        root, found = fetch(self, *args)  # type: ignore[arg-type]
        (root / "values-extra.yaml").write_text("not in the chart\n")
        return root, found

    monkeypatch.setattr(NetworkFetcher, "oci", more)
    oci = f"oci://{target.registry.host}/charts/independent"
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(toml.read_text().split("[dependencies]")[0]
                    + f'[dependencies]\nchart = {{ oci = "{oci}", version = "0.1.0" }}\n')
    (workspace / "pkg" / "akua.lock").write_text(lock_file([{"name": "chart", "version": "0.1.0", "source": oci,
                                                             "digest": digest}]))
    assert "not the ones Akua vendors" in refused(target, workspace)


def test_the_metadata(target: Target, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version check of the action's that lets a semver other than akua.toml's through."""
    from akua_publish.pipeline import local

    monkeypatch.setattr(local, "check_version_matches", lambda *args: None)
    assert "does not match the artifact's version 0.3.0" in refused(target, workspace, version="0.4.0")
