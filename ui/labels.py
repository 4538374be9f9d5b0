"""The labels a form shows its problems and hints in, and the input limits: the few building blocks the login
window needs.  Kept apart from ``ui.widgets`` (which re-exports them) so that the login window is on screen
before the rest of the widgets are loaded (a fast start, ``ui.main``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

if TYPE_CHECKING:
    from app.limits import Limit


def error_label() -> QLabel:
    """A red, wrapping label for a form's problems; hidden while it has nothing to say."""
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    set_flags(label, "textInteractionFlags", "TextSelectableByMouse")
    label.hide()
    return label


def set_flags(widget: QWidget, qt_property: str, names: str) -> None:
    """Set a property of a ``Qt::`` flag type by the flags' names (``"AlignCenter"``, ``"AlignRight|AlignVCenter"``).

    For the login window's path only: the first use of ``PySide6.QtCore.Qt`` builds all 111 of its Python enums
    (about 25 ms, a sixth of an empty window's start), and Qt's property system takes the names without them.
    """
    if not widget.setProperty(qt_property, names):
        raise ValueError(f"{type(widget).__name__}.{qt_property} does not take {names!r}")


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    set_shown(label, bool(text))


def set_shown(widget: QWidget, visible: bool) -> None:
    """``widget.setVisible(visible)`` for a widget that may not be inside a window yet (a page or dialog being
    built): such a widget is only ever hidden here.  Shown, it would be a window of its own for a moment — a
    flash on screen, and when a page is built in a window already up (``ui.mainwindow``), the main window loses
    the keyboard; left alone, it shows with the window it is laid out in."""
    if visible and widget.parentWidget() is None:
        return
    widget.setVisible(visible)


def hint_label(text: str = "") -> QLabel:
    """A wrapping grey note under a form or table, saying how to use it."""
    label = QLabel(text)
    label.setObjectName("hintLabel")
    label.setWordWrap(True)
    return label


# The same limits as the services' (app.limits): what a field cannot store cannot be typed in the first place.
# QLineEdit counts UTF-16 units, so a rare character or an emoji takes two of its places: it refuses a little
# early, never too late.
def limit_line(edit: QLineEdit, limit: Limit) -> QLineEdit:
    """``edit`` takes at most ``limit.chars`` characters (typed, pasted or scanned)."""
    edit.setMaxLength(limit.chars)
    return edit
