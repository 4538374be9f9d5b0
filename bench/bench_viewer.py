"""The reviewer's viewer (issue 16, part 3): the first page on screen, and the case's file list in a full table.

1. **First page on screen** of a 30-page scanned PDF (a noisy image on every page, ≈ 7.5 MB), through the real
   ``ui.viewer`` widgets offscreen (``QT_QPA_PLATFORM=offscreen``), as a reviewer of the deciding department:
   - 查看电子件 → first page: from ``open_case_files`` (the window, ``list_files``, ``open_file`` with its audit
     row, the render of page 1 fitted to the width) to the page's pixmap painted;
   - another file → first page: the window open, the viewer asked to show a second file (the same scan attached
     to another material: ``open_file`` again) until its first page is painted;
   - PgDn → next page painted (the file already open: one page rendered on demand).
   Baseline in the same run: the same page rendered directly with pypdfium2 from bytes in memory (open the
   document, render page 1 at the same scale), no database, no widget; for reference, ``open_file`` alone
   (reading the file's chunks and writing the audit row), which is most of the difference.
   Target: p95 ≤ 300 ms.
2. **The case's file list with 100,000 stored files in the table**: p50/p95 of ``files.list_files`` for one
   case on a database whose ``stored_file`` and ``case_file`` hold 100,000 more rows (20,000 other cases with
   five files each), beside the same call on a twin database without them; the two take turns.
   Target: p95 ≤ 50 ms, and a ratio near 1 (the listing reads by the case's index, whatever the table holds).
Run: python -m bench.bench_viewer [ROUNDS] [--engine sqlite|postgresql|mariadb] [--files 100000] [--pages 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pypdfium2 as pdfium
import sqlalchemy as sa
from PySide6.QtCore import QEventLoop, QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget

from app import catalog, files, intake
from app.auth import Actor, login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from bench.common import ms, p50, p95, throwaway_hall
from db.models import Case, CaseFile, StoredFile
from tests.intake_support import request
from tests.support import scanned
from ui import worker
from ui.viewer import SCREEN_DPI, FileViewer, open_case_files

DEPT = "SCJ"
# Each page carries a grey noise image of this side in pixels, which hardly compresses: about 250 KB a page in
# the PDF, what a 200 dpi greyscale A4 scan kept as JPEG weighs; 30 pages make a 7.5 MB file.
SCAN_PX = 370
FILES_PER_CASE = 5


@dataclass
class Report:
    engine: str
    rounds: int
    pages: int = 0
    pdf_bytes: int = 0
    window: list[float] = field(default_factory=list)  # 查看电子件 → first page (s)
    another: list[float] = field(default_factory=list)  # another file → its first page
    next_page: list[float] = field(default_factory=list)  # PgDn → next page
    direct: list[float] = field(default_factory=list)  # baseline: pypdfium2 open + render page 1
    read: list[float] = field(default_factory=list)  # for reference: files.open_file alone (read + audit)
    files_in_table: int = 0
    listed_full: list[float] = field(default_factory=list)
    listed_empty: list[float] = field(default_factory=list)
    listed_files: int = 0


def _pump(until: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run the Qt event loop (idle between events, as a real one is) until ``until()``."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: loop.quit() if until() or time.monotonic() > deadline else None)
    timer.start()
    loop.exec()
    timer.stop()
    if not until():
        raise TimeoutError("the page did not appear")


def _settle() -> None:
    if not worker.wait_idle(30.0):
        raise TimeoutError("background work did not finish")


def case_with_scan(hall: HallDesk, pdf: bytes) -> str:
    """An SCJ case whose first two materials carry the same scanned PDF (stored once, listed twice)."""
    item = next(i for i in catalog.list_items(hall.uow(), DEPT)
                if not i.immediate and sum(1 for m in i.materials if not m.covered_by) >= 2)
    first, second = [m.code for m in item.materials if not m.covered_by][:2]
    inputs = (files.prepare(first, "营业执照扫描件.pdf", pdf), files.prepare(second, "章程扫描件.pdf", pdf))
    clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
    return intake.take_application(hall.uow(), clerk, replace(request(item), files=inputs)).case_no


def _direct(pdf: bytes, scale: float) -> float:
    t = time.perf_counter()
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True)
        bytes(bitmap.buffer)  # the pixels copied out, as the viewer does
    finally:
        doc.close()
    return time.perf_counter() - t


def first_page_rounds(hall: HallDesk, reviewer: Actor, case_no: str, pdf: bytes, n: int, warmup: int,
                      report: Report) -> None:
    host = QWidget()
    host.resize(1366, 700)
    host.show()
    try:
        for i in range(n + warmup):
            shown: list[float] = []
            t = time.perf_counter()
            window = open_case_files(host, hall, reviewer, case_no)
            viewer = window.viewer

            def painted(*_: object, _viewer: FileViewer = viewer, _shown: list[float] = shown) -> None:
                _viewer.page_view.repaint()  # the pixmap painted, not only handed to the label
                _shown.append(time.perf_counter())

            viewer.page_shown.connect(painted)
            _pump(lambda: len(shown) >= 1)  # noqa: B023  (read at once, inside the round)
            first = shown[0] - t
            t_next = time.perf_counter()
            viewer.next_page()
            _pump(lambda: len(shown) >= 2)  # noqa: B023
            t_other = time.perf_counter()
            assert viewer.listing is not None
            viewer.show_file(viewer.listing.files[1].id)
            _pump(lambda: len(shown) >= 3)  # noqa: B023
            shown_page = viewer.shown
            # Three pages painted, no more (a refit would have painted one more): the second file's first.
            assert len(shown) == 3 and shown_page is not None and shown_page.wish.page == 0
            assert shown_page.wish.file_id == viewer.listing.files[1].id
            if i >= warmup:
                report.window.append(first)
                report.next_page.append(shown[1] - t_next)
                report.another.append(shown[2] - t_other)
                report.direct.append(_direct(pdf, shown_page.zoom * SCREEN_DPI / 72))
                t_read = time.perf_counter()
                files.open_file(hall.uow(), reviewer, case_no, str(shown_page.wish.file_id))
                report.read.append(time.perf_counter() - t_read)
            window.close()
            _settle()
    finally:
        host.close()
        host.deleteLater()
        _settle()


def run_first_page(hall: HallDesk, n: int = 40, *, pages: int = 30, scan_px: int = SCAN_PX, warmup: int = 3,
                   engine: str = "") -> Report:
    """Part 1 on ``hall`` (a database with the demo data)."""
    if QApplication.instance() is None:  # a test brings its own, set up
        from ui.main import setup_application

        setup_application(QApplication([]))
    report = Report(engine=engine or hall.engine.dialect.name, rounds=n, pages=pages)
    pdf = scanned.pdf(pages, scan_px=scan_px)
    report.pdf_bytes = len(pdf)
    case_no = case_with_scan(hall, pdf)
    reviewer = login(hall.uow(), f"rev_{DEPT.lower()}", DEMO_PASSWORD)
    first_page_rounds(hall, reviewer, case_no, pdf, n, warmup, report)
    return report


# ---- part 2: the list with a full table -----------------------------------------------------------------------


def fill_files(hall: HallDesk, template_case_no: str, n_files: int, batch: int = 5000) -> None:
    """``n_files`` stored files on ``n_files / 5`` other cases (copies of the template case), five each: the
    ``stored_file`` and ``case_file`` rows a hall's year of scans leaves (the chunks are not read by a listing)."""
    cases_table, files_table, stored_table = (cast(sa.Table, m.__table__) for m in (Case, CaseFile, StoredFile))
    with hall.engine.begin() as conn:
        template = dict(conn.execute(sa.select(cases_table).where(cases_table.c.case_no == template_case_no))
                        .mappings().one())
        n_cases = -(-n_files // FILES_PER_CASE)
        now = template["received_at"]
        for start in range(0, n_cases, batch):
            case_rows, file_rows, stored_rows = [], [], []
            for c in range(start, min(n_cases, start + batch)):
                case_id = uuid.uuid4()
                case_rows.append({**template, "id": case_id, "case_no": f"BF{c:08d}", "external_id": None})
                for f in range(FILES_PER_CASE):
                    number = c * FILES_PER_CASE + f
                    if number >= n_files:
                        break
                    digest = f"{number:064x}"
                    stored_rows.append({"sha256": digest, "size": 400_000, "kind": "jpeg", "pages": 1, "chunks": 1,
                                        "created_at": now})
                    file_rows.append({"id": uuid.uuid4(), "case_id": case_id, "material_code": f"M{f:02d}",
                                      "sha256": digest, "name": f"材料{f + 1}.jpg", "kind": "jpeg", "pages": 1,
                                      "size": 400_000, "position": 0, "added_by": "clerk1", "added_at": now})
            conn.execute(sa.insert(cases_table), case_rows)
            conn.execute(sa.insert(stored_table), stored_rows)
            conn.execute(sa.insert(files_table), file_rows)
    if hall.engine.dialect.name == "postgresql":
        with hall.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE hd_case, case_file, stored_file"))
    elif hall.engine.dialect.name == "sqlite":
        with hall.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def _list_times(hall: HallDesk, reviewer: Actor, case_no: str, rounds: int, into: list[float]) -> int:
    count = 0
    for _ in range(rounds):
        t = time.perf_counter()
        listing = files.list_files(hall.uow(), reviewer, case_no)
        into.append(time.perf_counter() - t)
        count = len(listing.files)
    return count


def run_listing(full: HallDesk, empty: HallDesk, n: int = 200, *, n_files: int = 100_000, blocks: int = 4,
                warmup: int = 10, report: Report | None = None) -> Report:
    """Part 2: ``list_files`` on ``full`` (filled with ``n_files`` other files) and ``empty``, taking turns."""
    report = report or Report(engine=full.engine.dialect.name, rounds=n)
    pdf = scanned.pdf(3)
    cases = {}
    for hall in (full, empty):
        cases[id(hall)] = case_with_scan(hall, pdf)
    fill_files(full, cases[id(full)], n_files)
    report.files_in_table = n_files
    reviewers = {id(h): login(h.uow(), f"rev_{DEPT.lower()}", DEMO_PASSWORD) for h in (full, empty)}
    for hall in (full, empty):
        _list_times(hall, reviewers[id(hall)], cases[id(hall)], warmup, [])
    per_block = max(1, n // blocks)
    for _ in range(blocks):
        report.listed_files = _list_times(full, reviewers[id(full)], cases[id(full)], per_block, report.listed_full)
        _list_times(empty, reviewers[id(empty)], cases[id(empty)], per_block, report.listed_empty)
    return report


def print_report(report: Report, out: Callable[[str], None] = print) -> None:
    if report.window:
        out(f"First page on screen: {report.pages}-page scanned PDF ({report.pdf_bytes / 1e6:.1f} MB), real viewer "
            f"offscreen ({report.engine}, {len(report.window)} rounds after warm-up)")
        out(f"{'':48}{'p50 ms':>10}{'p95 ms':>10}{'p95 ratio':>11}")
        base95 = p95(report.direct)
        for name, times in (("查看电子件 → first page painted", report.window),
                            ("another file → its first page painted", report.another),
                            ("PgDn → next page painted", report.next_page)):
            out(f"{name:48}{ms(p50(times)):>10}{ms(p95(times)):>10}{p95(times) / base95:>11.1f}")
        out(f"{'baseline: pypdfium2 open + render page 1':48}{ms(p50(report.direct)):>10}{ms(base95):>10}"
            f"{1.0:>11.1f}")
        out(f"{'(reference: open_file alone, read + audit row)':48}{ms(p50(report.read)):>10}"
            f"{ms(p95(report.read)):>10}{p95(report.read) / base95:>11.1f}")
        out("target: first page p95 ≤ 300 ms")
    if report.listed_full:
        out(f"The case's file list (list_files, {report.listed_files} files) with {report.files_in_table:,} other "
            f"stored files in the table ({report.engine}, {len(report.listed_full)} calls each, taking turns)")
        out(f"{'':48}{'p50 ms':>10}{'p95 ms':>10}{'p95 ratio':>11}")
        base95 = p95(report.listed_empty)
        out(f"{f'{report.files_in_table:,} files in the table':48}{ms(p50(report.listed_full)):>10}"
            f"{ms(p95(report.listed_full)):>10}{p95(report.listed_full) / base95:>11.2f}")
        out(f"{'baseline: the same case, no other files':48}{ms(p50(report.listed_empty)):>10}{ms(base95):>10}"
            f"{1.0:>11.2f}")
        out("target: p95 ≤ 50 ms")


@contextmanager
def sqlite_hall() -> Iterator[HallDesk]:
    folder = Path(tempfile.mkdtemp(prefix="halldesk-bench-"))
    hall = HallDesk.open(f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", upgrade=True)
    try:
        load_demo(hall.uow(), folder_printers=False)
        yield hall
    finally:
        hall.close()


def _hall(engine: str) -> AbstractContextManager[HallDesk]:
    return sqlite_hall() if engine == "sqlite" else throwaway_hall(engine)


def _quiet(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if "propagateSizeHints" not in message and "does not support raise" not in message:
        print(message)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("rounds", nargs="?", type=int, default=40)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "mariadb"), default="sqlite")
    parser.add_argument("--files", type=int, default=100_000, help="other stored files in the table (0: skip part 2)")
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--scan-px", type=int, default=SCAN_PX,
                        help="side of each page's noise image (370: ≈ 250 KB a page; 600: ≈ 650 KB)")
    args = parser.parse_args(argv)
    qInstallMessageHandler(_quiet)
    with _hall(args.engine) as hall:
        report = run_first_page(hall, args.rounds, pages=args.pages, scan_px=args.scan_px, engine=args.engine)
    if args.files:
        with ExitStack() as stack:
            full = stack.enter_context(_hall(args.engine))
            empty = stack.enter_context(_hall(args.engine))
            run_listing(full, empty, args.rounds * 5, n_files=args.files, report=report)
    print_report(report)


if __name__ == "__main__":
    main()
