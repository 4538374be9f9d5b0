from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import accounts, hall_settings
from app.auth import Actor
from app.context import HallDesk
from app.errors import AuthenticationError
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle, type_chinese
from ui.admin.counters import CountersPage
from ui.admin.hall_settings import HallSettingsPage
from ui.admin.holidays import HolidaysPage
from ui.admin.users import UserDialog, UsersPage
from ui.widgets import to_qdate

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

# A year no calendar package knows yet, so that confirming it means something.
FAR_YEAR = 2031


def show(page: UsersPage | CountersPage | HallSettingsPage | HolidaysPage, qtbot: QtBot) -> None:
    qtbot.addWidget(page)
    page.resize(1200, 680)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    settle()
    assert page.is_loaded()


def test_add_user_through_the_dialog(hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page = UsersPage(hall, admin)
    show(page, qtbot)
    assert page.model.rowCount() == len(accounts.list_users(hall.uow(), admin))

    dialog = page.add_user()
    assert isinstance(dialog, UserDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.username_edit, "rev_scj2")
    type_chinese(dialog.full_name_edit, "市场监管局审批员二")
    assert not dialog.dept_combo.isEnabled()  # a clerk has no department
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("reviewer"))
    assert dialog.role_combo.currentText() == "后台审批人员"
    assert dialog.dept_combo.isEnabled()
    dialog.dept_combo.setCurrentIndex(dialog.dept_combo.findData("SCJ"))
    assert dialog.passwords is not None
    qtbot.keyClicks(dialog.passwords.password_edit, "Scj2pass2026")
    qtbot.keyClicks(dialog.passwords.repeat_edit, "Scj2pass2025")
    qtbot.keyClick(dialog.passwords.repeat_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.error_label.text() == "两次输入的密码不一致"
    assert "rev_scj2" not in {u.username for u in accounts.list_users(hall.uow(), admin)}

    dialog.passwords.repeat_edit.clear()
    qtbot.keyClicks(dialog.passwords.repeat_edit, "Scj2pass2026")
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.passwords.repeat_edit, Qt.Key.Key_Return)
    assert message_boxes.shown == []
    users = {u.username: u for u in accounts.list_users(hall.uow(), admin)}
    new = users["rev_scj2"]
    assert (new.full_name, new.role, new.dept, new.active) == ("市场监管局审批员二", "reviewer", "SCJ", True)
    assert log_in(hall, "rev_scj2", "Scj2pass2026").dept_code == "SCJ"
    settle()
    assert page.selected_username() == "rev_scj2"
    row = page.model.row_of("rev_scj2")
    assert page.model.index(row, 3).data() == "区市场监管局"
    assert page.model.index(row, 5).data() == "正常"


def test_duplicate_user_is_refused_with_the_services_message(
    hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = UsersPage(hall, admin)
    show(page, qtbot)
    dialog = page.add_user()
    qtbot.keyClicks(dialog.username_edit, "clerk1")
    type_chinese(dialog.full_name_edit, "重名")
    assert dialog.passwords is not None
    qtbot.keyClicks(dialog.passwords.password_edit, "Abcdefg123")
    qtbot.keyClicks(dialog.passwords.repeat_edit, "Abcdefg123")
    assert dialog.save() is not None
    settle()
    assert message_boxes.texts("warning") == ["用户名 clerk1 已存在"]
    assert dialog.isVisible()


def test_edit_user_unlock_and_reset_password(hall: HallDesk, admin: Actor, qtbot: QtBot) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            log_in(hall, "clerk2", "wrong-password9")
    page = UsersPage(hall, admin)
    show(page, qtbot)
    assert page.select_user("clerk2")
    assert page.model.index(page.model.row_of("clerk2"), 5).data() == "已锁定"
    assert page.unlock_button.isEnabled()
    assert page.unlock_user() is not None
    settle()
    assert not next(u for u in accounts.list_users(hall.uow(), admin) if u.username == "clerk2").locked
    assert page.selected_username() == "clerk2" and not page.unlock_button.isEnabled()

    dialog = page.reset_password()
    assert dialog is not None
    qtbot.keyClicks(dialog.passwords.password_edit, "NewPass2026")
    qtbot.keyClicks(dialog.passwords.repeat_edit, "NewPass2026")
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.passwords.repeat_edit, Qt.Key.Key_Return)
    assert log_in(hall, "clerk2", "NewPass2026").username == "clerk2"
    settle()

    edit = page.edit_user()
    assert isinstance(edit, UserDialog) and edit.username_edit.isReadOnly()
    assert edit.active_check is not None
    edit.counter_combo.setCurrentIndex(edit.counter_combo.findData(8))
    edit.active_check.setChecked(False)
    assert edit.save() is not None
    settle()
    clerk2 = next(u for u in accounts.list_users(hall.uow(), admin) if u.username == "clerk2")
    assert (clerk2.counter, clerk2.active) == (8, False)


