"""The department queue as a table model (红黄牌 lights, keyset paging as the table scrolls)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QObject,
)

from app.backoffice import QueueRow
from ui.models import (
    DISPLAY,
    FOREGROUND,
    LIGHT_BRUSHES,
    RED,
    ROOT,
    Index,
    RowTableModel,
    due_text,
    light_text,
    local_time,
)

# 纸质材料 (材料流转): the folder signed for by the department, not yet, or none (an online application).
PAPER_MARKS: dict[bool | None, str] = {True: "已到", False: "未到", None: "—"}
PAPER_TIPS: dict[bool | None, str] = {
    True: "窗口移交的纸质材料已由本部门签收",
    False: "纸质材料尚在窗口或在途，本部门尚未签收（签收：签收纸质材料…）",
    None: "网上申报，没有纸质材料",
}


class QueueTableModel(RowTableModel[QueueRow]):
    """A department's queue, one keyset page after another: ``fetchMore`` asks ``fetch_page`` for the next.

    ``fetch_page(cursor)`` is called synchronously only through ``fetchMore``; the page sets it (usually a
    background call that ends in ``append_page``).  ``set_page`` starts again at the first page.
    """

    headers = ("时限", "办件编号", "事项", "申请单位", "收件时间", "承诺办结", "环节时限", "办理人", "纸质材料")
    # The columns that stretch and elide (事项, 申请单位): a 128-character name takes no room from the dates.
    ITEM, APPLICANT = 2, 3
    centered = frozenset({0, 4, 6, 8})
    PAPER = 8

    def __init__(self, rows: Iterable[QueueRow] = (), parent: QObject | None = None) -> None:
        super().__init__(rows, parent)
        self.cursor: tuple[date, datetime, Any] | None = None
        self.fetching = False
        self.fetch_page: Callable[[tuple[date, datetime, Any]], None] | None = None

    def set_page(self, rows: Iterable[QueueRow], cursor: tuple[date, datetime, Any] | None) -> None:
        self.cursor = cursor
        self.fetching = False
        self.set_rows(rows)

    def append_page(self, rows: Iterable[QueueRow], cursor: tuple[date, datetime, Any] | None) -> None:
        known = {r.case_no for r in self._rows}
        new = [r for r in rows if r.case_no not in known]
        self.fetching = False
        self.cursor = cursor
        if new:
            self.beginInsertRows(ROOT, len(self._rows), len(self._rows) + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def canFetchMore(self, parent: Index = ROOT) -> bool:
        return not parent.isValid() and self.cursor is not None and not self.fetching and self.fetch_page is not None

    def fetchMore(self, parent: Index = ROOT) -> None:
        if not self.canFetchMore(parent) or self.cursor is None or self.fetch_page is None:
            return
        self.fetching = True
        self.fetch_page(self.cursor)

    def row_of(self, case_no: str | None) -> int:
        return next((i for i, r in enumerate(self._rows) if r.case_no == case_no), -1)

    def display(self, row: QueueRow, column: int) -> str:
        match column:
            case 0:
                return light_text(row.light)
            case 1:
                return row.case_no
            case 2:
                return row.item_name
            case 3:
                return row.enterprise or "（个人）"
            case 4:
                return local_time(row.received_at, with_date=True)
            case 5:
                if row.light == "paused":  # a stopped clock has days left, not a date
                    return f"暂停（剩{row.promised_left}个工作日）"
                return "待定" if row.provisional or row.promised_due is None else row.promised_due.isoformat()
            case 6:
                return light_text(row.step_light) if row.status == "in_review" else ""
            case 7:
                return row.holder_name or row.holder or ""
            case _:
                return PAPER_MARKS[row.paper_arrived]

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() in (0, 6, self.PAPER):
            row = self.row_at(index.row())
            if row is None:
                return None
            if index.column() == self.PAPER:
                return RED if row.paper_arrived is False else None
            return LIGHT_BRUSHES.get(row.light if index.column() == 0 else row.step_light)
        return super().data(index, role)

    def tooltip(self, row: QueueRow, column: int) -> str | None:
        if column in (0, 5) and row.light == "paused":
            return (f"{row.procedure}中，暂停计时：承诺时限剩余{row.promised_left}个工作日，"
                    f"法定期限剩余{row.legal_left}个工作日")
        if column == 0 and row.promised_due:
            return f"承诺办结 {row.promised_due.isoformat()}，法定办结 {due_text(row.legal_due)}"
        if column == 6 and row.step_due:
            return f"审批环节时限 {row.step_due.isoformat()}"
        if column == self.PAPER:
            return PAPER_TIPS[row.paper_arrived]
        if column == 2:
            return row.item_name  # the whole name when the column cuts it
        return None
