"""Grievances as a table model (红黄牌 lights, overdue first)."""

from __future__ import annotations

from typing import Any

from app.grievance import GrievanceView
from ui.models import (
    DISPLAY,
    FOREGROUND,
    LIGHT_BRUSHES,
    Index,
    RowTableModel,
    due_text,
    light_text,
    local_time,
    summary,
)


class GrievanceTableModel(RowTableModel[GrievanceView]):
    """Grievances as ``grievance.list_grievances`` orders them: overdue first, then by deadline; settled last."""

    headers = ("时限", "编号", "收件时间", "来源", "类别", "反映人", "内容摘要", "承办部门", "状态", "期限", "督办次数")
    centered = frozenset({0, 2, 3, 4, 8, 9, 10})
    SUMMARY = 6

    def row_of(self, grievance_no: object) -> int:
        return next((i for i, g in enumerate(self._rows) if g.grievance_no == grievance_no), -1)

    @staticmethod
    def light_of(row: GrievanceView) -> str:
        if row.light == "done":
            return "● 已办结"
        return "— 未限时" if row.light == "none" else light_text(row.light)

    def display(self, row: GrievanceView, column: int) -> str:
        match column:
            case 0:
                return self.light_of(row)
            case 1:
                return row.grievance_no
            case 2:
                return local_time(row.received_at, with_date=True)
            case 3:
                return row.channel_name
            case 4:
                return row.category_name or "未分类"
            case 5:
                return row.complainant_masked
            case 6:
                return summary(row.content)
            case 7:
                return row.dept_name or ""
            case 8:
                return row.status_name
            case 9:
                return due_text(row.due)
            case _:
                return str(row.urge_count) if row.urge_count else ""

    def tooltip(self, row: GrievanceView, column: int) -> str | None:
        if column == self.SUMMARY:
            return row.content  # the whole text: the cell shows only its beginning
        if column == 0 and row.due is not None and row.light != "done":
            return f"限时督办：{row.due.isoformat()}前办结"
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() == 0:
            row = self.row_at(index.row())
            return LIGHT_BRUSHES.get(row.light) if row is not None else None
        return super().data(index, role)
