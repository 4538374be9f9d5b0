"""容缺催补 (issue 14 part 7): the overdue page of the chief representative and of the output window, its model,
催补 and 终止办理 through the GUI."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import cases, tolerate
from app.context import HallDesk
from db.models import Notice
from tests.conftest import log_in, sqlite_only
from tests.test_tolerate import _accepted, _late
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.output.overdue import OverduePage, OverdueTableModel, TerminateDialog
from ui.widgets import empty_state

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)


def open_page(hall: HallDesk, qtbot: QtBot, username: str) -> tuple[MainWindow, OverduePage]:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    page = window.show_page("overdue")
    assert isinstance(page, OverduePage)
    settle()
    return window, page


def notices(hall: HallDesk, kind: str) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Notice).where(Notice.kind == kind))
                   .scalar_one())


def test_the_overdue_model(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    late, later = _accepted(hall), _accepted(hall)
    _late(hall, late.case_no, 2)
    _late(hall, later.case_no, 12)
    model = OverdueTableModel()
    model.set_rows(tolerate.overdue(hall.uow(), log_in(hall, "supervisor")))
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.index(0, 0).data() == "12日" and model.index(0, 1).data() == later.case_no
    assert model.index(1, 9).data() == "—" and model.index(0, 8).data() == "已受理（待审批）"
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "已逾期12日" in model.index(0, 6).data(Qt.ItemDataRole.ToolTipRole)
    assert model.row_of(late.case_no) == 1 and model.row_of("nothing") == -1


def test_the_chief_representative_reminds_then_terminates(hall: HallDesk, qtbot: QtBot,
                                                          message_boxes: MessageBoxes) -> None:
    case = _accepted(hall)
    _late(hall, case.case_no, 5)
    window, page = open_page(hall, qtbot, "chief_scj")
    assert window.page_titles() == ["后台审批", "首席代表", "容缺催补", "事项目录"]
    assert page.model.rowCount() == 1 and "共 1 件" in page.count_label.text()
    first = page.selected()
    assert first is not None and first.case_no == case.case_no  # the first row, at once
    page.view.setCurrentIndex(QModelIndex())
    assert not page.remind_button.isEnabled() and not page.terminate_button.isEnabled()  # nothing selected
    page.view.setCurrentIndex(page.model.index(0, 0))
    assert page.remind_button.isEnabled() and page.terminate_button.isEnabled()
    assert "尚未催补" in page.detail.text() and "已逾期5日" in page.detail.text()

    # 催补: asked first, then the notice is served and opens in the preview; the case stays where it is.
    message_boxes.answer = message_boxes.answer.No
    assert not page.remind()
    assert notices(hall, "reminder") == 0
    message_boxes.answer = message_boxes.answer.Yes
    assert page.remind()
    settle()
    qtbot.waitUntil(lambda: page.preview is not None and page.preview.page_count() >= 1, timeout=10000)
    assert page.preview is not None and "容缺材料催补通知书" in page.preview.windowTitle()
    page.preview.close()
    settle()
    assert notices(hall, "reminder") == 1 and cases.read_case(hall.uow(), case.case_no).status == "accepted"
    assert page.model.index(0, 9).data() == "1次"

    # 终止办理: the dialog wants a reason; a refusal stays in the dialog and writes nothing.
    page.view.setCurrentIndex(page.model.index(0, 0))
    dialog = page.terminate()
    assert isinstance(dialog, TerminateDialog) and dialog.isVisible()
    assert dialog.withdrawn_check.isEnabled() and not dialog.withdrawn_check.isChecked()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert dialog.isVisible() and "须写明理由" in dialog.error_label.text()
    assert notices(hall, "termination") == 0
    type_chinese(dialog.reason_edit, "容缺材料逾期未补齐，经催补仍未补齐")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    assert page.dialog is None and cases.read_case(hall.uow(), case.case_no).status == "terminated"
    qtbot.waitUntil(lambda: page.preview is not None, timeout=10000)
    assert page.preview is not None and "终止办理通知书" in page.preview.windowTitle()
    page.preview.close()
    settle()
    note = empty_state(page.view)  # the list says why it is empty, under no "共 0 件"
    assert page.model.rowCount() == 0 and page.count_label.text() == ""
    assert note is not None and note.is_shown() and note.text().startswith("没有容缺材料逾期未补齐的办件。")


def test_the_output_window_terminates_only_on_a_withdrawal(hall: HallDesk, qtbot: QtBot) -> None:
    case = _accepted(hall)
    _late(hall, case.case_no, 1)
    window, page = open_page(hall, qtbot, "clerk3")
    assert window.page_keys()[:3] == ["output", "counter", "overdue"]
    page.view.setCurrentIndex(page.model.index(0, 0))
    dialog = page.terminate()
    assert dialog is not None and dialog.withdrawn_check.isChecked() and not dialog.withdrawn_check.isEnabled()
    type_chinese(dialog.reason_edit, "申请人书面申请撤回")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()
    view = cases.read_case(hall.uow(), case.case_no)
    assert view.status == "terminated" and "申请人申请撤回" in view.history[-1].note
    qtbot.waitUntil(lambda: page.preview is not None, timeout=10000)
    assert page.preview is not None
    page.preview.close()
    settle()


def test_a_reviewer_has_no_overdue_page(hall: HallDesk, qtbot: QtBot) -> None:
    window = create_main_window(hall, log_in(hall, "rev_scj"), calendar_notice=False)
    qtbot.addWidget(window)
    assert "overdue" not in window.page_keys()
