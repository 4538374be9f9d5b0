"""Notice preview: pages on screen, 另存为PDF, printing through a QPrinter (to a PDF file, offscreen)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from app import intake
from app.context import HallDesk
from app.printing import queue
from tests.conftest import log_in
from tests.intake_support import item_with_tolerable, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_counter import open_counter
from ui.printing.preview import NoticePreviewDialog, ReprintReasonDialog
from ui.printing.queue import PrintQueuePage


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # rendering, not the database, is under test
def test_preview_saves_and_prints_the_notice(
    hall: HallDesk, qtbot: QtBot, tmp_path: Path, message_boxes: MessageBoxes
) -> None:
    clerk = log_in(hall, "clerk1")
    view = intake.take_application(hall.uow(), clerk, request(item_with_tolerable(hall)))
    window, page = open_counter(hall, qtbot)
    page.preview_notice(view.case_no, "acceptance")
    settle()
    dialog = page.dialog
    assert isinstance(dialog, NoticePreviewDialog) and dialog.isVisible()
    assert dialog.page_count() >= 1 and len(dialog.page_labels()) == dialog.page_count()
    label = dialog.page_labels()[0]
    pixmap = label.pixmap()
    assert not pixmap.isNull() and pixmap.width() <= dialog.scroll_area.viewport().width()
    assert dialog.print_button.text() == "打印…(&P)"  # the original, waiting in the queue

    saved = tmp_path / "受理通知书.pdf"
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save_pdf(str(saved))
    assert view.case_no in pdf_text(saved) and "受理通知书" in pdf_text(saved)

    printed = tmp_path / "printed.pdf"
    with qtbot.waitSignal(dialog.printed, timeout=20_000):
        dialog.print_to(pdf_printer(printed))
        settle()
    assert printed.stat().st_size > 10_000
    reader = PdfReader(printed)
    assert len(reader.pages) == dialog.page_count()
    subprocess.run(["pdftoppm", "-r", "20", "-png", "-f", "1", "-l", "1", str(printed), str(tmp_path / "p")],
                   check=True, capture_output=True)
    assert list(tmp_path.glob("p*.png"))
    # Printing from the preview completed the queued notice job.
    notice = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "notice")
    assert notice.status == "printed" and notice.notice_kind == "acceptance"
    assert message_boxes.shown == []
    dialog.close()
    settle()

    # Printed once: the next preview of the same notice prints only as a 补打, with a reason.
    jobs_page = window.show_page("printqueue")
    assert isinstance(jobs_page, PrintQueuePage)
    jobs_page.show_all()
    settle()
    assert jobs_page.select_job(notice.id) and jobs_page.preview_button.isEnabled()
    assert jobs_page.preview_selected()
    settle()
    again = jobs_page.dialog
    assert isinstance(again, NoticePreviewDialog) and again.print_button.text() == "补打…(&P)"
    reason = again.start_print()
    assert isinstance(reason, ReprintReasonDialog)
    reason.reject()
    settle()


def test_save_to_an_unwritable_place_is_a_warning(qtbot: QtBot, message_boxes: MessageBoxes, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "one.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(100, 750, "HallDesk")
    c.save()
    dialog = NoticePreviewDialog(None, None, path.read_bytes(), "测试", parent=None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    settle()
    assert dialog.page_count() == 1
    assert not dialog.save_pdf(str(tmp_path / "missing" / "x.pdf"))
    assert message_boxes.texts("warning") and "无法保存文件" in message_boxes.texts("warning")[0]
