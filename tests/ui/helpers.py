"""Helpers for driving HallDesk's widgets in tests."""

from __future__ import annotations

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from ui import worker


def type_chinese(widget: QWidget, text: str) -> None:
    """Enter ``text`` as an input method would commit it.

    ``qtbot.keyClicks`` cannot type Chinese (it aborts the process): there is no key for 中.  A real user
    types through an IME, which delivers a QInputMethodEvent with a commit string; so do we.
    """
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def replace_text(edit: QLineEdit, text: str) -> None:
    """Select all and type ``text`` over it (Chinese through the input method)."""
    edit.selectAll()
    edit.del_()
    type_chinese(edit, text)


def settle() -> None:
    """Wait until every background job has delivered its result to the GUI thread."""
    assert worker.wait_idle(20.0), "background work did not finish"
