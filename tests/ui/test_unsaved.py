"""Leaving a half-filled form asks first, beyond the counter: pages and dialogs answer ``unsaved_work()``
(issue 15 item 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app import catalog, intake
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_mainwindow import open_window
from tests.ui.test_output import decided
from ui.admin.hall_settings import HallSettingsPage
from ui.admin.users import UserDialog, UsersPage
from ui.backoffice.decision import DecisionDialog
from ui.backoffice.page import BackOfficePage
from ui.catalog.editor import ItemEditorDialog
from ui.catalog.page import CatalogPage
from ui.grievance.dialogs import RegisterGrievanceDialog
from ui.grievance.page import GrievancePage
from ui.mainwindow import MainWindow
from ui.output.page import OutputPage

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

NO, YES = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes


def asks_before_leaving(window: MainWindow, message_boxes: MessageBoxes, words: str,
                        back_to: Callable[[], bool]) -> None:
    """退出登录 asks (naming ``words``); 否 stays and brings the form back; 是 leaves."""
    logged_out: list[bool] = []
    window.logout_requested.connect(lambda: logged_out.append(True))
    assert words in window.unsaved_work()
    message_boxes.answer = NO
    assert not window.request_logout() and logged_out == []
    assert words in message_boxes.texts("question")[-1]
    assert back_to()
    message_boxes.answer = YES
    assert window.request_logout() and logged_out == [True]
    settle()


def open_user(hall: HallDesk, username: str, qtbot: QtBot) -> MainWindow:
    window = open_window(hall, log_in(hall, username), qtbot)
    if window.print_worker is not None:
        window.print_worker.stop()  # no printing pass at a random moment
    window.activateWindow()
    return window


def test_output_collector_form(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    case = decided(hall)
    window = open_user(hall, "clerk3", qtbot)
    page = window.page("output")
    assert isinstance(page, OutputPage)
    page.case_no_edit.setText(case.case_no)
    page.code_edit.setText(case.pickup_code)
    page.find_by_code()
    settle()
    assert page.current_pickup() is not None and window.unsaved_work() == ""  # found, nothing typed yet
    page.proxy_radio.click()
    type_chinese(page.proxy_name_edit, "李娜")
    window.show_page("catalog")
    settle()  # its list loaded: no result arrives for a page already gone
    asks_before_leaving(window, message_boxes, "统一出件：领取人或邮寄信息已填写",
                        lambda: window.current_page_key() == "output")


def test_grievance_registration(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    window = open_user(hall, "clerk9", qtbot)
    page = window.page("grievance")
    assert isinstance(page, GrievancePage)
    dialog = page.panel.register()
    assert isinstance(dialog, RegisterGrievanceDialog) and dialog.isVisible()
    assert window.unsaved_work() == ""  # open, empty: nothing to lose
    type_chinese(dialog.content_edit, "营业执照变更跑了三趟")
    asks_before_leaving(window, message_boxes, "登记诉求：已填写的内容尚未保存", dialog.isVisible)


def test_catalog_item_editor(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    window = open_user(hall, "chief_scj", qtbot)  # edits the guides of the own department
    page = window.show_page("catalog")
    settle()
    assert isinstance(page, CatalogPage)
    assert page.select_item("SCJ005")
    page.edit_selected()
    settle()
    dialog = page.editor
    assert isinstance(dialog, ItemEditorDialog) and dialog.isVisible()
    assert window.unsaved_work() == ""  # shown as stored
    type_chinese(dialog.name_edit, "（新）")
    asks_before_leaving(window, message_boxes, "办事指南已修改，尚未保存", dialog.isVisible)


def test_admin_user_dialog_and_hall_settings(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    window = open_user(hall, "admin", qtbot)
    users = window.show_page("users")
    settle()
    assert isinstance(users, UsersPage)
    dialog = users.add_user()
    assert isinstance(dialog, UserDialog) and window.unsaved_work() == ""
    type_chinese(dialog.full_name_edit, "王芳")
    assert window.unsaved_work() == "新增用户：用户信息已修改，尚未保存"
    dialog.reject()
    assert window.unsaved_work() == ""  # cancelled on purpose: nothing to ask

    settings = window.show_page("hall")
    settle()
    assert isinstance(settings, HallSettingsPage) and window.unsaved_work() == ""
    type_chinese(settings.address_edit, "二楼")
    window.show_page("users")
    asks_before_leaving(window, message_boxes, "大厅设置：大厅设置有未保存的修改",
                        lambda: window.current_page_key() == "hall")


def test_back_office_opinion_and_decision(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    window = open_user(hall, "rev_scj", qtbot)
    page = window.page("backoffice")
    assert isinstance(page, BackOfficePage)
    page.claim_next()
    settle()
    assert page.claim is not None and window.unsaved_work() == ""
    type_chinese(page.opinion_edit, "材料齐全，建议准予")
    assert window.unsaved_work() == "后台审批：审查意见尚未保存"
    page.opinion_edit.clear()
    dialog = page.open_decision()
    assert isinstance(dialog, DecisionDialog) and window.unsaved_work() == ""
    type_chinese(dialog.reason_edit, "符合法定条件")
    asks_before_leaving(window, message_boxes, "审批决定：审批决定已填写，尚未保存", dialog.isVisible)


@pytest.mark.parametrize("username", ["admin", "rev_scj", "clerk3", "clerk9"])
def test_an_untouched_workspace_leaves_without_asking(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes,
                                                      username: str) -> None:
    window = open_user(hall, username, qtbot)
    for key in window.page_keys():
        window.show_page(key)
        settle()
    open_dialogs: list[QWidget] = [d for d in window.findChildren(QDialog) if d.isVisible()]
    assert window.unsaved_work() == "" and open_dialogs == []
    assert window.request_logout() and message_boxes.shown == []