def test_edit_counter_printer_address(hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page = CountersPage(hall, admin)
    show(page, qtbot)
    assert page.select_counter(2)
    dialog = page.edit_counter()
    assert dialog is not None and not dialog.number_spin.isEnabled()

    replace_text(dialog.printer_edit, "lpt1")
    dialog.save()
    settle()  # the service's rule, shown as a warning; the dialog stays
    assert message_boxes.texts("warning") == [
        "打印机地址无效：应为 tcp://IP:9100、usb://VID:PID、serial:///dev/ttyS0?baudrate=9600、win32://打印机名、"
        "cups://队列名、file:///路径 或 folder:///文件夹（lpt1）"
    ]
    assert dialog.isVisible()

    dialog.printer_edit.clear()
    qtbot.keyClicks(dialog.printer_edit, "tcp://192.168.1.50:9100")
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.printer_edit, Qt.Key.Key_Return)
    counters = {c.number: c for c in accounts.list_counters(hall.uow())}
    assert counters[2].printer_uri == "tcp://192.168.1.50:9100"
    assert counters[2].name == "综合受理2号窗口"
    settle()
    row = page.model.row_of(2)
    assert page.model.index(row, 3).data() == "tcp://192.168.1.50:9100"
    assert page.selected_number() == 2

    added = page.add_counter()
    assert added.number_spin.value() == 4  # the first free number
    type_chinese(added.name_edit, "综合受理4号窗口")
    added.save()
    settle()
    assert 4 in {c.number for c in accounts.list_counters(hall.uow())}


def test_hall_settings_load_save_round_trip(
    hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = HallSettingsPage(hall, admin)
    show(page, qtbot)
    settle()
    assert page.form_settings() == hall_settings.get_hall_settings(hall.uow())

    replace_text(page.name_edit, "新建区政务服务中心")
    page.code_edit.clear()
    qtbot.keyClicks(page.code_edit, "xjq")  # upper-cased for the case numbers
    replace_text(page.phone_edit, "0791-83700001")
    with qtbot.waitSignal(page.saved):
        page.save()
    assert message_boxes.shown == []
    stored = hall_settings.get_hall_settings(hall.uow())
    assert (stored.name, stored.code, stored.phone) == ("新建区政务服务中心", "XJQ", "0791-83700001")

    again = HallSettingsPage(hall, admin)
    qtbot.addWidget(again)
    again.load()
    settle()
    assert again.form_settings() == stored

    # Two mistakes: check() names both at once, in form order, and save() sends nothing.
    assert page.unsaved_work() == ""
    page.name_edit.clear()
    replace_text(page.area_edit, "3601")
    assert page.unsaved_work() == "大厅设置有未保存的修改"
    assert page.save() is None
    settle()
    assert page.error_label.isVisible()
    assert page.error_label.text().splitlines() == [
        "大厅名称不能为空", "行政区划代码须为6位数字（GB/T 2260，如新建区 360112）"]
    assert message_boxes.shown == []
    assert hall_settings.get_hall_settings(hall.uow()) == stored

    # 还原 (load) throws the edits away and the message with them.
    page.revert_button.click()
    settle()
    assert page.form_settings() == stored and page.unsaved_work() == ""
    assert not page.error_label.isVisible()


def test_holidays_add_confirm_remove_and_calculate(
    hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = HolidaysPage(hall, admin)
    show(page, qtbot)
    status = hall_settings.calendar_status(hall.uow())
    assert page.warning_banner.isVisible() == bool(status.warning)
    if status.unknown_years:
        assert page.year() == status.unknown_years[0]  # opens on the year that needs work

    page.year_spin.setValue(FAR_YEAR)
    settle()
    assert page.model.rowCount() == 0 and page.confirm_button.isEnabled()
    saturday = date(FAR_YEAR, 2, 8)
    page.date_edit.setDate(to_qdate(saturday))
    page.workday_radio.setChecked(True)
    type_chinese(page.note_edit, "春节调休上班")
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Return)  # Enter in the note adds the override
    settle()
    assert [(o.day, o.workday, o.note) for o in hall_settings.list_overrides(hall.uow(), FAR_YEAR)] == [
        (saturday, True, "春节调休上班")
    ]
    settle()
    assert page.model.rowCount() == 1
    assert page.model.index(0, 1).data() == "上班"
    assert page.model.index(0, 0).data() == f"{saturday.isoformat()}（星期六）"

    # The calculator counts that Saturday as a working day, and calls the result 待定 until confirmed.
    page.calc_start.setDate(to_qdate(date(FAR_YEAR, 2, 7)))
    page.calc_days.setValue(1)
    page.calculate()
    settle()
    text = page.calc_result.text()
    due = hall_settings.add_workdays(hall.uow(), date(FAR_YEAR, 2, 7), 1)
    assert due.date == saturday and due.provisional
    assert text == f"{saturday.isoformat()}（星期六）（待定）"

    assert page.confirm_selected_year() is not None
    settle()
    assert message_boxes.texts("question") and str(FAR_YEAR) in message_boxes.texts("question")[0]
    assert FAR_YEAR in hall_settings.calendar_status(hall.uow()).confirmed_years
    settle()
    assert not page.confirm_button.isEnabled()
    assert "已由管理员确认" in page.year_state.text()
    page.calculate()
    settle()
    assert page.calc_result.text() == f"{saturday.isoformat()}（星期六）"

    page.view.setCurrentIndex(page.model.index(0, 0))
    assert page.remove_selected() is not None
    settle()
    assert hall_settings.list_overrides(hall.uow(), FAR_YEAR) == []
    assert page.model.rowCount() == 0


def test_confirm_can_be_declined(hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page = HolidaysPage(hall, admin)
    show(page, qtbot)
    page.year_spin.setValue(FAR_YEAR)
    settle()
    message_boxes.answer = message_boxes.answer.No
    assert page.confirm_selected_year() is None
    assert FAR_YEAR not in hall_settings.calendar_status(hall.uow()).confirmed_years
