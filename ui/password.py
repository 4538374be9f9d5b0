"""Changing one's own password: from the 账户 menu, or right after a login with an initial password."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from app import accounts, limits
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from ui.errors import show_error
from ui.ops import run_op
from ui.widgets import (
    PasswordFields,
    buddy_label,
    dialog_buttons,
    error_label,
    hint_label,
    limit_line,
    set_error,
)


class ChangePasswordDialog(QDialog):
    """A user changes their own password.

    From the 账户 menu the old password is asked for.  Right after a login with an initial or reset password
    (``old_password`` given, ``required``) it is not asked again, the dialog explains why, and closing it
    without a new password means not logging in.  The change goes to the shared database (a counter's store
    cannot change a password on its own).

    Signals:
        saved(): the password was changed.
    """

    saved = Signal()

    def __init__(self, hall_desk: HallDesk, actor: Actor, parent: QWidget | None = None, *,
                 old_password: str | None = None) -> None:
        super().__init__(parent)
        self._hall = hall_desk
        self._actor = actor
        self._busy = False
        self.required = old_password is not None
        self.setWindowTitle(f"{'设置新密码' if self.required else '修改密码'} — {actor.full_name}（{actor.username}）")
        self.old_edit = limit_line(QLineEdit(old_password or ""), limits.PASSWORD)
        self.old_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passwords = PasswordFields()
        form = QFormLayout()
        if not self.required:
            form.addRow(buddy_label("原密码(&O)", self.old_edit), self.old_edit)
        self.passwords.add_to(form)
        self.note = hint_label("您正在使用演示密码或管理员设置的初始密码，须先设置只有您知道的新密码才能开始工作。"
                               if self.required else "")
        self.note.setVisible(self.required)
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "确定(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        (self.passwords.password_edit if self.required else self.old_edit).setFocus()

    def is_busy(self) -> bool:
        return self._busy

    def save(self) -> bool:
        """Check the form, then change the password off the GUI thread; False when the form is not ready."""
        if self._busy:
            return False
        if not self.old_edit.text():
            set_error(self.error_label, "请输入原密码")
            return False
        if problem := self.passwords.problem():
            set_error(self.error_label, problem)
            return False
        set_error(self.error_label, "")
        hall_desk, actor = self._hall, self._actor
        old, new = self.old_edit.text(), self.passwords.value()
        self._busy = True
        self.ok_button.setEnabled(False)

        def change() -> None:
            accounts.set_password(hall_desk.account_hall().uow(), actor, actor.username, new, old_password=old)

        run_op(change, self._changed, self._refused, owner=self)
        return True

    def _changed(self, _result: None) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        self.saved.emit()
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        if isinstance(exc, HallDeskError):
            set_error(self.error_label, exc.message)
            self.passwords.password_edit.setFocus()
        else:
            show_error(self, exc)
