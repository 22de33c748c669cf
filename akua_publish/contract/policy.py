"""The input-contract check: this version's schema against the previous version's, by the semver.

The baseline is the highest version below this one by SemVer precedence. A
breaking change (``contract_diff``) is allowed only where the semver announces
it: a higher major; for ``0.y.z`` a higher ``y`` (and any ``0.0.z`` release), as
Cargo and npm read ``^``; and between prereleases of the same release line.
``contract-check: strict`` refuses anything else before the push, ``warn``
reports it and goes on, ``off`` skips the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.contract.diff import UnknownDialect, compare, verdict
from akua_publish.contract.keywords import BREAKING
from akua_publish.errors import ContractBreakError
from akua_publish.options import CheckMode
from akua_publish.package.version import precedence
from akua_publish.result import ABSENT, Change, Contract, ContractStatus, is_prerelease
from akua_publish.wording import setting


def baseline_version(versions: Iterable[PackageVersion], semver: str) -> PackageVersion | None:
    """The highest version below ``semver`` by precedence (None: this is the first)."""
    mine, below = precedence(semver), []
    for version in versions:
        try:
            rank = precedence(version.semver)
        except ValueError:  # not a semver: Akua's own data would not hold one, so it is not a baseline
            continue
        if rank < mine:
            below.append((rank, version))
    return max(below, key=lambda pair: pair[0])[1] if below else None


def may_break(baseline: str, semver: str) -> bool:
    """Whether ``semver`` announces a breaking change against ``baseline``."""
    old, new = precedence(baseline), precedence(semver)
    if new[0] > old[0]:
        return True
    if new[0] == old[0] == 0 and (new[1] > old[1] or new[1] == 0):
        return True
    return is_prerelease(semver) and is_prerelease(baseline) and new[:3] == old[:3]


def judge(baseline: PackageVersion | None, baseline_schema: Any, schema: dict[str, Any], semver: str,
          check: CheckMode) -> Contract:
    """Compare and apply the policy; raise ``ContractBreakError`` in strict mode on an unannounced break."""
    if baseline is None:
        return Contract(ContractStatus.FIRST)
    old_semver = baseline.semver
    if baseline_schema == {}:
        return Contract(ContractStatus.NOT_CHECKED, old_semver, note=f"{old_semver} records no input schema")
    try:
        changes = tuple(compare(baseline_schema, schema))
    except UnknownDialect as exc:
        return Contract(ContractStatus.NOT_CHECKED, old_semver,
                        note=f"the input_schema of {old_semver} cannot be compared: {exc}")
    status = ContractStatus(verdict(list(changes)))
    breaking = [c for c in changes if c.kind == BREAKING]
    if breaking and check == CheckMode.STRICT and not may_break(old_semver, semver):
        raise ContractBreakError(
            f"{semver} breaks the input contract of {old_semver}, but only a "
            f"{'minor' if precedence(semver)[0] == 0 else 'major'} version may: "
            + "; ".join(describe(c) for c in breaking) + ". Nothing was pushed.",
            f"Publish it as {next_breaking(old_semver)} (or later), or restore what installs rely on, or set "
            f"{setting('contract-check')} to warn to publish anyway (upgraded installs may fail).",
        )
    return Contract(status, old_semver, changes)


def next_breaking(baseline: str) -> str:
    major, minor, _, _ = precedence(baseline)
    return f"{major + 1}.0.0" if major else f"0.{minor + 1}.0"


def describe(change: Change) -> str:
    """One change in words: where, from what to what, and why it matters."""
    values = []
    if change.old is not ABSENT:
        values.append(f"was {brief(change.old)}")
    if change.new is not ABSENT:
        values.append(f"now {brief(change.new)}")
    return f"{change.pointer} ({change.rule}{', ' + ', '.join(values) if values else ''}): {change.why}"


def brief(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."
