"""The schema export from package.k, judged by Akua's own core on a corpus of packages.

``tests/corpus/package_k/`` holds packages written to probe every construct of KCL's schema
language that can appear in ``schema Input``. For each, Akua's exporter (the oracle) and
akua-publish's must give the same JSON value, or both must fail; and the exact bytes Akua's CLI
writes, committed as the schema file, must pass ``schema-check: strict``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akua_publish.errors import KclExportError
from akua_publish.schema.document import load_schema, same_json, schema_diff
from akua_publish.schema.kcl_export import export_input_schema
from devtools.oracle import Oracle, OracleError

CORPUS = sorted((Path(__file__).parents[1] / "corpus" / "package_k").glob("*.k"))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello"


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 80


@pytest.mark.parametrize("package_k", CORPUS, ids=[p.stem for p in CORPUS])
def test_export_agrees_with_akua(oracle: Oracle, package_k: Path, tmp_path: Path) -> None:
    try:
        written = oracle.export_text(package_k.read_bytes())
    except OracleError as refused:
        with pytest.raises(KclExportError) as caught:
            export_input_schema(package_k, package_k.name)
        assert package_k.name in caught.value.message and caught.value.hint, refused
        return
    theirs = json.loads(written)
    ours = export_input_schema(package_k, package_k.name)
    assert same_json(ours, theirs), schema_diff(ours, theirs)
    assert list(ours) == sorted(ours), "keys are sorted as in Akua's output"
    committed = tmp_path / "inputs.schema.json"  # the file `akua pkg export` would write, byte for byte
    committed.write_bytes(written)
    assert schema_diff(load_schema(committed, "inputs.schema.json"), ours) == []


def test_the_example_package_commits_what_akuas_cli_writes(oracle: Oracle) -> None:
    written = oracle.export_text((EXAMPLE / "package.k").read_bytes())
    assert (EXAMPLE / "exported" / "inputs.schema.json").read_bytes() == written
    assert export_input_schema(EXAMPLE / "package.k", "package.k") == json.loads(written)


def test_package_without_schema_input(tmp_path: Path) -> None:
    path = tmp_path / "package.k"
    path.write_text("schema Values:\n    a: int\n")
    with pytest.raises(KclExportError, match=r"declares no `schema Input`") as caught:
        export_input_schema(path, "pkg/package.k")
    assert caught.value.file == "pkg/package.k"
