"""Qt item models fed by the services' frozen dataclasses.

Every model keeps a plain list of rows and replaces it with ``set_rows(rows)`` inside a model reset, so
views never see half-updated data.  Only ``MaterialTableModel`` in editable mode (the item editor's
materials table) and ``IntakeMaterialModel`` (the counter's checklist) change rows themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
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

from app.accounts import COUNTER_KINDS, CounterView, UserView
from app.auth import ROLES
from app.backoffice import DECISIONS, LIGHTS, QueueRow, SealUse, Workload
from app.cases import MATERIAL_STATES, CaseMaterialView, CaseView
from app.catalog import Assessment, DepartmentView, Item, Material
from app.grievance import GrievanceView
from app.hall_settings import HALL_TZ, CalendarOverrideView
from app.intake import MaterialInput
from app.lifecycle import (
    PENDING,
    MaterialCheck,
    Problem,
    intake_problems,
    material_state_problem,
    material_states,
)
from app.printing.documents import NOTICE_TITLES
from app.printing.queue import JobView
from app.search import ItemHit
from ui.widgets import format_date

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
CHECK = Qt.ItemDataRole.CheckStateRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def days(value: int) -> str:
    return f"{value}个工作日"


# Notice kinds as the clerk and the applicant call them: the documents' own titles.
NOTICE_NAMES: dict[str, str] = dict(NOTICE_TITLES)
_RED = QBrush(QColor("#c0392b"))
_AMBER = QBrush(QColor("#9a6200"))
_GREY = QBrush(QColor("#5b6b7f"))
_GREEN = QBrush(QColor("#1e7d45"))


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

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)


class RowListModel(_RowStore[T], QAbstractListModel):
    """A list over dataclass rows; subclasses render them in ``data``."""


class RowTableModel(_RowStore[T], QAbstractTableModel):
    """A read-only table over a list of dataclass rows; subclasses name the columns and render cells."""

    headers: tuple[str, ...] = ()
    centered: frozenset[int] = frozenset()

    # ---- QAbstractTableModel
    def columnCount(self, parent: Index = _ROOT) -> int:
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
            return _CENTER
        return None

    def display(self, row: T, column: int) -> str:
        raise NotImplementedError

    def tooltip(self, row: T, column: int) -> str | None:
        return None


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
        self.beginInsertRows(_ROOT, row, row)
        self._rows.insert(row, material or Material(code=self.next_code(), name=""))
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> bool:
        if not 0 <= row < len(self._rows):
            return False
        self.beginRemoveRows(_ROOT, row, row)
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
        self.beginMoveRows(_ROOT, row, row, _ROOT, destination)
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
            return _CENTER
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


# ---- 综合受理 ------------------------------------------------------------------------------------------


class ItemHitListModel(RowListModel[ItemHit]):
    """The counter's item search results: the clerk's recent and frequent items first, marked 最近 / 常用."""

    FREQUENT_USES = 3  # taken this often in the last 30 days: worth a 常用 mark

    def row_of(self, code: str | None) -> int:
        return next((i for i, h in enumerate(self._rows) if h.item.code == code), -1)

    @classmethod
    def mark(cls, hit: ItemHit) -> str:
        if hit.recent:
            return "最近"
        return "常用" if hit.uses >= cls.FREQUENT_USES else ""

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        hit = self.row_at(index.row()) if index.isValid() else None
        if hit is None:
            return None
        item = hit.item
        if role == DISPLAY:
            mark = self.mark(hit)
            head = f"［{mark}］" if mark else ""
            return f"{head}{item.name}　{item.dept_name} · {item.code}"
        if role == TOOLTIP:
            limit = "即办件" if item.immediate else f"承诺{days(item.promised_days)}"
            used = f"，近30天办理{hit.uses}件" if hit.uses else ""
            return f"{item.code} {item.name}（{item.dept_name}，{limit}{used}）"
        if role == FOREGROUND and hit.recent:
            return _GREEN
        return None


@dataclass(frozen=True)
class IntakeMaterialRow:
    """One material on the counter's checklist: the catalog's requirement and what the applicant brought."""

    material: Material
    state: str
    originals: int
    copies: int
    electronic: bool = False
    note: str = ""
    assessment: str = ""  # name of the 区域评估 that covers it; empty when none does

    @property
    def allowed_states(self) -> tuple[str, ...]:
        """What this material may be marked, by the intake rule (``lifecycle.material_states``)."""
        return material_states(self.check())

    def refusal(self, state: str) -> str:
        """Why this material may not be marked ``state`` ('' when it may), by the intake rule."""
        return material_state_problem(self.check(), state)

    @property
    def deficient(self) -> bool:
        return self.state in ("missing", "defective")

    @property
    def pending(self) -> bool:
        return self.state == PENDING

    def check(self) -> MaterialCheck:
        """The row as the intake rule (``lifecycle.intake_problems``) reads it."""
        m = self.material
        return MaterialCheck(m.code, m.name, m.required, m.tolerable, bool(m.covered_by), self.state, self.note)

    def as_input(self) -> MaterialInput:
        brought = self.state in ("received", "defective")
        return MaterialInput(
            state=self.state, originals=self.originals if brought else None, copies=self.copies if brought else None,
            electronic=self.electronic, note=self.note.strip(),
        )


class IntakeMaterialModel(RowTableModel[IntakeMaterialRow]):
    """The checklist of an item's materials at the counter, one state per row.

    States follow ``app.intake.STATES``: 已收, 缺少 (required materials) or 未提交 (optional ones), 有误
    (needs a note), 容缺 (tolerable materials only), 免提交 (materials a 区域评估 covers; shown with the
    assessment's name).  Covered materials start as 免提交, all others as 待核验: the counter certifies only
    what the clerk marked (``mark_all_received`` marks the rest 已收 at once, deliberately).  Counts, 电子件
    and the note are edited in place.  What an outcome still lacks is ``lifecycle.intake_problems``.
    """

    headers = ("材料名称", "状态", "原件", "复印件", "电子件", "备注")
    NAME, STATE, ORIGINALS, COPIES, ELECTRONIC, NOTE = range(6)
    STATE_KEYS = ("received", "missing", "defective", "tolerated", "waived")  # keys 1–5 (2: 未提交 if optional)

    # ---- rows
    @staticmethod
    def default_rows(materials: Iterable[Material], assessments: Iterable[Assessment] = ()) -> list[IntakeMaterialRow]:
        names = {a.code: a.name for a in assessments}
        rows = []
        for m in materials:
            covered = names.get(m.covered_by, m.covered_by) if m.covered_by else ""
            rows.append(IntakeMaterialRow(material=m, state="waived" if m.covered_by else PENDING,
                                          originals=m.originals, copies=m.copies, assessment=covered or ""))
        return rows

    @classmethod
    def rows_from_case(cls, materials: Iterable[Material], assessments: Iterable[Assessment],
                       case_materials: Iterable[CaseMaterialView]) -> list[IntakeMaterialRow]:
        """The checklist as a case left it (for 补正后受理): the states, counts and notes it was stored with."""
        stored = {m.code: m for m in case_materials}
        rows = []
        for row in cls.default_rows(materials, assessments):
            was = stored.get(row.material.code)
            if was is not None and was.state == "missing" and not row.material.required:
                was = replace(was, state="not_submitted")  # stored before optional materials had their own state
            if was is not None and was.state in row.allowed_states:
                row = replace(row, state=was.state, electronic=was.electronic, note=was.note,
                              originals=was.originals or row.material.originals,
                              copies=was.copies or row.material.copies)
            rows.append(row)
        return rows

    def row_of(self, code: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.material.code == code), -1)

    def materials_input(self) -> dict[str, MaterialInput]:
        """What the clerk checked; a material still 待核验 is left out (the service: 未提交 if optional, an
        error if required)."""
        return {r.material.code: r.as_input() for r in self._rows if not r.pending}

    def any_state(self, state: str) -> bool:
        return any(r.state == state for r in self._rows)

    def problems(self, outcome: str, item: Item) -> list[Problem]:
        """What ``outcome`` still lacks, by the service's own rule."""
        return intake_problems(outcome, [r.check() for r in self._rows], immediate_item=item.immediate,
                               item_name=item.name)

    def pending(self) -> list[IntakeMaterialRow]:
        return [r for r in self._rows if r.pending]

    def mark_all_received(self) -> int:
        """Every material still 待核验 becomes 已收 (the clerk's deliberate 其余全部已收); how many did."""
        changed = 0
        for i, r in enumerate(self._rows):
            if r.pending:
                self._replace(i, replace(r, state="received"), self.NAME, self.NOTE)
                changed += 1
        return changed

    def deficient(self) -> list[IntakeMaterialRow]:
        return [r for r in self._rows if r.deficient]

    def notes_missing(self) -> list[IntakeMaterialRow]:
        return [r for r in self._rows if r.state == "defective" and not r.note.strip()]

    # ---- changing states
    def set_state(self, row: int, state: str) -> bool:
        """Mark ``row``; False (nothing changes) when the state does not apply to that material."""
        current = self.row_at(row)
        if current is None or state not in current.allowed_states:
            return False
        if state != current.state:
            self._replace(row, replace(current, state=state), self.NAME, self.NOTE)
        return True

    def state_for_number(self, row: int, number: int) -> str | None:
        """Keys 1–5: 已收, 缺少 (未提交 for an optional material), 有误, 容缺, 免提交."""
        current = self.row_at(row)
        if current is None or not 1 <= number <= len(self.STATE_KEYS):
            return None
        state = self.STATE_KEYS[number - 1]
        return "not_submitted" if state == "missing" and not current.material.required else state

    def set_state_by_number(self, row: int, number: int) -> bool:
        state = self.state_for_number(row, number)
        return state is not None and self.set_state(row, state)

    def cycle_state(self, row: int) -> str | None:
        """Space: the next state this material allows; returns it."""
        current = self.row_at(row)
        if current is None:
            return None
        allowed = current.allowed_states
        following = allowed[(allowed.index(current.state) + 1) % len(allowed)] if current.state in allowed else allowed[0]
        self.set_state(row, following)
        return following

    def toggle_electronic(self, row: int) -> bool:
        current = self.row_at(row)
        if current is None:
            return False
        self._replace(row, replace(current, electronic=not current.electronic), self.ELECTRONIC, self.ELECTRONIC)
        return True

    def _replace(self, row: int, new: IntakeMaterialRow, first: int, last: int) -> None:
        self._rows[row] = new
        self.dataChanged.emit(self.index(row, first), self.index(row, last))

    # ---- QAbstractTableModel (cells are rendered here, not through ``display``)
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Vertical and role == DISPLAY and 0 <= section < len(self._rows):
            return str(section + 1)  # the checklist's rows are numbered
        return super().headerData(section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        r = self.row_at(index.row()) if index.isValid() else None
        if r is None:
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        col = index.column()
        if col == self.ELECTRONIC:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if col in (self.STATE, self.NOTE):
            return base | Qt.ItemFlag.ItemIsEditable
        if col in (self.ORIGINALS, self.COPIES) and r.state in ("received", "defective"):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    @staticmethod
    def state_name(r: IntakeMaterialRow) -> str:
        if r.state == "waived" and r.assessment:
            return f"免提交（{r.assessment}）"
        return MATERIAL_STATES[r.state]

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        r = self.row_at(index.row()) if index.isValid() else None
        col = index.column()
        if r is None or not 0 <= col < len(self.headers):
            return None
        m = r.material
        if col == self.ELECTRONIC:
            if role == CHECK:
                return Qt.CheckState.Checked if r.electronic else Qt.CheckState.Unchecked
            if role == ALIGN:
                return _CENTER
            return None
        if role == DISPLAY:
            return self._display(r, col)
        if role == EDIT:
            if col == self.STATE:
                return r.state
            if col == self.ORIGINALS:
                return r.originals
            if col == self.COPIES:
                return r.copies
            if col == self.NOTE:
                return r.note
            return self._display(r, col)
        if role == FOREGROUND:
            if col == self.STATE:
                return {"missing": _RED, "defective": _RED, "tolerated": _AMBER, "waived": _GREY,
                        "not_submitted": _GREY, PENDING: _AMBER}.get(r.state)
            if col == self.NOTE and r.state == "defective" and not r.note.strip():
                return _RED
            if col == self.NAME and not m.required:
                return _GREY
            return None
        if role == TOOLTIP:
            if col == self.NAME:
                extra = [text for flag, text in ((not m.required, "非必需"), (m.tolerable, "可容缺"),
                                                  (bool(r.assessment), f"{r.assessment}可免提交")) if flag]
                parts = [f"{m.code} {m.name}", "，".join(extra), m.note]
                return "\n".join(p for p in parts if p)
            if col == self.STATE:
                return "可选：" + "、".join(MATERIAL_STATES[s] for s in r.allowed_states) + "（空格切换，1–5 直接选择）"
            return None
        if role == ALIGN and col in (self.ORIGINALS, self.COPIES):
            return _CENTER
        return None

    def _display(self, r: IntakeMaterialRow, col: int) -> str:
        m = r.material
        if col == self.NAME:
            marks = "".join(text for flag, text in ((not m.required, "（非必需）"), (m.tolerable, "（可容缺）")) if flag)
            return m.name + marks
        if col == self.STATE:
            return self.state_name(r)
        brought = r.state in ("received", "defective")
        if col == self.ORIGINALS:
            return str(r.originals) if brought else ""
        if col == self.COPIES:
            return str(r.copies) if brought else ""
        if col == self.NOTE:
            return r.note or ("请写明问题" if r.state == "defective" else "")
        return ""

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        r = self.row_at(index.row()) if index.isValid() else None
        if r is None or not self.flags(index) & (Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable):
            return False
        col = index.column()
        if col == self.ELECTRONIC:
            if role != CHECK:
                return False
            new = replace(r, electronic=Qt.CheckState(value) == Qt.CheckState.Checked)
        elif role != EDIT:
            return False
        elif col == self.STATE:
            return self.set_state(index.row(), str(value))
        elif col in (self.ORIGINALS, self.COPIES):
            try:
                number = int(value)
            except (TypeError, ValueError):
                return False
            if not 0 <= number <= 99:
                return False
            new = replace(r, originals=number) if col == self.ORIGINALS else replace(r, copies=number)
        else:
            new = replace(r, note="" if value is None else str(value))
        if new != r:
            self._replace(index.row(), new, col, col)
        return True


class CaseTableModel(RowTableModel[CaseView]):
    """Cases at the counter: today's, or what a search found (older ones show their date)."""

    headers = ("办件编号", "时间", "事项", "企业 / 申请人", "经办人", "状态", "期限")
    centered = frozenset({1})

    def __init__(self, rows: Iterable[CaseView] = (), parent: QObject | None = None) -> None:
        super().__init__(rows, parent)
        self.today: date | None = None  # times of other days show their date

    def row_of(self, case_no: str | None) -> int:
        return next((i for i, c in enumerate(self._rows) if c.case_no == case_no), -1)

    @staticmethod
    def deadline(case: CaseView) -> str:
        """The date that matters now: 补正告知期限 while corrections are pending, else the promised date."""
        if case.status in ("correction_requested", "returned") and case.correction_deadline:
            return f"补正告知期限 {case.correction_deadline.isoformat()}"
        if case.status in ("accepted", "in_review") and case.promised_due:
            return f"承诺办结 {due_text(case.promised_due, case.due_provisional)}"
        if case.supplement_due and case.status == "accepted":
            return f"容缺补交 {case.supplement_due.isoformat()}"
        return ""

    def display(self, row: CaseView, column: int) -> str:
        match column:
            case 0:
                return row.case_no
            case 1:
                other_day = self.today is not None and row.received_at.astimezone(HALL_TZ).date() != self.today
                return local_time(row.received_at, with_date=other_day)
            case 2:
                return row.item_name
            case 3:
                return row.enterprise_name or "（个人）"
            case 4:
                return row.agent_name
            case 5:
                return row.status_name
            case _:
                return self.deadline(row)

    def tooltip(self, row: CaseView, column: int) -> str | None:
        if column == 2:
            return f"{row.item} {row.item_name}（{row.dept_name}）"
        if column == 3 and row.enterprise_uscc:
            return f"统一社会信用代码 {row.enterprise_uscc}"
        return None


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
                return _AMBER
            if job is not None and job.status in ("pending", "failed") and job.last_error:
                return _RED
            if job is not None and job.status == "printed" and index.column() == 4:
                return _GREEN
            return None
        return super().data(index, role)

    def tooltip(self, row: JobView, column: int) -> str | None:
        if column == 6 and row.last_error:
            return row.last_error
        if column == 2 and row.reprint and row.reason:
            return f"补打原因：{row.reason}"
        return None


# ---- the back office -----------------------------------------------------------------------------------

LIGHT_BRUSHES = {"green": _GREEN, "yellow": _AMBER, "red": _RED, "paused": _GREY}


def light_text(light: str) -> str:
    """红黄牌 as text with a coloured dot: ● 正常 / ● 临期 / ● 超期 / ● 暂停计时 (特别程序)."""
    return f"● {LIGHTS.get(light, light)}"


class QueueTableModel(RowTableModel[QueueRow]):
    """A department's queue, one keyset page after another: ``fetchMore`` asks ``fetch_page`` for the next.

    ``fetch_page(cursor)`` is called synchronously only through ``fetchMore``; the page sets it (usually a
    background call that ends in ``append_page``).  ``set_page`` starts again at the first page.
    """

    headers = ("时限", "办件编号", "事项", "申请单位", "收件时间", "承诺办结", "环节时限", "办理人")
    centered = frozenset({0, 4, 6})

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
            self.beginInsertRows(_ROOT, len(self._rows), len(self._rows) + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and self.cursor is not None and not self.fetching and self.fetch_page is not None

    def fetchMore(self, parent: Index = _ROOT) -> None:
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
            case _:
                return row.holder or ""

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() in (0, 6):
            row = self.row_at(index.row())
            if row is None:
                return None
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
        if column == 2:
            return f"{row.item} {row.item_name}"
        return None


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
            return _RED if row is not None and row.overdue else None
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


# ---- 办不成事 -----------------------------------------------------------------------------------------------

SUMMARY_CHARS = 30


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first ``limit`` characters of a text on one line (line breaks would make the row grow), … if cut."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"


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
