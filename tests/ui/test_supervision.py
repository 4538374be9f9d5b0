"""差评整改 on the chief representative's page, and the supervisor's page (督查)."""

from __future__ import annotations

import contextlib
from datetime import date

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import backoffice, evaluation, output
from app.context import HallDesk
from app.errors import HallDeskError
from app.evaluation import EvaluationSettings
from db.models import Case, Rectification
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_output import decided
from ui.chief.page import ChiefRepPage
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.supervision.page import SummaryTableModel, SupervisionPage
from ui.supervision.rectification import RectificationNoteDialog, RectificationTableModel

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)


def open_window(hall: HallDesk, qtbot: QtBot, username: str) -> MainWindow:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    return window


def bad_rating(hall: HallDesk, level: int = 2, reason: str = "attitude") -> str:
    """A decided SCJ case rated 差评 after its intake; returns the case number."""
    case = decided(hall)
    evaluation.rate(
        hall.uow(), log_in(hall, "clerk1"), case.case_no, level, reasons=[reason], occasion="intake"
    )
    return case.case_no


def note_dialog(qtbot: QtBot, dialog: RectificationNoteDialog | None, text: str) -> RectificationNoteDialog:
    assert dialog is not None and dialog.isVisible()
    type_chinese(dialog.note_edit, text)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return dialog


