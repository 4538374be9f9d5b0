"""The admin's pages: 用户管理, 窗口管理, 大厅设置, 节假日.

Every service call runs off the GUI thread as an ``ui.ops`` op; a refused save leaves the dialog open with
the user's input.  Form pages have symmetric ``load()`` / ``save()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import accounts, catalog, hall_settings, holidays, limits
from app.accounts import COUNTER_KINDS, CounterView, UserView
from app.auth import DEPT_ROLES, ROLES, Actor
from app.catalog import DepartmentView
from app.context import HallDesk
from app.hall_settings import CalendarStatus, HallSettings
from app.workdays import DueDate, package_knows_year
from ui.errors import confirm
from ui.models import CounterTableModel, OverrideTableModel, UserTableModel
from ui.ops import Change, Op, run_op, subscribe
from ui.printers import PrinterSettingsDialog
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import (
    Page,
    PasswordFields,
    banner,
    buddy_label,
    current_row,
    dialog_buttons,
    error_label,
    fit_columns,
    format_date,
    hint_label,
    limit_line,
    open_dialog,
    restore_current,
    select_key,
    set_error,
    set_tab_order,
    table_view,
    to_date,
    to_qdate,
)

_ASCII_NAME = QRegularExpressionValidator(r"[A-Za-z0-9_.\-]{0,32}")
# The two dialogs of 窗口管理: both report the stored counter through ``saved``.
D = TypeVar("D", "CounterDialog", "PrinterSettingsDialog")


def _page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("pageTitle")
    return label


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
        tools.addWidget(_title("用户管理"), 1)
        for b in (self.add_button, self.edit_button, self.password_button, self.unlock_button, self.refresh_button):
            tools.addWidget(b)
        layout = _page_layout(self)
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


# ---- 窗口管理 ---------------------------------------------------------------------------------------


class CounterDialog(QDialog):
    """Add a counter (窗口) or edit one: name, kind, receipt and A4 printer addresses, enabled.

    Signals:
        saved(CounterView): the service stored the counter.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, counter: CounterView | None = None, next_number: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self.setWindowTitle(f"编辑窗口 — {counter.number}号" if counter else "新增窗口")
        self.number_spin = QSpinBox()
        self.number_spin.setRange(1, accounts.MAX_COUNTER)
        self.number_spin.setSuffix(" 号")
        self.number_spin.setValue(counter.number if counter else next_number)
        self.number_spin.setEnabled(counter is None)  # the number is printed in case numbers: never renumber
        self.name_edit = limit_line(QLineEdit(counter.name if counter else ""), limits.COUNTER_NAME)
        self.kind_combo = QComboBox()
        for key, name in COUNTER_KINDS.items():
            self.kind_combo.addItem(name, key)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(counter.kind if counter else "comprehensive")))
        self.printer_edit = limit_line(QLineEdit(counter.printer_uri if counter else ""), limits.PRINTER_URI)
        self.printer_edit.setPlaceholderText("如 tcp://192.168.1.50:9100 或 usb://0x0416:0x5011")
        self.a4_edit = limit_line(QLineEdit(counter.a4_printer_uri if counter else ""), limits.A4_PRINTER_URI)
        self.a4_edit.setPlaceholderText("如 cups://A4 或 file:///srv/通知书；留空则在预览中打印")
        self.active_check = QCheckBox("启用(&A)")
        self.active_check.setChecked(counter.active if counter else True)
        form = QFormLayout()
        form.addRow(buddy_label("窗口号(&U)", self.number_spin), self.number_spin)
        form.addRow(buddy_label("名称(&N)", self.name_edit), self.name_edit)
        form.addRow(buddy_label("类型(&K)", self.kind_combo), self.kind_combo)
        form.addRow(buddy_label("回执打印机(&P)", self.printer_edit), self.printer_edit)
        form.addRow(buddy_label("A4打印机(&F)", self.a4_edit), self.a4_edit)
        form.addRow("", self.active_check)
        buttons, self.ok_button = dialog_buttons(self, "保存(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        (self.number_spin if counter is None else self.name_edit).setFocus()

    def save(self) -> Op[CounterView]:
        hall, actor = self._hall, self._actor
        number, name, printer = self.number_spin.value(), self.name_edit.text(), self.printer_edit.text()
        kind, active, a4 = str(self.kind_combo.currentData()), self.active_check.isChecked(), self.a4_edit.text()
        return run_op(lambda: accounts.save_counter(
            hall.uow(), actor, number=number, name=name, kind=kind, printer_uri=printer, active=active,
            a4_printer_uri=a4), self._saved_ok, owner=self, changes={Change.ACCOUNTS}, disable=[self.ok_button])

    def _saved_ok(self, counter: CounterView) -> None:
        self.saved.emit(counter)
        self.accept()


class CountersPage(Page):
    """The hall's counters and the printers each one prints on (打印机设置 opens the full printer settings).

    Signals:
        status_message(str): something the main window's status bar should show for a while.
    """

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.ACCOUNTS}, self.refresh)  # what other pages change
        self._select: int | None = None
        self.dialog: QDialog | None = None
        self.model = CounterTableModel(parent=self)
        self.view = table_view(self.model, empty="暂无窗口。按“新增窗口”登记大厅的综合受理窗口、出件窗口和办不成事窗口。")
        fit_columns(self.view, stretch=3)
        self.add_button = QPushButton("新增窗口(&N)")
        self.edit_button = QPushButton("编辑(&E)")
        self.printers_button = QPushButton("打印机设置(&P)…")
        self.printers_button.setToolTip("回执打印机的纸宽、编码、中文模式等，A4打印机，打印测试页")
        self.refresh_button = QPushButton("刷新(&R)")
        tools = QHBoxLayout()
        tools.addWidget(_title("窗口管理"), 1)
        for b in (self.add_button, self.edit_button, self.printers_button, self.refresh_button):
            tools.addWidget(b)
        note = hint_label("回执打印机打印受理回执（热敏小票），A4打印机打印通知书。窗口号会出现在办件编号中，建成后不能修改。")
        layout = _page_layout(self)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(note)
        set_tab_order(self.add_button, self.edit_button, self.printers_button, self.refresh_button, self.view)
        self.add_button.clicked.connect(self.add_counter)
        self.edit_button.clicked.connect(self.edit_counter)
        self.printers_button.clicked.connect(self.edit_printers)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.activated.connect(self.edit_counter)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        self._update_buttons()

    def refresh(self) -> None:
        hall = self._hall
        if self._select is None:
            self._select = self.selected_number()
        run_op(lambda: accounts.list_counters(hall.uow()), self._loaded_data, owner=self, key="load")

    def _loaded_data(self, counters: list[CounterView]) -> None:
        self.model.set_rows(counters)
        self._loaded = True
        restore_current(self.view, self.model, self._select)
        self._select = None
        self._update_buttons()

    def selected_counter(self) -> CounterView | None:
        return current_row(self.view, self.model)

    def selected_number(self) -> int | None:
        counter = self.selected_counter()
        return counter.number if counter else None

    def select_counter(self, number: int) -> bool:
        return select_key(self.view, self.model, number)

    def _update_buttons(self) -> None:
        self.edit_button.setEnabled(self.selected_counter() is not None)
        self.printers_button.setEnabled(self.selected_counter() is not None)

    def add_counter(self) -> CounterDialog:
        numbers = {c.number for c in self.model.rows()}
        next_number = next((n for n in range(1, accounts.MAX_COUNTER + 1) if n not in numbers), accounts.MAX_COUNTER)
        return self._open(CounterDialog(self._hall, self._actor, None, next_number, parent=self))

    def edit_counter(self) -> CounterDialog | None:
        counter = self.selected_counter()
        if counter is None:
            return None
        return self._open(CounterDialog(self._hall, self._actor, counter, parent=self))

    def edit_printers(self) -> PrinterSettingsDialog | None:
        counter = self.selected_counter()
        if counter is None:
            return None
        return self._open(PrinterSettingsDialog(self._hall, self._actor, counter.number, parent=self))

    def _open(self, dialog: D) -> D:
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
        self.view.setFocus()

    def _saved(self, counter: CounterView) -> None:
        self.status_message.emit(f"已保存 {counter.number}号窗口（{counter.name}）")
        self._select = counter.number
        self.refresh()


