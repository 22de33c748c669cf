"""The publish step of the input contract: compare with the previous version before anything is pushed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from akua_publish.clients.akua_types import PackageVersion
from akua_publish.contract.keywords import BREAKING, CLASSES
from akua_publish.contract.policy import baseline_version, describe, judge, may_break
from akua_publish.options import CheckMode
from akua_publish.reporter import Reporter
from akua_publish.result import ABSENT, Contract, ContractStatus
from akua_publish.wording import setting

if TYPE_CHECKING:
    from akua_publish.clients.akua_api import AkuaClient


def input_contract(mode: CheckMode, akua: AkuaClient, package_id: str, versions: Sequence[PackageVersion], *,
                   schema: dict[str, Any], semver: str, reporter: Reporter) -> Contract:
    """Compare the schema with the previous version's and apply the contract check (before any push)."""
    if mode == CheckMode.OFF:
        reporter.info(f"{setting('contract-check')} is off: the input schema is not compared with earlier versions.")
        return Contract()
    baseline = baseline_version(versions, semver)
    if baseline is None:
        reporter.info(f"Input contract: {semver} is the first version; nothing to compare with.")
        return judge(None, None, schema, semver, mode)
    previous = baseline.input_schema
    if previous is ABSENT:  # a list that leaves it out: ask for the version's own
        previous = akua.version_inputs(package_id, baseline.id)
    contract = judge(baseline, previous, schema, semver, mode)
    if contract.note:
        reporter.warning(f"Input contract not checked: {contract.note}. The publish goes on.",
                         title="Input contract not compared")
        return contract
    counts = {kind: sum(1 for c in contract.changes if c.kind == kind) for kind in CLASSES}
    reporter.info(f"Input contract against {contract.baseline}: {contract.status}"
                  + ("" if not contract.changes else
                     " (" + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + ")") + ".")
    for change in contract.changes:
        reporter.info(f"  {change.kind}: {describe(change)}")
    if contract.status == ContractStatus.BREAKING and may_break(contract.baseline, semver):
        reporter.info(f"{semver} breaks the input contract of {contract.baseline}, as its semver announces.")
    elif contract.status == ContractStatus.BREAKING:  # strict would have stopped: the check warns
        reporter.warning(f"{semver} breaks the input contract of {contract.baseline} ("
                         + "; ".join(describe(c) for c in contract.changes if c.kind == BREAKING)
                         + f"); {setting('contract-check')} is warn: it is published anyway, and upgraded "
                           "installs may fail.", title="Breaking input change")
    return contract
