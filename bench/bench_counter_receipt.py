"""Ctrl+Enter → last receipt byte, through the real counter page (issue 15, item 7).

A ``CounterPage`` runs offscreen (``QT_QPA_PLATFORM=offscreen``, no pytest-qt) as clerk1 of counter 1, whose
thermal printer and A4 printer are ``tests.support.fake_printer`` servers on 127.0.0.1.  Each round fills the
form (F2, the item, a known enterprise, the agent, every material 已收), then presses Ctrl+Enter on the
checklist; the clock stops when the receipt printer has the receipt's last byte (its own receive time), and the
round ends when every background job has delivered (the A4 notice sent too).  Two variants: a thermal printer
that answers ``DLE EOT`` and one that never does.

Baseline in the same run: accept → last byte in-process (``take_application``, then ``send_job`` of the
receipt, as the print worker does) at the answering printer, no GUI.  Target: p95 ≤ 150 ms in both variants.
Run: python -m bench.bench_counter_receipt [N] [--engine sqlite|postgresql|mariadb] (default 40, PostgreSQL)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (
    QEventLoop,
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import accounts, intake
from app.auth import login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from app.printing import queue
from app.printing.transport import STATUS_MEMORY
from app.validators import make_id_number
from bench.common import ms, p50, p95, throwaway_hall
from tests.intake_support import item_with_tolerable, request
from tests.support.fake_printer import FakePrinter
from tests.ui.helpers import type_chinese
from ui import worker
from ui.counter.page import CounterPage

KNOWN_USCC = "91360112MA35XJ017X"  # a demo enterprise: the form fills itself in
ID_NUMBER = make_id_number("360112", date(1985, 6, 15), 123)
VARIANTS = ("answers", "silent")


@dataclass
class Report:
    rounds: int
    engine: str
    gui: dict[str, list[float]] = field(default_factory=dict)  # variant → Ctrl+Enter → last receipt byte (s)
    queries: dict[str, int] = field(default_factory=dict)  # variant → DLE EOT queries the printer got
    receipts: dict[str, int] = field(default_factory=dict)  # variant → receipts the printer got
    notices: int = 0  # A4 notice jobs the A4 printer got
    notice_first: int = 0  # rounds in which the A4 printer got its job before the receipt's last byte
    base: list[float] = field(default_factory=list)  # accept → last byte in-process (s)


def _pump(until: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the Qt event loop until ``until()`` (the GUI thread must run: the page's callbacks are events).

    Idle between events, as a real event loop is: a loop calling ``processEvents`` would hold the GIL and
    slow the very background threads it waits for.
    """
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(1)

    def check() -> None:
        if until() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not until():
        raise TimeoutError("the receipt did not arrive")


def _settle() -> None:
    if not worker.wait_idle(30.0):
        raise TimeoutError("background work did not finish")


def _fill_form(page: CounterPage) -> None:
    """F2 and a whole application from the keyboard, as a clerk types it (Chinese through the input method)."""
    QTest.keyClick(page.item_search, Qt.Key.Key_F2)
    QTest.keyClicks(page.item_search, "sgxk")
    QTest.keyClick(page.item_search, Qt.Key.Key_Return)
    QTest.keyClicks(page.uscc_edit, KNOWN_USCC)
    QTest.keyClick(page.uscc_edit, Qt.Key.Key_Return)
    _settle()  # the enterprise lookup
    type_chinese(page.agent_name_edit, "张伟")
    QTest.keyClicks(page.id_edit, ID_NUMBER)
    QTest.keyClicks(page.phone_edit, "13807910001")
    page.mark_all_received()
    if not page.accept_button.isEnabled():
        raise RuntimeError(f"受理 is not enabled: {page.outcome_hint_text()}")


def _point_counter(hall: HallDesk, receipt: FakePrinter, a4: FakePrinter) -> None:
    admin = login(hall.uow(), "admin", DEMO_PASSWORD)
    accounts.set_counter_printers(hall.uow(), admin, 1, receipt.uri, a4.uri)


