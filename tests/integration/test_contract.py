"""The input-contract check end to end: seeded history in the emulator, a real registry, the action."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.contract.policy import baseline_version, may_break
from conftest import EXAMPLE, Target, error_lines, parse_annotation

CURRENT = json.loads((EXAMPLE / "exported/inputs.schema.json").read_text())


def with_legacy_input() -> dict[str, Any]:
    """The example's schema with one more input: the version being published drops it."""
    schema = copy.deepcopy(CURRENT)
    schema["properties"]["legacy"] = {"type": "string", "description": "Removed in the next version."}
    return schema


def without_ratio() -> dict[str, Any]:
    """The example's schema less an optional input: the version being published adds it."""
    schema = copy.deepcopy(CURRENT)
    del schema["properties"]["ratio"]
    return schema


def history(target: Target, *versions: tuple[str, Any]) -> None:
    """Replace the package's versions with these (oldest first)."""
    store = target.akua.store
    store.versions[target.package_id] = []
    for semver, schema in versions:
        store.seed_version(target.package_id, semver, schema)


def at_version(workspace: Path, semver: str) -> dict[str, str]:
    toml = workspace / "pkg" / "akua.toml"
    toml.write_text(re.sub(r'version = "[^"]+"', f'version = "{semver}"', toml.read_text(), count=1))
    return {"GITHUB_REF": f"refs/tags/v{semver}"}


