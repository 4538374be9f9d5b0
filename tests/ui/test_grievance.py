"""办不成事 in the GUI: the supervisor's page, the chief representative's 投诉与办不成事 tab, the grievance counter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app import grievance
from app.context import HallDesk
from app.grievance import GrievanceSettings
from app.hall_settings import load_calendar, today
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.chief.page import ChiefRepPage
from ui.grievance.dialogs import GrievanceActionDialog, RegisterGrievanceDialog
from ui.grievance.models import GrievanceTableModel
from ui.grievance.page import GrievancePage
from ui.grievance.panel import GrievancePanel, grievances_empty
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.widgets import empty_state

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

CONTENT = "在综合窗口办理食品经营许可，三次被要求补交同一份材料，至今未办成。"


def open_window(hall: HallDesk, qtbot: QtBot, username: str) -> MainWindow:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    return window


def grievance_page(hall: HallDesk, qtbot: QtBot, username: str = "supervisor") -> tuple[MainWindow, GrievancePage]:
    """The 办不成事 page, loaded; the window comes along (the test keeps it alive)."""
    window = open_window(hall, qtbot, username)
    page = window.show_page("grievance")
    assert isinstance(page, GrievancePage)
    settle()
    assert page.is_loaded()
    return window, page


def chief_panel(hall: HallDesk, qtbot: QtBot, username: str) -> tuple[MainWindow, GrievancePanel]:
    """The chief representative's 投诉与办不成事 tab, on screen."""
    window = open_window(hall, qtbot, username)
    page = window.show_page("chiefrep")
    assert isinstance(page, ChiefRepPage)
    settle()
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.grievances))
    assert page.tabs.tabText(page.tabs.currentIndex()) == "投诉与办不成事"
    return window, page.grievances


def ok(qtbot: QtBot, dialog: RegisterGrievanceDialog | GrievanceActionDialog | None) -> None:
    assert dialog is not None
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle()


def step(qtbot: QtBot, panel: GrievancePanel, kind: str, note: str = "") -> GrievanceActionDialog:
    """Open the step's dialog on the selected grievance, write ``note`` (if any) and press OK."""
    dialog = getattr(panel, kind)()
    assert isinstance(dialog, GrievanceActionDialog) and dialog.isVisible()
    if note:
        type_chinese(dialog.note_edit, note)
    ok(qtbot, dialog)
    return dialog


def shown(panel: GrievancePanel) -> tuple[str, str]:
    g = panel.selected()
    assert g is not None
    return g.grievance_no, g.status


def enabled(panel: GrievancePanel) -> set[str]:
    return {key for key, button in panel.buttons.items() if button.isVisible() and button.isEnabled()}


def test_grievance_table_model(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    sup = log_in(hall, "supervisor")
    first = grievance.register(hall.uow(), sup, complainant="王芳", content=CONTENT, phone="13800000001").grievance_no
    grievance.classify(hall.uow(), sup, first, "complaint")
    grievance.assign(hall.uow(), sup, first, "SCJ", days=3)
    grievance.urge(hall.uow(), sup, first, "请尽快答复")
    second = grievance.register(hall.uow(), sup, complainant="李雷", content="建议增加\n周末延时服务", channel="letter")
    settled = grievance.register(hall.uow(), sup, complainant="赵敏", content="咨询", channel="phone").grievance_no
    grievance.resolve(hall.uow(), sup, settled, "窗口当场解答")
    model = GrievanceTableModel()
    model.set_rows(grievance.list_grievances(hall.uow(), sup))
    qtmodeltester.check(model)
    assert model.rowCount() == 3 and model.columnCount() == 11
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(11)] == [
        "时限", "编号", "收件时间", "来源", "类别", "反映人", "内容摘要", "承办部门", "状态", "期限", "督办次数"]
    row = model.row_of(first)
    cells = [model.index(row, c).data() for c in range(11)]
    assert cells[0] == "● 正常" and cells[1] == first and cells[3] == "窗口" and cells[4] == "投诉"
    # The list masks the complainant's name (张*): the full name is in the selected grievance's details only.
    assert cells[5:9] == ["王*", CONTENT[:30] + "…", "区市场监管局", "已转办"] and cells[10] == "1"
    assert model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(row, 6).data(Qt.ItemDataRole.ToolTipRole) == CONTENT
    other = model.row_of(second.grievance_no)
    # A short text stays whole, on one line; no category, department or deadline yet.
    assert [model.index(other, c).data() for c in (3, 4, 6, 7, 9, 10)] == ["信件", "未分类", "建议增加 周末延时服务",
                                                                          "", "", ""]
    assert model.index(other, 0).data() == "— 未限时"  # no deadline runs before 转办
    assert model.index(other, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.row_of(settled) == 2 and model.index(2, 0).data() == "● 已办结"  # settled ones last
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) is None and model.row_of("BC000000-0000") == -1


