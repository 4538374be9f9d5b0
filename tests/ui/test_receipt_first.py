"""The receipt first, at the real counter page (issue 15): the receipt goes out from the intake's own
background job, before the A4 notice, and a printer that holds the receipt up does not hold up the result.

Event-based: the receipt's send is held at a gate the test opens, never timed.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from app.printing import queue
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_counter import CTRL, enter_applicant, open_counter, point_counter_at, start_applicant
from ui.printing import queue as printqueue


def test_the_result_shows_while_a_held_receipt_waits_and_the_notice_follows_it(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_counter_at(hall, printer.uri, printer.uri)  # one printer for both: its connections are the order
    gate = threading.Event()
    real = queue.send_slips_now

    def held(*args: Any, **kwargs: Any) -> list[queue.JobView]:
        assert gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(queue, "send_slips_now", held)
    window, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)  # 受理
    qtbot.waitUntil(lambda: page.current_case() is not None, timeout=20000)
    view = page.current_case()
    assert view is not None and page.result.isVisible()
    # The result is on screen; the receipt is still held, and the notice waits behind it.
    assert view.case_no in printqueue._slips_in_flight
    assert printer.connections == 0
    gate.set()
    settle()
    receipt, notice = printer.wait_for_jobs(2)
    assert view.case_no in decode(receipt).text and decode(receipt).qr_codes == [view.slip]
    assert notice.startswith(b"%PDF")
    assert {j.kind: j.status for j in page.result.jobs()} == {"receipt": "printed", "notice": "printed"}
    assert printqueue._slips_in_flight == {} and message_boxes.shown == []
    assert window.printer_alarm() == ""


def test_a_receipt_that_cannot_be_sent_at_once_waits_in_the_queue(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    printer.set_mode("refuse")
    _window, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []  # the intake succeeded; printing is the queue's
    [job] = [j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt"]
    assert job.status == "pending" and "拒绝" in job.last_error and job.attempts == 1  # tried once, at once
    printer.set_mode("ok")
    assert queue.send_job(hall.uow, job.id, force=True).status == "printed"
    assert view.case_no in decode(printer.wait_for_jobs(1)[0]).text
