"""Which input schema is sent: the committed file, checked against package.k, or the export.

Akua exports the schema from the artifact's package.k and rejects a version
whose ``input_schema`` differs, after the artifact is pushed. Comparing here,
before the push, turns that late 422 into an early, readable diff.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from akua_publish.errors import KclExportError, PackageKSyntaxError, SchemaDriftError
from akua_publish.options import CheckMode, PackageOptions, shown_in
from akua_publish.reporter import Reporter
from akua_publish.schema.document import check_size, load_schema, schema_diff, schema_warnings
from akua_publish.schema.kcl_export import export_input_schema, syntax_errors
from akua_publish.wording import setting


@dataclass(frozen=True)
class InputSchema:
    schema: dict[str, Any]
    origin: str  # for the log and the summary
    warnings: int = 0  # warned about the schema or package.k: the log does not call them valid then


def resolve_input_schema(package: PackageOptions, mode: CheckMode, reporter: Reporter) -> InputSchema:
    """The schema to send, and warnings for what Akua accepts but a careful publisher would fix.

    A package.k that does not parse stops the run first: Akua's exporter would still export
    what its parser recovers, but the package cannot render, and Akua's own `check` refuses it.
    """
    shown_k = shown_in(package.shown, "package.k")
    if mode != CheckMode.OFF:
        problems = syntax_errors(package.path / "package.k")
        if problems:
            raise PackageKSyntaxError(shown_k, problems, "Fix each line named (`akua pkg check` shows the same "
                                      "errors), or, if Akua's own `check` accepts the file, set "
                                      f"{setting('schema-check')} to off and report the difference.")
    chosen = _choose(package, mode, reporter)
    advice = schema_warnings(chosen.schema)
    for problem in advice:
        reporter.warning(f"The input schema ({chosen.origin}) {problem}.", title="Input schema advice")
    return replace(chosen, warnings=chosen.warnings + len(advice))


def _choose(package: PackageOptions, mode: CheckMode, reporter: Reporter) -> InputSchema:
    package_k = package.path / "package.k"
    shown_k = shown_in(package.shown, "package.k")
    present = package.schema_file.is_file()
    if not present and mode != CheckMode.OFF:
        exported = export_input_schema(package_k, shown_k)
        origin = f"exported from `{shown_k}` by akua-publish"
        check_size(exported, origin, shown_k)
        reporter.info(f"{package.schema_shown} does not exist: exported the input schema from {shown_k}.")
        return InputSchema(exported, origin)
    schema = load_schema(package.schema_file, package.schema_shown)
    origin = f"`{package.schema_shown}`"
    if mode == CheckMode.OFF:
        return InputSchema(schema, origin + " (not compared with package.k: schema-check off)")
    try:
        exported = export_input_schema(package_k, shown_k)
    except KclExportError as exc:
        if mode == CheckMode.STRICT:
            raise
        reporter.warning(f"{exc.wording.message} {package.schema_shown} is sent without that check.",
                         title=exc.title)
        return InputSchema(schema, origin + " (not compared: package.k could not be exported)", warnings=1)
    differences = schema_diff(schema, exported)
    if not differences:
        reporter.info(f"{package.schema_shown} matches the schema exported from {shown_k}.")
        return InputSchema(schema, origin + f" (matches `{shown_k}`)")
    text = (f"{package.schema_shown} is not the schema {shown_k} exports, so Akua would reject the "
            "version: " + "; ".join(differences) + ".")
    if mode == CheckMode.WARN:
        reporter.warning(text, title=SchemaDriftError.title)
        return InputSchema(schema, origin + f" (differs from `{shown_k}`: schema-check warn)", warnings=1)
    raise SchemaDriftError(
        text,
        f"Re-export it with `akua pkg export --out {package.schema}` and commit it, or delete the file and let "
        "akua-publish export the schema from package.k.",
        file=package.schema_shown,
    )
