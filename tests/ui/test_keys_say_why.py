"""Keys that do nothing say why in the status bar; 有误's note and 登记补交 by keyboard (issue 15 item 4)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import catalog, intake
from app.context import HallDesk
from app.lifecycle import material_state_problem
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_counter import CTRL, enter_applicant, key_state, open_counter, row_of, start_applicant
from tests.ui.test_mainwindow import open_window
from tests.ui.test_output import decided, open_output
from ui.backoffice.page import BackOfficePage
from ui.counter.note import MaterialNoteDialog
from ui.mainwindow import MainWindow

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

ALT = Qt.KeyboardModifier.AltModifier


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


def test_checklist_keys_a_material_refuses_say_why(hall: HallDesk, qtbot: QtBot) -> None:
    window, page = open_counter(hall, qtbot)
    # Ctrl+Enter before anything is chosen: not a silent nothing.
    page.item_search.setFocus()
    qtbot.keyClick(page.item_search, Qt.Key.Key_Return, CTRL)
    assert "请先选择办理事项" in status(window)

    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    rows = page.checklist.model.rows()
    plain = next(r for r in rows if not r.material.covered_by and not r.material.tolerable)
    key_state(qtbot, page, plain.material.code, Qt.Key.Key_5)  # 免提交: no 区域评估 covers it
    after = page.checklist.model.rows()[row_of(page, plain.material.code)]
    assert after.state == plain.state  # nothing changed…
    said = status(window)
    assert said == material_state_problem(plain.check(), "waived") and plain.material.name in said  # …and why
    window.statusBar().clearMessage()
    key_state(qtbot, page, plain.material.code, Qt.Key.Key_4)  # 容缺: not on the 可容缺 list
    assert "不在可容缺清单内" in status(window) and plain.material.name in status(window)
    tolerable = next(r for r in rows if r.material.tolerable)
    window.statusBar().clearMessage()
    key_state(qtbot, page, tolerable.material.code, Qt.Key.Key_4)  # allowed: done, nothing to explain
    assert page.checklist.model.rows()[row_of(page, tolerable.material.code)].state == "tolerated"
    assert status(window) == ""


def test_the_note_of_a_defective_material_is_on_screen_and_typed_in_chinese(hall: HallDesk, qtbot: QtBot) -> None:
    window, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    code = page.checklist.model.rows()[0].material.code
    key_state(qtbot, page, code, Qt.Key.Key_3)  # 有误
    dialog = page.checklist.note_dialog
    assert isinstance(dialog, MaterialNoteDialog)
    assert dialog.isVisible() and dialog.edit.isVisible() and not dialog.visibleRegion().isEmpty()
    # On screen: inside the main window's screen, not off at some cell's corner.
    screen = window.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry().center())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.edit)
    assert not dialog.ok_button.isEnabled()  # an empty note is no note
    type_chinese(dialog.edit, "复印件不清晰")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    settle()
    row = page.checklist.model.rows()[row_of(page, code)]
    assert (row.state, row.note) == ("defective", "复印件不清晰")
    assert page.checklist.note_dialog is None  # closed (and gone)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.checklist.view)  # back to the checklist


def test_output_issue_key_says_why_and_supplements_by_keyboard(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    case = decided(hall, tolerate=True)
    window, page = open_output(hall, qtbot)
    page.scan_edit.setFocus()
    qtbot.keyClick(page.scan_edit, Qt.Key.Key_Return, CTRL)  # 出件 with nothing found
    assert "请先扫描取件凭条" in status(window)

    page.case_no_edit.setFocus()
    qtbot.keyClicks(page.case_no_edit, case.case_no)
    page.code_edit.setFocus()
    qtbot.keyClicks(page.code_edit, case.pickup_code)
    qtbot.keyClick(page.code_edit, Qt.Key.Key_Return)
    settle()
    found = page.current_pickup()
    assert found is not None and not found.ready and found.outstanding
    qtbot.keyClick(page.code_edit, Qt.Key.Key_Return, CTRL)  # 出件: the blocker, in words
    assert status(window) == f"暂不能出件：{found.blockers[0]}"

    # Alt+B: to the first 登记补交; Enter records it; the keyboard moves on to 出件.
    qtbot.keyClick(QApplication.focusWidget() or page, Qt.Key.Key_B, ALT)
    button = page.supplement_buttons[found.outstanding[0].code]
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Return)
    settle()
    again = page.current_pickup()
    assert again is not None and again.ready and again.outstanding == ()
    assert "已登记补交" in status(window)
    assert QApplication.focusWidget() is page.issue_button and page.issue_button.isEnabled()


def test_greyed_buttons_say_why_by_their_keys(hall: HallDesk, qtbot: QtBot) -> None:
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    window.activateWindow()
    page = window.page("backoffice")
    assert isinstance(page, BackOfficePage)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_N, CTRL)  # 领取下一件
    settle()
    assert page.claim is not None
    window.statusBar().clearMessage()
    qtbot.keyClick(page.view, Qt.Key.Key_N, CTRL)  # again, with a case in hand: greyed, and why
    assert status(window) == "请先办结或释放手中的办件"
    window.statusBar().clearMessage()
    qtbot.keyClick(page.view, Qt.Key.Key_C, ALT)  # 领取所选(&C): the Alt letter of a greyed button
    assert not page.claim_button.isEnabled() and status(window) == "请先办结或释放手中的办件"
