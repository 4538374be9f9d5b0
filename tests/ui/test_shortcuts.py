"""Keyboard-true: no two keys of one window can fire at the same moment (issue 15 item 4)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.counter.page import CounterPage
from ui.mainwindow import MainWindow
from ui.shortcuts import ShortcutsDialog, clashes, focus_page, window_keys

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

# One user per workspace: every role, and the clerk's three kinds of counter.
USERS = ("admin", "supervisor", "clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj")


@pytest.mark.parametrize("username", USERS)
def test_no_key_clashes_in_any_workspace(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    window = open_window(hall, log_in(hall, username), qtbot)
    for key in window.page_keys():  # every page built and loaded, as the user would see it
        window.show_page(key)
        settle()
    keys = window_keys(window)
    assert any(k.keys == "Ctrl+1" for k in keys) and any(k.mnemonic for k in keys)  # the collector sees keys
    found = [f"{a.keys}: {a.where}「{a.text}」 / {b.where}「{b.text}」" for a, b in clashes(keys)]
    assert found == [], "\n".join(found)
    # F1 says what each key does.
    mute = [f"{k.where} {k.keys}" for k in keys if not k.text]
    assert mute == []


CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def active_window(hall: HallDesk, username: str, qtbot: QtBot) -> MainWindow:
    window = open_window(hall, log_in(hall, username), qtbot)
    window.activateWindow()
    settle()
    return window


def press(qtbot: QtBot, window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier = CTRL) -> None:
    """A key as the user types it: sent to whatever widget has the focus."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifiers)
    settle()


def test_page_switch_puts_the_focus_in_the_page(hall: HallDesk, qtbot: QtBot) -> None:
    window = active_window(hall, "clerk1", qtbot)
    window.nav.setFocus()
    for number, key in enumerate(window.page_keys(), start=1):
        press(qtbot, window, Qt.Key(Qt.Key.Key_1 + number - 1))
        page = window.page(key)
        assert window.current_page_key() == key
        focus = QApplication.focusWidget()
        assert focus is not None and page.isAncestorOf(focus), key
    press(qtbot, window, Qt.Key.Key_1)
    counter = window.page("counter")
    assert isinstance(counter, CounterPage) and QApplication.focusWidget() is counter.item_search


@pytest.mark.parametrize(("username", "key"), [("chief_scj", "chiefrep"), ("supervisor", "supervision"),
                                              ("clerk1", "counter")])
