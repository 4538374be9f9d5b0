from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import accounts, hall_settings
from app.auth import Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from ui.catalog.page import CatalogPage
from ui.counter.page import CounterPage
from ui.main import GuiSession, create_main_window, run_gui
from ui.mainwindow import ChangePasswordDialog, MainWindow, describe_database


def open_window(hall: HallDesk, actor: Actor, qtbot: QtBot, *, calendar_notice: bool = False) -> MainWindow:
    window = create_main_window(hall, actor, calendar_notice=calendar_notice)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    return window


def status_texts(window: MainWindow) -> list[str]:
    labels = (window.user_label, window.role_label, window.dept_label, window.counter_label, window.db_label)
    return [label.text() for label in labels if label.isVisible()]


@sqlite_only
def test_admin_gets_five_pages(hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    window = open_window(hall, admin, qtbot)
    assert window.page_titles() == ["事项目录", "用户管理", "窗口管理", "大厅设置", "节假日"]
    # A page is built when first shown (a fast start): only the first one is, until the user moves on.
    assert window.stack.count() == 1 and list(window.pages) == ["catalog"] and window.nav.isVisible()
    assert window.current_page_key() == "catalog"
    catalog_page = window.page("catalog")
    assert isinstance(catalog_page, CatalogPage) and catalog_page.is_loaded()
    assert not window.page("users").is_loaded()  # built when asked for, loaded when first shown
    assert window.stack.count() == 2 and window.stack.currentWidget() is catalog_page

    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)  # the navigation works with the arrow keys
    assert window.current_page_key() == "users"
    settle()
    assert window.page("users").is_loaded()
    window.show_page("holidays")
    settle()
    assert window.page("holidays").is_loaded()

    texts = status_texts(window)
    assert texts[:2] == ["系统管理员", "系统管理员"]
    assert not window.counter_label.isVisible()  # an admin sits at no counter
    assert window.db_label.text() == describe_database(hall.url)
    warning = hall_settings.calendar_status(hall.uow()).warning
    assert window.calendar_label.isVisible() == bool(warning)
    if warning:
        assert warning in window.calendar_label.text()
    assert message_boxes.shown == [] and window.calendar_notice_box is None


@sqlite_only
def test_clerk_starts_at_the_counter(hall: HallDesk, qtbot: QtBot) -> None:
    clerk = log_in(hall, "clerk1")
    window = open_window(hall, clerk, qtbot)
    assert window.page_titles() == ["综合受理", "统一出件", "事项目录", "打印队列"]
    assert window.page_keys() == ["counter", "output", "catalog", "printqueue"] and window.stack.count() == 1
    assert window.current_page_key() == "counter" and window.nav.isVisible()
    assert isinstance(window.page("counter"), CounterPage) and window.page("counter").is_loaded()
    assert status_texts(window)[:2] == ["综合窗口一", "综合窗口人员"]
    assert window.counter_label.text() == "1号窗口"
    assert not window.calendar_label.isVisible()  # the calendar is the admin's business
    assert window.print_worker is not None and window.print_worker.timer.isActive()
    page = window.show_page("catalog")
    settle()
    assert isinstance(page, CatalogPage)
    assert not page.edit_button.isVisible() and not page.new_button.isVisible()
    window.close()
    assert not window.print_worker.timer.isActive()  # no printing passes for a closed window


@sqlite_only
def test_admin_and_back_office_get_no_counter(hall: HallDesk, admin: Actor, qtbot: QtBot) -> None:
    assert "counter" not in open_window(hall, admin, qtbot).page_keys()
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    assert window.page_titles() == ["后台审批", "事项目录"] and window.nav.isVisible()
    assert window.page_keys() == ["backoffice", "catalog"] and window.current_page_key() == "backoffice"
    assert window.print_worker is None
    window = open_window(hall, log_in(hall, "supervisor"), qtbot)
    assert window.page_keys() == ["supervision", "grievance", "catalog"] and window.current_page_key() == "supervision"