def test_a_breaking_patch_is_refused_before_the_push(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    run = publish(env=at_version(workspace, "1.0.1"))
    assert run.returncode == 1, run.log
    [line] = error_lines(run)
    props, message = parse_annotation(line)
    assert props["title"] == "Breaking change to the input contract"
    assert "1.0.1 breaks the input contract of 1.0.0" in message and "/properties/legacy" in message
    assert "property-removed" in message and "KCL rejects" in message
    assert "Publish it as 2.0.0" in message and "`contract-check` input to warn" in message
    assert target.tags() == [] and target.created() == []


def test_a_major_bump_publishes_the_break(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    run = publish(env=at_version(workspace, "2.0.0"))
    assert run.returncode == 0, run.log
    assert run.outputs["contract"] == "breaking" and run.outputs["status"] == "published"
    assert "2.0.0 breaks the input contract of 1.0.0, as its semver announces." in run.log
    assert "::warning" not in run.stdout
    assert "#### Input contract: breaking against 1.0.0" in run.summary
    assert "| :boom: breaking | `/properties/legacy` | property-removed |" in run.summary


def test_warn_publishes_a_breaking_patch_and_says_so(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    run = publish(inputs={"contract-check": "warn"}, env=at_version(workspace, "1.0.1"))
    assert run.returncode == 0 and run.outputs["contract"] == "breaking", run.log
    assert "::warning title=Breaking input change::1.0.1 breaks the input contract of 1.0.0" in run.stdout
    assert "`contract-check` input is warn: it is published anyway" in run.log


def test_a_compatible_minor(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", without_ratio()), ("1.0.1", without_ratio()))
    run = publish(env=at_version(workspace, "1.1.0"))
    assert run.returncode == 0, run.log
    assert run.outputs["contract"] == "compatible"
    assert "Input contract against 1.0.1: compatible (1 compatible)" in run.log
    assert "| compatible | `/properties/ratio` | property-added |" in run.summary


def test_the_same_schema_again_is_unchanged(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", CURRENT))
    run = publish(env=at_version(workspace, "1.0.1"))
    assert run.returncode == 0 and run.outputs["contract"] == "unchanged", run.log
    assert "No change to the inputs." in run.summary


def test_the_first_version(publish, target: Target, workspace: Path) -> None:
    history(target)
    run = publish(env=at_version(workspace, "1.0.0"))
    assert run.returncode == 0 and run.outputs["contract"] == "first", run.log
    assert "The first version: nothing to compare with." in run.summary


def test_only_lower_versions_count_and_prereleases_sort_below_their_release(publish, target: Target,
                                                                         workspace: Path) -> None:
    """2.0.0 exists already (published from another branch) and 1.1.0-rc.1 sorts below 1.1.0: the baseline
    of 1.1.0 is 1.1.0-rc.1, whose schema equals this one, not 2.0.0 nor 1.0.0."""
    history(target, ("1.0.0", with_legacy_input()), ("2.0.0", without_ratio()), ("1.1.0-rc.1", CURRENT))
    run = publish(env=at_version(workspace, "1.1.0"))
    assert run.returncode == 0 and run.outputs["contract"] == "unchanged", run.log
    assert run.outputs["prerelease"] == "false"


def test_a_release_candidate_may_break_its_previous_candidate(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    refused = publish(env=at_version(workspace, "1.1.0-rc.1"))  # a minor's candidate may not break 1.0.0
    assert refused.returncode == 1 and "breaks the input contract of 1.0.0" in refused.log, refused.log
    history(target, ("1.0.0", CURRENT), ("1.1.0-rc.1", with_legacy_input()))
    run = publish(env=at_version(workspace, "1.1.0-rc.2"))  # but it may break the candidate before it
    assert run.returncode == 0 and run.outputs["contract"] == "breaking", run.log
    assert run.outputs["prerelease"] == "true"


def test_the_baseline_on_the_last_of_several_pages(publish, target: Target, workspace: Path) -> None:
    """250 versions, newest first: the highest below 1.5.1 was published first, so it is on page 3."""
    history(target, ("1.5.0", with_legacy_input()), *((f"1.0.{n}", CURRENT) for n in range(250)))
    run = publish(env=at_version(workspace, "1.5.1"))
    assert run.returncode == 1 and "breaks the input contract of 1.5.0" in run.log, run.log
    listed = [c for c in target.akua.store.calls if c[0] == "GET" and c[1].endswith(f"{target.package_id}/versions")]
    assert len(listed) == 3, listed
    assert target.tags() == []


def test_a_list_without_schemas_makes_the_action_read_the_baselines_own(publish, target: Target,
                                                                       workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    target.akua.store.lists_omit_schemas = True
    try:
        run = publish(env=at_version(workspace, "1.0.1"))
    finally:
        target.akua.store.lists_omit_schemas = False
    assert run.returncode == 1 and "/properties/legacy" in run.log, run.log
    assert any(c[0] == "GET" and c[1].endswith("/inputs") for c in target.akua.store.calls)


@pytest.mark.parametrize(("schema", "needle"), [
    ({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}, "draft-04"),
    ({"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"x": 5}}, "not a valid JSON Schema"),
    ({"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://example.com/s.json"},
     "not local"),
    ({}, "records no input schema"),
], ids=["unknown-dialect", "not-a-schema", "remote-ref", "empty"])
def test_a_baseline_that_cannot_be_compared_is_a_warning_not_a_failure(publish, target: Target, workspace: Path,
                                                                        schema: Any, needle: str) -> None:
    history(target, ("1.0.0", schema))
    run = publish(env=at_version(workspace, "1.0.1"))
    assert run.returncode == 0 and run.outputs["contract"] == "", run.log
    warnings = [line for line in run.stdout.splitlines() if "title=Input contract not compared" in line]
    assert len(warnings) == 1 and needle in warnings[0], run.log


def test_contract_check_off_compares_nothing(publish, target: Target, workspace: Path) -> None:
    history(target, ("1.0.0", with_legacy_input()))
    run = publish(inputs={"contract-check": "off"}, env=at_version(workspace, "1.0.1"))
    assert run.returncode == 0 and run.outputs["contract"] == "", run.log
    assert "#### Input contract" not in run.summary


def test_the_summary_renders_as_tables_on_github(publish, target: Target, workspace: Path) -> None:
    """cmark-gfm (GitHub's renderer): the install form and the changes are tables with one row per input
    or change, nested inputs indented, and a `|` inside a value does not split a cell."""
    history(target, ("1.0.0", with_legacy_input()))
    run = publish(env=at_version(workspace, "2.0.0"))
    html = cmarkgfm.github_flavored_markdown_to_html(run.summary)
    tables = re.findall(r"<table>.*?</table>", html, re.DOTALL)
    header_cells = [re.findall(r"<th[^>]*>(.*?)</th>", t) for t in tables]
    assert ["input", "type", "required", "default", "description"] in header_cells
    form_rows = sum(len(re.findall(r"<tr>", t)) - 1 for t, h in zip(tables, header_cells, strict=True)
                    if h and h[0] == "input")
    nested = len(CURRENT["properties"]["replicas"]["properties"])
    assert form_rows == len(CURRENT["properties"]) + nested
    for table in tables:
        widths = {len(re.findall(r"<t[dh][ >]", row)) for row in re.findall(r"<tr>.*?</tr>", table, re.DOTALL)}
        assert len(widths) == 1, table  # no row has more cells than the header
    assert "<strong>Scaling</strong>" in html and "↳ <code>min</code>" in html
    assert "<code>&quot;free&quot;</code>" in html or "&quot;free&quot; | &quot;pro&quot;" in html


@pytest.mark.parametrize(("versions", "semver", "expected"), [
    (["1.0.0", "1.2.0", "2.0.0"], "1.5.0", "1.2.0"),
    (["1.0.0", "1.1.0-rc.1", "1.1.0-rc.2"], "1.1.0", "1.1.0-rc.2"),
    (["1.1.0-rc.1", "1.1.0-rc.10", "1.1.0-rc.2"], "1.1.0-rc.11", "1.1.0-rc.10"),
    (["1.0.0+build.1"], "1.0.0+build.2", None),
    (["1.0.0+build.1", "0.9.0"], "1.0.1", "1.0.0+build.1"),
    (["not-a-semver", "0.1.0"], "0.2.0", "0.1.0"),
    ([], "1.0.0", None),
], ids=["highest-below", "prerelease-below-release", "numeric-identifiers", "build-metadata-is-equal",
        "build-metadata-ignored", "junk-ignored", "none"])
def test_the_baseline_is_the_highest_version_below(versions: list[str], semver: str, expected: str | None) -> None:
    found = baseline_version([PackageVersion(f"ver_{i}", v, "sha256:x", "") for i, v in enumerate(versions)], semver)
    assert (found.semver if found else None) == expected


@pytest.mark.parametrize(("baseline", "semver", "allowed"), [
    ("1.4.2", "2.0.0", True), ("1.4.2", "1.5.0", False), ("1.4.2", "1.4.3", False),
    ("0.3.1", "0.4.0", True), ("0.3.1", "0.3.2", False), ("0.0.3", "0.0.4", True),
    ("1.9.0", "2.0.0-rc.1", True), ("2.0.0-rc.1", "2.0.0-rc.2", True), ("2.0.0-rc.2", "2.0.0", False),
    ("1.4.2", "1.5.0-rc.1", False), ("0.3.1", "1.0.0", True),
], ids=str)
def test_which_semver_may_break(baseline: str, semver: str, allowed: bool) -> None:
    assert may_break(baseline, semver) is allowed
