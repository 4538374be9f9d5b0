"""The counter-receipt benchmark in its smallest configuration, so that it cannot rot unnoticed.

Times are the bench's business, never asserted here: only that it drives the real counter page through whole
intakes, that every receipt reached its printer before its A4 notice, and which printers were asked for status.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.context import HallDesk
from bench.bench_counter_receipt import VARIANTS, print_report, run
from tests.ui.conftest import MessageBoxes


def test_the_bench_runs_one_round_of_each(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    report = run(hall, 1, warmup=1, blocks=1)
    lines: list[str] = []
    print_report(report, lines.append)
    assert message_boxes.shown == []
    assert {variant: len(times) for variant, times in report.gui.items()} == {v: 1 for v in VARIANTS}
    assert len(report.base) == 1
    # Two GUI rounds and two baseline rounds at the answering printer, two GUI rounds at the silent one.
    assert report.receipts == {"answers": 4, "silent": 2}
    assert report.queries == {"answers": 8, "silent": 1}  # DLE EOT 4 and 2 per job; the silent printer: once
    assert report.notices == 4 and report.notice_first == 0
    assert "p95" in lines[1] and "never answers" in "\n".join(lines)