def test_from_registration_to_archive_with_the_chief_representatives_reply(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    # One grievance already waits: the one worked on changes rows, and the cursor must follow it.
    waiting = grievance.register(hall.uow(), log_in(hall, "supervisor"), complainant="李雷",
                                 content="建议增加周末延时服务").grievance_no
    _window, page = grievance_page(hall, qtbot)
    panel = page.panel
    messages: list[str] = []
    page.status_message.connect(messages.append)
    assert panel.model.rowCount() == 1 and panel.register_button.isVisible() and page.settings_page.isVisible()
    assert shown(panel) == (waiting, "received")
    assert panel.dept_combo.findData("SCJ") >= 0  # the supervisor's 部门 filter knows the departments

    # 受理 through the dialog.
    dialog = panel.register()
    assert isinstance(dialog, RegisterGrievanceDialog) and dialog.isVisible()
    type_chinese(dialog.name_edit, "王芳")
    qtbot.keyClicks(dialog.phone_field.edit, "13800000001")
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("phone"))
    type_chinese(dialog.content_edit, CONTENT)
    ok(qtbot, dialog)
    assert panel.dialog is None and panel.model.rowCount() == 2
    no, status = shown(panel)
    assert status == "received" and no != waiting and panel.model.row_of(no) == 1  # received later
    assert messages == [f"已登记诉求 {no}（王芳）"]
    detail = panel.detail_edit.toPlainText()
    assert "138****0001" in detail and "13800000001" not in detail and CONTENT in detail and "受理：电话受理" in detail
    assert enabled(panel) == {"classify", "resolve"}

    # 分类, 转办 to SCJ in 3 working days, 督办.
    dialog = panel.classify()
    assert dialog is not None
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findData("unresolved"))
    ok(qtbot, dialog)
    assert shown(panel) == (no, "classified") and enabled(panel) == {"classify", "assign", "resolve"}
    dialog = panel.assign()
    assert dialog is not None and dialog.days_spin.text() == "按默认期限（5个工作日）"
    dialog.dept_combo.setCurrentIndex(dialog.dept_combo.findData("SCJ"))
    dialog.days_spin.setValue(3)
    ok(qtbot, dialog)
    assert shown(panel) == (no, "assigned") and panel.model.row_of(no) == 0  # with a deadline: first
    with hall.uow() as uow:
        due = load_calendar(uow.session).add_workdays(today(), 3).date
    row = panel.model.row_of(no)
    assert panel.model.index(row, 7).data() == "区市场监管局" and panel.model.index(row, 9).data() == due.isoformat()
    step(qtbot, panel, "urge", "请于本周内答复诉求人")
    assert panel.model.index(panel.model.row_of(no), 10).data() == "1"
    assert enabled(panel) == {"assign", "urge", "resolve"}

    # The chief representative of SCJ sees it in the 投诉与办不成事 tab and replies.
    _chief_window, chief = chief_panel(hall, qtbot, "chief_scj")
    assert chief.model.rowCount() == 1 and shown(chief) == (no, "assigned")
    assert not chief.dept_combo.isVisible() and not chief.register_button.isVisible()
    assert [k for k, b in chief.buttons.items() if b.isVisible()] == ["resolve"] and enabled(chief) == {"resolve"}
    step(qtbot, chief, "resolve", "已当面致歉，并一次性告知所需材料。")
    assert shown(chief) == (no, "resolved") and enabled(chief) == set()
    assert "已当面致歉" in chief.detail_edit.toPlainText()

    # 回访: not satisfied — reopened for SCJ; the chief replies again; then satisfied, and 归档.
    panel.refresh()
    settle()
    assert shown(panel) == (no, "resolved") and enabled(panel) == {"callback"}
    dialog = panel.callback()
    assert dialog is not None
    dialog.choose_satisfied(False)
    type_chinese(dialog.note_edit, "电话回访：仍未拿到许可证")
    ok(qtbot, dialog)
    assert shown(panel) == (no, "assigned")
    assert "重新办理" in panel.detail_edit.toPlainText()
    chief.refresh()
    settle()
    step(qtbot, chief, "resolve", "许可证已于今日发放。")
    panel.refresh()
    settle()
    dialog = panel.callback()
    assert dialog is not None
    dialog.choose_satisfied(True)
    type_chinese(dialog.note_edit, "电话回访：满意")
    ok(qtbot, dialog)
    assert shown(panel) == (no, "called_back") and enabled(panel) == {"archive"}
    assert panel.archive()
    settle()
    assert shown(panel) == (no, "archived") and enabled(panel) == set() and panel.model.row_of(no) == 1
    assert message_boxes.texts("question") and message_boxes.texts("warning") == []

    detail = grievance.get_grievance(hall.uow(), log_in(hall, "supervisor"), no)
    assert [e.action for e in detail.events] == ["register", "classify", "assign", "urge", "resolve", "callback",
                                                 "reopen", "resolve", "callback", "archive"]
    assert [e.actor for e in detail.events if e.action == "resolve"] == ["chief_scj", "chief_scj"]
    assert detail.grievance.reply == "许可证已于今日发放。" and detail.grievance.satisfied is True
    assert "归档" in panel.detail_edit.toPlainText()


