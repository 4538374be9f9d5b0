"""首席代表: the department's week, the seal register (授权用章), claimed cases (改派/释放), the department's
settings, and the 差评整改 and 投诉与办不成事 tabs (panels of the supervision and grievance desks)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import backoffice, chief_rep, claims
from app.auth import Actor
from app.backoffice import DeptSettings, QueuePage, QueueRow
from app.cases import CaseView
from app.chief_rep import SealUse, Workload
from app.claims import Claim
from app.context import HallDesk
from app.hall_settings import today
from ui.backoffice.models import QueueTableModel
from ui.backoffice.watch import DepartmentWatch
from ui.chief.models import SealUseTableModel, WorkloadTableModel
from ui.chief.reassign import ReassignDialog
from ui.chief.settings import DeptSettingsPage
from ui.errors import confirm, show_error
from ui.grievance.panel import GrievancePanel
from ui.ops import Change, Op, run_op, subscribe
from ui.printing.preview import NoticePreviewDialog, open_pdf_preview
from ui.shortcuts import describe, set_available
from ui.supervision.rectification import RectificationPanel
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    fit_columns,
    open_dialog,
    restore_current,
    set_tab_order,
    table_view,
)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class ChiefRepPage(Page):
    """首席代表: the week's workload, the seal register, claimed cases (授权用章/改派/释放), department settings;
    the 差评整改 tab (the department's rectifications: 登记回访, 整改办结, the rating summary) and the 投诉与办不成事
    tab (the grievances handed to the department: details, history, 办结… with the reply)."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CASES, Change.ACCOUNTS}, self.refresh)  # what other pages change
        self.dept = actor.dept_code or ""
        self.dialog: ReassignDialog | None = None
        # The department's cases change on other PCs: claimed, decided, released (PostgreSQL pushes it).
        self.watch = DepartmentWatch(hall.url, self.dept, self)
        self.watch.changed.connect(self._department_changed)

        self.cases_model = QueueTableModel(parent=self)
        self.cases_view = table_view(self.cases_model, empty="本部门暂无在审办件。窗口受理本部门的事项后，办件会在这里出现；"
                                                                 "审批人员领取后可看到办理人，必要时可改派或释放。")
        fit_columns(self.cases_view, stretch=(QueueTableModel.ITEM, QueueTableModel.APPLICANT))
        self.authorise_button = QPushButton("授权用章(&U)…")
        self.authorise_button.setToolTip("授权审批人员对所选办件的决定加盖审批专用章")
        self.reassign_button = QPushButton("改派(&R)…")
        self.release_button = QPushButton("释放(&E)")
        self.refresh_button = QPushButton("刷新")
        case_buttons = QHBoxLayout()
        for button in (self.authorise_button, self.reassign_button, self.release_button):
            case_buttons.addWidget(button)
        case_buttons.addStretch(1)
        case_buttons.addWidget(self.refresh_button)
        cases_box = QGroupBox("本部门在审办件")
        cases_layout = QVBoxLayout(cases_box)
        cases_layout.addWidget(self.cases_view, 1)
        cases_layout.addLayout(case_buttons)

        self.workload_model = WorkloadTableModel(parent=self)
        self.workload_view = table_view(self.workload_model, empty="这一周暂无工作量记录。本部门审批人员领取并办结办件后，"
                                                                       "会按人员在这里统计。")
        fit_columns(self.workload_view)  # whole names: the person column is never cut to “住建…”
        # The week shown (its Monday): this week, or an earlier one for the weekly report.
        self.week_of = _monday(today())
        self.week_label = QLabel()
        self.previous_week_button = QPushButton("◀ 上一周")
        self.next_week_button = QPushButton("下一周 ▶")
        self.this_week_button = QPushButton("本周")
        week_row = QHBoxLayout()
        week_row.addWidget(self.previous_week_button)
        week_row.addWidget(self.week_label, 1, Qt.AlignmentFlag.AlignCenter)
        week_row.addWidget(self.next_week_button)
        week_row.addWidget(self.this_week_button)
        workload_box = QGroupBox("工作量（每周）")
        workload_layout = QVBoxLayout(workload_box)
        workload_layout.addLayout(week_row)
        workload_layout.addWidget(self.workload_view, 1)

        self.seal_model = SealUseTableModel(parent=self)
        self.seal_view = table_view(self.seal_model, empty="所选期间没有使用审批专用章。授权审批人员用章、作出决定后，"
                                                               "用章记录会在这里出现。")
        fit_columns(self.seal_view, stretch=2)
        # The register's period (this month by default): the table shows it, and it prints as the A4 report.
        first = today().replace(day=1)
        self.seal_since_edit = _date_edit(first)
        self.seal_until_edit = _date_edit(today())
        self.print_register_button = QPushButton("打印登记簿(&B)…")
        self.print_register_button.setToolTip("本期间的用章登记簿（A4 报表）：预览、打印或另存为 PDF，供首席代表签字归档")
        period_row = QHBoxLayout()
        period_row.addWidget(buddy_label("用章期间(&T)", self.seal_since_edit))
        period_row.addWidget(self.seal_since_edit)
        period_row.addWidget(QLabel("至"))
        period_row.addWidget(self.seal_until_edit)
        period_row.addStretch(1)
        period_row.addWidget(self.print_register_button)
        seal_box = QGroupBox("用章登记簿")
        seal_layout = QVBoxLayout(seal_box)
        seal_layout.addLayout(period_row)
        seal_layout.addWidget(self.seal_view, 1)
        self.preview: NoticePreviewDialog | None = None

        self.dept_settings = DeptSettingsPage(hall, actor)
        self.dept_settings.status_message.connect(self.status_message)
        ds = self.dept_settings  # its inputs by the names the page always had (tests and the tab order use them)
        self.review_days_spin, self.lease_spin, self.paused_list = ds.review_days_spin, ds.lease_spin, ds.paused_list
        self.issue_early_check, self.doc_prefix_edit = ds.issue_early_check, ds.doc_prefix_edit
        self.licence_seal_check, self.save_button = ds.licence_seal_check, ds.save_button

        desk = QWidget()
        grid = QGridLayout(desk)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(cases_box, 0, 0)
        grid.addWidget(workload_box, 0, 1)
        grid.addWidget(seal_box, 1, 0)
        grid.addWidget(self.dept_settings, 1, 1)
        grid.setColumnStretch(0, 1)  # the cases elide their names; the workload's people stay whole
        grid.setColumnStretch(1, 1)
        self.rectifications = RectificationPanel(hall, actor)
        self.rectifications.status_message.connect(self.status_message)
        self.tabs = QTabWidget()
        self.tabs.addTab(desk, "部门工作")
        self.tabs.addTab(self.rectifications, "差评整改")
        # Complaints and 办不成事 the supervisor handed to this department (the service scopes the list).
        self.grievances = GrievancePanel(hall, actor)
        self.grievances.status_message.connect(self.status_message)
        self.tabs.addTab(self.grievances, "投诉与办不成事")
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.tabs)

        self.authorise_button.clicked.connect(self.authorise_seal)
        self.reassign_button.clicked.connect(self.reassign)
        self.release_button.clicked.connect(self.release)
        self.refresh_button.clicked.connect(self.refresh)
        self.previous_week_button.clicked.connect(lambda: self.show_week(self.week_of - timedelta(days=7)))
        self.next_week_button.clicked.connect(lambda: self.show_week(self.week_of + timedelta(days=7)))
        self.this_week_button.clicked.connect(lambda: self.show_week(today()))
        # The period stays a period: the first day can never pass the last (the table would have nothing to say).
        self.seal_since_edit.dateChanged.connect(self.seal_until_edit.setMinimumDate)
        self.seal_until_edit.dateChanged.connect(self.seal_since_edit.setMaximumDate)
        self.seal_until_edit.setMinimumDate(self.seal_since_edit.date())
        self.seal_since_edit.setMaximumDate(self.seal_until_edit.date())
        self.seal_since_edit.dateChanged.connect(self.refresh)
        self.seal_until_edit.dateChanged.connect(self.refresh)
        self.print_register_button.clicked.connect(self.print_register)
        self.cases_view.selectionModel().currentChanged.connect(self._update_buttons)
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        set_tab_order(self.cases_view, self.authorise_button, self.reassign_button, self.release_button,
                      self.refresh_button, self.previous_week_button, self.next_week_button,
                      self.this_week_button, self.workload_view, self.seal_since_edit, self.seal_until_edit,
                      self.print_register_button, self.seal_view, self.review_days_spin,
                      self.lease_spin, self.paused_list, self.issue_early_check, self.doc_prefix_edit,
                      self.licence_seal_check, self.save_button)
        self._show_week_label()
        self._update_buttons()

    # ---- loading
    def refresh(self) -> None:
        hall, actor, dept, week = self._hall, self._actor, self.dept, self.week_of
        since, until = self.seal_period()
        selected = self.selected_case()
        select = selected.case_no if selected else None

        def load() -> tuple[QueuePage, list[Workload], list[SealUse]]:
            return (backoffice.queue_page(hall.uow(), actor, dept, limit=500),
                    chief_rep.workload(hall.uow(), actor, dept, week),
                    chief_rep.seal_log(hall.uow(), actor, dept, since=since, until=until))

        run_op(load, lambda result: self._loaded_data(select, *result), owner=self, key="load")
        if not self.dept_settings.unsaved_work():  # a refresh never throws the chief's edits away
            self.load()
        self.rectifications.refresh()
        self.grievances.refresh()

    def show_week(self, day: date) -> None:
        """The workload of the week that holds ``day``; never a week that has not begun."""
        self.week_of = min(_monday(day), _monday(today()))
        self._show_week_label()
        self.refresh()

    def _show_week_label(self) -> None:
        sunday = self.week_of + timedelta(days=6)
        current = self.week_of == _monday(today())
        self.week_label.setText(f"{self.week_of:%Y-%m-%d} 至 {sunday:%m-%d}" + ("（本周）" if current else ""))
        self.next_week_button.setEnabled(not current)
        self.this_week_button.setEnabled(not current)

    def seal_period(self) -> tuple[date, date]:
        return self.seal_since_edit.date().toPython(), self.seal_until_edit.date().toPython()  # type: ignore[return-value]

    def print_register(self) -> None:
        """The register of the period as the A4 report, in the preview (打印…, 另存为PDF…)."""
        hall, actor, dept = self._hall, self._actor, self.dept
        since, until = self.seal_period()
        self.print_register_button.setEnabled(False)

        def done(pdf: bytes) -> None:
            self.print_register_button.setEnabled(True)
            self.preview = open_pdf_preview(self, hall, actor, pdf, f"用章登记簿 {since:%Y-%m-%d} 至 {until:%Y-%m-%d}")
            self.preview.finished.connect(self._preview_closed)

        def failed(exc: BaseException) -> None:
            self.print_register_button.setEnabled(True)
            show_error(self, exc)

        run_op(lambda: chief_rep.seal_register_pdf(hall.uow(), actor, dept, since=since, until=until),
                          done, failed, owner=self)

    def _preview_closed(self) -> None:
        self.preview = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.watch.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.watch.stop()
        super().hideEvent(event)

    def _department_changed(self) -> None:
        if self.isVisible() and self.dialog is None:
            self.refresh()

    def _loaded_data(self, select: str | None, page: QueuePage, work: list[Workload], seals: list[SealUse]) -> None:
        self.cases_model.set_page(page.rows, None)
        self.workload_model.set_rows(work)
        self.seal_model.set_rows(reversed(seals))  # newest first
        self._loaded = True
        restore_current(self.cases_view, self.cases_model, select)
        self.dept_settings.set_members({w.username: w.full_name for w in work})
        self._update_buttons()

    @property
    def settings(self) -> DeptSettings | None:
        return self.dept_settings.stored

    def load(self) -> Op[DeptSettings]:
        """The department settings, read again from the database."""
        return self.dept_settings.load()

    def save(self) -> Op[DeptSettings] | None:
        return self.dept_settings.save()

    def unsaved_work(self) -> str:
        return self.dept_settings.unsaved_work()

    # ---- cases
    def selected_case(self) -> QueueRow | None:
        return current_row(self.cases_view, self.cases_model)

    def _update_buttons(self, *_: object) -> None:
        row = self.selected_case()
        pick = "请先在列表中选择办件" if row is None else ""
        set_available(self.authorise_button, pick or ("" if row is not None and row.status == "in_review"
                                                      else "只有审查中的办件可以授权用章"))
        claimed = row is not None and row.holder is not None
        set_available(self.reassign_button, pick)
        set_available(self.release_button, pick or ("" if claimed else "所选办件没有人在办"))

    def authorise_seal(self) -> Op[None] | None:
        row = self.selected_case()
        if row is None:
            return None
        if not confirm(self, f"授权{row.holder_name or ''}对办件 {row.case_no}（{row.item_name}）的决定加盖审批专用章？"):
            return None
        hall, actor = self._hall, self._actor

        def authorised(_none: None) -> None:
            self.status_message.emit(f"已授权 {row.case_no} 用章")
            self.refresh()

        return run_op(lambda: chief_rep.authorise_seal(hall.uow(), actor, row.case_no), authorised, owner=self,
                      changes={Change.CASES})

    def reassign(self) -> ReassignDialog | None:
        row = self.selected_case()
        if row is None:
            return None
        dialog = ReassignDialog(self._hall, self._actor, row.case_no, self.workload_model.rows(), self)
        dialog.reassigned.connect(self._reassigned)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _reassigned(self, claim: Claim) -> None:
        self.status_message.emit(f"{claim.case_no} 已改派")
        self.refresh()

    def _dialog_closed(self) -> None:
        self.dialog = None

    def release(self) -> Op[CaseView] | None:
        row = self.selected_case()
        if row is None or row.holder is None:
            return None
        if not confirm(self, f"将 {row.holder_name} 手中的办件 {row.case_no} 放回部门队列？"):
            return None
        hall, actor = self._hall, self._actor
        return run_op(lambda: claims.release(hall.uow(), actor, row.case_no), lambda _none: self.refresh(),
                      owner=self, changes={Change.CASES})
