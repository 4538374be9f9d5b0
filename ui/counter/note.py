"""The note of a material marked 有误 (key 3 on the counter's checklist): a small dialog, on screen and focused.

The note used to be edited in the checklist's 备注 cell, which could lie out of sight (scrolled away or too
narrow at 1366×768); the service wants the problem written down, so it gets a window of its own.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from app import limits
from ui.widgets import dialog_buttons, hint_label, limit_line


class MaterialNoteDialog(QDialog):
    """"材料有误": what is wrong with one material, typed in one line (Enter saves, Esc keeps the old note).

    Signals:
        noted(str): the note as typed (trimmed), when the clerk saved it.
    """

    noted = Signal(str)

    def __init__(self, material: str, note: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("材料有误")
        self.label = QLabel(f"请写明材料“{material}”的问题(&N)：")
        self.label.setWordWrap(True)
        self.edit = QLineEdit(note)
        limit_line(self.edit, limits.MATERIAL_PROBLEM)
        self.edit.setPlaceholderText("如：复印件不清晰、缺少签章")
        self.label.setBuddy(self.edit)
        self.hint = hint_label("Enter 保存，Esc 取消")
        self.buttons, self.ok_button = dialog_buttons(self, "保存", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.edit.textChanged.connect(self._update)
        self._update()
        self.edit.setFocus()

    def note(self) -> str:
        return self.edit.text().strip()

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.note()))

    def save(self) -> bool:
        if not self.note():
            self.edit.setFocus()
            return False
        self.noted.emit(self.note())
        self.accept()
        return True
