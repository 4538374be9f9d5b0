"""综合受理: the clerk's counter workspace, keyboard first.

One applicant at a time: F2 (下一位) clears the form and starts the wait clock; the clerk finds the item
(name, code or pinyin initials), types or scans the enterprise's 统一社会信用代码 and the agent's ID, checks
the materials (Space / 1–5; each starts 待核验, Ctrl+Shift+A marks the rest 已收 and the audit says so), and
picks an outcome — 受理 (Ctrl+Enter), 一次性告知补正 (Ctrl+B), 不予受理
(Ctrl+R) or 即办 (Ctrl+J).  The service checks everything again; its message is shown and the field it
names gets the focus.  After the outcome the case number is shown large and the receipt and notices are
sent to the printers in the background.  今日办件 (F6) lists the clerk's cases of today and finds older
ones, for 补打回执, 预览通知书 and 补正后受理.
"""


from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import cases, catalog, hall_settings, intake, limits, search
from app.auth import Actor
from app.cases import MATERIAL_STATES, CaseView
from app.catalog import Assessment, Item
from app.context import HallDesk
from app.errors import ValidationError
from app.intake import AgentInput, EnterpriseInput, IntakeRequest
from app.printing import desk, queue
from app.printing.documents import default_refusal_basis
from app.printing.queue import JobView
from app.search import ItemHit
from app.validators import check_id_number, check_mobile, check_uscc
from app.workdays import DueDate, WorkCalendar
from ui.counter.checklist import MARK_ALL_KEY, MaterialChecklist
from ui.counter.dialogs import RefusalDialog, ResubmitDialog
from ui.counter.models import CaseTableModel, ItemHitListModel
from ui.counter.summary import CaseSummary
from ui.display import DisplayController
from ui.errors import confirm, show_error
from ui.models import NOTICE_NAMES, days
from ui.ops import Change, run_op, subscribe, supersede
from ui.printing.preview import ReprintReasonDialog, notice_preview
from ui.printing.printers import PrinterSettingsDialog
from ui.printing.queue import print_slips_now, printer_trouble, send_pending
from ui.shortcuts import describe, tell, unavailable_reason
from ui.widgets import (
    CheckedField,
    Page,
    banner,
    buddy_label,
    current_row,
    fit_columns,
    format_date,
    limit_line,
    open_dialog,
    restore_current,
    select_key,
    set_empty_text,
    set_tab_order,
    table_view,
    tint,
)

OUTCOME_DONE = {"accept": "已受理", "correction": "已出具补正材料通知书", "refuse": "已不予受理", "immediate": "即办办结"}


def _check_name(text: str) -> str:
    if not text.strip():
        raise ValidationError("agent.name", "请填写经办人姓名")
    return text.strip()


