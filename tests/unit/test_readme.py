"""The README a newcomer reads in five minutes: short, its tables the action's own, its links alive."""

from __future__ import annotations

import re

import yaml

from akua_publish.frontends.inputs import TABLE
from devtools.action import ROOT

README = (ROOT / "README.md").read_text()


def table_rows(heading: str) -> list[list[str]]:
    section = README.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 300


def test_the_inputs_table_is_action_yml() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    rows = table_rows("Inputs")
    assert [row[0].strip("`") for row in rows] == list(action) == [entry.name for entry in TABLE]
    for row, entry in zip(rows, TABLE, strict=True):
        if entry.default:  # the default a run uses, whatever the row adds about fallbacks
            assert entry.default in row[1], (entry.name, row[1])
        if entry.env and not entry.env.startswith("GITHUB_"):
            assert entry.env in row[1] + row[2], (entry.name, "the environment fallback is not documented")


def test_the_outputs_table_is_action_yml() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())["outputs"]
    assert sorted(row[0].strip("`") for row in table_rows("Outputs")) == sorted(action)


def test_every_link_of_the_readme_and_the_docs_leads_somewhere() -> None:
    for page in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name}: {target}"
