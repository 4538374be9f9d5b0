"""节假日: holiday overrides, confirming a year's arrangement, and a working-day calculator."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
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

from app import hall_settings, holidays, limits
from app.auth import Actor
from app.context import HallDesk
from app.hall_settings import CalendarStatus
from app.workdays import DueDate, package_knows_year
from ui.admin.models import OverrideTableModel
from ui.admin.settings import page_layout, page_title
from ui.errors import confirm
from ui.ops import Change, Op, run_op, subscribe
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import (
    Page,
    banner,
    buddy_label,
    current_row,
    fit_columns,
    format_date,
    hint_label,
    limit_line,
    set_tab_order,
    table_view,
    to_date,
    to_qdate,
)

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
        self.off_radio = QRadioButton("放假（休息日）(&F)")
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
        layout = page_layout(self)
        layout.addWidget(page_title("节假日"))
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
