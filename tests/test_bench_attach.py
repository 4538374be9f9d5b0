"""The attach benchmark (bench/bench_attach.py) on a tiny scan, so that it cannot rot unnoticed.

Timings are the bench's business, never asserted here: only that both sides stored what they were given.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.context import HallDesk
from bench.bench_attach import print_report, run, scan_pdf
from db.models import CaseFile, StoredFile, StoredFileChunk
from tests.conftest import pg_only


@pg_only
def test_the_attach_bench_runs_on_a_tiny_scan(hall: HallDesk) -> None:
    data = scan_pdf(pages=2, size=(620, 877))
    lines: list[str] = []
    report = run(hall, data, rounds=1, log=lines.append)
    print_report(report, lines.append)
    text = "\n".join(lines)
    assert report.pages == 2 and len(report.ours) == len(report.raw) == 1, text
    assert "ratio (HallDesk speed / raw speed" in text
    with hall.uow() as uow:
        s = uow.session
        # Two rounds each side (a warm-up and a timed one), each a distinct file of one chunk.
        assert s.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 4
        assert s.execute(select(func.count()).select_from(StoredFileChunk)).scalar_one() == 4
        assert s.execute(select(func.count()).select_from(CaseFile)).scalar_one() == 4
        assert set(s.execute(select(StoredFile.size)).scalars()) == {len(data) + 9, len(data) + 8}
