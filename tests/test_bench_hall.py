"""The whole-hall benchmark's core on a tiny day, so that the bench cannot rot unnoticed.

Timings are the bench's business, never asserted here: only that the day runs through every role without an
error, that the raw baseline replays it, and that the end-of-day integrity check holds.
"""

from __future__ import annotations

from app.context import HallDesk
from bench.bench_hall import TINY, print_report, run_day
from tests.conftest import pg_only


@pg_only
def test_a_tiny_day_of_the_whole_hall_runs_clean(hall: HallDesk) -> None:
    lines: list[str] = []
    report = run_day(hall, TINY, log=lines.append)
    print_report(report, lines.append)
    text = "\n".join(lines)
    assert report.errors == [], text
    assert report.integrity.ok, text
    # Every kind of work happened: intake at online and offline counters, decisions, hand-overs, printing.
    assert report.integrity.taken == TINY.counters * TINY.cases
    assert report.ours.times["intake"] and report.ours.times["intake on a store"], text
    assert report.ours.times["decide"] and report.ours.times["hand-over"], text
    assert report.statuses.get("issued", 0) > 0, text
    assert report.ours.printed == report.integrity.printer_connections > 0
    assert report.ours.times["sync drain"], text
    # The baseline replayed the day on its copy.
    assert report.raw.times["intake"] and report.raw.times["claim"] and report.raw.times["decide"], text
    assert "integrity: ok" in text