def clock_text(msecs: int) -> str:
    seconds = max(0, msecs // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def take_and_print(hall: HallDesk, actor: Actor, req: IntakeRequest) -> CaseView:
    """The intake, and its receipt started at once from the same background job: the applicant waits for the
    receipt, not for the page to show the result or for the A4 notice (``send_documents`` sends that after)."""
    view = intake.take_application(hall.uow(), actor, req)
    print_slips_now(hall, view.id, view.case_no)
    return view


# What 今日办件 says while empty: the own day (no search) or a search that found nothing.
TODAY_EMPTY = "今天您还没有办件。在“当前受理”中受理、一次性告知补正或不予受理的办件，会列在这里。"
SEARCH_EMPTY = "没有找到符合条件的办件。请核对办件编号、统一社会信用代码、企业名称或经办人姓名。"

class CounterPage(Page):
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
        self._hits: list[ItemHit] = []
        self._assessments: list[Assessment] = []
        self._calendar: WorkCalendar | None = None
        self._item: Item | None = None
        self._promised: DueDate | None = None
        self._known: EnterpriseInput | None = None
        self._lookup_pending = False
        self._advance_after_lookup = False
        self._case: CaseView | None = None
        self._dialog_case_no = ""
        self.dialog: QDialog | None = None
        self._clock = QElapsedTimer()
        self._waited_ms: int | None = None
        self.display: DisplayController | None = None  # the customer display (评价器), told what happens

        # ---- top bar
        number = actor.counter_number
        title = QLabel(f"综合受理 — {number}号窗口" if number is not None else "综合受理")
        title.setObjectName("pageTitle")
        self.next_button = QPushButton("下一位 (F2)")
        self.next_button.setToolTip("清空表单，开始接待下一位申请人（开始计时）")
        self.wait_label = QLabel("等候 --:--")
        self.wait_label.setToolTip("当前申请人已等候（办理）的时间；办结时停止")
        self.wait_label.setStyleSheet("font-size: 13pt; font-weight: bold; color: #1f3a5f; padding: 0 8px;")
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

        # ---- timers (before the tabs: the 今日办件 search uses one)
        self.wait_timer = QTimer(self)
        self.wait_timer.setInterval(1000)
        self.wait_timer.timeout.connect(self._show_wait)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(300)
        self.search_timer.timeout.connect(self.refresh_today)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_intake(), "当前受理 (F2)")
        self.tabs.addTab(self._build_today(), "今日办件 (F6)")
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
        self.item_search = QLineEdit()
        self.item_search.setPlaceholderText("事项名称、编码或拼音首字母，如 sgxk（Ctrl+F）")
        self.item_search.setClearButtonEnabled(True)
        self.hits_model = ItemHitListModel(parent=self)
        self.item_list = QListView()
        self.item_list.setModel(self.hits_model)
        self.item_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.item_list.setFixedHeight(self.fontMetrics().height() * 6 + 30)
        self.item_info = QLabel()
        self.item_info.setWordWrap(True)
        self.item_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        item_box = QGroupBox("办理事项")
        item_layout = QVBoxLayout(item_box)
        item_layout.setSpacing(4)
        item_layout.addWidget(buddy_label("搜索事项(&S)", self.item_search))
        item_layout.addWidget(self.item_search)
        item_layout.addWidget(self.item_list)
        item_layout.addWidget(self.item_info)

        # Applicant
        self.uscc_field = CheckedField(check_uscc, 18, placeholder="18位，可扫码枪录入；个人申请留空", optional=True,
                                       ok_text="✓ 代码有效")
        self.uscc_edit = limit_line(self.uscc_field.edit, limits.USCC)
        self.enterprise_status = QLabel()
        self.enterprise_status.setWordWrap(True)
        self.enterprise_status.hide()
        self.ent_name_edit = limit_line(QLineEdit(), limits.ENTERPRISE_NAME)
        self.ent_rep_edit = limit_line(QLineEdit(), limits.LEGAL_REP)
        self.ent_address_edit = limit_line(QLineEdit(), limits.ENTERPRISE_ADDRESS)
        self.agent_name_field = CheckedField(_check_name, placeholder="经办人姓名", ok_text="")
        self.agent_name_edit = limit_line(self.agent_name_field.edit, limits.AGENT_NAME)
        self.id_field = CheckedField(check_id_number, 18, placeholder="18位，末位 x 大小写均可（可读卡录入）",
                                     ok_text="✓ 身份证号码有效")
        self.id_edit = limit_line(self.id_field.edit, limits.AGENT_ID_NUMBER)
        self.phone_field = CheckedField(check_mobile, 11, placeholder="11位手机号码", ok_text="✓")
        self.phone_edit = limit_line(self.phone_field.edit, limits.AGENT_PHONE)
        applicant_box = QGroupBox("申请人")
        form = QFormLayout(applicant_box)
        form.setVerticalSpacing(4)
        form.addRow(buddy_label("统一社会信用代码(&U)", self.uscc_edit), self.uscc_field)
        form.addRow("", self.enterprise_status)
        form.addRow(buddy_label("企业名称(&Q)", self.ent_name_edit), self.ent_name_edit)
        form.addRow(buddy_label("法定代表人", self.ent_rep_edit), self.ent_rep_edit)
        form.addRow(buddy_label("住所", self.ent_address_edit), self.ent_address_edit)
        form.addRow(buddy_label("经办人姓名(&J)", self.agent_name_edit), self.agent_name_field)
        form.addRow(buddy_label("身份证号(&I)", self.id_edit), self.id_field)
        form.addRow(buddy_label("手机号码(&D)", self.phone_edit), self.phone_field)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(item_box)
        left_layout.addWidget(applicant_box)
        left_layout.addStretch(1)
        left.setMinimumWidth(380)
        left.setMaximumWidth(470)
        self.left_panel = left

        # Materials and outcomes
        self.checklist = MaterialChecklist()
        materials_label = buddy_label("申请材料(&M)", self.checklist.view)
        materials_label.setObjectName("sectionTitle")
        self.outcome_hint = QLabel()
        self.outcome_hint.setWordWrap(True)
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
        columns.addWidget(left)
        columns.addWidget(self.right_stack, 1)

        set_tab_order(self.item_search, self.item_list, self.uscc_edit, self.ent_name_edit, self.ent_rep_edit,
                      self.ent_address_edit, self.agent_name_edit, self.id_edit, self.phone_edit, self.checklist.view,
                      self.checklist.due_edit, self.accept_button, self.correction_button, self.refuse_button,
                      self.immediate_button)

        # Wiring: Enter moves on field by field (a scanner or card reader "types" and ends with Enter).
        self.item_search.textChanged.connect(self._filter_items)
        self.item_search.returnPressed.connect(self.pick_current_item)
        self.item_search.installEventFilter(self)
        self.item_list.activated.connect(self._item_activated)
        self.uscc_edit.textChanged.connect(self._uscc_changed)
        self.uscc_edit.returnPressed.connect(self._uscc_entered)
        self.ent_name_edit.returnPressed.connect(self.ent_rep_edit.setFocus)
        self.ent_rep_edit.returnPressed.connect(self.ent_address_edit.setFocus)
        self.ent_address_edit.returnPressed.connect(self.agent_name_edit.setFocus)
        self.agent_name_edit.returnPressed.connect(self.id_edit.setFocus)
        self.id_edit.returnPressed.connect(self.phone_edit.setFocus)
        self.id_edit.editingFinished.connect(self._normalise_id)
        self.phone_edit.returnPressed.connect(self.checklist.focus_material)
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

    def _build_today(self) -> QWidget:
        self.today_search = QLineEdit()
        self.today_search.setPlaceholderText("办件编号、统一社会信用代码或企业名称、经办人姓名（留空：本人今日办件）")
        self.today_search.setClearButtonEnabled(True)
        self.today_refresh_button = QPushButton("刷新 (F5)")
        self.today_caption = QLabel()
        self.today_caption.setObjectName("sectionTitle")
        self.today_model = CaseTableModel(parent=self)
        self.today_view = table_view(self.today_model, empty=TODAY_EMPTY)
        fit_columns(self.today_view, stretch=2)
        self.today_summary = CaseSummary(large=False, counter=self._actor.counter_number)
        head = QHBoxLayout()
        head.addWidget(buddy_label("查找(&K)", self.today_search))
        head.addWidget(self.today_search, 1)
        head.addWidget(self.today_refresh_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.today_view)
        split.addWidget(self.today_summary)
        split.setSizes([330, 270])
        split.setChildrenCollapsible(False)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.today_caption)
        layout.addWidget(split, 1)
        self.today_search.textChanged.connect(self.search_timer.start)
        self.today_search.returnPressed.connect(self.refresh_today)
        self.today_refresh_button.clicked.connect(self.refresh_today)
        self.today_view.selectionModel().currentChanged.connect(self._today_selected)
        self.today_summary.preview_requested.connect(self.preview_notice)
        self.today_summary.reprint_requested.connect(self.print_receipt)
        self.today_summary.resubmit_requested.connect(self.start_resubmit)
        return page

    # ---- loading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The clerk's ranked items, the zone's assessments, the working-day calendar; and 今日办件."""
        self.reload_items()
        self.refresh_today()

    def reload_items(self) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[list[ItemHit], list[Assessment], WorkCalendar]:
            # Every active item once, ranked (recent/frequent first): typing then filters without a round trip.
            hits = search.search_items(hall.uow(), actor, "", limit=100_000)
            return hits, catalog.list_assessments(hall.uow()), hall_settings.work_calendar(hall.uow())

        run_op(load, self._items_loaded, owner=self, key="items")

    def _items_loaded(self, data: tuple[list[ItemHit], list[Assessment], WorkCalendar]) -> None:
        self._hits, self._assessments, self._calendar = data
        self._loaded = True
        self._filter_items()
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
        self._clock.start()
        self._waited_ms = None
        self.wait_timer.start()
        self._show_wait()
        self.item_search.setFocus()
        return True

    def wait_text(self) -> str:
        return self.wait_label.text()

    def waiting(self) -> bool:
        return self.wait_timer.isActive()

    def _show_wait(self) -> None:
        if self._waited_ms is not None:
            self.wait_label.setText(f"用时 {clock_text(self._waited_ms)}")
        elif self._clock.isValid():
            self.wait_label.setText(f"等候 {clock_text(self._clock.elapsed())}")
        else:
            self.wait_label.setText("等候 --:--")

    def _stop_clock(self) -> None:
        if self._clock.isValid() and self._waited_ms is None:
            self._waited_ms = self._clock.elapsed()
        self.wait_timer.stop()
        self._show_wait()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what a half-filled intake form would lose."""
        return "当前申请人的受理表单尚未提交" if self._form_dirty() else ""

    def first_field(self) -> QWidget:
        """Where Ctrl+1… puts the keyboard: the item search, or the 今日办件 list."""
        return self.item_search if self.tabs.currentIndex() == 0 else self.today_view

    def _form_dirty(self) -> bool:
        if self._case is not None:
            return False
        return self._item is not None or any(
            e.text().strip() for e in (self.uscc_edit, self.ent_name_edit, self.agent_name_edit, self.id_edit,
                                       self.phone_edit))

    def clear_form(self) -> None:
        self._case = None
        self._item = None
        self._promised = None
        self._known = None
        supersede(self, "lookup")
        self._lookup_pending = False
        self._advance_after_lookup = False
        self.item_search.clear()
        self._filter_items()
        self.item_info.setText("请选择办理事项：输入名称、编码或拼音首字母，↓ 选择，Enter 确定")
        for edit in (self.ent_name_edit, self.ent_rep_edit, self.ent_address_edit):
            edit.clear()
            edit.setReadOnly(False)
        for field in (self.uscc_field, self.agent_name_field, self.id_field, self.phone_field):
            field.clear()
        self._say_enterprise("", "")
        self.checklist.clear()
        self.result.show_case(None)
        self.right_stack.setCurrentIndex(0)
        self.left_panel.setEnabled(True)
        self._update_outcomes()
        if self.display is not None:
            self.display.idle()

    # ---- item search -------------------------------------------------------------------------------
    def _filter_items(self) -> None:
        text = self.item_search.text()
        hits = [h for h in self._hits if search.matches(h.item, text)]
        self.hits_model.set_rows(hits)
        if hits:
            self.item_list.setCurrentIndex(self.hits_model.index(0, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the search box move through the results; the focus stays where the clerk types.
        if watched is self.item_search and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 5, Qt.Key.Key_PageUp: -5}.get(
                Qt.Key(event.key()))
            if step is not None and self.hits_model.rowCount():
                row = self.item_list.currentIndex().row()
                row = max(0, min(self.hits_model.rowCount() - 1, row + step))
                self.item_list.setCurrentIndex(self.hits_model.index(row, 0))
                return True
        return super().eventFilter(watched, event)

    def search_results(self) -> list[Item]:
        return [h.item for h in self.hits_model.rows()]

    def pick_current_item(self) -> Item | None:
        hit = current_row(self.item_list, self.hits_model)
        if hit is None:
            return None
        self.pick_item(hit.item)
        return hit.item

    def _item_activated(self) -> None:
        self.pick_current_item()

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
        lines = [f"已选：{item.code}　{item.name}", f"{item.dept_name} · {item.kind}"]
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
        self.item_search.setFocus()
        self.item_search.selectAll()

    # ---- enterprise ----------------------------------------------------------------------------------
    def _uscc_changed(self) -> None:
        supersede(self, "lookup")  # a lookup still on its way is for the old code
        if self._known is not None:
            # A different code: what the lookup filled in belongs to the other enterprise.
            self._known = None
            for edit in (self.ent_name_edit, self.ent_rep_edit, self.ent_address_edit):
                edit.clear()
                edit.setReadOnly(False)
        if not self.uscc_field.is_valid():
            self._lookup_pending = False
            self._say_enterprise("", "")
            return
        hall, uscc = self._hall, self.uscc_field.text()
        self._lookup_pending = True
        run_op(lambda: intake.lookup_enterprise(hall.uow(), uscc), self._enterprise_found, owner=self, key="lookup")

    def _enterprise_found(self, found: EnterpriseInput | None) -> None:
        self._lookup_pending = False
        self._known = found
        if found is not None:
            for edit, value in ((self.ent_name_edit, found.name), (self.ent_rep_edit, found.legal_rep),
                                (self.ent_address_edit, found.address)):
                edit.setText(value)
                # What the register knows is not retyped at the counter; only its gaps can be filled.
                edit.setReadOnly(bool(value))
            self._say_enterprise("已登记企业：名称、法定代表人和住所已自动带出", "#1e7d45")
        else:
            self._say_enterprise("未登记的企业：请填写企业名称（必填）、法定代表人和住所", "#9a6200")
        if self._advance_after_lookup:
            self._advance_after_lookup = False
            (self.agent_name_edit if found is not None else self.ent_name_edit).setFocus()

    def _uscc_entered(self) -> None:
        """Enter (typed, or the scanner's last key) moves on; it never submits the form."""
        if not self.uscc_field.text():
            self.agent_name_edit.setFocus()
        elif not self.uscc_field.is_valid():
            self.uscc_field.recheck()
        elif self._lookup_pending:
            self._advance_after_lookup = True
        else:
            (self.agent_name_edit if self._known is not None else self.ent_name_edit).setFocus()

    def _say_enterprise(self, text: str, colour: str) -> None:
        self.enterprise_status.setText(text)
        if colour:
            tint(self.enterprise_status, colour)
        self.enterprise_status.setVisible(bool(text))

    def known_enterprise(self) -> EnterpriseInput | None:
        return self._known

    def _normalise_id(self) -> None:
        # A lower-case x is fine to type; the form shows the number as it will be stored.
        text = self.id_edit.text()
        if text != text.upper() and not self.id_field.problem():
            self.id_edit.setText(text.strip().upper())

    # ---- outcomes ------------------------------------------------------------------------------------
    def _update_outcomes(self) -> None:
        """Buttons and hint by the service's own rule (``lifecycle.intake_problems``): nothing is decided here."""
        item, model = self._item, self.checklist.model
        ready = item is not None and not self._busy and self._case is None and self._actor.counter_number is not None
        problems = {outcome: model.problems(outcome, item) if item is not None else []
                    for outcome in ("accept", "correction", "immediate")}
        tolerated = model.any_state("tolerated")
        defective = model.any_state("defective")
        self.accept_button.setText(("容缺受理" if tolerated else "受理") + " (Ctrl+Enter)")
        self.accept_button.setEnabled(ready and not problems["accept"])
        self.correction_button.setEnabled(ready and not problems["correction"])
        self.refuse_button.setEnabled(ready)
        self.immediate_button.setEnabled(ready and not problems["immediate"])
        for outcome, button in (("accept", self.accept_button), ("correction", self.correction_button),
                                ("immediate", self.immediate_button)):
            button.setToolTip(problems[outcome][0].message if problems[outcome] else "")
        optional_pending = [r for r in model.pending() if not r.material.required]
        if item is None:
            hint, colour = "请先选择办理事项（Ctrl+F）", "#5b6b7f"
        elif problems["accept"]:
            hint, colour = problems["accept"][0].message, "#c0392b"
            if model.pending():
                hint += f"；确已全部提交的，可按 {MARK_ALL_KEY} 将其余材料全部标为已收"
        elif tolerated:
            due = self.checklist.supplement_due()
            hint = "有容缺材料：将容缺受理，申请人须签署容缺受理承诺书（一式两份）"
            hint += f"，并于{format_date(due)}前补交" if due else ""
            colour = "#9a6200"
        elif defective:
            hint, colour = "非必需材料有误：可受理，也可一次性告知补正", "#9a6200"
        else:
            hint, colour = "材料齐全，可以受理" + ("或即办" if item.immediate else ""), "#1e7d45"
        if item is not None and not problems["accept"] and optional_pending:
            names = "、".join(f"“{r.material.name}”" for r in optional_pending)
            hint += f"；非必需材料{names}未核验，将记为未提交"
        self.outcome_hint.setText(hint)
        tint(self.outcome_hint, colour)

    def mark_all_received(self) -> int:
        """其余全部已收 (Ctrl+Shift+A): the clerk's deliberate word that everything still 待核验 was handed in."""
        if self.tabs.currentIndex() != 0 or self._busy or self._case is not None or self._item is None:
            return 0
        count = self.checklist.mark_all_received()
        if count:
            self.status_message.emit(f"已将其余{count}项材料标为已收，受理时记入审计")
        return count

    def outcome_hint_text(self) -> str:
        return self.outcome_hint.text()

    def intake_request(self, outcome: str, reason: str = "", legal_basis: str = "") -> IntakeRequest | None:
        """The form as the service's request; None (focus on the search) when no item is chosen yet."""
        item = self._item
        if item is None:
            self.focus_item_search()
            return None
        enterprise = None
        uscc = self.uscc_field.text()
        if uscc:
            # No phone: the form has none, and a registered enterprise's stored one is not the clerk's to fix.
            enterprise = EnterpriseInput(
                uscc=uscc, name=self.ent_name_edit.text().strip(), legal_rep=self.ent_rep_edit.text().strip(),
                address=self.ent_address_edit.text().strip())
        agent = AgentInput(name=self.agent_name_edit.text().strip(), id_number=self.id_field.text(),
                           phone=self.phone_field.text())
        return IntakeRequest(item=item.code, agent=agent, materials=self.checklist.materials_input(),
                             outcome=outcome, enterprise=enterprise, reason=reason, legal_basis=legal_basis,
                             supplement_due=self.checklist.supplement_due() if outcome == "accept" else None,
                             marked_all=self.checklist.marked_all())

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
        if button is not None and not button.isEnabled():
            # The key does nothing: the status bar says why (the intake rule's first problem).
            if self._item is None:
                self.focus_item_search()
                tell(button, "请先选择办理事项（Ctrl+F）")
            elif problems := self.checklist.model.problems(outcome, self._item):
                self.focus_field(problems[0].field, problems[0].message)  # e.g. the first material 待核验
                tell(button, problems[0].message)
            else:
                tell(button, unavailable_reason(button))
            return False
        req = self.intake_request(outcome, reason, legal_basis)
        if req is None:
            return False
        hall, actor = self._hall, self._actor
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
        if busy:
            self.outcome_hint.setText("正在提交…")
        self._update_outcomes()

    def _intake_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        show_error(self, exc)
        if isinstance(exc, ValidationError):
            self.focus_field(exc.field, exc.message)

    def focus_field(self, field: str, message: str = "") -> None:
        """Put the focus on the input a service message names (and show the message there)."""
        checked = {"agent.name": self.agent_name_field, "agent.id_number": self.id_field,
                   "agent.phone": self.phone_field, "enterprise.uscc": self.uscc_field,
                   "enterprise.phone": self.uscc_field}
        if field in checked:
            checked[field].show_problem(message)
            checked[field].edit.setFocus()
        elif field == "enterprise.name":
            self._say_enterprise(message, "#c0392b")
            self.ent_name_edit.setFocus()
        elif field == "item":
            self.focus_item_search()
        elif field.startswith("materials"):
            self.checklist.focus_material(field.partition(".")[2] or None)
        elif field == "supplement_due":
            self.checklist.due_edit.setFocus()
        if message:
            self.outcome_hint.setText(message)
            tint(self.outcome_hint, "#c0392b")

    # ---- after the outcome -------------------------------------------------------------------------
    def _intake_done(self, outcome: str, view: CaseView) -> None:
        self._busy = False
        self.show_result(view, OUTCOME_DONE.get(outcome, view.status_name))
        self.reload_items()  # this item is now among the clerk's recent ones

    def show_result(self, view: CaseView, message: str) -> None:
        """The result panel for a case just decided; its documents go to the printers at once."""
        self._stop_clock()
        self._case = view
        self.tabs.setCurrentIndex(0)
        self.left_panel.setEnabled(False)
        self.checklist.setEnabled(True)
        self.result.show_case(view)
        self.right_stack.setCurrentIndex(1)
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

    def send_documents(self, case_no: str, *, force: bool = False) -> None:
        hall = self._hall
        run_op(lambda: send_pending(hall, case_no, force=force),
                          lambda jobs: self._documents_sent(case_no, jobs), self._send_failed, changes={Change.PRINT_JOBS}, owner=self)

    def _documents_sent(self, case_no: str, jobs: list[JobView]) -> None:
        for summary in (self.result, self.today_summary):
            if summary.case is not None and summary.case.case_no == case_no:
                summary.set_jobs(jobs)
        trouble = printer_trouble(jobs)
        if trouble:
            self.status_message.emit(f"打印机错误：{trouble}。任务已留在打印队列，将自动重试")
            note = "打印机错误：任务留在打印队列，将自动重试（也可在“打印队列”中立即重试）"
        else:
            waiting = [j for j in jobs if j.status == "pending"]
            note = "回执已打印" if not waiting else "通知书待在预览中打印（未配置A4打印机）"
        if self._case is not None and self._case.case_no == case_no:
            self.result_note.setText(f"{note}　按 F2 接待下一位申请人")
        self.jobs_changed.emit()

    def _send_failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self.jobs_changed.emit()

    # ---- 今日办件 -------------------------------------------------------------------------------------
    def show_today(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.today_search.setFocus()
        self.today_search.selectAll()

    def refresh_today(self) -> None:
        self.search_timer.stop()
        hall, actor, text = self._hall, self._actor, self.today_search.text().strip()
        selected = self.selected_case()
        keep = selected.case_no if selected else None

        def load() -> list[CaseView]:
            if text:
                return cases.list_cases(hall.uow(), actor, text=text, limit=200)
            return cases.my_cases_today(hall.uow(), actor)

        run_op(load, lambda rows: self._today_loaded(text, rows, keep), owner=self, key="today")

    def _today_loaded(self, text: str, rows: list[CaseView], keep: str | None) -> None:
        self.today_model.today = hall_settings.today()
        set_empty_text(self.today_view, SEARCH_EMPTY if text else TODAY_EMPTY)
        self.today_model.set_rows(rows)
        self.today_caption.setText(f"查找“{text}”：{len(rows)}件" if text else f"本人今日办件：{len(rows)}件")
        restore_current(self.today_view, self.today_model, keep)
        if not rows:
            self.today_summary.show_case(None)

    def selected_case(self) -> CaseView | None:
        return current_row(self.today_view, self.today_model)

    def select_case(self, case_no: str) -> bool:
        return select_key(self.today_view, self.today_model, case_no)

    def _today_selected(self) -> None:
        case = self.selected_case()
        self.today_summary.show_case(case)
        if case is None:
            return
        hall, case_no = self._hall, case.case_no
        run_op(lambda: queue.list_jobs(hall.uow(), case_no=case_no),
                          lambda jobs: self._case_jobs_loaded(case_no, jobs), owner=self)

    def _case_jobs_loaded(self, case_no: str, jobs: list[JobView]) -> None:
        if self.today_summary.case is not None and self.today_summary.case.case_no == case_no:
            self.today_summary.set_jobs(jobs)

    # ---- case actions (result panel and 今日办件) -----------------------------------------------------
    def _summary_for(self, case_no: str) -> CaseSummary | None:
        for summary in (self.result, self.today_summary):
            if summary.case is not None and summary.case.case_no == case_no:
                return summary
        return None

    def print_receipt(self, case_no: str) -> ReprintReasonDialog | None:
        """打印回执 while the original waits (sent now); 补打回执 once it printed (a reason, marked 补打)."""
        summary = self._summary_for(case_no)
        if summary is not None and not summary.receipt_printed() and summary.jobs():
            self._send_receipt(case_no, reprint=False, reason="")
            return None
        dialog = ReprintReasonDialog(f"受理回执 {case_no}", self)
        self._dialog_case_no = case_no
        dialog.chosen.connect(self._reprint_reason)
        self._open(dialog)
        return dialog

    # Dialogs report back to bound methods (see ui.admin): the case they are about waits in _dialog_case_no.
    def _reprint_reason(self, reason: str) -> None:
        self._send_receipt(self._dialog_case_no, reprint=True, reason=reason)

    def _send_receipt(self, case_no: str, *, reprint: bool, reason: str) -> None:
        hall, actor = self._hall, self._actor

        def run() -> list[JobView]:
            job_id = desk.receipt_job(hall.uow(), actor, case_no, reprint=reprint, reason=reason)
            queue.send_job(hall.uow, job_id, force=True, timeout=3.0)
            return queue.list_jobs(hall.uow(), case_no=case_no)

        self.status_message.emit(f"正在{'补打' if reprint else '打印'}回执：{case_no}")
        run_op(run, lambda jobs: self._documents_sent(case_no, jobs), self._send_failed, changes={Change.PRINT_JOBS}, owner=self)

    def preview_notice(self, case_no: str, kind: str) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[bytes, list[JobView]]:
            return desk.notice_pdf(hall.uow(), actor, case_no, kind), queue.list_jobs(hall.uow(), case_no=case_no)

        run_op(load, lambda data: self._show_preview(case_no, kind, *data), owner=self)

    def _show_preview(self, case_no: str, kind: str, pdf: bytes, jobs: list[JobView]) -> None:
        # The original notice's job (not a 补打): printing from the preview completes it.
        job = next((j for j in jobs if j.kind == "notice" and j.notice_kind == kind and not j.reprint), None)
        title = f"{NOTICE_NAMES.get(kind, kind)} {case_no}"
        dialog = notice_preview(self._hall, self._actor, case_no, kind, pdf, title, job, self)
        self._dialog_case_no = case_no
        dialog.printed.connect(self._notice_printed)
        self._open(dialog)

    def _notice_printed(self) -> None:
        hall, case_no = self._hall, self._dialog_case_no
        run_op(lambda: queue.list_jobs(hall.uow(), case_no=case_no),
                          lambda jobs: self._documents_sent(case_no, jobs), owner=self)

    def start_resubmit(self, case_no: str) -> None:
        """补正后受理: the case's checklist as it was left, in a dialog; 受理 there accepts it today."""
        hall, actor = self._hall, self._actor

        def load() -> tuple[CaseView, Item, list[Assessment], WorkCalendar]:
            case = cases.get_case(hall.uow(), actor, case_no)
            return (case, catalog.get_item(hall.uow(), case.item), catalog.list_assessments(hall.uow()),
                    hall_settings.work_calendar(hall.uow()))

        run_op(load, lambda data: self._open_resubmit(*data), owner=self)

    def _open_resubmit(self, case: CaseView, item: Item, assessments: list[Assessment], cal: WorkCalendar) -> None:
        promised = cal.add_workdays(hall_settings.today(), item.promised_days)
        dialog = ResubmitDialog(self._hall, self._actor, case, item, assessments, promised, self)
        dialog.saved.connect(self._resubmitted)
        self._open(dialog)

    def _resubmitted(self, view: CaseView) -> None:
        self.show_result(view, "补正后已受理")

    # ---- settings ------------------------------------------------------------------------------------
    def open_printer_settings(self) -> PrinterSettingsDialog | None:
        number = self._actor.counter_number
        if number is None:
            return None
        dialog = PrinterSettingsDialog(self._hall, self._actor, number, self)
        dialog.saved.connect(self._printers_saved)
        self._open(dialog)
        return dialog

    def _printers_saved(self) -> None:
        self.status_message.emit("打印机设置已保存")
        self.jobs_changed.emit()

    # ---- dialogs -------------------------------------------------------------------------------------
    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
