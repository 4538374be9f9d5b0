"""The viewer benchmark in its smallest configuration, so that it cannot rot unnoticed.

Times are the bench's business, never asserted here: only that it drives the real viewer through whole rounds
(the first page, the next page, a second file: three pages painted, each once), that the full table is filled
as described, and that the listing reads the same case's files on both databases.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.context import HallDesk
from bench.bench_viewer import print_report, run_first_page, run_listing, sqlite_hall
from db.models import Case, CaseFile, StoredFile
from tests.ui.conftest import MessageBoxes

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def test_the_bench_runs_a_round_of_each(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    report = run_first_page(hall, 1, pages=3, scan_px=0, warmup=1)
    assert message_boxes.shown == []
    assert [len(t) for t in (report.window, report.another, report.next_page, report.direct, report.read)] == [1] * 5
    with sqlite_hall() as empty:
        run_listing(hall, empty, 2, n_files=12, blocks=2, warmup=1, report=report)
    with hall.uow() as uow:
        # Twelve other files on three other cases (five, five, two), each file stored once.
        filled = uow.session.execute(select(Case.case_no, func.count()).join(CaseFile, CaseFile.case_id == Case.id)
                                     .where(Case.case_no.like("BF%")).group_by(Case.case_no)).all()
        assert sorted(n for _, n in filled) == [2, 5, 5]
        assert uow.session.execute(select(func.count()).select_from(StoredFile)
                                   .where(StoredFile.size == 400_000)).scalar_one() == 12
    assert report.listed_files == 2 and len(report.listed_full) == len(report.listed_empty) == 2
    lines: list[str] = []
    print_report(report, lines.append)
    text = "\n".join(lines)
    assert "查看电子件 → first page painted" in text and "12 other stored files" in text
