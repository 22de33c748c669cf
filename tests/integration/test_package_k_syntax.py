"""A package.k that does not parse stops the run before the push, as Akua's own parser judges it.

Akua's exporter exports what its parser recovers from a broken file (so its server would register
such a version), but Akua's `check` and `lint` refuse the file and it cannot render. akua-publish
refuses it, with every error of the parser, each with its line: the errors are compared with
Akua's `lint` on a corpus of broken files (``tests/corpus/broken_package_k/``) and on every file of
the export corpus, which must parse on both sides alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from akua_publish.errors import KclExportError
from akua_publish.schema.kcl_export import export_input_schema, syntax_errors
from conftest import Target, error_lines, parse_annotation
from devtools.oracle import Oracle, OracleError

CORPUS = Path(__file__).parents[1] / "corpus"
BROKEN = sorted((CORPUS / "broken_package_k").glob("*.k"))
EVERY = BROKEN + sorted((CORPUS / "package_k").glob("*.k"))


def test_the_broken_corpus_is_broken_in_many_ways() -> None:
    assert len(BROKEN) >= 25
    assert sum(1 for path in BROKEN if syntax_errors(path)) >= 20


@pytest.mark.parametrize("package_k", EVERY, ids=[f"{p.parent.name}/{p.stem}" for p in EVERY])
def test_the_parse_errors_are_akuas(oracle: Oracle, package_k: Path) -> None:
    try:
        theirs = oracle.syntax_errors(package_k.read_bytes())
    except OracleError:  # Akua's parser panics (an integer type literal past i64): refused here one way or another
        if not syntax_errors(package_k):
            with pytest.raises(KclExportError):
                export_input_schema(package_k, package_k.name)
        return
    assert syntax_errors(package_k) == theirs


@pytest.mark.parametrize("name", ["missing-colon", "unclosed-string", "tab-space-mix"])
def test_a_package_k_that_does_not_parse_is_not_published(publish, target: Target, workspace: Path,
                                                          name: str) -> None:
    broken = (CORPUS / "broken_package_k" / f"{name}.k").read_bytes()
    (workspace / "pkg" / "package.k").write_bytes(broken)
    (workspace / "pkg" / "exported" / "inputs.schema.json").unlink()
    run = publish()
    assert run.returncode == 1, run.log
    expected = syntax_errors(workspace / "pkg" / "package.k")
    found = [parse_annotation(line) for line in error_lines(run)]
    assert len(found) == len(expected) >= 1
    for (props, message), (text, line) in zip(found, expected, strict=True):
        assert props["title"] == "package.k does not parse" and props["file"] == "pkg/package.k"
        assert props["line"] == str(line) and text in message and "Fix: " in message
    assert " are valid" not in run.log
    target.assert_untouched()


def test_the_log_calls_nothing_valid_after_a_warning(publish, target: Target, workspace: Path) -> None:
    schema = workspace / "pkg" / "exported" / "inputs.schema.json"
    schema.write_text(schema.read_text().replace('"title": "Input"', '"title": "Input", "$schema": 3', 1))
    run = publish(inputs={"schema-check": "warn"})
    assert "::warning" in run.stdout and " are valid" not in run.log, run.log
    assert "warning(s) above" in run.log
