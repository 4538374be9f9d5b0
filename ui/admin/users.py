"""用户管理: users, roles, departments and counters; new user, edit, reset password, unlock."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import accounts, catalog, limits
from app.accounts import CounterView, UserView
from app.auth import DEPT_ROLES, ROLES, Actor
from app.catalog import DepartmentView
from app.context import HallDesk
from ui.admin.models import UserTableModel
from ui.admin.settings import page_layout, page_title
from ui.ops import Change, Op, run_op, subscribe
from ui.unsaved import watch_form
from ui.widgets import (
    Page,
    PasswordFields,
    buddy_label,
    current_row,
    dialog_buttons,
    error_label,
    fit_columns,
    hint_label,
    limit_line,
    open_dialog,
    restore_current,
    select_key,
    set_error,
    set_tab_order,
    table_view,
)

_ASCII_NAME = QRegularExpressionValidator(r"[A-Za-z0-9_.\-]{0,32}")


# ---- 用户管理 ---------------------------------------------------------------------------------------


class UserDialog(QDialog):
    """Add a user (with a first password) or edit one (name, role, department, counter, enabled).

    Signals:
        saved(UserView): the service stored the user.
    """

    saved = Signal(object)

    def __init__(
        self,
        hall: HallDesk,
        actor: Actor,
        departments: Sequence[DepartmentView],
        counters: Sequence[CounterView],
        user: UserView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._user = user
        self.setWindowTitle(f"编辑用户 — {user.username}" if user else "新增用户")

        self.username_edit = QLineEdit(user.username if user else "")
        self.username_edit.setValidator(_ASCII_NAME)
        self.username_edit.setReadOnly(user is not None)
        self.username_edit.setPlaceholderText("字母开头，如 clerk3")
        limit_line(self.username_edit, limits.USERNAME)
        self.full_name_edit = limit_line(QLineEdit(user.full_name if user else ""), limits.FULL_NAME)
        self.role_combo = QComboBox()
        for key, name in ROLES.items():
            self.role_combo.addItem(name, key)
        self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(user.role if user else "clerk")))
        self.dept_combo = QComboBox()
        self.dept_combo.addItem("（无）", None)
        for d in departments:
            self.dept_combo.addItem(d.name, d.code)
        self.dept_combo.setCurrentIndex(max(0, self.dept_combo.findData(user.dept if user else None)))
        self.counter_combo = QComboBox()
        self.counter_combo.addItem("（无）", None)
        for c in counters:
            if c.active or (user is not None and user.counter == c.number):
                self.counter_combo.addItem(f"{c.number}号 {c.name}", c.number)
        self.counter_combo.setCurrentIndex(max(0, self.counter_combo.findData(user.counter if user else None)))

        form = QFormLayout()
        form.addRow(buddy_label("用户名(&U)", self.username_edit), self.username_edit)
        form.addRow(buddy_label("姓名(&N)", self.full_name_edit), self.full_name_edit)
        form.addRow(buddy_label("角色(&O)", self.role_combo), self.role_combo)
        form.addRow(buddy_label("部门(&D)", self.dept_combo), self.dept_combo)
        form.addRow(buddy_label("窗口(&W)", self.counter_combo), self.counter_combo)
        self.passwords: PasswordFields | None = None
        self.active_check: QCheckBox | None = None
        if user is None:
            self.passwords = PasswordFields()
            self.passwords.add_to(form, "初始密码(&P)")
        else:
            self.active_check = QCheckBox("启用此账户(&A)")
            self.active_check.setChecked(user.active)
            form.addRow("", self.active_check)

        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "保存(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

        self.role_combo.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        (self.full_name_edit if user else self.username_edit).setFocus()

    def role(self) -> str:
        return str(self.role_combo.currentData())

    def dept(self) -> str | None:
        if not self.dept_combo.isEnabled():
            # Keep what the user already had (e.g. a supervisor's office); a new one gets none.
            return self._user.dept if self._user else None
        code = self.dept_combo.currentData()
        return str(code) if code else None

    def counter(self) -> int | None:
        number = self.counter_combo.currentData()
        return int(number) if number is not None else None

    def _role_changed(self) -> None:
        # Only back-office roles belong to a department (the service insists on one for them).
        self.dept_combo.setEnabled(self.role() in DEPT_ROLES)

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "用户信息已修改，尚未保存" if self._form.changed() else ""

    def save(self) -> Op[UserView] | None:
        """Start saving (None when the form is refused before any service sees it); ``saved`` follows."""
        if self.passwords is not None and (problem := self.passwords.problem()):
            set_error(self.error_label, problem)
            self.passwords.password_edit.setFocus()
            return None
        set_error(self.error_label, "")
        hall, actor = self._hall, self._actor
        name, role, dept, counter = self.full_name_edit.text(), self.role(), self.dept(), self.counter()
        if self._user is None:
            username = self.username_edit.text()
            password = self.passwords.value() if self.passwords else ""
            return run_op(lambda: accounts.add_user(
                hall.uow(), actor, username=username, full_name=name, role=role, password=password,
                dept=dept, counter=counter), self._saved_ok, owner=self, changes={Change.ACCOUNTS},
                busy="正在保存用户…", form=self.error_label, disable=[self.ok_button])  # argon2 takes a moment
        username = self._user.username
        active = self.active_check.isChecked() if self.active_check else True
        return run_op(lambda: accounts.update_user(
            hall.uow(), actor, username, full_name=name, role=role, dept=dept, counter=counter, active=active),
            self._saved_ok, owner=self, changes={Change.ACCOUNTS}, busy="正在保存用户…", form=self.error_label,
            disable=[self.ok_button])

    def _saved_ok(self, user: UserView) -> None:
        self.saved.emit(user)
        self.accept()


class ResetPasswordDialog(QDialog):
    """An admin sets a new password for someone who forgot theirs.

    Signals:
        saved(str): the password of this user name was changed.
    """

    saved = Signal(str)

    def __init__(self, hall: HallDesk, actor: Actor, user: UserView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._username = user.username
        self.setWindowTitle(f"重置密码 — {user.full_name}（{user.username}）")
        self.passwords = PasswordFields()
        form = QFormLayout()
        self.passwords.add_to(form)
        note = hint_label("重置后账户的锁定同时解除。请把新密码当面告知本人，并提醒其登录后在“账户 → 修改密码”中修改。")
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "重置(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.passwords.password_edit.setFocus()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "新密码已填写，尚未保存" if self._form.changed() else ""

    def save(self) -> Op[None] | None:
        """Start the reset (None when the two entries are refused before any service sees them)."""
        if problem := self.passwords.problem():
            set_error(self.error_label, problem)
            return None
        hall, actor, username, password = self._hall, self._actor, self._username, self.passwords.value()
        return run_op(lambda: accounts.set_password(hall.uow(), actor, username, password), self._changed,
                      owner=self, changes={Change.ACCOUNTS}, busy="正在重置密码…", form=self.error_label,
                      disable=[self.ok_button])

    def _changed(self, _none: None) -> None:
        self.saved.emit(self._username)
        self.accept()


class UsersPage(Page):
    """All accounts; add, edit, reset a password, unlock after too many wrong passwords.

    Signals:
        status_message(str): something the main window's status bar should show for a while.
    """

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.ACCOUNTS}, self.refresh)  # what other pages change
        self._departments: list[DepartmentView] = []
        self._counters: list[CounterView] = []
        self._select: str | None = None
        self.dialog: QDialog | None = None

        self.model = UserTableModel(parent=self)
        self.view = table_view(self.model, empty="暂无用户。按“新增用户”为窗口人员、审批人员、首席代表和督查人员建立账户。")
        fit_columns(self.view, stretch=3)
        self.add_button = QPushButton("新增用户(&N)")
        self.edit_button = QPushButton("编辑(&E)")
        self.password_button = QPushButton("重置密码(&P)")
        self.unlock_button = QPushButton("解锁(&K)")
        self.unlock_button.setToolTip("连续5次密码错误的账户被锁定15分钟；解锁后可立即登录")
        self.refresh_button = QPushButton("刷新(&R)")
        tools = QHBoxLayout()
        tools.addWidget(page_title("用户管理"), 1)
        for b in (self.add_button, self.edit_button, self.password_button, self.unlock_button, self.refresh_button):
            tools.addWidget(b)
        layout = page_layout(self)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        set_tab_order(self.add_button, self.edit_button, self.password_button, self.unlock_button,
                      self.refresh_button, self.view)

        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.password_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock_user)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.activated.connect(self.edit_user)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        self._update_buttons()

    def refresh(self) -> None:
        hall, actor = self._hall, self._actor
        if self._select is None:
            self._select = self.selected_username()

        def load() -> tuple[list[UserView], list[DepartmentView], list[CounterView]]:
            return (accounts.list_users(hall.uow(), actor), catalog.list_departments(hall.uow()),
                    accounts.list_counters(hall.uow()))

        run_op(load, self._loaded_data, owner=self, key="load")

    def _loaded_data(self, data: tuple[list[UserView], list[DepartmentView], list[CounterView]]) -> None:
        users, self._departments, self._counters = data
        self.model.set_departments({d.code: d.name for d in self._departments})
        self.model.set_rows(users)
        self._loaded = True
        restore_current(self.view, self.model, self._select)
        self._select = None
        self._update_buttons()

    def selected_user(self) -> UserView | None:
        return current_row(self.view, self.model)

    def selected_username(self) -> str | None:
        user = self.selected_user()
        return user.username if user else None

    def select_user(self, username: str) -> bool:
        return select_key(self.view, self.model, username)

    def _update_buttons(self) -> None:
        user = self.selected_user()
        for b in (self.edit_button, self.password_button):
            b.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and user.locked)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
        self.view.setFocus()

    def add_user(self) -> UserDialog:
        dialog = UserDialog(self._hall, self._actor, self._departments, self._counters, parent=self)
        dialog.saved.connect(self._user_added)
        self._open(dialog)
        return dialog

    def edit_user(self) -> UserDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = UserDialog(self._hall, self._actor, self._departments, self._counters, user, parent=self)
        dialog.saved.connect(self._user_saved)
        self._open(dialog)
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = ResetPasswordDialog(self._hall, self._actor, user, parent=self)
        dialog.saved.connect(self._password_reset)
        self._open(dialog)
        return dialog

    def unlock_user(self) -> Op[None] | None:
        user = self.selected_user()
        if user is None:
            return None
        hall, actor, username = self._hall, self._actor, user.username
        return run_op(lambda: accounts.unlock_user(hall.uow(), actor, username),
                      lambda _none: self._saved(user, f"已解锁 {username}"), owner=self, changes={Change.ACCOUNTS})

    # Dialogs report back to bound methods, never to lambdas: a lambda holding ``self`` on a dialog's
    # signal can keep this page alive until the dialog's own destruction, and then destroy it from there.
    def _user_added(self, user: UserView) -> None:
        self._saved(user, f"已新增用户 {user.username}（{user.full_name}）")

    def _user_saved(self, user: UserView) -> None:
        self._saved(user, f"已保存用户 {user.username}")

    def _password_reset(self, username: str) -> None:
        self._saved(None, f"已重置 {username} 的密码")

    def _saved(self, user: UserView | None, message: str) -> None:
        self.status_message.emit(message)
        self._select = user.username if user else self.selected_username()
        self.refresh()
