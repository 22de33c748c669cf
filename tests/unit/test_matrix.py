"""A plan's matrix (``pipeline.matrix``) and how the summary shows a plan: an entry per package to publish, with
the folders of the new sibling versions it depends on before its own, and its wave."""

from __future__ import annotations

from akua_publish.frontends.github.summary import batch_summary
from akua_publish.frontends.rendering import batch_outputs
from akua_publish.pipeline import Batch, Outcome, PackageRun
from akua_publish.pipeline.matrix import plan_matrix
from akua_publish.result import PublishResult, Status


def test_a_chain_carries_every_folder_it_needs_once_dependencies_first() -> None:
    entries = plan_matrix([("base", "charts/base", "1.0.0", ()), ("lib", "charts/lib", "2.0.0", ("base",)),
                           ("app", "charts/app", "3.0.0", ("lib", "base")), ("solo", "charts/[solo]", "1.0.0", ())])
    assert [(e.package, e.packages, e.wave) for e in entries] == [
        ("base", "charts/base", 1), ("lib", "charts/base charts/lib", 2),
        ("app", "charts/base charts/lib charts/app", 3), ("solo", "charts/[[]solo]", 1)]  # a glob of itself alone
    assert entries[2].to_json() == {"package": "app", "path": "charts/app", "version": "3.0.0",
                                    "packages": "charts/base charts/lib charts/app", "wave": 3}


def test_a_sibling_not_planned_or_later_in_a_cycle_is_not_carried() -> None:
    entries = plan_matrix([("a", "a", "1.0.0", ("b",)), ("b", "b", "1.0.0", ("a",)), ("c", "c", "1.0.0", ("gone",))])
    assert [(e.packages, e.wave) for e in entries] == [("a", 1), ("a b", 2), ("c", 1)]


def _result(name: str, digest: str) -> PublishResult:
    return PublishResult(status=Status.DRY_RUN, package_id="pkg_1", package_name=name, semver="1.0.0", tag="1.0.0",
                         digest=digest, oci_ref="", schema_origin="")


def test_the_summary_and_the_outputs_of_a_plan() -> None:
    batch = Batch((PackageRun("base", "charts/base", Outcome.PLANNED, _result("base", "sha256:ab")),
                   PackageRun("app", "charts/app", Outcome.PLANNED, _result("app", ""), needs=("base",)),
                   PackageRun("web", "charts/web", Outcome.UNCHANGED, _result("web", "sha256:cd"))))
    summary = batch_summary(batch)
    assert "### Akua packages: 1 unchanged, 2 planned" in summary
    assert "| app | `charts/app` | :calendar: planned | `1.0.0` | - | - |" in summary  # packed by the real run
    assert "| 2 | app | `1.0.0` | `charts/base charts/app` |" in summary
    outputs = batch_outputs(batch)
    assert outputs["planned"] == '["base", "app"]' and '"wave": 2' in outputs["matrix"]
    assert "The matrix" not in batch_summary(Batch(batch.runs[2:]))
    assert batch_outputs(Batch(batch.runs[2:]))["matrix"] == '{"include": []}'


def test_a_plan_past_githubs_matrix_limit_is_told_so() -> None:
    from akua_publish.frontends.github.action import GITHUB_MATRIX_JOBS, matrix_limit

    runs = tuple(PackageRun(f"p{i}", f"charts/p{i}", Outcome.PLANNED, _result(f"p{i}", "")) for i in range(257))
    assert matrix_limit(Batch(runs[:GITHUB_MATRIX_JOBS])) == ""
    assert "The plan lists 257 packages to publish; a GitHub matrix runs at most 256 jobs" in matrix_limit(Batch(runs))