def _gui_rounds(page: CounterPage, receipt: FakePrinter, a4: FakePrinter, n: int, warmup: int,
                report: Report, variant: str) -> None:
    for i in range(n + warmup):
        _fill_form(page)
        before = len(receipt.records)
        a4_before = len(a4.records)
        t = time.perf_counter()
        QTest.keyClick(page.checklist.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        _pump(lambda: len(receipt.jobs) > before)  # noqa: B023  (read at once, inside the round)
        record = receipt.records[before]
        assert record.last_byte_at is not None
        if i >= warmup:
            report.gui[variant].append(record.last_byte_at - t)
        _settle()
        a4.wait_for_jobs(a4_before + 1)
        if a4.records[a4_before].connected_at < record.last_byte_at:
            report.notice_first += 1


def _baseline(hall: HallDesk, printer: FakePrinter, n: int, warmup: int, report: Report) -> None:
    clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
    req = request(item_with_tolerable(hall), materials=None)
    for i in range(n + warmup):
        t = time.perf_counter()
        view = intake.take_application(hall.uow(), clerk, req)
        job = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt")
        done = queue.send_job(hall.uow, job.id)
        assert done.status == "printed", done.last_error
        record = printer.records[-1]
        assert record.last_byte_at is not None
        if i >= warmup:
            report.base.append(record.last_byte_at - t)


def run(hall: HallDesk, n: int = 40, *, warmup: int = 3, blocks: int = 2, engine: str = "") -> Report:
    """The whole bench on ``hall`` (a database with the demo data).

    ``blocks`` alternations of: the GUI with the answering printer, the in-process baseline at the same printer,
    the GUI with the silent printer — ``n`` measured rounds of each in all, after ``warmup`` rounds per block
    (the first intake after the counter's printers change reloads the reference data).
    """
    if QApplication.instance() is None:  # a test brings its own, set up
        from ui.main import setup_application

        setup_application(QApplication([]))
    report = Report(rounds=n, engine=engine or hall.engine.dialect.name)
    report.gui = {variant: [] for variant in VARIANTS}
    STATUS_MEMORY.clear()  # "warm" means warm Python and caches, not a printer remembered by an earlier run
    per_block = [n // blocks + (1 if b < n % blocks else 0) for b in range(blocks)]
    with FakePrinter() as a4, FakePrinter() as answers, FakePrinter(silent=True) as silent:
        printers = {"answers": answers, "silent": silent}
        _point_counter(hall, answers, a4)
        page = CounterPage(hall, login(hall.uow(), "clerk1", DEMO_PASSWORD))
        page.resize(1366, 700)
        page.show()
        page.refresh()
        _settle()
        try:
            for rounds in per_block:
                _point_counter(hall, answers, a4)
                _gui_rounds(page, answers, a4, rounds, warmup, report, "answers")
                _baseline(hall, answers, rounds, warmup, report)
                _point_counter(hall, silent, a4)
                _gui_rounds(page, silent, a4, rounds, warmup, report, "silent")
        finally:
            page.close()
            page.deleteLater()
            _settle()
        report.notices = len(a4.jobs)
        for variant, printer in printers.items():
            report.queries[variant] = sum(len(r.status_queries) for r in printer.records)
            report.receipts[variant] = len(printer.jobs)
    return report


def print_report(report: Report, out: Callable[[str], None] = print) -> None:
    out(f"Ctrl+Enter → last receipt byte through the counter page ({report.engine}, {report.rounds} rounds "
        f"after warm-up each; A4 notices to a TCP printer too)")
    out(f"{'':44}{'p50 ms':>10}{'p95 ms':>10}{'p95 ratio':>11}{'DLE EOT':>9}")
    base95 = p95(report.base)
    for variant in VARIANTS:
        times = report.gui[variant]
        name = f"GUI, thermal printer {'answers' if variant == 'answers' else 'never answers'} DLE EOT"
        out(f"{name:44}{ms(p50(times)):>10}{ms(p95(times)):>10}{p95(times) / base95:>11.1f}"
            f"{report.queries[variant]:>9}")
    out(f"{'baseline: accept → last byte in-process':44}{ms(p50(report.base)):>10}{ms(base95):>10}{1.0:>11.1f}")
    out(f"receipts printed (with warm-up, and the baseline's at the answering printer): {report.receipts}; "
        f"A4 notices: {report.notices}, "
        f"{report.notice_first} of them started before their receipt's last byte")
    out("target: p95 ≤ 150 ms in both variants")


def _quiet(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages, without the offscreen platform's note on every shown window."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


@contextmanager
def sqlite_hall() -> Iterator[HallDesk]:
    folder = Path(tempfile.mkdtemp(prefix="halldesk-bench-"))
    hall = HallDesk.open(f"sqlite:///{folder / 'bench.sqlite3'}", upgrade=True)
    try:
        load_demo(hall.uow(), folder_printers=False)
        yield hall
    finally:
        hall.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("rounds", nargs="?", type=int, default=40)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "mariadb"), default="postgresql")
    args = parser.parse_args(argv)
    qInstallMessageHandler(_quiet)
    with sqlite_hall() if args.engine == "sqlite" else throwaway_hall(args.engine) as hall:
        print_report(run(hall, args.rounds, engine=args.engine))


if __name__ == "__main__":
    main()