@sqlite_only
def test_chief_rep_sees_department_in_status_bar(hall: HallDesk, qtbot: QtBot) -> None:
    chief = log_in(hall, "chief_scj")
    window = open_window(hall, chief, qtbot)
    assert window.page_titles() == ["后台审批", "首席代表", "容缺催补", "事项目录"]
    assert "首席代表" in status_texts(window) and "区市场监管局" in status_texts(window)
    page = window.show_page("catalog")
    settle()
    assert isinstance(page, CatalogPage) and page.selected_dept_code() == "SCJ"


@sqlite_only
def test_admin_calendar_notice_opens_without_blocking(hall: HallDesk, admin: Actor, qtbot: QtBot) -> None:
    window = open_window(hall, admin, qtbot, calendar_notice=True)
    warning = hall_settings.calendar_status(hall.uow()).warning
    if not warning:
        pytest.skip("no calendar warning today")
    box = window.calendar_notice_box
    assert box is not None and box.isVisible() and box.text() == warning
    box.accept()
    settle()
    window.refresh_calendar_status()
    settle()
    assert window.calendar_notice_box is None  # once per login


@sqlite_only
def test_change_password(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    clerk = log_in(hall, "clerk1")
    window = open_window(hall, clerk, qtbot)
    dialog = window.change_password()
    assert isinstance(dialog, ChangePasswordDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.old_edit, "not-the-old-1")
    qtbot.keyClicks(dialog.passwords.password_edit, "Counter2026")
    qtbot.keyClicks(dialog.passwords.repeat_edit, "Counter2026")
    qtbot.keyClick(dialog.passwords.repeat_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert dialog.error_label.text() == "原密码不正确" and message_boxes.shown == []
    assert dialog.isVisible()

    dialog.old_edit.clear()
    qtbot.keyClicks(dialog.old_edit, DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.old_edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert log_in(hall, "clerk1", "Counter2026").username == "clerk1"
    assert window.statusBar().currentMessage().startswith("密码已修改")


@sqlite_only
def test_login_logout_cycle(hall: HallDesk, qtbot: QtBot) -> None:
    accounts.set_password(hall.uow(), log_in(hall, "supervisor"), "supervisor", "Oversee2026", DEMO_PASSWORD)
    session = GuiSession(hall, "supervisor")
    qtbot.addWidget(session.login_window)
    session.start()
    qtbot.waitExposed(session.login_window)
    settle()
    qtbot.keyClicks(session.login_window.password_edit, "Oversee2026")
    qtbot.keyClick(session.login_window.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.main_window is not None, timeout=10_000)
    window = session.main_window
    assert window is not None
    qtbot.addWidget(window)
    assert window.isVisible() and not session.login_window.isVisible()
    assert window.actor.role == "supervisor" and window.page_titles() == ["督查", "办不成事", "事项目录"]
    settle()

    window.logout_action.trigger()
    assert session.main_window is None and not window.isVisible()
    assert session.login_window.isVisible()
    assert session.login_window.username_edit.text() == "supervisor"
    assert session.login_window.password_edit.text() == ""


def test_run_gui_reports_an_unusable_database(message_boxes: MessageBoxes) -> None:
    assert run_gui("oracle://nobody@127.0.0.1/nothing", None) == 1
    assert message_boxes.shown and message_boxes.shown[0][:2] == ("critical", "无法打开数据库")
    assert "oracle" in message_boxes.shown[0][2]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////var/lib/halldesk/halldesk.sqlite3", "本机数据库"),
        ("sqlite://", "临时数据库（关闭后不保留）"),
        ("postgresql+psycopg://hd:s3cret@10.0.0.5:5432/halldesk", "共享数据库 · 10.0.0.5"),
        ("mysql+pymysql://root:pw@db.local/hd?charset=utf8mb4", "共享数据库 · db.local"),
    ],
)
def test_describe_database_hides_credentials(url: str, shown: str) -> None:
    assert describe_database(url) == shown
    assert "s3cret" not in describe_database(url) and "hd:" not in describe_database(url)
    assert not any(raw in describe_database(url) for raw in ("sqlite", "SQL", ".sqlite3", "5432", "/"))