def test_bad_input_keeps_the_dialog_open_and_saves_nothing(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    _window, page = grievance_page(hall, qtbot)
    panel = page.panel
    sup = log_in(hall, "supervisor")
    dialog = panel.register()
    assert dialog is not None
    type_chinese(dialog.name_edit, "王芳")
    ok(qtbot, dialog)  # no content
    assert dialog.isVisible() and panel.dialog is dialog
    assert dialog.error_label.isVisible() and "请填写诉求内容" in dialog.error_label.text()
    assert dialog.focusWidget() is dialog.content_edit  # where the problem is
    type_chinese(dialog.content_edit, CONTENT)
    qtbot.keyClicks(dialog.phone_field.edit, "12345")
    ok(qtbot, dialog)
    assert dialog.isVisible() and "手机号码" in dialog.error_label.text()
    assert grievance.list_grievances(hall.uow(), sup) == [] and panel.model.rowCount() == 0
    dialog.phone_field.edit.clear()
    ok(qtbot, dialog)
    assert panel.dialog is None and panel.model.rowCount() == 1  # saved, closed

    # A step's bad input too: no department chosen, an empty 督办 note, a callback with no answer.
    no, _ = shown(panel)
    grievance.classify(hall.uow(), sup, no, "complaint")
    panel.refresh()
    settle()
    dialog = step(qtbot, panel, "assign")
    assert dialog.isVisible() and dialog.error_label.text() == "请选择承办部门"
    dialog.reject()
    grievance.assign(hall.uow(), sup, no, "ZJJ")
    panel.refresh()
    settle()
    dialog = step(qtbot, panel, "urge")
    assert dialog.isVisible() and "请写明督办意见" in dialog.error_label.text()
    dialog.reject()
    grievance.resolve(hall.uow(), sup, no, "已答复")
    panel.refresh()
    settle()
    dialog = step(qtbot, panel, "callback", "电话回访")
    assert dialog.isVisible() and dialog.error_label.text() == "请选择诉求人是否满意"
    dialog.reject()
    g = grievance.get_grievance(hall.uow(), sup, no)
    assert g.grievance.urge_count == 0 and g.grievance.status == "resolved" and len(g.events) == 4
    assert message_boxes.shown == []


def test_filters_and_the_default_deadline(hall: HallDesk, qtbot: QtBot) -> None:
    sup = log_in(hall, "supervisor")
    scj = grievance.register(hall.uow(), sup, complainant="王芳", content=CONTENT).grievance_no
    grievance.classify(hall.uow(), sup, scj, "unresolved")
    grievance.assign(hall.uow(), sup, scj, "SCJ")
    waiting = grievance.register(hall.uow(), sup, complainant="李雷", content="建议增加周末延时服务").grievance_no
    _window, page = grievance_page(hall, qtbot)
    panel = page.panel
    assert {g.grievance_no for g in panel.model.rows()} == {scj, waiting} and panel.count_label.text() == "共 2 件"
    panel.dept_combo.setCurrentIndex(panel.dept_combo.findData("SCJ"))
    settle()
    assert [g.grievance_no for g in panel.model.rows()] == [scj]
    panel.dept_combo.setCurrentIndex(0)
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("received"))
    settle()
    assert [g.grievance_no for g in panel.model.rows()] == [waiting]
    panel.status_combo.setCurrentIndex(0)
    panel.overdue_check.setChecked(True)
    settle()
    assert panel.model.rowCount() == 0 and panel.detail_edit.toPlainText() == "" and enabled(panel) == set()

    assert page.days_spin.value() == 5
    page.days_spin.setValue(8)
    assert page.save()
    settle()
    assert grievance.get_grievance_settings(hall.uow()) == GrievanceSettings(days=8)
    assert panel.default_days == 8
    page.days_spin.setValue(3)
    page.load()
    settle()
    assert page.days_spin.value() == 8


