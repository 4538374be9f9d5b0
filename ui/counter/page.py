"""综合受理: the clerk's counter workspace, keyboard first.

One applicant at a time: F2 (下一位) clears the form and starts the wait clock; the clerk finds the item
(``ItemPicker``), types or scans the applicant's details (``ApplicantForm``), checks the materials
(``MaterialChecklist``) and picks an outcome — 受理 (Ctrl+Enter), 一次性告知补正 (Ctrl+B), 不予受理 (Ctrl+R) or
即办 (Ctrl+J).  Every problem shows at once under its field and in one summary; the service checks again.
After the outcome the case number shows large and the receipt goes to the printer first; 今日办件 (F6,
``TodayCases``) finds the clerk's cases for 补打回执, 预览通知书 and 补正后受理 (``CaseDocuments``).
"""


from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import catalog, hall_settings, intake, search, transfers
from app.auth import Actor
from app.cases import MATERIAL_STATES, CaseView
from app.catalog import Assessment, Item
from app.context import HallDesk
from app.errors import ValidationError
from app.intake import EnterpriseInput, IntakeRequest
from app.lifecycle import Problem
from app.printing.documents import default_refusal_basis
from app.search import ItemHit
from app.workdays import DueDate, WorkCalendar
from ui.counter.applicant import ApplicantForm
from ui.counter.capture import CapturePanel
from ui.counter.checklist import MARK_ALL_KEY, MaterialChecklist
from ui.counter.dialogs import RefusalDialog
from ui.counter.documents import CaseDocuments, take_and_print
from ui.counter.hints import outcome_hint
from ui.counter.item_picker import ItemPicker
from ui.counter.summary import CaseSummary
from ui.counter.today import TodayCases
from ui.counter.transfers import TransferPanel
from ui.counter.wait_clock import WaitClock
from ui.display import DisplayController
from ui.errors import confirm, show_error
from ui.models import days
from ui.ops import Change, run_op, subscribe
from ui.shortcuts import describe, tell, unavailable_reason
from ui.widgets import (
    MessageLine,
    Page,
    banner,
    buddy_label,
    format_date,
    open_dialog,
    set_tab_order,
)

LEFT_WIDTH = 400  # the item search and the applicant's fields, whatever their messages say
OUTCOME_NAMES = {"accept": "受理", "correction": "一次性告知补正", "refuse": "不予受理", "immediate": "即办"}
OUTCOME_DONE = {"accept": "已受理", "correction": "已出具补正材料通知书", "refuse": "已不予受理", "immediate": "即办办结"}