def test_ctrl_tab_turns_every_tab(hall: HallDesk, qtbot: QtBot, username: str, key: str) -> None:
    window = active_window(hall, username, qtbot)
    window.show_page(key)
    settle()
    page = window.page(key)
    tabs = page.__dict__["tabs"]  # each of these pages keeps its QTabWidget as .tabs
    assert isinstance(tabs, QTabWidget) and tabs.count() >= 2
    focus_page(page)
    seen = [tabs.currentIndex()]
    for _ in range(tabs.count()):
        # From any field of the tab, also a table or a text box that would keep Ctrl+Tab to itself.
        fields = [w for w in tabs.currentWidget().findChildren(QWidget)
                  if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
        assert fields
        fields[-1].setFocus()
        press(qtbot, window, Qt.Key.Key_Tab)
        seen.append(tabs.currentIndex())
        focus = QApplication.focusWidget()
        assert focus is not None and page.isAncestorOf(focus)  # the keyboard went along
    assert sorted(set(seen)) == list(range(tabs.count())) and seen[-1] == seen[0]  # all of them, round
    before = tabs.currentIndex()
    press(qtbot, window, Qt.Key.Key_Backtab, CTRL_SHIFT)
    assert tabs.currentIndex() == (before - 1) % tabs.count()
    # Also from a field of the page outside the tabs (the counter's 下一位 button over them).
    outside = [w for w in page.findChildren(QWidget) if w.isVisible() and w.isEnabled()
               and w.focusPolicy() & Qt.FocusPolicy.TabFocus and not tabs.isAncestorOf(w)]
    if outside:
        outside[0].setFocus()
        before = tabs.currentIndex()
        press(qtbot, window, Qt.Key.Key_Tab)
        assert tabs.currentIndex() == (before + 1) % tabs.count()


def test_f1_lists_the_keys_of_the_page(hall: HallDesk, qtbot: QtBot) -> None:
    window = active_window(hall, "clerk1", qtbot)
    press(qtbot, window, Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier)
    dialog = window.dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    rows = dialog.rows()
    assert ("Ctrl+Enter", "受理", "综合受理") in rows
    assert ("Ctrl+Shift+A", "其余材料全部标为已收", "综合受理") in rows
    assert ("F1", "快捷键…", "帮助") in rows and ("Ctrl+2", "统一出件", "页面") in rows
    assert ("Alt+T", "改派到…", "打印队列") not in rows  # another page's keys: not now
    dialog.reject()
    window.show_page("printqueue")
    settle()
    rows = window.show_shortcuts().rows()
    assert ("Alt+T", "改派到…", "打印队列") in rows and ("Ctrl+Enter", "受理", "综合受理") not in rows


def test_leaving_a_half_filled_form_asks_first(hall: HallDesk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                              message_boxes: MessageBoxes) -> None:
    window = active_window(hall, "clerk1", qtbot)
    counter = window.page("counter")
    assert isinstance(counter, CounterPage)
    logged_out: list[bool] = []
    window.logout_requested.connect(lambda: logged_out.append(True))
    assert window.request_logout() and logged_out == [True] and message_boxes.shown == []  # nothing to lose

    defaults: list[QMessageBox.StandardButton] = []
    asked = QMessageBox.question

    def question(parent: QWidget, title: str, text: str, buttons: QMessageBox.StandardButton,
                 default: QMessageBox.StandardButton) -> QMessageBox.StandardButton:
        defaults.append(default)
        return asked(parent, title, text, buttons, default)

    monkeypatch.setattr(QMessageBox, "question", question)
    window.show_page("catalog")
    counter.phone_edit.setFocus()
    qtbot.keyClicks(counter.phone_edit, "139")
    message_boxes.answer = QMessageBox.StandardButton.No
    window.logout_action.trigger()
    assert logged_out == [True] and defaults == [QMessageBox.StandardButton.No]  # 否 is the default
    assert "受理表单尚未提交" in message_boxes.texts("question")[-1]
    assert window.current_page_key() == "counter"  # back to the form
    assert not window.request_quit() and window.isVisible()

    message_boxes.answer = QMessageBox.StandardButton.Yes
    window.logout_action.trigger()
    assert logged_out == [True, True]


def test_no_key_clashes_in_the_cheap_dialogs(hall: HallDesk, qtbot: QtBot) -> None:
    """The dialogs a clerk opens from the menus and the counter's top bar: each its own scope."""
    window = active_window(hall, "clerk1", qtbot)
    counter = window.page("counter")
    assert isinstance(counter, CounterPage)
    dialogs: list[QWidget] = [window.change_password(), window.open_display_settings(), window.show_shortcuts()]
    printers = counter.open_printer_settings()
    assert printers is not None
    dialogs.append(printers)
    settle()
    assert all(window_keys(d) for d in dialogs if not isinstance(d, ShortcutsDialog))  # the collector sees keys
    for dialog in dialogs:
        keys = window_keys(dialog)
        found = [f"{a.keys}: 「{a.text}」 / 「{b.text}」" for a, b in clashes(keys)]
        assert found == [], f"{type(dialog).__name__}: " + "\n".join(found)
        dialog.close()
    settle()


class UserClose(QCloseEvent):
    """The window's close button, as the window system sends it (Qt cannot fake a spontaneous event)."""

    def spontaneous(self) -> bool:
        return True


def test_closing_the_window_with_a_half_filled_form_asks_first(hall: HallDesk, qtbot: QtBot,
                                                             message_boxes: MessageBoxes) -> None:
    window = active_window(hall, "clerk1", qtbot)
    counter = window.page("counter")
    assert isinstance(counter, CounterPage)
    counter.phone_edit.setFocus()
    qtbot.keyClicks(counter.phone_edit, "139")
    message_boxes.answer = QMessageBox.StandardButton.No
    event = UserClose()
    window.closeEvent(event)
    assert not event.isAccepted() and window.isVisible()
    assert message_boxes.texts("question") and "关闭窗口" in message_boxes.texts("question")[-1]
    message_boxes.answer = QMessageBox.StandardButton.Yes
    event = UserClose()
    window.closeEvent(event)
    assert event.isAccepted()
