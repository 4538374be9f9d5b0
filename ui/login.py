"""The login window: the first thing on screen, and where logout returns to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import DatabaseUnavailable, HallDeskError
from ui.errors import show_error
from ui.labels import error_label, limit_line, set_error, set_flags
from ui.ops import run_op

# This module is on screen before the database layer is loaded (``ui.main``: a fast start); what needs
# SQLAlchemy is imported once the hall has been opened (``set_hall``).
if TYPE_CHECKING:
    from app.auth import Actor
    from app.context import HallDesk
    from app.hall_settings import HallSettings
    from ui.diagnostics import DiagnosisExport
    from ui.password import ChangePasswordDialog

DEFAULT_TITLE = "政务服务大厅"


class LoginWindow(QWidget):
    """User name and password; checks them off the GUI thread (argon2 takes a moment).

    The window can be shown before the database is open (``hall_desk`` None): typing starts at once, and a
    login submitted before ``set_hall`` waits for it, with 正在连接数据库… on the button.

    Enter in the password field (or on 登录) submits; a failed login shows the service's message in red
    and clears the password.  An initial or reset password must be replaced first (``ChangePasswordDialog``);
    when the shared database is out of reach that waits for the next login, and the user is told.

    Signals:
        logged_in(Actor): the password was accepted; carries the logged-in user.
    """

    logged_in = Signal(object)

    def __init__(self, hall_desk: HallDesk | None, username: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall: HallDesk | None = None
        self._busy = False
        self._waiting: tuple[str, str] | None = None  # a login submitted before the database was open
        self.password_dialog: ChangePasswordDialog | None = None
        self._diagnosis: DiagnosisExport | None = None
        self.setWindowTitle("HallDesk 一窗通 — 登录")
        self.setObjectName("loginWindow")

        self.title_label = QLabel(DEFAULT_TITLE)
        self.title_label.setObjectName("loginTitle")
        # Alignment by name: the login window's path never loads the Qt namespace (ui.labels.set_flags).
        set_flags(self.title_label, "alignment", "AlignCenter")
        self.title_label.setWordWrap(True)
        subtitle = QLabel("一窗通 · 综合受理系统")
        subtitle.setObjectName("loginSubtitle")
        set_flags(subtitle, "alignment", "AlignCenter")

        self.username_edit = QLineEdit(username or "")
        self.username_edit.setPlaceholderText("登录用户名")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("密码")

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
        self.diagnosis_button = QPushButton("导出诊断包(&D)…")
        self.diagnosis_button.setObjectName("loginDiagnosis")
        self.diagnosis_button.setFlat(True)
        self.diagnosis_button.setToolTip("日志、版本和本机设置，供技术支持排查问题（不含密码和个人信息）")
        self.diagnosis_button.clicked.connect(lambda: self.diagnosis.ask())
        right = QHBoxLayout()  # on the right, after a stretch (an alignment flag would load the Qt namespace)
        right.addStretch(1)
        right.addWidget(self.diagnosis_button)
        layout.addLayout(right)

        self.setTabOrder(self.username_edit, self.password_edit)
        self.setTabOrder(self.password_edit, self.login_button)
        self.username_edit.returnPressed.connect(self._username_entered)
        self.password_edit.returnPressed.connect(self.submit)
        self.login_button.clicked.connect(self.submit)
        self.setMinimumWidth(440)

        self.reset()
        if hall_desk is not None:
            self.set_hall(hall_desk)

    @property
    def diagnosis(self) -> DiagnosisExport:
        """导出诊断包's dialog, made at the first click: its module is not on the login window's fast path."""
        if self._diagnosis is None:
            from ui.diagnostics import DiagnosisExport

            self._diagnosis = DiagnosisExport(lambda: self._hall, self)
        return self._diagnosis

    # ---- public
    def set_hall(self, hall_desk: HallDesk) -> None:
        """The database is open: take the fields' limits and the hall's name from it, and log in if asked to."""
        from app import hall_settings, limits

        self._hall = hall_desk
        limit_line(self.username_edit, limits.USERNAME)
        limit_line(self.password_edit, limits.PASSWORD)
        run_op(lambda: hall_settings.get_hall_settings(hall_desk.uow()), self._show_hall_name,
               self._hall_name_failed, owner=self)
        if self._waiting is not None:
            (username, password), self._waiting = self._waiting, None
            self._log_in(hall_desk, username, password)

    def has_hall(self) -> bool:
        return self._hall is not None

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
        if self._hall is None:
            self._waiting = (username, password)
            self.login_button.setText("正在连接数据库…")
            return
        self._log_in(self._hall, username, password)

    # ---- internals
    def _log_in(self, hall_desk: HallDesk, username: str, password: str) -> None:
        run_op(lambda: hall_desk.login(username, password),
               lambda actor: self._succeeded(actor, password), self._failed, owner=self)

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
        from ui.password import ChangePasswordDialog

        assert self._hall is not None  # a login only runs once the database is open
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

    def _show_hall_name(self, settings: HallSettings) -> None:
        self.title_label.setText(settings.name)

    def _hall_name_failed(self, exc: BaseException) -> None:
        # Without the name the window still works; a broken database shows up at login anyway.
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)
