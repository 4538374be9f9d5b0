"""The reviewer's case, read-only, as a form: who applied, for what, the clocks, the materials and the history.

``CaseViewPanel.show_case`` fills it from a ``CaseView`` (and, for a claimed case, the clocks' lights and the
names of the people in its history, as ``app.claims.held_case`` reads them).  Personal data is masked as
on paper (``app.validators``); no item or material code is shown.  Long values are cut with … and carry the
whole text in their tooltip, so the panel keeps its width at 1366×768.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QObject, QSize, Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import lifecycle
from app.auth import Actor
from app.cases import CaseEventView, CaseMaterialView, CaseView, NoticeRef
from app.claims import CaseLights
from app.context import HallDesk
from app.validators import mask_id_number, mask_phone
from ui.models import (
    DISPLAY,
    LIGHT_BRUSHES,
    NOTICE_NAMES,
    RowTableModel,
    due_text,
    light_text,
    local_time,
    summary,
)
from ui.shortcuts import set_available
from ui.viewer import FilesWindow, open_case_files
from ui.widgets import ElidedLabel, fit_columns, table_view

NOT_HANDED_IN = "—"
PANEL_WIDTH = 480  # pixels the panel asks for; it takes what the splitter gives
CLOCK_STATES = {"running": "计时中", "paused": "暂停计时", "stopped": "不再计时"}
OPINION = "opinion"

# How each step of the status history reads in the panel.
HISTORY_NAMES = {
    "intake.accept": "窗口受理", "intake.correction": "一次性告知补正", "intake.refuse": "不予受理",
    "intake.immediate": "即办办结", "intake.resubmit": "补正后受理", "claim": "领取", "release": "释放回队列",
    "decide.approve": "准予许可", "decide.deny": "不予许可", "decide.return": "退回补正", "decide.transfer": "转办",
    "suspend": "特别程序（中止计时）", "resume": "恢复计时", "extend": "延期", OPINION: "审查意见",
}


def history_name(action: str) -> str:
    return HISTORY_NAMES.get(action) or lifecycle.PAPER_EVENTS.get(action, "其他办理")  # 材料流转: where the paper is


class CaseMaterialModel(RowTableModel[CaseMaterialView]):
    """The case's materials: name, state, 原件/复印件 (— when nothing was handed in), 容缺补交期限, note."""

    headers = ("材料名称", "状态", "原件", "复印件", "补交期限", "备注")
    centered = frozenset({1, 2, 3, 4})
    NAME, NOTE = 0, 5

    def display(self, row: CaseMaterialView, column: int) -> str:
        match column:
            case 0:
                return row.name + ("" if row.required else "（非必需）")
            case 1:
                return row.state_name + ("（已补交）" if row.supplemented_at is not None else "")
            case 2:
                return f"{row.originals}份" if row.handed_in else NOT_HANDED_IN
            case 3:
                return f"{row.copies}份" if row.handed_in else NOT_HANDED_IN
            case 4:
                return row.supplement_due.isoformat() if row.supplement_due else ""
            case _:
                return summary(row.note)

    def tooltip(self, row: CaseMaterialView, column: int) -> str | None:
        if column == self.NAME:
            return row.name
        if column == self.NOTE and row.note:
            return row.note
        if column in (2, 3) and not row.handed_in:
            return f"{row.state_name}：未收取纸质材料"
        if column == 4 and row.supplement_due:
            return f"容缺受理：须在 {row.supplement_due.isoformat()} 前补交"
        return None


class NoticeModel(RowTableModel[NoticeRef]):
    """The notices issued on the case (受理通知书, 补正材料通知书, …)."""

    headers = ("文书", "文号", "签发时间")
    centered = frozenset({2})

    def display(self, row: NoticeRef, column: int) -> str:
        match column:
            case 0:
                return NOTICE_NAMES.get(row.kind, "文书")
            case 1:
                return row.doc_no
            case _:
                return local_time(row.issued_at, with_date=True)


