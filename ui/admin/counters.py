"""窗口管理: the hall's counters (number, kind, thermal and A4 printer addresses) and their printer settings."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import accounts, limits
from app.accounts import COUNTER_KINDS, CounterView
from app.auth import Actor
from app.context import HallDesk
from ui.admin.models import CounterTableModel
from ui.admin.settings import page_layout, page_title
from ui.ops import Change, Op, run_op, subscribe
from ui.printing.printers import PrinterSettingsDialog
from ui.unsaved import watch_form
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    dialog_buttons,
    fit_columns,
    hint_label,
    limit_line,
    open_dialog,
    restore_current,
    select_key,
    set_tab_order,
    table_view,
)

# ---- 窗口管理 ---------------------------------------------------------------------------------------


# The two dialogs of 窗口管理: both report the stored counter through ``saved``.
D = TypeVar("D", "CounterDialog", "PrinterSettingsDialog")


class CounterDialog(QDialog):
    """Add a counter (窗口) or edit one: name, kind, receipt and A4 printer addresses, enabled.

    Signals:
        saved(CounterView): the service stored the counter.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, counter: CounterView | None = None, next_number: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
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

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "窗口信息已修改，尚未保存" if self._form.changed() else ""

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
        self.printers_button.setToolTip("回执打印机的纸宽、编码、打印方式等，A4打印机，打印测试页")
        self.refresh_button = QPushButton("刷新(&R)")
        tools = QHBoxLayout()
        tools.addWidget(page_title("窗口管理"), 1)
        for b in (self.add_button, self.edit_button, self.printers_button, self.refresh_button):
            tools.addWidget(b)
        note = hint_label("回执打印机打印受理回执（热敏小票），A4打印机打印通知书。窗口号会出现在办件编号中，建成后不能修改。")
        layout = page_layout(self)
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
