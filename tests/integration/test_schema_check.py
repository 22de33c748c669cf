"""The committed schema against package.k's export: drift, export on the fly, schema-check modes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Target, error_lines, parse_annotation

SCHEMA = "pkg/exported/inputs.schema.json"


def drift(workspace: Path) -> None:
    """Edit schema Input and forget to re-export, as users do."""
    package_k = workspace / "pkg" / "package.k"
    text = package_k.read_text().replace("port: int = 8080", "port: int = 9090")
    package_k.write_text(text.replace("    extra?: any\n", '    extra?: any\n\n    region: str = "eu"\n'))


def test_stale_schema_fails_before_the_push_with_a_readable_diff(publish, target: Target, workspace: Path) -> None:
    drift(workspace)
    run = publish()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "Exported schema is stale" and props["file"] == SCHEMA
    assert "/properties/port/default: the file has 8080, package.k exports 9090" in message
    assert '/properties/region: in package.k\'s export, not in the file ({"default": "eu"' in message
    assert "/required" in message
    assert "akua pkg export --out exported/inputs.schema.json" in message and "delete the file" in message
    target.assert_untouched()


def test_warn_reports_the_difference_and_goes_on(publish, target: Target, workspace: Path) -> None:
    drift(workspace)
    run = publish(inputs={"schema-check": "warn"})
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "/properties/port/default" in warnings[0], run.log
    assert target.holds_untagged(run), "warn must not stop the push (Akua then refuses the version: no tag)"
    _, message = parse_annotation(error_lines(run)[0])
    assert "HTTP 422" in message and "input_schema differs" in message  # Akua's own check still applies
    assert target.created() == []


def test_missing_schema_file_is_exported_and_sent(publish, target: Target, workspace: Path) -> None:
    committed = json.loads((workspace / SCHEMA).read_text())
    (workspace / SCHEMA).unlink()
    run = publish()
    assert run.returncode == 0, run.log
    assert "does not exist: exported the input schema from pkg/package.k" in run.log
    assert "exported from `pkg/package.k`" in run.summary
    [version] = target.created()
    assert version["input_schema"] == committed


def test_matching_schema_is_said_to_match(publish, target: Target) -> None:
    run = publish()
    assert run.returncode == 0 and "matches the schema exported from pkg/package.k" in run.log
    assert "(matches `pkg/package.k`)" in run.summary


def test_a_kcl_syntax_error_stops_the_run_before_the_export(publish, target: Target, workspace: Path) -> None:
    """Akua's exporter would export what its parser recovers; the run refuses the file first, at its line."""
    package_k = workspace / "pkg" / "package.k"
    package_k.write_text(package_k.read_text().replace("port: int = 8080", "port: int ="))
    run = publish()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["title"] == "package.k does not parse" and props["line"] == "25", message
    target.assert_untouched()


def test_unexportable_package_with_warn_sends_the_file(publish, target: Target, workspace: Path) -> None:
    (workspace / "pkg" / "package.k").write_text("schema Values:\n    a: int\n")
    run = publish(inputs={"schema-check": "warn"})
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "declares no `schema Input`" in warnings[0], run.log
    assert "sent without that check" in warnings[0]
    assert target.holds_untagged(run)


def test_no_schema_input_and_no_schema_file(publish, target: Target, workspace: Path) -> None:
    (workspace / SCHEMA).unlink()
    (workspace / "pkg" / "package.k").write_text("schema Values:\n    a: int\n")
    run = publish()
    assert run.returncode == 1, run.log
    props, message = parse_annotation(error_lines(run)[0])
    assert props["file"] == "pkg/package.k" and "declares no `schema Input`" in message
    target.assert_untouched()


def test_a_default_written_as_a_schema_instance_publishes_with_advice(publish, target: Target,
                                                                     workspace: Path) -> None:
    """Akua exports such a default as text, which its own `type: object` rejects; Akua accepts the version."""
    (workspace / SCHEMA).unlink()
    (workspace / "pkg" / "package.k").write_text(
        'schema Resources:\n    cpu: str = "100m"\n\nschema Input:\n'
        '    resources: Resources = Resources {cpu = "200m"}\n')
    run = publish()
    assert run.returncode == 0, run.log
    assert "::warning title=Input schema advice::" in run.stdout and "/properties/resources/default" in run.stdout
    [version] = target.created()
    assert version["input_schema"]["properties"]["resources"]["default"] == 'Resources {cpu = "200m"}'