class _Named(RowTableModel[CaseEventView]):
    """Events whose actor shows by name (``names``: username → full name)."""

    def __init__(self, rows: Iterable[CaseEventView] = (), parent: QObject | None = None) -> None:
        super().__init__(rows, parent)
        self.names: Mapping[str, str] = {}

    def set_events(self, rows: Iterable[CaseEventView], names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.set_rows(rows)

    def who(self, row: CaseEventView) -> str:
        return self.names.get(row.actor, row.actor)


class HistoryModel(_Named):
    """办理过程: time, who (by name), what, note."""

    headers = ("时间", "办理人", "环节", "说明")
    centered = frozenset({0})
    NOTE = 3

    def display(self, row: CaseEventView, column: int) -> str:
        match column:
            case 0:
                return local_time(row.at, with_date=True)
            case 1:
                return self.who(row)
            case 2:
                return history_name(row.action)
            case _:
                return "" if row.action == "claim" else summary(row.note)

    def tooltip(self, row: CaseEventView, column: int) -> str | None:
        return row.note if column == self.NOTE and row.note and row.action != "claim" else None


class OpinionModel(_Named):
    """审查意见: time, reviewer, the opinion."""

    headers = ("时间", "审查人", "意见")
    centered = frozenset({0})
    TEXT = 2

    def display(self, row: CaseEventView, column: int) -> str:
        match column:
            case 0:
                return local_time(row.at, with_date=True)
            case 1:
                return self.who(row)
            case _:
                return summary(row.note, 60)

    def tooltip(self, row: CaseEventView, column: int) -> str | None:
        return row.note if column == self.TEXT else None


@dataclass(frozen=True)
class ClockLine:
    """One 时限 line of the panel: the text and the light (a key of ``LIGHT_BRUSHES``, or "")."""

    text: str
    light: str = ""


def clock_lines(case: CaseView, lights: CaseLights) -> tuple[ClockLine, ClockLine, ClockLine, str]:
    """收件, 承诺办结, 法定办结 and the clocks' state (暂停计时 / 延期) in words."""
    received = ClockLine(local_time(case.received_at, with_date=True))

    def due(day_text: str, light: str, paused_left: int | None) -> ClockLine:
        if light == "paused" and paused_left is not None:
            return ClockLine(f"{light_text(light)}（剩{paused_left}个工作日）", light)
        if not day_text:
            return ClockLine("—")
        return ClockLine(f"{day_text}　{light_text(light)}" if light else day_text, light)

    promised = due(due_text(case.promised_due, case.due_provisional), lights.promised, case.clock.paused_promised)
    legal = due(due_text(case.legal_due), lights.legal, case.clock.paused_legal)
    state: list[str] = []
    if case.clock.procedure:
        state.append(f"{case.clock.procedure}中，暂停计时" + (f"：{case.clock.procedure_reason}"
                                                          if case.clock.procedure_reason else ""))
    elif "paused" in (lights.promised, lights.legal):
        state.append("暂停计时")
    if case.clock.extension_days:
        state.append(f"已延期{case.clock.extension_days}个工作日（{case.clock.extension_approver}批准）："
                     f"{case.clock.extension_reason}")
    return received, promised, legal, "；".join(state)


class CaseViewPanel(QWidget):
    """A case as a read-only form: 申请人, 经办人, 事项, 时限 above; 材料, 文书, 办理过程, 审查意见 in tabs.

    Given ``hall`` and ``actor``, 查看电子件 (Alt+Y, under the tabs) opens the case's scanned materials
    (``ui.viewer``): who may open them is ``app.files``'s rule, the viewer says why not."""

    def __init__(self, hall: HallDesk | None = None, actor: Actor | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case: CaseView | None = None
        self._hall, self._actor = hall, actor
        self.files_window: FilesWindow | None = None
        self.fields: dict[str, ElidedLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        rows = (
            (("applicant", "申请人"), ("status", "状态")),
            (("agent", "经办人"), ("phone", "联系电话")),
            (("item", "事项"), ("id_number", "身份证号")),
            (("dept", "办理部门"), ("received", "收件")),
            (("promised", "承诺办结"), ("legal", "法定办结")),
            (("clock", "计时"),),
        )
        for r, pair in enumerate(rows):
            for c, (key, caption) in enumerate(pair):
                label = QLabel(f"{caption}：")
                label.setObjectName("hintLabel")
                value = ElidedLabel()
                value.setObjectName(f"case_{key}")
                self.fields[key] = value
                grid.addWidget(label, r, c * 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(value, r, c * 2 + 1, 1, 3 if len(pair) == 1 else 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.material_model = CaseMaterialModel(parent=self)
        self.notice_model = NoticeModel(parent=self)
        self.history_model = HistoryModel(parent=self)
        self.opinion_model = OpinionModel(parent=self)
        self.material_view = self._table(self.material_model, "暂无申请材料。领取办件后，这里列出窗口收取的每一项材料及其份数。",
                                         stretch=0)
        self.notice_view = self._table(self.notice_model, "尚未出具文书。受理、补正、决定等文书签发后列在这里。", stretch=0)
        self.history_view = self._table(self.history_model, "尚无办理记录。领取办件后，这里按时间列出受理、领取、决定等每一步。",
                                        stretch=3)
        self.opinion_view = self._table(self.opinion_model, "尚无审查意见。在下方填写后按“添加意见”。", stretch=2)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for view in (self.material_view, self.notice_view, self.history_view, self.opinion_view):
            self.tabs.addTab(view, "")
        self.files_button = QPushButton("查看电子件(&Y)…")
        self.files_button.setToolTip("本办件各材料的扫描件：翻页、缩放、旋转、导出；每次打开记入查看留痕")
        self.files_button.clicked.connect(self.view_files)
        self.files_button.setVisible(hall is not None and actor is not None)
        # Under the tabs, not in the tab bar's corner: at 1366×768 the corner left the tabs no room.
        files_row = QHBoxLayout()
        files_row.addStretch(1)
        files_row.addWidget(self.files_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(files_row)
        self.show_case(None)

    def _table(self, model: QAbstractItemModel, empty: str, *, stretch: int) -> QTableView:
        view = table_view(model, empty=empty)
        fit_columns(view, stretch=stretch)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        return view

    def text_of(self, key: str) -> str:
        return self.fields[key].text()

    def _set(self, key: str, text: str, light: str = "") -> None:
        field = self.fields[key]
        field.setText(text)
        brush = LIGHT_BRUSHES.get(light)
        field.setStyleSheet(f"color: {brush.color().name()};" if brush is not None else "")

    def show_case(self, case: CaseView | None, *, lights: CaseLights | None = None,
                  names: Mapping[str, str] | None = None) -> None:
        """Show ``case`` (None empties the form).  ``lights``: the clocks' 红黄牌 as app/ reads them;
        ``names``: the history's usernames by full name."""
        self.case = case
        names = names or {}
        if case is None:
            for key in self.fields:
                self._set(key, "")
            self.material_model.set_rows(())
            self.notice_model.set_rows(())
            self.history_model.set_events((), {})
            self.opinion_model.set_events((), {})
        else:
            self._set("applicant", case.enterprise_name or "个人")
            self._set("status", case.status_name + ("（容缺受理）" if case.tolerated else ""))
            self._set("agent", case.agent_name)
            self._set("phone", mask_phone(case.agent_phone))
            self._set("id_number", mask_id_number(case.agent_id_number))
            self._set("item", f"{case.item_name}（{case.item_kind}）" if case.item_kind else case.item_name)
            self._set("dept", case.dept_name)
            received, promised, legal, state = clock_lines(case, lights or CaseLights())
            self._set("received", received.text)
            self._set("promised", promised.text, promised.light)
            self._set("legal", legal.text, legal.light)
            self._set("clock", state or CLOCK_STATES[case.clock.state(case.status, "legal")])
            self.material_model.set_rows(case.materials)
            self.notice_model.set_rows(case.notices)
            events = [e for e in case.history if e.action != OPINION]
            opinions = [e for e in case.history if e.action == OPINION]
            self.history_model.set_events(events, names)
            self.opinion_model.set_events(opinions, names)
        tolerated = sum(1 for m in (case.materials if case else ()) if m.state == "tolerated")
        titles = (  # no mnemonics: Tab reaches the tab bar, the arrow keys (or Ctrl+Tab) turn the tabs
            f"材料 {self.material_model.rowCount()}" + (f"（容缺{tolerated}）" if tolerated else ""),
            f"文书 {self.notice_model.rowCount()}",
            f"办理过程 {self.history_model.rowCount()}",
            f"审查意见 {self.opinion_model.rowCount()}",
        )
        for i, title in enumerate(titles):
            self.tabs.setTabText(i, title)
        set_available(self.files_button, "" if case is not None else "请先领取办件")

    def view_files(self) -> FilesWindow | None:
        """The case's 电子件 in a window of their own (one at a time)."""
        if self.case is None or self._hall is None or self._actor is None:
            return None
        self.files_window = open_case_files(self, self._hall, self._actor, self.case.case_no, self.files_window)
        return self.files_window

    def sizeHint(self) -> QSize:
        # Long values elide: the panel asks for a modest width whatever the case holds (1366×768 screens).
        return QSize(PANEL_WIDTH, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(PANEL_WIDTH * 3 // 4, super().minimumSizeHint().height())

    def views(self) -> tuple[QTableView, ...]:
        """The panel's tables, in tab order."""
        return (self.material_view, self.notice_view, self.history_view, self.opinion_view)

    def tab_chain(self) -> tuple[QWidget, ...]:
        """What Tab visits in the panel: the tabs, the tables, 查看电子件 (under them)."""
        return (self.tabs, *self.views(), self.files_button)

    def visible_texts(self) -> list[str]:
        """Everything the panel shows as text (for tests and screenshots)."""
        texts = [f.text() for f in self.fields.values()]
        for model in (self.material_model, self.notice_model, self.history_model, self.opinion_model):
            texts += [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
            texts += [str(model.data(model.index(r, c), DISPLAY) or "")
                      for r in range(model.rowCount()) for c in range(model.columnCount())]
        return texts
