"""Progress: what a reading says, how often a meter shows it, the terminal bar, and the front ends' choice."""

from __future__ import annotations

import io
import itertools

import pytest

from akua_publish.frontends.bar import TerminalBar
from akua_publish.frontends.log import PlainLog, ProgressStyle
from akua_publish.progress import Meter, Reading, no_progress
from akua_publish.reporter import LOG_INTERVAL

GIB = 1024**3


def test_a_reading_says_bytes_done_total_rate_and_time_left() -> None:
    reading = Reading("Packing", done=312 * 1024**2, total=GIB, elapsed=10.0)
    assert str(reading) == "Packing: 312.0 MiB of 1.0 GiB (30%), 31.2 MiB/s, about 23 s left"
    assert str(Reading("Downloading podinfo", 2048, 0, 2.0)) == "Downloading podinfo: 2.0 KiB, 1.0 KiB/s"
    assert Reading("x", 10, 10, 1.0).seconds_left is None and Reading("x", 0, 10, 0.0).rate == 0.0
    assert "about 2 min 05 s left" in str(Reading("x", 1, 126, 1.0))


def test_a_meter_shows_a_reading_only_when_its_interval_is_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(0.0, 1.0)  # every call to the clock: one second later
    monkeypatch.setattr("akua_publish.progress.time.monotonic", lambda: next(clock))
    seen: list[Reading] = []
    with Meter("Packing", 100, seen.append, every=3.0) as meter:
        for _ in range(10):
            meter.add(10)
    assert [r.done for r in seen if not r.finished] == [30, 60, 90]  # at 3, 6, 9 s after the start
    assert seen[-1].finished and seen[-1].done == 100


def test_no_progress_never_shows_anything() -> None:
    meter = no_progress("Packing", 10)
    meter.add(10**12)
    meter.close()
    assert meter.done == 10**12


def test_the_bar_fits_the_terminal_and_is_cleared_at_the_end() -> None:
    line = TerminalBar.line(Reading("Uploading", GIB // 2, GIB, 5.0), 80)
    assert line.startswith("Uploading [") and " 50% 512.0 MiB/1.0 GiB 102.4 MiB/s 5 s" in line and len(line) <= 79
    assert len(TerminalBar.line(Reading("Uploading", 1, GIB, 5.0), 20)) == 19
    out = io.StringIO()
    bar = TerminalBar(out)
    bar.show(Reading("Packing", 1, 2, 1.0))
    bar.show(Reading("Packing", 2, 2, 2.0, finished=True))
    assert out.getvalue().startswith("\rPacking [") and out.getvalue().endswith("\r\033[K")


@pytest.mark.parametrize("style", list(ProgressStyle))
def test_the_log_shows_progress_as_its_style_says(style: ProgressStyle) -> None:
    out, terminal = io.StringIO(), io.StringIO()
    log = PlainLog(out, progress=style, bar_out=terminal)
    meter = log.progress("Packing", 100)
    meter._due = 0.0  # the interval is up
    meter.add(50)
    log.info("a line")  # clears the bar first, so the line stands alone
    meter.close()
    lines, drawn = out.getvalue().splitlines(), terminal.getvalue()
    if style is ProgressStyle.LINES:
        assert lines[0].startswith("Packing: 50 B of 100 B (50%), ") and lines[1:] == ["a line"] and drawn == ""
    elif style is ProgressStyle.BAR:
        assert lines == ["a line"] and drawn.startswith("\rPacking [") and "\r\033[K" in drawn
    else:
        assert lines == ["a line"] and drawn == ""


def test_a_ci_log_gets_a_line_at_most_every_10_s() -> None:
    """The Action's log (on GitHub or not), the command line's in a pipe, and ``logging``."""
    from akua_publish.frontends.github.runner import Runner
    from akua_publish.reporter import LogReporter

    assert LOG_INTERVAL == 10.0
    for reporter in (Runner({"GITHUB_ACTIONS": "true"}, io.StringIO()), Runner({}, io.StringIO()),
                     PlainLog(io.StringIO()), LogReporter()):
        assert reporter.progress("Packing", 1)._every == LOG_INTERVAL
