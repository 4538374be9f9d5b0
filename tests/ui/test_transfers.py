"""材料流转 on screen: the counter's 材料流转 tab makes a 交接单 and previews it; the back office scans it, unticks a
folder that did not arrive and signs; the queue shows 纸质材料 未到 for that one only.  Real widgets, offscreen,
on one engine (the services' engines are tested in tests/test_transfers.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app import transfers
from app.context import HallDesk
from tests.conftest import log_in
from tests.test_transfers import _take
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.backoffice.models import QueueTableModel
from ui.backoffice.page import BackOfficePage
from ui.backoffice.paper import PaperReceiptDialog
from ui.counter.page import CounterPage
from ui.counter.transfers import TransferPanel
from ui.printing.preview import NoticePreviewDialog


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_counter_makes_a_batch_and_the_back_office_signs_for_it(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes, qtmodeltester: ModelTester
) -> None:
    numbers = _take(hall, n=3)
    window = open_window(hall, log_in(hall, "clerk1"), qtbot)
    page = window.show_page("counter")
    assert isinstance(page, CounterPage)
    panel = next(page.tabs.widget(i) for i in range(page.tabs.count()) if page.tabs.tabText(i) == "材料流转")
    assert isinstance(panel, TransferPanel)
    page.tabs.setCurrentWidget(panel)
    settle()
    settle()  # the departments, then the chosen one's folders
    assert panel.selected_dept() == "SCJ" and "（3件）" in panel.dept_combo.currentText()
    assert [f.case_no for f in panel.folder_model.rows()] == numbers and panel.create_button.isEnabled()
    qtmodeltester.check(panel.folder_model)
    # Every folder starts ticked; Space on the third unticks it (not ready yet): it waits for the next 交接单.
    panel.folder_view.setFocus()
    panel.folder_view.setCurrentIndex(panel.folder_model.index(2, 0))
    qtbot.keyClick(panel.folder_view, Qt.Key.Key_Space)
    assert panel.folder_model.chosen() == numbers[:2] and "1件未勾选" in panel.count_label.text()
    unticked = Qt.CheckState.Unchecked
    for row in (0, 1):
        panel.folder_model.setData(panel.folder_model.index(row, 0), unticked, Qt.ItemDataRole.CheckStateRole)
    assert not panel.create_button.isEnabled()  # nothing ticked, nothing to send
    for row in (0, 1):
        panel.folder_model.setData(panel.folder_model.index(row, 0), Qt.CheckState.Checked,
                                   Qt.ItemDataRole.CheckStateRole)
    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    settle()
    assert isinstance(panel.preview, NoticePreviewDialog) and panel.preview.isVisible()
    assert panel.preview.page_count() == 1
    settle()
    [batch] = panel.batch_model.rows()
    assert [c.case_no for c in batch.cases] == numbers[:2] and panel.batch_model.display(batch, 3) == "流转中"
    settle()
    # The unticked folder still waits, unticked until the clerk ticks it for a later 交接单.
    assert [f.case_no for f in panel.folder_model.rows()] == numbers[2:]
    assert panel.folder_model.chosen() == [] and not panel.create_button.isEnabled()
    panel.folder_model.setData(panel.folder_model.index(0, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert panel.create_button.isEnabled()
    panel.preview.close()
    numbers = numbers[:2]
    window.close()

    # An output window's clerk collects no folders: no tab.
    output = open_window(hall, log_in(hall, "clerk3"), qtbot)
    counter = output.show_page("counter")
    assert isinstance(counter, CounterPage)
    assert "材料流转" not in [counter.tabs.tabText(i) for i in range(counter.tabs.count())]
    output.close()

    rev = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    queue_page = rev.show_page("backoffice")
    assert isinstance(queue_page, BackOfficePage)
    queue_page.refresh()
    settle()
    column = QueueTableModel.PAPER
    marks = {n: queue_page.model.data(queue_page.model.index(queue_page.model.row_of(n), column)) for n in numbers}
    assert marks == {numbers[0]: "未到", numbers[1]: "未到"}
    button = next(b for b in queue_page.findChildren(type(panel.create_button)) if b.text().startswith("签收纸质材料"))
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = queue_page.paper_dialog
    assert isinstance(dialog, PaperReceiptDialog)
    dialog.scan_edit.setText(batch.qr_payload)  # what the scanner types
    qtbot.keyClick(dialog.scan_edit, Qt.Key.Key_Return)
    settle()
    assert dialog.batch is not None and dialog.batch.batch_no == batch.batch_no
    assert dialog.model.arriving() == numbers  # every folder ticked to begin with
    second = dialog.model.index(1, 0)
    assert dialog.model.setData(second, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert dialog.model.missing() == [numbers[1]]
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    settle()
    assert "未到 1 件" in dialog.done_label.text() and dialog.scan_edit.text() == ""
    signed = transfers.get_batch(hall.uow(), log_in(hall, "rev_scj"), batch.batch_no)
    assert signed.state == "partial" and signed.missing == (numbers[1],)
    queue_page.refresh()
    settle()
    marks = {n: queue_page.model.data(queue_page.model.index(queue_page.model.row_of(n), column)) for n in numbers}
    assert marks == {numbers[0]: "已到", numbers[1]: "未到"}
    # The missing folder turns up: scan the same 交接单, tick it, sign again.
    dialog.scan_edit.setText(batch.batch_no)
    qtbot.keyClick(dialog.scan_edit, Qt.Key.Key_Return)
    settle()
    assert "已签收" in dialog.done_label.text() and not dialog.confirm_button.isEnabled()
    assert dialog.model.setData(dialog.model.index(1, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not dialog.model.setData(dialog.model.index(0, 0), Qt.CheckState.Unchecked.value,
                                    Qt.ItemDataRole.CheckStateRole)  # signed for already: stays
    assert dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    settle()
    assert transfers.get_batch(hall.uow(), log_in(hall, "rev_scj"), batch.batch_no).state == "received"
    dialog.close()
    settle()
    queue_page.refresh()
    settle()
    marks = {n: queue_page.model.data(queue_page.model.index(queue_page.model.row_of(n), column)) for n in numbers}
    assert marks == {numbers[0]: "已到", numbers[1]: "已到"}