class CounterPage(CaseDocuments, Page):
    """The 综合受理 workspace of a clerk's counter: intake form, result panel and 今日办件.

    Signals:
        status_message(str): something the main window's status bar should show for a while.
        jobs_changed(): print jobs were created or sent (the print queue and its alarm refresh).
        case_saved(): a case was taken or resubmitted (an offline counter pushes it at once).
    """

    jobs_changed = Signal()
    case_saved = Signal()

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CATALOG, Change.CALENDAR}, self.reload_items)  # what other pages change
        subscribe(self, {Change.CASES, Change.PRINT_JOBS}, self.refresh_today)  # what other pages change
        self._busy = False
        self._assessments: list[Assessment] = []
        self._calendar: WorkCalendar | None = None
        self._item: Item | None = None
        self._promised: DueDate | None = None
        self._case: CaseView | None = None
        self._attempt: str | None = None  # the outcome of the last submit that found problems (they show)
        self._service_problems: list[Problem] = []
        self._dialog_case_no = ""
        self.dialog: QDialog | None = None
        self.display: DisplayController | None = None  # the customer display (评价器), told what happens

        # ---- top bar
        number = actor.counter_number
        title = QLabel(f"综合受理 — {number}号窗口" if number is not None else "综合受理")
        title.setObjectName("pageTitle")
        self.next_button = QPushButton("下一位 (F2)")
        self.next_button.setToolTip("清空表单，开始接待下一位申请人（开始计时）")
        self.wait_label = WaitClock()
        self.settings_button = QPushButton("设置(&T)")
        menu = QMenu(self.settings_button)
        self.printer_action = QAction("打印机设置(&P)…", self)
        self.printer_action.setEnabled(number is not None)
        self.printer_action.triggered.connect(self.open_printer_settings)
        menu.addAction(self.printer_action)
        self.settings_button.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.wait_label)
        top.addWidget(self.next_button)
        top.addWidget(self.settings_button)
        self.warning = banner("您的账户没有分配窗口，不能受理：请管理员在用户管理中设置窗口。" if number is None else "")

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_intake(), "当前受理 (F2)")
        self.today = TodayCases(hall, actor)
        self.tabs.addTab(self.today, "今日办件 (F6)")
        if transfers.may_send(actor):  # 材料流转: the paper folders waiting for each department
            self.tabs.addTab(TransferPanel(hall, actor), "材料流转")
        # The tab's parts by the names the page always had (tests and the F-keys use them).
        self.today_search, self.today_model, self.today_view = self.today.search, self.today.model, self.today.view
        self.today_summary, self.today_caption = self.today.summary, self.today.caption
        self.today.summary.preview_requested.connect(self.preview_notice)
        self.today.summary.reprint_requested.connect(self.print_receipt)
        self.today.summary.resubmit_requested.connect(self.start_resubmit)
        self.today.status_message.connect(self.status_message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.tabs, 1)

        # ---- shortcuts: the whole page, whatever field has the focus
        # The words are what 帮助 → 快捷键 (F1) shows.
        def shortcut(keys: str | QKeySequence, slot: Callable[[], object], text: str) -> None:
            describe(QShortcut(QKeySequence(keys), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut),
                     text)

        shortcut("F2", self.next_applicant, "下一位申请人（清空表单，开始计时）")
        shortcut("F6", self.show_today, "今日办件")
        shortcut("F3", self.focus_item_search, "搜索事项")
        shortcut(QKeySequence(QKeySequence.StandardKey.Find), self.focus_item_search, "搜索事项")
        shortcut("Ctrl+Return", self.accept_application, "受理")
        shortcut("Ctrl+Enter", self.accept_application, "受理")
        shortcut("Ctrl+B", self.request_correction, "出具补正材料通知书")
        shortcut("Ctrl+R", self.refuse, "不予受理…")
        shortcut("Ctrl+J", self.complete_immediately, "即办办结")
        shortcut(MARK_ALL_KEY, self.mark_all_received, "其余材料全部标为已收")
        shortcut("F5", self.refresh_today, "刷新今日办件")
        self.next_button.clicked.connect(self.next_applicant)
        self.clear_form()

    # ---- construction ----------------------------------------------------------------------------
    def _build_intake(self) -> QWidget:
        # Item search
        self.picker = ItemPicker()
        # Its parts by the names the page always had (tests and the keys use them).
        self.item_search, self.hits_model, self.item_list = self.picker.search, self.picker.model, self.picker.list
        self.item_info = self.picker.info

        # Applicant
        self.applicant = ApplicantForm(self._hall, self._actor)
        a = self.applicant  # its fields by the names the page always had (tests and focus_field use them)
        self.uscc_field, self.uscc_edit, self.enterprise_status = a.uscc_field, a.uscc_edit, a.enterprise_status
        self.ent_name_edit, self.ent_name_message = a.ent_name_edit, a.ent_name_message
        self.ent_rep_edit, self.ent_address_edit = a.ent_rep_edit, a.ent_address_edit
        self.agent_name_field, self.agent_name_edit = a.agent_name_field, a.agent_name_edit
        self.id_field, self.id_edit, self.phone_field, self.phone_edit = a.id_field, a.id_edit, a.phone_field, a.phone_edit

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.picker)
        left_layout.addWidget(self.applicant)
        left_layout.addStretch(1)
        # A fixed width: messages never widen it (the checklist beside it keeps its width).  On a screen lower
        # than 768 pixels it scrolls (Tab brings the field in view) rather than squeezing the fields together.
        self.left_scroll = QScrollArea()
        self.left_scroll.setWidget(left)
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.left_scroll.setFixedWidth(LEFT_WIDTH)
        self.left_panel = left

        # Materials and outcomes
        self.checklist = MaterialChecklist()
        materials_label = buddy_label("申请材料(&M)", self.checklist.view)
        materials_label.setObjectName("sectionTitle")
        # What stands in the way, or what will happen: after a submit that found problems, all of them in form
        # order (the summary), else the hint.  Its height is fixed: the checklist above it never moves.
        self.outcome_hint = MessageLine(lines=4)
        self._hint = ""
        self._summary = ""
        self.accept_button = QPushButton("受理 (Ctrl+Enter)")
        self.accept_button.setObjectName("primaryButton")
        self.accept_button.setStyleSheet("QPushButton { font-weight: bold; padding: 6px 18px; }")
        self.correction_button = QPushButton("一次性告知补正 (Ctrl+B)")
        self.refuse_button = QPushButton("不予受理… (Ctrl+R)")
        self.immediate_button = QPushButton("即办 (Ctrl+J)")
        outcome_row = QHBoxLayout()
        for button in (self.accept_button, self.correction_button, self.refuse_button, self.immediate_button):
            button.setMinimumHeight(34)
            outcome_row.addWidget(button)
        outcome_row.addStretch(1)
        form_page = QWidget()
        form_layout = QVBoxLayout(form_page)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(materials_label)
        form_layout.addWidget(self.checklist, 1)
        self.capture = CapturePanel(self._hall, self._actor)  # the materials' scanned files (电子件)
        self.capture.bind(self.checklist, self, self.settings_button.menu())
        form_layout.addWidget(self.capture)
        form_layout.addWidget(self.outcome_hint)
        form_layout.addLayout(outcome_row)

        # Result panel
        self.result = CaseSummary(large=True)
        self.result_note = QLabel("按 F2 接待下一位申请人")
        self.result_note.setObjectName("hintLabel")
        result_page = QWidget()
        result_layout = QVBoxLayout(result_page)
        result_layout.setContentsMargins(8, 0, 0, 0)
        result_layout.addWidget(self.result, 1)
        result_layout.addWidget(self.result_note)

        self.right_stack = QStackedWidget()
        self.right_stack.addWidget(form_page)
        self.right_stack.addWidget(result_page)

        page = QWidget()
        columns = QHBoxLayout(page)
        columns.setContentsMargins(4, 6, 4, 4)
        columns.addWidget(self.left_scroll)
        columns.addWidget(self.right_stack, 1)

        set_tab_order(self.item_search, self.item_list, self.uscc_edit, self.ent_name_edit, self.ent_rep_edit,
                      self.ent_address_edit, self.agent_name_edit, self.id_edit, self.phone_edit, self.checklist.view,
                      self.checklist.due_edit, self.accept_button, self.correction_button, self.refuse_button,
                      self.immediate_button)

        # Wiring: Enter moves on field by field (a scanner or card reader "types" and ends with Enter).
        self.picker.picked.connect(self.pick_item)
        self.applicant.finished.connect(self.checklist.focus_material)
        self.applicant.changed.connect(self._form_changed)
        self.checklist.changed.connect(self._update_outcomes)
        self.checklist.changed.connect(self._materials_to_display)
        self.accept_button.clicked.connect(self.accept_application)
        self.correction_button.clicked.connect(self.request_correction)
        self.refuse_button.clicked.connect(self.refuse)
        self.immediate_button.clicked.connect(self.complete_immediately)
        self.result.preview_requested.connect(self.preview_notice)
        self.result.reprint_requested.connect(self.print_receipt)
        self.result.resubmit_requested.connect(self.start_resubmit)
        return page

    # ---- loading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The clerk's ranked items, the zone's assessments, the working-day calendar; and 今日办件."""
        self.reload_items()
        self.refresh_today()
        self.capture.refresh()

    def reload_items(self) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[list[ItemHit], list[Assessment], WorkCalendar]:
            # Every active item once, ranked (recent/frequent first): typing then filters without a round trip.
            hits = search.search_items(hall.uow(), actor, "", limit=100_000)
            return hits, catalog.list_assessments(hall.uow()), hall_settings.work_calendar(hall.uow())

        run_op(load, self._items_loaded, owner=self, key="items")

    def _items_loaded(self, data: tuple[list[ItemHit], list[Assessment], WorkCalendar]) -> None:
        hits, self._assessments, self._calendar = data
        self._loaded = True
        self.picker.set_hits(hits)
        if self._item is not None and self._promised is None:
            # Picked before the calendar arrived: now the promised date and the 容缺 limit are known.
            self._show_item_info(self._item)
            self.checklist.set_rows(self.checklist.model.rows(), self._promised)

    # ---- the applicant's clock ---------------------------------------------------------------------
    def next_applicant(self) -> bool:
        """F2: a new applicant — clear the form, start the clock, start at the item search."""
        if self._busy:
            return False
        if self._form_dirty() and not confirm(self, "当前申请人尚未办结，清空表单并接待下一位？", "下一位"):
            return False
        self.tabs.setCurrentIndex(0)
        self.clear_form()
        self.wait_label.start()
        self.item_search.setFocus()
        return True

    def wait_text(self) -> str:
        return self.wait_label.text()

    def waiting(self) -> bool:
        return self.wait_label.running()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what a half-filled intake form would lose."""
        return "当前申请人的受理表单尚未提交" if self._form_dirty() else ""

    def first_field(self) -> QWidget:
        """Where Ctrl+1… puts the keyboard: the item search, or the 今日办件 list."""
        return self.item_search if self.tabs.currentIndex() == 0 else self.today_view

    def _form_dirty(self) -> bool:
        if self._case is not None:
            return False
        return self._item is not None or self.applicant.dirty()

    def clear_form(self) -> None:
        self._case = None
        self._attempt = None
        self._service_problems = []
        self._item = None
        self._promised = None
        self.picker.clear()
        self.applicant.clear()
        self.checklist.clear()
        self.capture.clear()
        self.result.show_case(None)
        self.right_stack.setCurrentIndex(0)
        self.left_panel.setEnabled(True)
        self._update_outcomes()
        if self.display is not None:
            self.display.idle()

    # ---- item search -------------------------------------------------------------------------------
    def search_results(self) -> list[Item]:
        return self.picker.results()

    def pick_item(self, item: Item) -> None:
        """The applicant's item: its materials with their defaults, its time limits and the promised date."""
        self._item = item
        self._show_item_info(item)
        self.checklist.set_item(item, self._assessments, self._promised)
        self._update_outcomes()
        self.uscc_edit.setFocus()
        if self.display is not None:
            self.display.serve(item.name)
            self._materials_to_display()

    def _materials_to_display(self) -> None:
        if self.display is not None and self._item is not None and self._case is None:
            self.display.show_materials([(r.material.name, MATERIAL_STATES[r.state])
                                         for r in self.checklist.model.rows()])

    def selected_item(self) -> Item | None:
        return self._item

    def _show_item_info(self, item: Item) -> None:
        cal = self._calendar
        today = hall_settings.today()
        self._promised = cal.add_workdays(today, item.promised_days) if cal is not None else None
        lines = [f"已选：{item.name}", f"{item.dept_name} · {item.kind}"]
        if item.immediate:
            lines.append(f"即办件：当场办结（法定时限{days(item.legal_days)}）")
        else:
            lines.append(f"承诺时限{days(item.promised_days)}，法定时限{days(item.legal_days)}")
            if self._promised is not None:
                provisional = "（待定：该年节假日安排尚未确认）" if self._promised.provisional else ""
                lines.append(f"今日受理，承诺办结日：{format_date(self._promised.date)}{provisional}")
        self.item_info.setText("\n".join(lines))

    def promised_due(self) -> DueDate | None:
        return self._promised

    def focus_item_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.picker.focus_search()

    # ---- enterprise ----------------------------------------------------------------------------------
    def enterprise_known(self) -> bool | None:
        return self.applicant.enterprise_known()

    def known_enterprise(self) -> EnterpriseInput | None:
        return self.applicant.known_enterprise()

    # ---- outcomes ------------------------------------------------------------------------------------
    def _form_changed(self) -> None:
        self._service_problems = []  # what the service said is about the form as it was
        self._update_outcomes()

    def _request(self, outcome: str, reason: str = "", legal_basis: str = "") -> IntakeRequest | None:
        """The form as the service's request (None before an item is chosen)."""
        item = self._item
        if item is None:
            return None
        return IntakeRequest(item=item.code, agent=self.applicant.agent_input(), materials=self.checklist.materials_input(),
                             outcome=outcome, enterprise=self.applicant.enterprise_input(), reason=reason, legal_basis=legal_basis,
                             supplement_due=self.checklist.supplement_due() if outcome == "accept" else None,
                             marked_all=self.checklist.marked_all(), files=self.capture.files())

    def form_problems(self, outcome: str) -> list[Problem]:
        """Everything in the way of ``outcome`` as the form stands, in form order, by the service's own rule
        (``intake.request_problems``); a refusal's reason is the dialog's, not the form's."""
        item = self._item
        req = self._request(outcome, reason="…" if outcome == "refuse" else "")
        if item is None or req is None:
            return []
        return intake.request_problems(req, enterprise_known=self.enterprise_known(),
                                       materials=[r.check() for r in self.checklist.model.rows()],
                                       immediate_item=item.immediate, item_name=item.name)

    def field_problems(self) -> list[Problem]:
        """The problems of the applicant's fields (they stop every outcome)."""
        return [p for p in self.form_problems("refuse") if not p.field.startswith("materials")]

    def _update_outcomes(self) -> None:
        """Buttons, hint and messages by the service's own rules (``intake.request_problems``): nothing is
        decided here."""
        item = self._item
        ready = item is not None and not self._busy and self._case is None and self._actor.counter_number is not None
        problems = {outcome: self.form_problems(outcome) for outcome in ("accept", "correction", "immediate")}
        fields = self.field_problems()
        tolerated = self.checklist.model.any_state("tolerated")
        self.accept_button.setText(("容缺受理" if tolerated else "受理") + " (Ctrl+Enter)")
        self.accept_button.setEnabled(ready and not problems["accept"])
        self.correction_button.setEnabled(ready and not problems["correction"])
        self.refuse_button.setEnabled(ready)
        self.immediate_button.setEnabled(ready and not problems["immediate"])
        for outcome, button in (("accept", self.accept_button), ("correction", self.correction_button),
                                ("immediate", self.immediate_button)):
            button.setToolTip(problems[outcome][0].message if problems[outcome] else "")
        self.refuse_button.setToolTip(fields[0].message if fields else "")
        hint, colour = outcome_hint(busy=self._busy, item=item, fields=fields, accept=problems["accept"],
                                    checklist=self.checklist)
        self._hint = hint
        self._show_problems(hint, colour)

    def _show_problems(self, hint: str, colour: str) -> None:
        """After a submit that found problems: each under its field and all in the summary (in place of the
        hint), until fixed."""
        attempt = self._attempt
        shown = self.form_problems(attempt) if attempt is not None and self._case is None else []
        if attempt is not None and not shown:
            shown = self._service_problems
        self.applicant.show_name_problem(next((p.message for p in shown if p.field == "enterprise.name"), ""))
        if not shown:
            self._summary = ""
            self.outcome_hint.set_message(hint, colour)
            return
        lines = "；".join(f"{i}. {p.message}" for i, p in enumerate(shown, start=1))
        head = f"{OUTCOME_NAMES.get(attempt or '', '提交')}前请更正以下{len(shown)}处：" if len(shown) > 1 else "请更正："
        self._summary = head + lines
        self.outcome_hint.set_message(self._summary, "#c0392b")

    def problem_summary_text(self) -> str:
        """Every problem the last submit found that is not fixed yet, in form order ('' when none)."""
        return self._summary

    def mark_all_received(self) -> int:
        """其余全部已收 (Ctrl+Shift+A): the clerk's deliberate word that everything still 待核验 was handed in."""
        if self.tabs.currentIndex() != 0 or self._busy or self._case is not None or self._item is None:
            return 0
        count = self.checklist.mark_all_received()
        if count:
            self.status_message.emit(f"已将其余{count}项材料标为已收，受理时记入审计")
        return count

    def outcome_hint_text(self) -> str:
        """The hint (what the materials and fields allow), whether or not the summary stands in its place."""
        return self._hint

    def intake_request(self, outcome: str, reason: str = "", legal_basis: str = "") -> IntakeRequest | None:
        """The form as the service's request; None (focus on the search) when no item is chosen yet."""
        req = self._request(outcome, reason, legal_basis)
        if req is None:
            self.focus_item_search()
        return req

    def accept_application(self) -> bool:
        return self.submit("accept", self.accept_button)

    def request_correction(self) -> bool:
        return self.submit("correction", self.correction_button)

    def complete_immediately(self) -> bool:
        return self.submit("immediate", self.immediate_button)

    def refuse(self) -> RefusalDialog | None:
        """不予受理…: the reason dialog; its answer submits the refusal."""
        self.checklist.commit_editing()
        if not self.refuse_button.isEnabled() or self._item is None:
            return None
        if self.field_problems():  # the dialog is for the reason, once the applicant's details are right
            self._reveal("refuse")
            return None
        dialog = RefusalDialog(self._item.name, self, legal_basis=default_refusal_basis(self._item.kind,
                                                                                      self._item.legal_basis))
        dialog.chosen.connect(self._refusal_chosen)
        self._open(dialog)
        return dialog

    def _refusal_chosen(self, reason: str, legal_basis: str) -> None:
        self.submit("refuse", self.refuse_button, reason=reason, legal_basis=legal_basis)

    def submit(self, outcome: str, button: QPushButton | None = None, *, reason: str = "", legal_basis: str = "") -> bool:
        """Send the application with ``outcome`` to the service (in the background)."""
        if self.tabs.currentIndex() != 0 or self._busy or self._case is not None:
            return False
        self.checklist.commit_editing()
        self._update_outcomes()
        if self._item is None:
            self.focus_item_search()
            if button is not None:
                tell(button, "请先选择办理事项（Ctrl+F）")  # the key does nothing: the status bar says why
            return False
        if self.form_problems(outcome) or (button is not None and not button.isEnabled()):
            self._reveal(outcome)
            if button is not None:
                first = self.form_problems(outcome)
                tell(button, first[0].message if first else unavailable_reason(button))
            return False
        req = self.intake_request(outcome, reason, legal_basis)
        if req is None:
            return False
        hall, actor = self._hall, self._actor
        self._attempt = outcome  # what the service may still find shows as the form's own problems do
        self._set_busy(True)
        run_op(lambda: take_and_print(hall, actor, req), lambda view: self._intake_done(outcome, view),
               self._intake_failed, owner=self, changes={Change.CASES, Change.PRINT_JOBS}, busy="正在受理…")
        return True

    def is_busy(self) -> bool:
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.left_panel.setEnabled(not busy and self._case is None)
        self.checklist.setEnabled(not busy)
        self.capture.setEnabled(not busy)
        self._update_outcomes()

    def _reveal(self, outcome: str) -> None:
        """A submit that found problems: every one under its field and in the summary; the first gets the focus.
        Nothing is sent."""
        self._attempt = outcome
        self.applicant.recheck()
        self._update_outcomes()
        shown = self.form_problems(outcome) or self._service_problems
        if shown:
            self.focus_field(shown[0].field)

    def _intake_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, ValidationError):
            show_error(self, exc)
            return
        # The service's own check (e.g. the enterprise's lookup was still on its way): the form shows it all.
        self._service_problems = [Problem(field, message) for field, message in exc.problems]
        checked = self.applicant.checked_fields()
        for field, message in exc.problems:
            if field in checked:
                checked[field].show_problem(message)
        self._reveal(self._attempt or "accept")

    def focus_field(self, field: str, message: str = "") -> None:
        """Put the focus on the input a problem names (and show ``message`` there)."""
        if self.applicant.focus_field(field, message):
            pass  # the applicant's own fields
        elif field == "item":
            self.focus_item_search()
        elif field.startswith("materials"):
            self.checklist.focus_material(field.partition(".")[2] or None)
        elif field == "supplement_due":
            self.checklist.due_edit.setFocus()
        if message:
            self.outcome_hint.set_message(message, "#c0392b")

    # ---- after the outcome -------------------------------------------------------------------------
    def _intake_done(self, outcome: str, view: CaseView) -> None:
        self._busy = False
        self.show_result(view, OUTCOME_DONE.get(outcome, view.status_name))
        self.reload_items()  # this item is now among the clerk's recent ones

    def show_result(self, view: CaseView, message: str) -> None:
        """The result panel for a case just decided; its documents go to the printers at once."""
        self.wait_label.stop()
        self._case = view
        self.tabs.setCurrentIndex(0)
        self.left_panel.setEnabled(False)
        self.checklist.setEnabled(True)
        self.result.show_case(view)
        self.right_stack.setCurrentIndex(1)
        if self.enterprise_known() is False:  # the intake registered it: nothing is still to be filled in
            self.applicant.say_enterprise("企业已按所填信息登记", "#1e7d45")
        self._update_outcomes()
        self.result_note.setText("正在打印回执和通知书…　按 F2 接待下一位申请人")
        self.status_message.emit(f"{message}：{view.case_no}")
        self.next_button.setFocus()
        self.case_saved.emit()
        self.send_documents(view.case_no)
        self.refresh_today()
        if self.display is not None:
            self.display.intake_done(view.case_no, view.item_name)

    def current_case(self) -> CaseView | None:
        return self._case

    # ---- 今日办件 -------------------------------------------------------------------------------------
    def show_today(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.today.focus_search()

    def refresh_today(self) -> None:
        self.today.refresh()

    def selected_case(self) -> CaseView | None:
        return self.today.selected_case()

    def select_case(self, case_no: str) -> bool:
        return self.today.select_case(case_no)

    # ---- dialogs -------------------------------------------------------------------------------------
    def owner_widget(self) -> QWidget:
        return self

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
