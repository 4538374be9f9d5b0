"""Table models of the admin's pages: users, counters, calendar overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import (
    QObject,
)

from app.accounts import COUNTER_KINDS, CounterView, UserView
from app.auth import ROLES
from app.hall_settings import CalendarOverrideView
from ui.models import RowTableModel, yes_no
from ui.widgets import format_date


class UserTableModel(RowTableModel[UserView]):
    headers = ("用户名", "姓名", "角色", "部门", "窗口", "状态")
    centered = frozenset({4, 5})

    def __init__(self, rows: Iterable[UserView] = (), departments: Mapping[str, str] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(rows, parent)
        self._departments: dict[str, str] = dict(departments or {})

    def set_departments(self, departments: Mapping[str, str]) -> None:
        """Department code → name, for the 部门 column."""
        self.beginResetModel()
        self._departments = dict(departments)
        self.endResetModel()

    def row_of(self, username: str | None) -> int:
        return next((i for i, u in enumerate(self._rows) if u.username == username), -1)

    @staticmethod
    def status(user: UserView) -> str:
        if not user.active:
            return "已停用"
        return "已锁定" if user.locked else "正常"

    def display(self, row: UserView, column: int) -> str:
        match column:
            case 0:
                return row.username
            case 1:
                return row.full_name
            case 2:
                return ROLES.get(row.role, row.role)
            case 3:
                return self._departments.get(row.dept, row.dept) if row.dept else ""
            case 4:
                return f"{row.counter}号" if row.counter is not None else ""
            case _:
                return self.status(row)


class CounterTableModel(RowTableModel[CounterView]):
    headers = ("窗口号", "名称", "类型", "回执打印机", "A4打印机", "启用")
    centered = frozenset({0, 5})

    def row_of(self, number: int | None) -> int:
        return next((i for i, c in enumerate(self._rows) if c.number == number), -1)

    def display(self, row: CounterView, column: int) -> str:
        match column:
            case 0:
                return f"{row.number}号"
            case 1:
                return row.name
            case 2:
                return COUNTER_KINDS.get(row.kind, row.kind)
            case 3:
                return row.printer_uri or "（未设置）"
            case 4:
                return row.a4_printer_uri or "（未设置）"
            case _:
                return yes_no(row.active)


class OverrideTableModel(RowTableModel[CalendarOverrideView]):
    headers = ("日期", "上班/放假", "说明")
    centered = frozenset({1})

    def display(self, row: CalendarOverrideView, column: int) -> str:
        match column:
            case 0:
                return format_date(row.day)
            case 1:
                return "上班" if row.workday else "放假"
            case _:
                return row.note
