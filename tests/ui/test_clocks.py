"""The reviewer's clock actions in 我的在办: 特别程序 (中止计时), 恢复计时 and 延期, from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app import catalog, claims, decisions, intake
from app.cases import read_case
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_output import open_output, scan
from ui.backoffice.clocks import ExtendDialog, SuspendDialog
from ui.backoffice.page import BackOfficePage

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)


def _page(hall: HallDesk, qtbot: QtBot) -> tuple[BackOfficePage, str]:
    item = catalog.get_item(hall.uow(), "SCJ007")
    case_no = intake.take_application(hall.uow(), log_in(hall, "clerk1"),
                                      request(item, materials=all_received(item))).case_no
    page = BackOfficePage(hall, log_in(hall, "rev_scj"))
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    page.refresh()
    settle()
    return page, case_no


def test_reviewer_suspends_then_resumes_a_case(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page, case_no = _page(hall, qtbot)
    page.view.setCurrentIndex(page.model.index(page.model.row_of(case_no), 0))
    # Waiting in the queue: nothing to suspend or resume, but a 延期 is allowed (the lifecycle says so).
    assert not page.suspend_button.isEnabled() and not page.resume_button.isEnabled()
    assert page.extend_button.isEnabled()
    page.claim_next_button.click()
    settle()
    assert page.claim is not None and page.suspend_button.isEnabled() and not page.resume_button.isEnabled()

    dialog = page.open_suspend()
    assert isinstance(dialog, SuspendDialog) and dialog.isVisible()
    dialog.ok_button.click()  # nothing chosen: the lifecycle's own messages, nothing saved
    assert dialog.isVisible() and dialog.error_label.text() == (
        "特别程序只能是：听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审（行政许可法第四十五条）；"
        "特别程序须写明理由（将书面告知申请人）")
    dialog.procedure_combo.setFocus()
    QTest.keyClick(dialog.procedure_combo, Qt.Key.Key_Down)  # the keyboard picks 听证
    assert dialog.procedure_combo.currentData() == "听证"
    type_chinese(dialog.reason_edit, "申请事项涉及相邻权利人重大利益，需举行听证")
    QTest.keyClick(dialog.procedure_combo, Qt.Key.Key_Return)  # Enter saves (the default button)
    settle()
    assert page.clock_dialog is None and message_boxes.shown == []  # closed (and deleted)
    view = read_case(hall.uow(), case_no)
    assert view.status == "suspended" and view.clock.procedure == "听证"
    assert view.notices[-1].kind == "suspension"
    assert page.claim is None  # the panel is free; the case waits in 我的在办

    page.status_combo.setCurrentIndex(page.status_combo.findData("mine"))
    settle()
    row = page.model.row_of(case_no)
    assert row >= 0 and page.model.index(row, 0).data() == "● 暂停计时"
    assert page.model.index(row, 5).data().startswith("暂停（剩")
    page.view.setCurrentIndex(page.model.index(row, 0))
    assert page.resume_button.isEnabled() and not page.suspend_button.isEnabled()
    page.resume_button.click()
    settle()
    assert page.claim is not None and page.claim.case.case_no == case_no
    assert read_case(hall.uow(), case_no).status == "in_review" and message_boxes.shown == []


def test_reviewer_extends_once_and_a_second_time_is_refused(hall: HallDesk, qtbot: QtBot,
                                                           message_boxes: MessageBoxes) -> None:
    page, case_no = _page(hall, qtbot)
    page.claim_next_button.click()
    settle()
    before = read_case(hall.uow(), case_no).legal_due
    dialog = page.open_extend()
    assert isinstance(dialog, ExtendDialog) and dialog.days_spin.value() == 10
    dialog.days_spin.setValue(5)
    dialog.ok_button.click()
    assert dialog.isVisible() and "延期须经本行政机关负责人批准" in dialog.error_label.text()
    type_chinese(dialog.approver_edit, "王局长")
    type_chinese(dialog.reason_edit, "需现场核查经营场所")
    dialog.ok_button.click()
    settle()
    assert page.clock_dialog is None and message_boxes.shown == []  # closed (and deleted)
    after = read_case(hall.uow(), case_no)
    assert after.clock.extension_days == 5 and before is not None and after.legal_due is not None
    assert after.legal_due > before and after.notices[-1].kind == "extension"
    assert page.claim is not None  # still in hand, with the new dates
    settle()
    assert "已延期5个工作日（王局长批准）：需现场核查经营场所" in page.details.text_of("clock")

    again = page.open_extend()
    assert again is not None
    type_chinese(again.approver_edit, "王局长")
    type_chinese(again.reason_edit, "再核查")
    again.ok_button.click()
    settle()
    assert again.isVisible() and "依法只能延期一次" in again.error_label.text()
    assert read_case(hall.uow(), case_no).clock.extension_days == 5
    again.reject()
    settle()
    claims.release(hall.uow(), log_in(hall, "rev_scj"), case_no)


def test_the_output_window_names_the_correction_notice_of_a_returned_case(
        hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    item = catalog.get_item(hall.uow(), "SCJ007")
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    reviewer = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), reviewer, taken.case_no)
    view = decisions.decide(hall.uow(), reviewer, taken.case_no, "return", token=claim.token,
                             reason="营业执照复印件不清晰", supply=("M01",))
    doc_no = next(n.doc_no for n in view.notices if n.kind == "return")
    _window, page = open_output(hall, qtbot)
    scan(qtbot, page, taken.slip)
    assert f"补正通知书（审查阶段）：{doc_no}" in page.case_info.text()
    assert "退回补正" in page.blockers_text() and doc_no in page.blockers_text()
    assert not page.issue_button.isEnabled()
