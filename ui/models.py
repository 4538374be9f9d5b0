"""Qt item models fed by the services' frozen dataclasses.

Every model keeps a plain list of rows and replaces it with ``set_rows(rows)`` inside a model reset, so
views never see half-updated data.  Only ``MaterialTableModel`` in editable mode (the item editor's
materials table) and ``IntakeMaterialModel`` (the counter's checklist) change rows themselves.
"""


from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from app.backoffice import LIGHTS
from app.hall_settings import HALL_TZ
from app.printing.documents import NOTICE_TITLES

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
CHECK = Qt.ItemDataRole.CheckStateRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
CENTER = int(Qt.AlignmentFlag.AlignCenter)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def days(value: int) -> str:
    return f"{value}个工作日"


# Notice kinds as the clerk and the applicant call them: the documents' own titles.
NOTICE_NAMES: dict[str, str] = dict(NOTICE_TITLES)
RED = QBrush(QColor("#c0392b"))
AMBER = QBrush(QColor("#9a6200"))
GREY = QBrush(QColor("#5b6b7f"))
GREEN = QBrush(QColor("#1e7d45"))


def local_time(at: datetime, *, with_date: bool = False) -> str:
    """A stored (UTC) time as the hall reads it: 09:31, or 05-12 09:31 for another day."""
    local = at.astimezone(HALL_TZ)
    return local.strftime("%m-%d %H:%M" if with_date else "%H:%M")


def due_text(day: date | None, provisional: bool = False) -> str:
    if day is None:
        return ""
    return day.isoformat() + ("（待定）" if provisional else "")


if TYPE_CHECKING:
    _QtModel = QAbstractItemModel  # lets mypy check the Qt calls _RowStore makes
else:

    class _QtModel:
        """Empty at run time: the Qt base comes from the model class itself."""


class _RowStore(_QtModel, Generic[T]):
    """The plain list of rows every model here keeps, replaced whole inside a model reset.

    Listed *before* the Qt base class, so that its ``rowCount`` wins over Qt's abstract one.
    """

    def __init__(self, rows: Iterable[T] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = list(rows)

    def set_rows(self, rows: Iterable[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_at(self, row: int) -> T | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)


class RowListModel(_RowStore[T], QAbstractListModel):
    """A list over dataclass rows; subclasses render them in ``data``."""


class RowTableModel(_RowStore[T], QAbstractTableModel):
    """A read-only table over a list of dataclass rows; subclasses name the columns and render cells."""

    headers: tuple[str, ...] = ()
    centered: frozenset[int] = frozenset()

    # ---- QAbstractTableModel
    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(self.headers):
            return None
        if role == DISPLAY:
            return self.display(row, index.column())
        if role == TOOLTIP:
            return self.tooltip(row, index.column())
        if role == ALIGN and index.column() in self.centered:
            return CENTER
        return None

    def display(self, row: T, column: int) -> str:
        raise NotImplementedError

    def tooltip(self, row: T, column: int) -> str | None:
        return None


# ---- the back office -----------------------------------------------------------------------------------

LIGHT_BRUSHES = {"green": GREEN, "yellow": AMBER, "red": RED, "paused": GREY}


def light_text(light: str) -> str:
    """红黄牌 as text with a coloured dot: ● 正常 / ● 临期 / ● 超期 / ● 暂停计时 (特别程序)."""
    return f"● {LIGHTS.get(light, light)}"


# ---- 办不成事 -----------------------------------------------------------------------------------------------

SUMMARY_CHARS = 30


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first ``limit`` characters of a text on one line (line breaks would make the row grow), … if cut."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"
