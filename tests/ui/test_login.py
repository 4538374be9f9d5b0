from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import accounts, hall_settings
from app.auth import BAD_CREDENTIALS, Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from tests.conftest import log_in, sqlite_only
from tests.ui.helpers import replace_text, settle
from ui.login import LoginWindow

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)


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
    assert window.error_text() == BAD_CREDENTIALS
    assert window.error_label.isVisible()
    assert window.password_edit.text() == ""
    assert emitted == []


def test_enter_logs_in_with_the_right_actor(window: LoginWindow, qtbot: QtBot, hall: HallDesk) -> None:
    assert window.title_label.text() == hall_settings.get_hall_settings(hall.uow()).name
    assert window.username_edit.hasFocus()
    qtbot.keyClicks(window.username_edit, "clerk1")
    # Enter in the user name field moves on to the password instead of submitting an empty one.
    qtbot.keyClick(window.username_edit, Qt.Key.Key_Return)
    assert window.password_edit.hasFocus()
    assert not window.is_busy()
    accounts.set_password(hall.uow(), log_in(hall, "clerk1"), "clerk1", "Window1pass", DEMO_PASSWORD)
    qtbot.keyClicks(window.password_edit, "Window1pass")
    with qtbot.waitSignal(window.logged_in, timeout=10_000) as signal:
        qtbot.keyClick(window.password_edit, Qt.Key.Key_Enter)
    actor = signal.args[0]
    assert isinstance(actor, Actor)
    assert (actor.username, actor.role, actor.counter_number) == ("clerk1", "clerk", 1)
    assert window.password_dialog is None  # the user's own password: nothing to change
    assert window.error_text() == ""
    assert window.password_edit.text() == ""  # the password does not linger in the widget


def test_an_initial_password_is_replaced_before_work_starts(window: LoginWindow, qtbot: QtBot,
                                                             hall: HallDesk) -> None:
    emitted: list[Actor] = []
    window.logged_in.connect(emitted.append)
    qtbot.keyClicks(window.username_edit, "clerk2")
    qtbot.keyClicks(window.password_edit, DEMO_PASSWORD)  # the demo's published password
    qtbot.keyClick(window.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.password_dialog is not None, timeout=10_000)
    dialog = window.password_dialog
    assert dialog is not None and dialog.required and dialog.isVisible() and emitted == []
    # Closing it without a new password is not logging in.
    dialog.reject()
    settle()
    assert emitted == [] and window.error_text() == "未设置新密码，未登录" and not window.is_busy()

    qtbot.keyClicks(window.password_edit, DEMO_PASSWORD)
    qtbot.keyClick(window.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.password_dialog is not None, timeout=10_000)
    dialog = window.password_dialog
    assert dialog is not None
    replace_text(dialog.passwords.password_edit, "password1")  # the service's rules speak in the dialog
    replace_text(dialog.passwords.repeat_edit, "password1")
    assert dialog.save()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert "常见" in dialog.error_label.text() and emitted == []
    replace_text(dialog.passwords.password_edit, "Second2window")
    replace_text(dialog.passwords.repeat_edit, "Second2window")
    with qtbot.waitSignal(window.logged_in, timeout=10_000):
        assert dialog.save()
    [actor] = emitted
    assert actor.username == "clerk2" and not actor.must_change_password
    assert not log_in(hall, "clerk2", "Second2window").must_change_password


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


def test_typing_starts_before_the_database_is_open(hall: HallDesk, qtbot: QtBot) -> None:
    """The login window is shown before the database is open (a fast start, ui.main): a login submitted then
    waits, says so on its button, and goes through once the database arrives."""
    w = LoginWindow(None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert not w.has_hall() and w.username_edit.maxLength() == 32767  # the limits come with the database
    accounts.set_password(hall.uow(), log_in(hall, "clerk1"), "clerk1", "Window1pass", DEMO_PASSWORD)
    qtbot.keyClicks(w.username_edit, "clerk1")
    qtbot.keyClicks(w.password_edit, "Window1pass")
    qtbot.keyClick(w.password_edit, Qt.Key.Key_Return)
    assert w.is_busy() and w.login_button.text() == "正在连接数据库…" and not w.password_edit.isEnabled()
    settle()
    assert w.is_busy()  # nothing to log in against yet: it keeps waiting
    with qtbot.waitSignal(w.logged_in, timeout=10_000) as signal:
        w.set_hall(hall)
    assert signal.args[0].username == "clerk1"
    assert w.username_edit.maxLength() < 32767 and w.password_edit.maxLength() < 32767
    settle()
    assert w.title_label.text() == hall_settings.get_hall_settings(hall.uow()).name