def test_the_grievance_counter_registers_and_other_clerks_have_no_grievance_page(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    # Kept referenced: a window collected while its pages still load would be deleted on a pool thread.
    comprehensive = open_window(hall, qtbot, "clerk1")
    assert "grievance" not in comprehensive.page_keys() and comprehensive.current_page_key() == "counter"
    window = open_window(hall, qtbot, "clerk9")
    assert window.page_keys() == ["grievance", "counter", "catalog", "printqueue"]
    assert window.current_page_key() == "grievance" and window.page_titles()[0] == "办不成事"
    page = window.page("grievance")
    assert isinstance(page, GrievancePage) and page.is_loaded()
    panel = page.panel
    # The clerk writes grievances down; the list and the steps are the supervisor's.
    assert panel.register_button.isVisible() and not page.settings_page.isVisible()
    assert not panel.status_combo.isVisible() and not panel.refresh_button.isVisible() and enabled(panel) == set()
    dialog = panel.register()
    assert dialog is not None
    type_chinese(dialog.name_edit, "赵敏")
    type_chinese(dialog.content_edit, "办件超期未办结")
    ok(qtbot, dialog)
    assert panel.dialog is None and panel.model.rowCount() == 1  # saved, closed
    no, status = shown(panel)
    assert status == "received" and "办件超期未办结" in panel.detail_edit.toPlainText()
    assert message_boxes.shown == []  # no refused list, no refused details
    [seen] = grievance.list_grievances(hall.uow(), log_in(hall, "supervisor"))
    assert seen.grievance_no == no and seen.channel == "window"


def test_a_chief_representative_sees_only_the_own_departments_grievances(hall: HallDesk, qtbot: QtBot) -> None:
    sup = log_in(hall, "supervisor")
    no = grievance.register(hall.uow(), sup, complainant="王芳", content=CONTENT).grievance_no
    grievance.classify(hall.uow(), sup, no, "complaint")
    grievance.assign(hall.uow(), sup, no, "SCJ")
    grievance.register(hall.uow(), sup, complainant="李雷", content="尚未转办")
    _other_window, other = chief_panel(hall, qtbot, "chief_zjj")
    assert other.model.rowCount() == 0 and other.loaded and other.count_label.text() == ""
    note = empty_state(other.view)
    assert note is not None and note.is_shown() and note.text() == grievances_empty(log_in(hall, "chief_zjj"))
    _own_window, own = chief_panel(hall, qtbot, "chief_scj")
    assert [g.grievance_no for g in own.model.rows()] == [no]
