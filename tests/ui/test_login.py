from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import hall as hall_service
from app.auth import Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from tests.ui.helpers import settle
from ui.login import LoginWindow


@pytest.fixture
def window(hall: HallDesk, qtbot: QtBot) -> LoginWindow:
    w = LoginWindow(hall)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    settle()
    return w


def test_wrong_password_shows_the_services_message(window: LoginWindow, qtbot: QtBot) -> None:
    emitted: list[Actor] = []
    window.logged_in.connect(emitted.append)
    qtbot.keyClicks(window.username_edit, "admin")
    qtbot.keyClicks(window.password_edit, "wrong-password1")
    qtbot.keyClick(window.password_edit, Qt.Key.Key_Return)
    assert window.is_busy()
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=10_000)
    settle()
    assert window.error_text() == "用户名或密码错误（再错4次将锁定15分钟）"
    assert window.error_label.isVisible()
    assert window.password_edit.text() == ""
    assert emitted == []


def test_enter_logs_in_with_the_right_actor(window: LoginWindow, qtbot: QtBot, hall: HallDesk) -> None:
    assert window.title_label.text() == hall_service.get_hall_settings(hall.uow()).name
    assert window.username_edit.hasFocus()
    qtbot.keyClicks(window.username_edit, "clerk1")
    # Enter in the user name field moves on to the password instead of submitting an empty one.
    qtbot.keyClick(window.username_edit, Qt.Key.Key_Return)
    assert window.password_edit.hasFocus()
    assert not window.is_busy()
    qtbot.keyClicks(window.password_edit, DEMO_PASSWORD)
    with qtbot.waitSignal(window.logged_in, timeout=10_000) as signal:
        qtbot.keyClick(window.password_edit, Qt.Key.Key_Enter)
    actor = signal.args[0]
    assert isinstance(actor, Actor)
    assert (actor.username, actor.role, actor.counter_number) == ("clerk1", "clerk", 1)
    assert window.error_text() == ""
    assert window.password_edit.text() == ""  # the password does not linger in the widget


def test_empty_fields_are_caught_before_the_database(window: LoginWindow, qtbot: QtBot) -> None:
    qtbot.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
    assert not window.is_busy()
    assert window.error_text() == "请输入用户名"
    qtbot.keyClicks(window.username_edit, "admin")
    qtbot.keyClick(window.login_button, Qt.Key.Key_Return)  # the default button takes Enter too
    assert window.error_text() == "请输入密码"
    assert window.password_edit.hasFocus()


def test_prefilled_user_name_focuses_the_password(hall: HallDesk, qtbot: QtBot) -> None:
    w = LoginWindow(hall, "chief_scj")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    settle()
    assert w.username_edit.text() == "chief_scj"
    assert w.password_edit.hasFocus()
    assert w.password_edit.echoMode() == w.password_edit.EchoMode.Password
