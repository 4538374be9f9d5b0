"""督查: the supervisor's workspace.

``SupervisionPage`` opens on 今日概览 (``OverviewPanel``), then 差评整改 (all departments), 评价统计 per
department, 解锁取件码 (a case locked after repeated wrong pickup codes) and the evaluation settings (整改期限,
评价器等待时间) as a settings page with ``load()``/``check()``/``save()``.
"""


from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import catalog, evaluation, limits, output
from app.auth import Actor
from app.cases import CaseView
from app.catalog import DepartmentView
from app.context import HallDesk
from app.evaluation import (
    LEVELS,
    EvaluationSettings,
    EvaluationSummary,
)
from ui.errors import confirm, show_error
from ui.models import RowTableModel
from ui.ops import Change, Op, run_op, subscribe
from ui.shortcuts import describe
from ui.supervision.overview import OverviewPanel
from ui.supervision.rectification import RectificationPanel, summary_text
from ui.supervision.settings import EvaluationSettingsPage
from ui.widgets import (
    Page,
    buddy_label,
    fit_columns,
    hint_label,
    limit_line,
    table_view,
)


class SummaryTableModel(RowTableModel[tuple[str, EvaluationSummary]]):
    """评价统计: one row per department (its name and summary)."""

    headers = ("部门", "评价数", *(LEVELS[k] for k in sorted(LEVELS, reverse=True)), "差评", "满意率")
    centered = frozenset(range(1, 9))

    def row_of(self, name: object) -> int:
        return next((i for i, (n, _) in enumerate(self._rows) if n == name), -1)

    def display(self, row: tuple[str, EvaluationSummary], column: int) -> str:
        name, summary = row
        levels = sorted(LEVELS, reverse=True)
        if column == 0:
            return name
        if column == 1:
            return str(summary.total)
        if 2 <= column < 2 + len(levels):
            return str(summary.counts.get(levels[column - 2], 0))
        if column == 2 + len(levels):
            return str(summary.bad)
        return f"{summary.satisfaction:.1%}" if summary.total else "—"


