"""The fault matrix and the bad inputs, run for real, one line per scenario.

Runs the fault scenarios (registry behind a fault proxy, Akua emulator with
fault switches), the registry auth modes and the table of bad inputs through
pytest, and prints each scenario's outcome and time, then the totals:
scenarios survived, bad inputs refused cleanly, secrets leaked (must be 0).
Exits non-zero when any scenario fails or any secret leaked.

    .venv/bin/python -m bench.faults      (after scripts/test.sh has set things up)
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from devtools.action import ROOT

SUITES = {
    "fault": "tests/test_faults.py",
    "auth": "tests/test_registry_modes.py",
    "bad input": "tests/test_errors.py::test_error_is_clear_and_nothing_is_done",
}


class Recorder:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, float]] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            kind = next((k for k, path in SUITES.items() if report.nodeid.startswith(path.split("::")[0])), "?")
            name = report.nodeid.split("::", 1)[1]
            self.rows.append((kind, name, report.outcome, report.duration))
            print(f"{kind:<9}  {report.outcome:<7}  {report.duration:6.2f} s  {name}", flush=True)


def main() -> int:
    recorder = Recorder()
    args = ["-p", "no:terminal", "-o", "addopts=", "--rootdir", str(ROOT), *(str(ROOT / s) for s in SUITES.values())]
    code = pytest.main(args, plugins=[recorder])
    leaks = list(getattr(sys.modules.get("conftest"), "LEAKS", []))

    def count(kind: str) -> tuple[int, int]:
        rows = [r for r in recorder.rows if r[0] == kind]
        return sum(r[2] == "passed" for r in rows), len(rows)

    survived, faults = count("fault")
    refused, bad = count("bad input")
    auth_ok, auth = count("auth")
    total = sum(r[3] for r in recorder.rows)
    print(f"\nscenarios survived: {survived}/{faults}  auth-mode checks passed: {auth_ok}/{auth}  "
          f"bad inputs refused cleanly: {refused}/{bad}  secrets leaked: {len(leaks)}  "
          f"total time: {total:.1f} s")
    return 0 if code == 0 and not leaks and survived == faults and refused == bad else 1


if __name__ == "__main__":
    sys.exit(main())
