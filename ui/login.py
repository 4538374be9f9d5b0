"""The login window: the first thing on screen, and where logout returns to."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import auth, hall, limits
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError
from ui.errors import show_error
from ui.widgets import error_label, limit_line, set_error
from ui.worker import run_in_background

DEFAULT_TITLE = "政务服务大厅"


class LoginWindow(QWidget):
    """User name and password; checks them off the GUI thread (argon2 takes a moment).

    Enter in the password field (or on 登录) submits; a failed login shows the service's message in red
    and clears the password.

    Signals:
        logged_in(Actor): the password was accepted; carries the logged-in user.
    """

    logged_in = Signal(object)

    def __init__(self, hall_desk: HallDesk, username: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall_desk
        self._busy = False
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

        self.setTabOrder(self.username_edit, self.password_edit)
        self.setTabOrder(self.password_edit, self.login_button)
        self.username_edit.returnPressed.connect(self._username_entered)
        self.password_edit.returnPressed.connect(self.submit)
        self.login_button.clicked.connect(self.submit)
        self.setMinimumWidth(440)

        run_in_background(lambda: hall.get_hall_settings(self._hall.uow()), self._show_hall_name,
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
        run_in_background(lambda: auth.login(self._hall.uow(), username, password), self._succeeded,
                          self._failed, owner=self)

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

    def _succeeded(self, actor: Actor) -> None:
        self.password_edit.clear()
        self._set_busy(False)
        self.logged_in.emit(actor)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.password_edit.setFocus()
        if isinstance(exc, HallDeskError):
            set_error(self.error_label, exc.message)
        else:
            show_error(self, exc)

    def _show_hall_name(self, settings: hall.HallSettings) -> None:
        self.title_label.setText(settings.name)

    def _hall_name_failed(self, exc: BaseException) -> None:
        # Without the name the window still works; a broken database shows up at login anyway.
        if not isinstance(exc, HallDeskError):
            show_error(self, exc)
