"""Table models of the counter: item search hits, the intake checklist rows, today's cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QObject,
    Qt,
)

from app.cases import MATERIAL_STATES, CaseMaterialView, CaseView
from app.catalog import Assessment, Item, Material
from app.hall_settings import HALL_TZ
from app.intake import MaterialInput
from app.lifecycle import (
    PENDING,
    MaterialCheck,
    Problem,
    intake_problems,
    material_state_problem,
    material_states,
)
from app.search import ItemHit
from ui.models import (
    ALIGN,
    AMBER,
    CENTER,
    DISPLAY,
    EDIT,
    FOREGROUND,
    GREEN,
    GREY,
    RED,
    TOOLTIP,
    Index,
    RowListModel,
    RowTableModel,
    days,
    due_text,
    local_time,
)

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
            return f"{head}{item.name}　{item.dept_name}"
        if role == TOOLTIP:
            limit = "即办件" if item.immediate else f"承诺{days(item.promised_days)}"
            used = f"，近30天办理{hit.uses}件" if hit.uses else ""
            return f"{item.name}（{item.dept_name}，{limit}{used}）"
        if role == FOREGROUND and hit.recent:
            return GREEN
        return None


@dataclass(frozen=True)
class IntakeMaterialRow:
    """One material on the counter's checklist: the catalog's requirement and what the applicant brought."""

    material: Material
    state: str
    originals: int
    copies: int
    electronic: bool = False  # stored with the case (补正后受理 shows what the case had)
    note: str = ""
    assessment: str = ""  # name of the 区域评估 that covers it; empty when none does
    pages: int = 0  # pages of the files captured for it at this counter (the capture list)

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
            electronic=self.electronic or self.pages > 0, note=self.note.strip(),
        )


class IntakeMaterialModel(RowTableModel[IntakeMaterialRow]):
    """The checklist of an item's materials at the counter, one state per row.

    States follow ``app.intake.STATES``: 已收, 缺少 (required materials) or 未提交 (optional ones), 有误
    (needs a note), 容缺 (tolerable materials only), 免提交 (materials a 区域评估 covers; shown with the
    assessment's name).  Covered materials start as 免提交, all others as 待核验: the counter certifies only
    what the clerk marked (``mark_all_received`` marks the rest 已收 at once, deliberately).  Counts and the
    note are edited in place; 电子件 shows the pages captured for the material (``set_pages``), not a toggle.  What an outcome still lacks is ``lifecycle.intake_problems``.
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

    def set_pages(self, pages: dict[str, int]) -> None:
        """The pages captured per material code (a material not named has none)."""
        for i, r in enumerate(self._rows):
            count = pages.get(r.material.code, 0)
            if count != r.pages:
                self._replace(i, replace(r, pages=count), self.ELECTRONIC, self.ELECTRONIC)

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
            if role == DISPLAY:
                return f"{r.pages}页" if r.pages else ("有" if r.electronic else "")
            if role == TOOLTIP:
                return "已采集的电子件页数（按 E 或拖入文件添加）" if r.pages else "按 E 添加扫描件，或把文件拖到这一行"
            return CENTER if role == ALIGN else None
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
                return {"missing": RED, "defective": RED, "tolerated": AMBER, "waived": GREY,
                        "not_submitted": GREY, PENDING: AMBER}.get(r.state)
            if col == self.NOTE and r.state == "defective" and not r.note.strip():
                return RED
            if col == self.NAME and not m.required:
                return GREY
            return None
        if role == TOOLTIP:
            if col == self.NAME:
                extra = [text for flag, text in ((not m.required, "非必需"), (m.tolerable, "可容缺"),
                                                  (bool(r.assessment), f"{r.assessment}可免提交")) if flag]
                parts = [m.name, "，".join(extra), m.note]
                return "\n".join(p for p in parts if p)
            if col == self.STATE:
                return "可选：" + "、".join(MATERIAL_STATES[s] for s in r.allowed_states) + "（空格切换，1–5 直接选择）"
            return None
        if role == ALIGN and col in (self.ORIGINALS, self.COPIES):
            return CENTER
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
        if r is None or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        col = index.column()
        if role != EDIT:
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
            return f"{row.item_name}（{row.dept_name}）"
        if column == 3 and row.enterprise_uscc:
            return f"统一社会信用代码 {row.enterprise_uscc}"
        return None
