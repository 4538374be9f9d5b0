"""The output window's case lists (待出件, 今日已出件) as a table model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.cases import CaseView
from app.validators import mask_name
from ui.models import Index, RowTableModel, local_time

_DENIED_BRUSH = QBrush(QColor("#c0392b"))


class OutputCaseTableModel(RowTableModel[CaseView]):
    """待出件 (decided, waiting) or 今日已出件 (handed over today): the output window's lists."""

    headers = ("办件编号", "时间", "事项", "部门", "企业 / 申请人", "经办人", "结果")
    centered = frozenset({1})

    def __init__(self, *, issued: bool = False, parent: Any = None) -> None:
        super().__init__((), parent)
        self.issued = issued  # the time column: handed over (今日已出件) or decided (待出件)

    def row_of(self, case_no: str | None) -> int:
        return next((i for i, c in enumerate(self._rows) if c.case_no == case_no), -1)

    def display(self, row: CaseView, column: int) -> str:
        match column:
            case 0:
                return row.case_no
            case 1:
                at = row.finished_at or row.accepted_at or row.received_at
                return local_time(at, with_date=not self.issued)
            case 2:
                return row.item_name
            case 3:
                return row.dept_name
            case 4:
                return row.enterprise_name or "（个人）"
            case 5:
                return mask_name(row.agent_name)
            case _:
                return row.status_name

    def tooltip(self, row: CaseView, column: int) -> str | None:
        return f"{row.item} {row.item_name}" if column == 2 else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # 不予许可 in red: the applicant receives a decision, not a certificate.
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.column() == 6:
            row = self.row_at(index.row())
            return _DENIED_BRUSH if row is not None and row.status == "denied" else None
        return super().data(index, role)
