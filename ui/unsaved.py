"""Typed work not yet saved: the ``unsaved_work()`` protocol of pages and dialogs (issue 15 item 4).

A page or dialog that can hold typed work answers ``unsaved_work() -> str``: what would be lost by leaving now,
in the user's words, or "" when nothing would.  The main window asks every page and every open dialog before
退出登录, 退出程序 or closing (``MainWindow.may_leave``).

``FormSnapshot`` remembers a form's fields as they were loaded (text, choices, ticks, dates, numbers, and any
extra values a form names, e.g. a table's rows) and tells whether the user changed them since.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

Value = object


def _value(widget: QWidget) -> Value | None:
    if isinstance(widget, QLineEdit):
        return None if widget.isReadOnly() else widget.text().strip()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return None if widget.isReadOnly() else widget.toPlainText().strip()
    if isinstance(widget, QComboBox):
        return (widget.currentIndex(), widget.currentText()) if widget.isEditable() else widget.currentIndex()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    if isinstance(widget, QAbstractButton) and widget.isCheckable():
        return widget.isChecked()
    return None


def form_values(roots: Iterable[QWidget]) -> list[Value]:
    """The value of every input field under ``roots`` (a combo's line edit counts with its combo)."""
    values: list[Value] = []
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            if isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(), QComboBox | QAbstractSpinBox):
                continue
            value = _value(widget)
            if value is not None:
                values.append((widget.objectName() or type(widget).__name__, value))
    return values


class FormSnapshot:
    """The fields under ``roots`` as they are now (``mark`` again after loading); ``changed()`` since then.

    ``extra(root)`` adds values the fields do not show (e.g. a table's rows).  The roots are held weakly: a
    dialog keeps its snapshot, and a cycle back to the dialog would leave it to Python's cyclic collector,
    which may run on a worker thread."""

    def __init__(self, *roots: QWidget, extra: Callable[[QWidget], object] | None = None, now: bool = True) -> None:
        self._roots = [weakref.ref(root) for root in roots]
        self._extra = extra
        self._marked: tuple[list[Value], object] | None = None
        self.on_show: QObject | None = None
        if now:
            self.mark()

    def _now(self) -> tuple[list[Value], object]:
        roots = [root for ref in self._roots if (root := ref()) is not None]
        extra = self._extra(roots[0]) if self._extra is not None and roots else None
        return form_values(roots), extra

    def mark(self) -> None:
        """The form as it is now counts as saved (after loading it, or after a save)."""
        self._marked = self._now()

    def changed(self) -> bool:
        """Changed since ``mark`` (never marked: the form was never shown, so nothing was typed)."""
        return self._marked is not None and self._now() != self._marked


class _MarkOnShow(QObject):
    """Marks the snapshot when its parent is first shown (installed on the parent only)."""

    def __init__(self, snapshot: FormSnapshot, widget: QWidget) -> None:
        super().__init__(widget)
        self._snapshot = snapshot

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and watched is self.parent():
            self._snapshot.mark()  # filled by now: what the user changes from here on is work
            watched.removeEventFilter(self)
        return False


def watch_form(widget: QWidget, *, extra: Callable[[QWidget], object] | None = None) -> FormSnapshot:
    """A snapshot of ``widget``'s form taken when it is first shown (a dialog fills its fields before)."""
    snapshot = FormSnapshot(widget, extra=extra, now=False)
    snapshot.on_show = _MarkOnShow(snapshot, widget)  # referenced from Python, or PySide drops its attributes
    widget.installEventFilter(snapshot.on_show)
    return snapshot


def typed(*edits: QLineEdit | QPlainTextEdit) -> bool:
    """Whether any of ``edits`` holds text (the form's work starts with the first character)."""
    return any((e.text() if isinstance(e, QLineEdit) else e.toPlainText()).strip() for e in edits)
