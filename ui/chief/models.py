"""Table models of the chief representative's page: the week's workload and the seal register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.backoffice import DECISIONS, SealUse, Workload
from ui.models import DISPLAY, FOREGROUND, RED, Index, RowTableModel, local_time


class WorkloadTableModel(RowTableModel[Workload]):
    """The chief representative's week: one row per back-office member."""

    headers = ("人员", "领取", "办结", "平均用时（小时）", "P90用时（小时）", "超期", "在办")
    centered = frozenset({1, 2, 3, 4, 5, 6})

    def row_of(self, username: str | None) -> int:
        return next((i for i, w in enumerate(self._rows) if w.username == username), -1)

    def display(self, row: Workload, column: int) -> str:
        match column:
            case 0:
                return f"{row.full_name}（{row.username}）"
            case 1:
                return str(row.claimed)
            case 2:
                return str(row.decided)
            case 3:
                return "" if row.avg_hours is None else f"{row.avg_hours:.1f}"
            case 4:
                return "" if row.p90_hours is None else f"{row.p90_hours:.1f}"
            case 5:
                return str(row.overdue)
            case _:
                return str(row.in_hand)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() == 5:
            row = self.row_at(index.row())
            return RED if row is not None and row.overdue else None
        return super().data(index, role)


class SealUseTableModel(RowTableModel[SealUse]):
    """The 用章登记簿: every use of the department's 审批专用章."""

    headers = ("时间", "办件编号", "事项", "决定", "印章", "用章人", "授权人")
    centered = frozenset({0, 3})

    def row_of(self, key: tuple[str, datetime] | None) -> int:
        return next((i for i, u in enumerate(self._rows) if (u.case_no, u.at) == key), -1)

    def display(self, row: SealUse, column: int) -> str:
        match column:
            case 0:
                return local_time(row.at, with_date=True)
            case 1:
                return row.case_no
            case 2:
                return row.item_name
            case 3:
                return DECISIONS.get(row.decision, row.decision)
            case 4:
                return row.seal
            case 5:
                return row.applied_by
            case _:
                return row.authorised_by