# ---- 大厅设置 ---------------------------------------------------------------------------------------


class HallSettingsPage(Page):
    """The hall's name, code, area code, address and phone, as printed on every page.

    ``load()`` fills the form from the database, ``save()`` writes the form back.

    Signals:
        saved(HallSettings): the settings were stored.
        status_message(str): something the main window's status bar should show for a while.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.name_edit = limit_line(QLineEdit(), limits.HALL_NAME)
        self.code_edit = limit_line(QLineEdit(), limits.HALL_CODE)
        self.code_edit.setValidator(QRegularExpressionValidator(r"[A-Za-z]{0,4}"))
        self.code_edit.setToolTip("1–4位大写字母，用于办件编号，如 XJ")
        self.area_edit = limit_line(QLineEdit(), limits.HALL_AREA_CODE)
        self.area_edit.setValidator(QRegularExpressionValidator(r"\d{0,6}"))
        self.area_edit.setToolTip("GB/T 2260 六位行政区划代码，新建区为 360112")
        self.address_edit = limit_line(QLineEdit(), limits.HALL_ADDRESS)
        self.phone_edit = limit_line(QLineEdit(), limits.HALL_PHONE)
        self.phone_edit.setValidator(QRegularExpressionValidator(r"[0-9\-]{0,20}"))
        # Named on every 不予受理通知书 and 不予行政许可决定书; while either is empty no denial can be made.
        self.review_authority_edit = limit_line(QLineEdit(), limits.HALL_REVIEW_AUTHORITY)
        self.review_authority_edit.setToolTip("申请人申请行政复议的机关，如 南昌市新建区人民政府；为空时不能作出不予许可决定")
        self.court_edit = limit_line(QLineEdit(), limits.HALL_COURT)
        self.court_edit.setToolTip("申请人提起行政诉讼的法院，如 南昌市新建区人民法院；为空时不能作出不予许可决定")
        self._stored = HallSettings()
        form = QFormLayout()
        form.addRow(buddy_label("大厅名称(&N)", self.name_edit), self.name_edit)
        form.addRow(buddy_label("大厅代码(&C)", self.code_edit), self.code_edit)
        form.addRow(buddy_label("行政区划代码(&Q)", self.area_edit), self.area_edit)
        form.addRow(buddy_label("地址(&D)", self.address_edit), self.address_edit)
        form.addRow(buddy_label("电话(&T)", self.phone_edit), self.phone_edit)
        form.addRow(buddy_label("复议机关(&R)", self.review_authority_edit), self.review_authority_edit)
        form.addRow(buddy_label("诉讼法院(&U)", self.court_edit), self.court_edit)
        note = hint_label("这些信息会印在每一张受理回执、通知书和签收单上；大厅代码是办件编号的开头，"
                          "已打印的编号不会随之改变。复议机关和诉讼法院印在不予受理通知书和不予许可决定书上，"
                          "任一项为空时不能作出不予许可决定。")
        self.save_button = QPushButton("保存(&S)")
        self.revert_button = QPushButton("还原(&Z)")
        self.revert_button.setToolTip("放弃未保存的修改，重新读取")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        box = QGroupBox("大厅信息")
        box.setLayout(form)
        # Form, note and buttons in one column of reading width, not spread over a wide screen.
        column = QWidget()
        column.setMaximumWidth(760)
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.addWidget(box)
        column_layout.addWidget(note)
        column_layout.addLayout(buttons)
        layout = _page_layout(self)
        layout.addWidget(_title("大厅设置"))
        layout.addWidget(column)
        layout.addStretch(1)
        set_tab_order(self.name_edit, self.code_edit, self.area_edit, self.address_edit, self.phone_edit,
                      self.review_authority_edit, self.court_edit, self.revert_button, self.save_button)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)
        describe(QShortcut(QKeySequence.StandardKey.Save, self, self.save,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "保存")

    def refresh(self) -> None:
        self.load()

    def form_settings(self) -> HallSettings:
        # Settings this page does not show (the document-number prefix) stay as stored.
        return replace(
            self._stored, name=self.name_edit.text(), code=self.code_edit.text().upper(),
            area_code=self.area_edit.text(), address=self.address_edit.text(), phone=self.phone_edit.text(),
            review_authority=self.review_authority_edit.text(), court=self.court_edit.text(),
        )

    def set_form(self, settings: HallSettings) -> None:
        self.name_edit.setText(settings.name)
        self.code_edit.setText(settings.code)
        self.area_edit.setText(settings.area_code)
        self.address_edit.setText(settings.address)
        self.phone_edit.setText(settings.phone)
        self.review_authority_edit.setText(settings.review_authority)
        self.court_edit.setText(settings.court)
        self._stored = settings

    def load(self) -> Op[HallSettings]:
        hall = self._hall
        return run_op(lambda: hall_settings.get_hall_settings(hall.uow()), self._loaded_settings, owner=self,
                      key="load")

    def _loaded_settings(self, settings: HallSettings) -> None:
        self.set_form(settings)
        self._loaded = True

    def save(self) -> Op[HallSettings]:
        hall, actor, settings = self._hall, self._actor, self.form_settings()
        return run_op(lambda: hall_settings.save_hall_settings(hall.uow(), actor, settings), self._saved_ok,
                      owner=self, changes={Change.SETTINGS}, busy="正在保存大厅设置…")

    def _saved_ok(self, result: HallSettings) -> None:
        self.set_form(result)  # the service trims; show what was stored
        self.saved.emit(result)
        self.status_message.emit("大厅设置已保存")


# ---- 节假日 -----------------------------------------------------------------------------------------


class HolidaysPage(Page):
    """Working-day calendar overrides per year, confirming a year, and a small due-date calculator.

    Signals:
        calendar_changed(): an override was added or removed, or a year confirmed (the main window
            re-reads the calendar warning).
        status_message(str): something the main window's status bar should show for a while.
    """

    calendar_changed = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CALENDAR}, self.refresh)  # what other pages change
        self.status: CalendarStatus | None = None
        this_year = hall_settings.today().year

        self.warning_banner = banner()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(this_year)
        self.year_spin.setSuffix(" 年")
        self.year_state = QLabel()
        self.confirm_button = QPushButton("确认本年安排已录入(&C)")
        self.confirm_button.setToolTip("录入国务院公布的本年放假和调休安排后确认；确认后该年的到期日期不再标记为“待定”")
        year_row = QHBoxLayout()
        year_row.addWidget(buddy_label("年份(&Y)", self.year_spin))
        year_row.addWidget(self.year_spin)
        year_row.addWidget(self.year_state, 1)
        year_row.addWidget(self.confirm_button)

        self.model = OverrideTableModel(parent=self)
        self.view = table_view(self.model, empty="本年暂无节假日调整。按国务院办公厅公布的放假安排，"
                                                 "在下方添加放假日和调休上班日。")
        fit_columns(self.view, stretch=2)
        self.remove_button = QPushButton("删除所选调整(&D)")
        table_label = buddy_label("本年调整(&L)", self.view)
        table_label.setObjectName("sectionTitle")
        left = QVBoxLayout()
        left.addWidget(table_label)
        left.addWidget(self.view, 1)
        left.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)

        # ---- add an override
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setDate(to_qdate(date(this_year, 1, 1)))
        self.workday_radio = QRadioButton("上班（调休工作日）(&W)")
        self.off_radio = QRadioButton("放假（休息日）(&O)")
        self.off_radio.setChecked(True)
        kind_group = QButtonGroup(self)
        kind_group.addButton(self.workday_radio)
        kind_group.addButton(self.off_radio)
        kinds = QHBoxLayout()
        kinds.addWidget(self.off_radio)
        kinds.addWidget(self.workday_radio)
        kinds.addStretch(1)
        self.note_edit = limit_line(QLineEdit(), limits.HOLIDAY_NOTE)
        self.note_edit.setPlaceholderText("如：春节调休上班")
        self.add_button = QPushButton("添加(&I)")
        add_form = QFormLayout()
        add_form.addRow(buddy_label("日期(&T)", self.date_edit), self.date_edit)
        add_form.addRow("类型", kinds)
        add_form.addRow(buddy_label("说明(&N)", self.note_edit), self.note_edit)
        add_form.addRow("", self.add_button)
        add_box = QGroupBox("添加调整")
        add_box.setLayout(add_form)

        # ---- due-date calculator
        self.calc_start = QDateEdit()
        self.calc_start.setCalendarPopup(True)
        self.calc_start.setDisplayFormat("yyyy-MM-dd")
        self.calc_start.setDate(to_qdate(hall_settings.today()))
        self.calc_days = QSpinBox()
        self.calc_days.setRange(0, 365)
        self.calc_days.setValue(5)
        self.calc_days.setSuffix(" 个工作日")
        self.calc_button = QPushButton("计算(&J)")
        self.calc_result = QLabel("—")
        self.calc_result.setObjectName("calcResult")
        self.calc_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        calc_form = QFormLayout()
        calc_form.addRow(buddy_label("起算日(&S)", self.calc_start), self.calc_start)
        calc_form.addRow(buddy_label("期限(&X)", self.calc_days), self.calc_days)
        calc_form.addRow("", self.calc_button)
        calc_form.addRow("到期日", self.calc_result)
        calc_note = hint_label("起算日当天不计，从下一个工作日数起。")
        calc_form.addRow(calc_note)
        calc_box = QGroupBox("工作日计算")
        calc_box.setLayout(calc_form)

        right = QVBoxLayout()
        right.addWidget(add_box)
        right.addWidget(calc_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        layout = _page_layout(self)
        layout.addWidget(_title("节假日"))
        layout.addWidget(self.warning_banner)
        layout.addLayout(year_row)
        layout.addLayout(columns, 1)
        set_tab_order(self.year_spin, self.confirm_button, self.view, self.remove_button, self.date_edit,
                      self.off_radio, self.workday_radio, self.note_edit, self.add_button, self.calc_start,
                      self.calc_days, self.calc_button)

        self.year_spin.valueChanged.connect(self._year_changed)
        self.confirm_button.clicked.connect(self.confirm_selected_year)
        self.remove_button.clicked.connect(self.remove_selected)
        self.add_button.clicked.connect(self.add_override)
        self.note_edit.returnPressed.connect(self.add_override)
        self.calc_button.clicked.connect(self.calculate)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        describe(QShortcut(QKeySequence(Qt.Key.Key_Delete), self.view, guarded(self.remove_button, self.remove_selected),
                           context=Qt.ShortcutContext.WidgetShortcut), "删除所选日期（列表中）")
        self._update_buttons()

    def year(self) -> int:
        return self.year_spin.value()

    def refresh(self) -> None:
        hall, year = self._hall, self.year()

        def load() -> tuple[list[hall_settings.CalendarOverrideView], CalendarStatus]:
            return hall_settings.list_overrides(hall.uow(), year), hall_settings.calendar_status(hall.uow())

        run_op(load, self._loaded_data, owner=self, key="load")

    def _loaded_data(self, data: tuple[list[hall_settings.CalendarOverrideView], CalendarStatus]) -> None:
        overrides, self.status = data
        if not self._loaded and self.status.unknown_years and self.year() not in self.status.unknown_years:
            # First visit: open on the year that still needs its arrangement entered.
            self._loaded = True
            self.year_spin.setValue(self.status.unknown_years[0])  # reloads for that year
            return
        self.model.set_rows(overrides)
        self._loaded = True
        warning = self.status.warning or ""
        self.warning_banner.setText(warning)
        self.warning_banner.setVisible(bool(warning))
        year = self.year()
        if year in self.status.confirmed_years:
            state = "已由管理员确认"
        elif package_knows_year(year):
            state = "国务院安排已内置，无需录入"
        else:
            state = "尚未确认：涉及该年的到期日期为“待定”"
        self.year_state.setText(f"{year}年：{state}，共{len(overrides)}条调整")
        self._update_buttons()

    def _year_changed(self) -> None:
        current = to_date(self.date_edit.date())
        if current.year != self.year():
            self.date_edit.setDate(to_qdate(date(self.year(), 1, 1)))
        self.refresh()

    def _update_buttons(self) -> None:
        set_available(self.remove_button, "" if self.view.currentIndex().isValid() else "请先在列表中选择日期")
        # Years the calendar package knows need no confirmation; confirmed ones need it only once.
        confirmed = self.status is not None and self.year() in self.status.confirmed_years
        self.confirm_button.setEnabled(not confirmed and not package_knows_year(self.year()))

    def _changed(self, message: str, moved: int | None) -> None:
        if moved:
            message += f"；{moved}个在办件的到期日期已重新计算"
        self.status_message.emit(message)
        self.calendar_changed.emit()
        self.refresh()

    def add_override(self) -> Op[int]:
        hall, actor = self._hall, self._actor
        day, workday, note = to_date(self.date_edit.date()), self.workday_radio.isChecked(), self.note_edit.text()

        def added(moved: int) -> None:
            self.note_edit.clear()
            if day.year != self.year():
                self.year_spin.setValue(day.year)  # show the year the new row went into
            self._changed(f"已把 {format_date(day)} 设为{'上班' if workday else '放假'}", moved)

        return run_op(lambda: holidays.set_override(hall.uow(), actor, day, workday, note), added, owner=self,
                      changes={Change.CALENDAR, Change.CASES}, disable=[self.add_button])

    def remove_selected(self) -> Op[int] | None:
        row = current_row(self.view, self.model)
        if row is None:
            return None
        hall, actor, day = self._hall, self._actor, row.day
        return run_op(lambda: holidays.remove_override(hall.uow(), actor, day),
                      lambda moved: self._changed(f"已删除 {format_date(day)} 的调整", moved), owner=self,
                      changes={Change.CALENDAR, Change.CASES})

    def confirm_selected_year(self) -> Op[int] | None:
        year = self.year()
        if not confirm(self, f"确认{year}年的国务院节假日和调休安排已全部录入？\n确认后涉及{year}年的到期日期不再标记为“待定”。",
                       "确认本年安排"):
            return None
        hall, actor = self._hall, self._actor
        return run_op(lambda: holidays.confirm_year(hall.uow(), actor, year),
                      lambda moved: self._changed(f"已确认{year}年的节假日安排", moved), owner=self,
                      changes={Change.CALENDAR, Change.CASES})

    def calculate(self) -> Op[DueDate]:
        """Start the calculation; the date appears in ``calc_result``."""
        hall, start, n = self._hall, to_date(self.calc_start.date()), self.calc_days.value()
        return run_op(lambda: hall_settings.add_workdays(hall.uow(), start, n), self._calculated, owner=self,
                      key="calculate")

    def _calculated(self, due: DueDate) -> None:
        text = format_date(due.date) + ("（待定）" if due.provisional else "")
        self.calc_result.setText(text)
        self.calc_result.setToolTip("该年的节假日安排尚未确认，日期可能变动" if due.provisional else "")