class SupervisionPage(Page):
    """督查: it opens on 今日概览 (the hall's figures of today), then every department's 差评整改, 评价统计
    (the departments that were rated), 解锁取件码 and the evaluation settings."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.RECTIFICATIONS}, self.refresh)  # what other pages change
        title = QLabel("督查 — 好差评与整改")
        title.setObjectName("pageTitle")

        self.overview = OverviewPanel(hall, actor)
        self.rectifications = RectificationPanel(hall, actor)
        self.rectifications.status_message.connect(self.status_message)

        self.summary_model = SummaryTableModel(parent=self)
        self.summary_view = table_view(self.summary_model, empty="暂无评价。申请人在窗口评价器上评价后，"
                                                                   "被评价部门的统计会在这里出现。")
        fit_columns(self.summary_view, stretch=0)
        self.summary_total = QLabel()
        self.summary_total.setObjectName("sectionTitle")
        summary_page = QWidget()
        summary_layout = QVBoxLayout(summary_page)
        summary_layout.addWidget(self.summary_total)
        summary_layout.addWidget(self.summary_view, 1)

        self.unlock_edit = QLineEdit()
        self.unlock_edit.setPlaceholderText("被锁定的办件编号")
        limit_line(self.unlock_edit, limits.CASE_NO)
        self.unlock_button = QPushButton("解锁取件码(&U)")
        self.unlock_result = QLabel()
        self.unlock_result.setWordWrap(True)
        unlock_box = QGroupBox("解锁取件码")
        unlock_form = QFormLayout(unlock_box)
        unlock_row = QHBoxLayout()
        unlock_row.addWidget(self.unlock_edit, 1)
        unlock_row.addWidget(self.unlock_button)
        unlock_form.addRow(buddy_label("办件编号(&N)", self.unlock_edit), unlock_row)
        unlock_form.addRow(hint_label("取件码连续输错5次的办件被锁定：请核实申请人身份证件后解锁。"))
        unlock_form.addRow(self.unlock_result)

        self.eval_settings = EvaluationSettingsPage(hall, actor)
        self.eval_settings.status_message.connect(self.status_message)
        # Its inputs by the names the page always had (tests and the tab order use them).
        self.days_spin, self.prompt_spin = self.eval_settings.days_spin, self.eval_settings.prompt_spin
        self.save_button, self.settings_error = self.eval_settings.save_button, self.eval_settings.error_label
        self.tools = tools = QWidget()
        tools_layout = QVBoxLayout(tools)
        tools_layout.addWidget(unlock_box)
        tools_layout.addWidget(self.eval_settings)
        tools_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.overview, "今日概览")
        self.tabs.addTab(self.rectifications, "差评整改")
        self.tabs.addTab(summary_page, "评价统计")
        self.tabs.addTab(tools, "解锁与设置")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

        self.overview.show_rectifications.connect(self.show_rectifications)
        self.unlock_edit.returnPressed.connect(self.unlock)
        self.unlock_button.clicked.connect(self.unlock)
        describe(QShortcut(
            QKeySequence(Qt.Key.Key_F5),
            self,
            self.refresh,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        ), "刷新督查页面")

    def show_rectifications(self) -> None:
        self.tabs.setCurrentWidget(self.rectifications)
        self.rectifications.view.setFocus()

    # ---- loading
    def refresh(self) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[list[DepartmentView], list[tuple[str, EvaluationSummary]], EvaluationSummary]:
            departments = catalog.list_departments(hall.uow())
            per_dept = [
                (d.name, evaluation.evaluation_summary(hall.uow(), actor, dept=d.code)) for d in departments
            ]
            return departments, per_dept, evaluation.evaluation_summary(hall.uow(), actor)

        def loaded(
            data: tuple[list[DepartmentView], list[tuple[str, EvaluationSummary]], EvaluationSummary],
        ) -> None:
            departments, per_dept, total = data
            self.rectifications.set_departments(departments)
            # Only the departments that were rated: a row of zeros per department says nothing.
            rated = [(name, summary) for name, summary in per_dept if summary.total]
            self.summary_model.set_rows(rated)
            quiet = len(per_dept) - len(rated)
            self.summary_total.setText(
                f"全大厅：{summary_text(total)}" + (f"（另有 {quiet} 个部门暂无评价）" if rated and quiet else "")
            )
            self._loaded = True

        run_op(load, loaded, owner=self, key="summary")
        self.overview.refresh()
        self.rectifications.refresh()
        if not self.eval_settings.unsaved_work():  # a refresh never throws the supervisor's edits away
            self.load()

    @property
    def settings(self) -> EvaluationSettings | None:
        return self.eval_settings.stored

    def load(self) -> Op[EvaluationSettings]:
        """The evaluation settings, read again from the database."""
        return self.eval_settings.load()

    def save(self) -> Op[EvaluationSettings] | None:
        return self.eval_settings.save()

    def unsaved_work(self) -> str:
        return self.eval_settings.unsaved_work()

    def unlock(self) -> bool:
        case_no = self.unlock_edit.text().strip().upper()
        if not case_no:
            self.unlock_edit.setFocus()
            return False
        if not confirm(self, f"已核实申请人身份证件，解锁办件 {case_no} 的取件码？", "解锁取件码"):
            return False
        hall, actor = self._hall, self._actor

        def done(view: CaseView) -> None:
            self.unlock_result.setText(
                f"已解锁：{view.case_no}（{view.item_name}），申请人可凭取件凭条或取件码领取"
            )
            self.unlock_edit.clear()
            self.status_message.emit(f"已解锁取件码：{view.case_no}")

        def failed(exc: BaseException) -> None:
            self.unlock_result.setText("")
            show_error(self, exc)

        run_op(lambda: output.unlock_pickup(hall.uow(), actor, case_no), done, failed, changes={Change.CASES}, owner=self)
        return True
