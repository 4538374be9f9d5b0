"""打印队列: this counter's jobs, 改派到… and 取消 (立即重试 and 预览 run in test_counter and test_preview)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import intake
from app.context import HallDesk
from app.printing import queue
from tests.conftest import log_in
from tests.intake_support import item_with_tolerable, request
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle
from tests.ui.test_counter import open_counter
from ui.printing.queue import PrintQueuePage, RedirectDialog


def test_redirect_and_cancel(hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes) -> None:
    # Counter 1 has no printer in the demo data: the receipt waits with an error, the alarm is up.
    view = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item_with_tolerable(hall)))
    window, _ = open_counter(hall, qtbot)
    assert window.printer_alarm().startswith("打印机异常：未配置打印机")
    page = window.show_page("printqueue")
    assert isinstance(page, PrintQueuePage)
    settle()
    jobs = {j.kind: j for j in page.model.rows()}
    assert set(jobs) == {"receipt", "notice"} and page.model.rowCount() == 2

    assert page.select_job(jobs["receipt"].id)
    dialog = page.redirect_selected()
    assert isinstance(dialog, RedirectDialog)
    replace_text(dialog.uri_field.edit, "lpt1")
    assert dialog.save() is None and "应为 tcp://" in dialog.uri_field.message_text()
    replace_text(dialog.uri_field.edit, printer.uri)
    qtbot.keyClick(dialog.uri_field.edit, Qt.Key.Key_Return)
    settle()
    assert queue.get_job(hall.uow(), jobs["receipt"].id).status == "printed"
    assert view.case_no in decode(printer.wait_for_jobs(1)[0]).text
    assert window.printer_alarm() == ""
    assert [j.kind for j in page.model.rows()] == ["notice"]  # the 待打印 view

    assert page.select_job(jobs["notice"].id) and page.cancel_button.isEnabled()
    assert page.cancel_selected()
    assert message_boxes.texts("question") and "取消打印任务" in message_boxes.texts("question")[0]
    settle()
    assert queue.get_job(hall.uow(), jobs["notice"].id).status == "cancelled"
    assert page.model.rowCount() == 0
    page.show_all()
    settle()
    statuses = {page.model.index(r, 4).data() for r in range(page.model.rowCount())}
    assert statuses == {"已打印", "已取消"} and not page.retry_button.isEnabled()
    assert message_boxes.texts("warning") == []
