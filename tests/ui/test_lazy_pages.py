"""Pages are built when first shown (a fast start): building one in a window already on screen must not flash a
window of its own or take the keyboard away from the main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.helpers import settle
from ui.main import create_main_window

pytestmark = sqlite_only


class TopLevelShows(QObject):
    """Records every widget shown as a window of its own while installed on the application."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            text = getattr(watched, "text", None)
            self.shown.append(f"{type(watched).__name__} {text() if callable(text) else ''}".strip())
        return False


@pytest.mark.parametrize("username", ["clerk1", "clerk3", "clerk9", "rev_scj", "chief_scj", "supervisor",
                                      "admin"])
def test_a_page_built_late_shows_no_window_of_its_own(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    settle()
    assert QApplication.activeWindow() is window
    for key in window.page_keys()[1:]:
        spy = TopLevelShows()
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(spy)
        try:
            window.show_page(key)
            settle()
        finally:
            app.removeEventFilter(spy)
        assert spy.shown == [], f"{key}: shown as windows of their own: {spy.shown}"
        assert QApplication.activeWindow() is window, key
