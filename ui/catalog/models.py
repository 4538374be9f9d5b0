"""Table models of the catalog: departments, items, an item's materials."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QObject,
    Qt,
)

from app.catalog import Assessment, DepartmentView, Item, Material
from ui.models import (
    ALIGN,
    CENTER,
    CHECK,
    DISPLAY,
    EDIT,
    ROOT,
    TOOLTIP,
    Index,
    RowListModel,
    RowTableModel,
    days,
    yes_no,
)


class DepartmentListModel(RowListModel[DepartmentView]):
    """Departments with their number of active items, e.g. 区市场监管局（8）."""

    def row_of(self, code: str | None) -> int:
        return next((i for i, d in enumerate(self._rows) if d.code == code), -1)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        dept = self.row_at(index.row()) if index.isValid() else None
        if dept is None:
            return None
        if role == DISPLAY:
            return f"{dept.name}（{dept.item_count}）"
        if role == TOOLTIP:
            return f"{dept.name}，部门代码 {dept.code}，{dept.item_count}项事项"
        return None


class ItemTableModel(RowTableModel[Item]):
    headers = ("编码", "事项名称", "类型", "法定时限", "承诺时限", "即办件")
    centered = frozenset({3, 4, 5})

    def row_of(self, code: str | None) -> int:
        return next((i for i, item in enumerate(self._rows) if item.code == code), -1)

    def display(self, row: Item, column: int) -> str:
        match column:
            case 0:
                return row.code
            case 1:
                return row.name
            case 2:
                return row.kind
            case 3:
                return days(row.legal_days)
            case 4:
                return days(row.promised_days)
            case _:
                return "即办" if row.immediate else ""

    def tooltip(self, row: Item, column: int) -> str | None:
        return f"{row.dept_name} · {row.code} {row.name}" if column == 1 else None


class MaterialTableModel(RowTableModel[Material]):
    """An item's materials; read-only in the browser, editable (with check boxes) in the item editor."""

    headers = ("编码", "材料名称", "原件", "复印件", "必需", "可容缺", "区域评估免提交", "备注")
    CODE, NAME, ORIGINALS, COPIES, REQUIRED, TOLERABLE, COVERED_BY, NOTE = range(8)
    _BOOL_FIELDS = {REQUIRED: "required", TOLERABLE: "tolerable"}
    _TEXT_FIELDS = {CODE: "code", NAME: "name", NOTE: "note"}
    _INT_FIELDS = {ORIGINALS: "originals", COPIES: "copies"}

    def __init__(
        self,
        rows: Iterable[Material] = (),
        assessments: Iterable[Assessment] = (),
        *,
        editable: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(rows, parent)
        self._assessments: dict[str, str] = {a.code: a.name for a in assessments}
        self.editable = editable

    # ---- rows
    def materials(self) -> tuple[Material, ...]:
        return tuple(self._rows)

    def set_assessments(self, assessments: Iterable[Assessment]) -> None:
        self._assessments = {a.code: a.name for a in assessments}
        if self._rows:
            col = self.COVERED_BY
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    def assessment_name(self, code: str | None) -> str:
        if not code:
            return ""
        return self._assessments.get(code, code)

    def next_code(self) -> str:
        """M01, M02, … the first unused code after the highest Mnn already there."""
        numbers = [int(m.code[1:]) for m in self._rows if m.code[:1] == "M" and m.code[1:].isdigit()]
        return f"M{max(numbers, default=0) + 1:02d}"

    def add_row(self, material: Material | None = None, at: int | None = None) -> int:
        row = len(self._rows) if at is None else max(0, min(at, len(self._rows)))
        self.beginInsertRows(ROOT, row, row)
        self._rows.insert(row, material or Material(code=self.next_code(), name=""))
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> bool:
        if not 0 <= row < len(self._rows):
            return False
        self.beginRemoveRows(ROOT, row, row)
        del self._rows[row]
        self.endRemoveRows()
        return True

    def move_row(self, row: int, delta: int) -> int:
        """Move ``row`` up (-1) or down (+1); returns where it is now."""
        target = row + delta
        if not (0 <= row < len(self._rows) and 0 <= target < len(self._rows)) or delta == 0:
            return row
        # beginMoveRows wants the destination *before* which the row lands, in pre-move numbering.
        destination = target + 1 if delta > 0 else target
        self.beginMoveRows(ROOT, row, row, ROOT, destination)
        self._rows.insert(target, self._rows.pop(row))
        self.endMoveRows()
        return target

    # ---- QAbstractTableModel (cells are rendered here, not through ``display``)
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self.editable:
            return base
        if index.column() in self._BOOL_FIELDS:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        m = self.row_at(index.row()) if index.isValid() else None
        col = index.column()
        if m is None or not 0 <= col < len(self.headers):
            return None
        if col in self._BOOL_FIELDS:
            value: bool = getattr(m, self._BOOL_FIELDS[col])
            if self.editable:
                if role == CHECK:
                    return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
                return None
            if role == DISPLAY:
                return yes_no(value) if col == self.REQUIRED else ("可容缺" if value else "")
        elif role in (DISPLAY, EDIT):
            if col in self._INT_FIELDS:
                number: int = getattr(m, self._INT_FIELDS[col])
                return number if role == EDIT else str(number)
            if col == self.COVERED_BY:
                return (m.covered_by or "") if role == EDIT else self.assessment_name(m.covered_by)
            text: str = getattr(m, self._TEXT_FIELDS[col])
            return text
        if role == ALIGN and col in (self.ORIGINALS, self.COPIES, self.REQUIRED, self.TOLERABLE):
            return CENTER
        if role == TOOLTIP and col in (self.NAME, self.NOTE):
            return getattr(m, self._TEXT_FIELDS[col]) or None
        return None

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        m = self.row_at(index.row()) if index.isValid() and self.editable else None
        if m is None:
            return False
        new = self._edited(m, index.column(), value, role)
        if new is None:
            return False
        if new != m:
            self._rows[index.row()] = new
            self.dataChanged.emit(index, index, [role, DISPLAY])
        return True

    def _edited(self, m: Material, col: int, value: Any, role: int) -> Material | None:
        """``m`` with one cell changed, or None when the role/value does not fit the column."""
        if col in self._BOOL_FIELDS:
            if role != CHECK:
                return None
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            return replace(m, required=checked) if col == self.REQUIRED else replace(m, tolerable=checked)
        if role != EDIT:
            return None
        if col in self._INT_FIELDS:
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            return replace(m, originals=number) if col == self.ORIGINALS else replace(m, copies=number)
        text = "" if value is None else str(value)
        if col == self.COVERED_BY:
            return replace(m, covered_by=text or None)
        if col == self.CODE:
            return replace(m, code=text.strip().upper())
        return replace(m, name=text) if col == self.NAME else replace(m, note=text)