def test_chief_rep_records_the_callback_and_closes_the_rectification(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    case_no = bad_rating(hall)
    window = open_window(hall, qtbot, "chief_scj")
    page = window.show_page("chiefrep")
    assert isinstance(page, ChiefRepPage)
    settle()
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == ["部门工作", "差评整改", "投诉与办不成事"]
    page.tabs.setCurrentIndex(1)
    panel = page.rectifications
    assert panel.model.rowCount() == 1 and not panel.dept_combo.isVisible()  # the own department only
    assert "差评 1 次" in panel.summary_label.text()
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    rect = panel.selected()
    assert rect is not None and rect.case_no == case_no and rect.status == "open"
    assert panel.model.index(0, 4).data() == "服务态度差" and panel.model.index(0, 0).data() == "● 正常"
    assert panel.callback_button.isEnabled() and not panel.close_button.isEnabled()

    # Too short a note is the service's ValidationError, shown in the dialog, which stays open.
    dialog = note_dialog(qtbot, panel.record_callback(), "好")
    settle()
    assert dialog.isVisible() and "回访情况" in dialog.error_label.text()
    dialog.note_edit.selectAll()
    type_chinese(dialog.note_edit, "电话回访申请人，已致歉，申请人表示理解")  # typed over the selection
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert panel.dialog is None  # saved and closed
    assert panel.model.rows()[0].status == "called_back" and panel.model.index(0, 7).data() == "已回访待整改"
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    assert not panel.callback_button.isEnabled() and panel.close_button.isEnabled()

    note_dialog(qtbot, panel.close_rectification(), "已对窗口人员批评教育并重新培训")
    settle()
    [closed] = evaluation.list_rectifications(hall.uow(), log_in(hall, "chief_scj"))
    assert closed.status == "closed" and closed.fix_note == "已对窗口人员批评教育并重新培训"
    assert closed.callback_note == "电话回访申请人，已致歉，申请人表示理解"
    assert panel.model.index(0, 0).data() == "● 已整改" and message_boxes.shown == []


def test_chief_rep_sets_whether_certificates_go_before_supplements(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, qtbot, "chief_scj")
    page = window.show_page("chiefrep")
    assert isinstance(page, ChiefRepPage)
    settle()
    assert not page.issue_early_check.isChecked()
    page.issue_early_check.setChecked(True)
    page.save()
    settle()
    saved = backoffice.get_dept_settings(hall.uow(), "SCJ")
    assert saved.issue_before_supplement and saved.review_days == 3  # the rest unchanged
    page.issue_early_check.setChecked(False)
    page.load()
    settle()
    assert page.issue_early_check.isChecked()


def test_supervisor_sees_overdue_first_and_unlocks_a_case(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    on_time = bad_rating(hall)
    late = bad_rating(hall, 1, "efficiency")
    with hall.uow() as uow:
        case_id = uow.session.execute(select(Case.id).where(Case.case_no == late)).scalar_one()
        row = uow.session.execute(select(Rectification).where(Rectification.case_id == case_id)).scalar_one()
        row.due = date(2020, 1, 2)
        uow.commit()
    window = open_window(hall, qtbot, "supervisor")
    assert window.page_keys() == ["supervision", "grievance", "catalog"]
    page = window.page("supervision")
    assert isinstance(page, SupervisionPage) and page.is_loaded()
    panel = page.rectifications
    assert [r.case_no for r in panel.model.rows()] == [late, on_time]  # overdue first
    assert panel.model.index(0, 0).data() == "● 超期"
    assert "其中超期 1 件" in panel.count_label.text()
    assert not panel.callback_button.isVisible()  # callbacks are the department's to make
    panel.overdue_check.setChecked(True)
    settle()
    assert [r.case_no for r in panel.model.rows()] == [late]
    panel.overdue_check.setChecked(False)
    panel.dept_combo.setCurrentIndex(panel.dept_combo.findData("ZJJ"))
    settle()
    assert panel.model.rowCount() == 0
    scj = page.summary_model.row_of("区市场监管局")
    assert page.summary_model.index(scj, 1).data() == "2" and page.summary_model.index(scj, 7).data() == "2"
    assert "评价 2 次" in page.summary_total.text()

    # 解锁取件码: a case locked by five wrong codes.
    case = decided(hall)
    clerk = log_in(hall, "clerk3")
    wrong = f"{(int(case.pickup_code) + 1) % 1_000_000:06d}"
    for _ in range(output.PICKUP_MAX_TRIES):
        with contextlib.suppress(HallDeskError):
            output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=wrong)
    page.tabs.setCurrentWidget(page.tools)
    qtbot.keyClicks(page.unlock_edit, case.case_no.lower())
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    settle()
    assert message_boxes.texts("question") and "已解锁" in page.unlock_result.text()
    assert output.find_for_pickup(hall.uow(), clerk, slip=case.slip).ready
    qtbot.keyClicks(page.unlock_edit, case.case_no)
    qtbot.keyClick(page.unlock_edit, Qt.Key.Key_Return)
    settle()
    assert message_boxes.texts("warning") == [f"办件 {case.case_no} 未被锁定"]


def test_evaluation_settings_load_and_save_symmetrically(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, qtbot, "supervisor")
    page = window.page("supervision")
    assert isinstance(page, SupervisionPage)
    assert (page.days_spin.value(), page.prompt_spin.value()) == (5, 45)
    page.days_spin.setValue(3)
    page.prompt_spin.setValue(20)
    page.save()
    settle()
    assert evaluation.get_evaluation_settings(hall.uow()) == EvaluationSettings(3, 20)
    page.days_spin.setValue(9)
    page.load()
    settle()
    assert (page.days_spin.value(), page.prompt_spin.value()) == (3, 20)


def test_supervision_models(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    bad_rating(hall)
    sup = log_in(hall, "supervisor")
    rects = RectificationTableModel()
    rects.set_rows(evaluation.list_rectifications(hall.uow(), sup))
    qtmodeltester.check(rects)
    assert rects.rowCount() == 1 and rects.index(0, 3).data() == "不满意"
    assert rects.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "评价时间" in rects.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    summaries = SummaryTableModel()
    summaries.set_rows([("区市场监管局", evaluation.evaluation_summary(hall.uow(), sup, dept="SCJ"))])
    qtmodeltester.check(summaries)
    assert [summaries.index(0, c).data() for c in range(9)] == [
        "区市场监管局",
        "1",
        "0",
        "0",
        "0",
        "1",
        "0",
        "1",
        "0.0%",
    ]
