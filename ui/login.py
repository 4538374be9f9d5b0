"""The login window: the first thing on screen, and where logout returns to."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import accounts, hall_settings, limits
from app.auth import Actor
from app.context import HallDesk
from app.errors import DatabaseUnavailable, HallDeskError
from ui.diagnostics import DiagnosisExport
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

DEFAULT_TITLE = "政务服务大厅"


class LoginWindow(QWidget):
    """User name and password; checks them off the GUI thread (argon2 takes a moment).

    Enter in the password field (or on 登录) submits; a failed login shows the service's message in red
    and clears the password.  An initial or reset password must be replaced first (``ChangePasswordDialog``);
    when the shared database is out of reach that waits for the next login, and the user is told.

    Signals:
        logged_in(Actor): the password was accepted; carries the logged-in user.
    """

    logged_in = Signal(object)

    def __init__(self, hall_desk: HallDesk, username: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall_desk
        self._busy = False
        self.password_dialog: ChangePasswordDialog | None = None
        self.setWindowTitle("HallDesk 一窗通 — 登录")
        self.setObjectName("loginWindow")

        self.title_label = QLabel(DEFAULT_TITLE)
        self.title_label.setObjectName("loginTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setWordWrap(True)
        subtitle = QLabel("一窗通 · 综合受理系统")
        subtitle.setObjectName("loginSubtitle")
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.username_edit = QLineEdit(username or "")
        self.username_edit.setPlaceholderText("登录用户名")
        limit_line(self.username_edit, limits.USERNAME)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("密码")
        limit_line(self.password_edit, limits.PASSWORD)

        form = QFormLayout()
        user_label = QLabel("用户名(&U)")
        user_label.setBuddy(self.username_edit)
        password_label = QLabel("密码(&P)")
        password_label.setBuddy(self.password_edit)
        form.addRow(user_label, self.username_edit)
        form.addRow(password_label, self.password_edit)

        self.error_label = error_label()
        self.login_button = QPushButton("登录(&L)")
        self.login_button.setDefault(True)  # Enter on the focused button clicks it, dialog or not
        self.login_button.setMinimumHeight(34)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 28)
        layout.setSpacing(12)
        layout.addWidget(self.title_label)
        layout.addWidget(subtitle)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.login_button)
        layout.addStretch(1)
        # Before anybody can log in, the hall's IT may need the logs: 导出诊断包 (no password, no personal data).
        self.diagnosis = DiagnosisExport(hall_desk, self)
        self.diagnosis_button = QPushButton("导出诊断包(&D)…")
        self.diagnosis_button.setObjectName("loginDiagnosis")
        self.diagnosis_button.setFlat(True)
        self.diagnosis_button.setToolTip("日志、版本和本机设置，供技术支持排查问题（不含密码和个人信息）")
        self.diagnosis_button.clicked.connect(self.diagnosis.ask)
        layout.addWidget(self.diagnosis_button, 0, Qt.AlignmentFlag.AlignRight)

        self.setTabOrder(self.username_edit, self.password_edit)
        self.setTabOrder(self.password_edit, self.login_button)
        self.username_edit.returnPressed.connect(self._username_entered)
        self.password_edit.returnPressed.connect(self.submit)
        self.login_button.clicked.connect(self.submit)
        self.setMinimumWidth(440)

        run_op(lambda: hall_settings.get_hall_settings(self._hall.uow()), self._show_hall_name,
                          self._hall_name_failed, owner=self)
        self.reset()

    # ---- public
    def is_busy(self) -> bool:
        return self._busy

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    def reset(self) -> None:
        """Ready for the next login (also after a logout): password empty, focus where typing starts."""
        self.password_edit.clear()
        set_error(self.error_label, "")
        self._set_busy(False)
        target = self.password_edit if self.username_edit.text() else self.username_edit
        target.setFocus()

    def submit(self) -> None:
        if self._busy:
            return
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not username:
            set_error(self.error_label, "请输入用户名")
            self.username_edit.setFocus()
            return
        if not password:
            set_error(self.error_label, "请输入密码")
            self.password_edit.setFocus()
            return
        set_error(self.error_label, "")
        self._set_busy(True)
        hall_desk = self._hall
        run_op(lambda: hall_desk.login(username, password),
                          lambda actor: self._succeeded(actor, password), self._failed, owner=self)

    # ---- internals
    def _username_entered(self) -> None:
        if self.password_edit.text():
            self.submit()
        else:
            self.password_edit.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.username_edit, self.password_edit, self.login_button):
            widget.setEnabled(not busy)
        self.login_button.setText("正在登录…" if busy else "登录(&L)")

    def _succeeded(self, actor: Actor, password: str) -> None:
        self.password_edit.clear()
        if not actor.must_change_password:
            self._set_busy(False)
            self.logged_in.emit(actor)
            return
        try:
            self._hall.account_hall()
        except DatabaseUnavailable:
            self._set_busy(False)
            self.logged_in.emit(actor)  # offline: work goes on; the change waits for the network
            return
        self.password_dialog = ChangePasswordDialog(self._hall, actor, self, old_password=password)
        self.password_dialog.saved.connect(lambda: self.logged_in.emit(replace(actor, must_change_password=False)))
        self.password_dialog.finished.connect(self._password_dialog_closed)
        self.password_dialog.open()

    def _password_dialog_closed(self, result: int) -> None:
        self.password_dialog = None
        self._set_busy(False)
        if result != QDialog.DialogCode.Accepted:
            set_error(self.error_label, "未设置新密码，未登录")
            self.password_edit.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.password_edit.setFocus()
        if isinstance(exc, HallDeskError):
            set_error(self.error_label, exc.message)
        else:
            show_error(self, exc)

    def _show_hall_name(self, settings: hall_settings.HallSettings) -> None:
        self.title_label.setText(settings.name)

    def _hall_name_failed(self, exc: BaseException) -> None:
        # Without the name the window still works; a broken database shows up at login anyway.
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)
