"""Print jobs as a table model (state, printer, tries, last error)."""

from __future__ import annotations

from typing import Any

from app.printing.queue import JobView
from ui.models import (
    AMBER,
    DISPLAY,
    FOREGROUND,
    GREEN,
    NOTICE_NAMES,
    RED,
    Index,
    RowTableModel,
    local_time,
)


class JobTableModel(RowTableModel[JobView]):
    """Print jobs: a counter's queue, or one case's receipt and notices."""

    headers = ("时间", "办件编号", "类型", "打印机", "状态", "重试次数", "错误")
    centered = frozenset({0, 4, 5})

    def row_of(self, job_id: object) -> int:
        return next((i for i, j in enumerate(self._rows) if j.id == job_id), -1)

    @staticmethod
    def kind_text(job: JobView) -> str:
        name = NOTICE_NAMES.get(job.notice_kind, job.kind_name) if job.kind == "notice" else job.kind_name
        return f"{name}（补打）" if job.reprint else name

    def display(self, row: JobView, column: int) -> str:
        match column:
            case 0:
                return local_time(row.created_at)
            case 1:
                return row.case_no or ""
            case 2:
                return self.kind_text(row)
            case 3:
                return row.printer or "（未配置）"
            case 4:
                return row.status_name
            case 5:
                return str(row.attempts)
            case _:
                return "未配置A4打印机：请在预览中打印" if self.awaits_preview(row) else row.last_error

    @staticmethod
    def awaits_preview(job: JobView) -> bool:
        """A notice with no A4 printer: printed from the preview, no printer trouble."""
        return job.kind == "notice" and not job.printer and job.status == "pending"

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() in (4, 6):
            job = self.row_at(index.row())
            if job is not None and self.awaits_preview(job):
                return AMBER
            if job is not None and job.status in ("pending", "failed") and job.last_error:
                return RED
            if job is not None and job.status == "printed" and index.column() == 4:
                return GREEN
            return None
        return super().data(index, role)

    def tooltip(self, row: JobView, column: int) -> str | None:
        if column == 6 and row.last_error:
            return row.last_error
        if column == 2 and row.reprint and row.reason:
            return f"补打原因：{row.reason}"
        return None
