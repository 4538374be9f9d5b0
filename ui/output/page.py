"""统一出件: the output window — scan the applicant's slip (or type case number + pickup code), check who
collects, hand over, print the 出件签收单.

The scan field has the focus: a keyboard-wedge scanner types the slip (``HD1:…``) and Enter.  The case is
shown with its result, what stands in the way (red) and the 容缺 materials still outstanding (登记补交 each).
The collector is the agent on record, another person with a 委托书 (ID checked as typed), or an EMS mailing.
出件 (Ctrl+Enter) calls ``output.issue``; the 签收单 goes to the counter's receipt printer right away, as the
counter window sends its receipts.  A forged or altered slip is refused loudly: a critical message, the scan
field red and cleared for the next scan.  待出件 and 今日已出件 list the window's work.
"""


from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import hall_settings, limits, output
from app.auth import Actor
from app.cases import CaseView
from app.context import HallDesk
from app.errors import ValidationError
from app.output import Collector, Issued, Mailing, Pickup
from app.printing import desk
from app.printing.queue import JobView
from app.slips import SlipError
from app.validators import mask_id_number, mask_name
from ui.display import DisplayController
from ui.errors import show_error
from ui.models import NOTICE_NAMES
from ui.ops import Change, run_op, subscribe
from ui.output.collector import CollectorForm
from ui.output.finding import PickupFinding
from ui.output.models import OutputCaseTableModel
from ui.printing.preview import open_pdf_preview
from ui.printing.queue import printer_trouble, send_pending
from ui.shortcuts import describe, guarded, set_available
from ui.viewer import FilesWindow, open_case_files
from ui.widgets import (
    CheckedField,
    Page,
    buddy_label,
    current_row,
    fit_columns,
    hint_label,
    limit_line,
    restore_current,
    set_error,
    set_tab_order,
    table_view,
    tint,
)

CLOCK_NOTICES = ("return", "suspension", "extension")  # shown with the case: what the applicant was told
SUPPLEMENTS_TITLE = "待补交的容缺材料(&B)"


class OutputPage(PickupFinding, Page):
    """The 统一出件 workspace of an output counter (or any clerk's counter).

    Signals:
        status_message(str): something the main window's status bar should show for a while.
        jobs_changed(): a 签收单 print job was created or sent (the print queue and its alarm refresh).
        issued(object): the ``Issued`` of a hand-over.
    """

    jobs_changed = Signal()
    issued = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CASES}, self.refresh)  # what other pages change
        self.display: DisplayController | None = None
        # A counter PC working on its own store (--local): its cached keys still check slips when the shared
        # database is out of reach, so the applicant hears at once whether the slip is genuine.
        self.offline_keys: HallDesk | None = None
        self._busy = False
        self._pickup: Pickup | None = None
        self._credential: dict[str, str] = {}
        self._done: Issued | None = None
        self._done_note = ""
        self._rejected = False

        number = actor.counter_number
        title = QLabel(f"统一出件 — {number}号窗口" if number is not None else "统一出件")
        title.setObjectName("pageTitle")

        # ---- finding the case
        self.scan_edit = limit_line(QLineEdit(), limits.SLIP)
        self.scan_edit.setPlaceholderText("扫描取件凭条上的二维码（扫码枪录入后自动查找）")
        self.scan_edit.setClearButtonEnabled(True)
        self.case_no_edit = QLineEdit()
        self.case_no_edit.setPlaceholderText("办件编号")
        limit_line(self.case_no_edit, limits.CASE_NO)
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("6位取件码")
        self.code_edit.setMaxLength(6)
        self.find_button = QPushButton("查找(&F)")
        self.clear_button = QPushButton("下一位(&X)")
        self.clear_button.setToolTip("清空当前办件，等待扫描下一张凭条（Esc）")
        find_box = QGroupBox("取件凭证")
        find_form = QFormLayout(find_box)
        find_form.addRow(buddy_label("扫描凭条(&S)", self.scan_edit), self.scan_edit)
        code_row = QHBoxLayout()
        code_row.addWidget(self.case_no_edit, 2)
        code_row.addWidget(buddy_label("取件码(&P)", self.code_edit))
        code_row.addWidget(self.code_edit, 1)
        code_row.addWidget(self.find_button)
        code_row.addWidget(self.clear_button)
        find_form.addRow(buddy_label("办件编号(&N)", self.case_no_edit), code_row)

        # ---- the case
        self.case_label = QLabel("请扫描取件凭条，或输入办件编号和取件码")
        self.case_label.setObjectName("detailTitle")
        self.case_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.case_info = QLabel()
        self.case_info.setWordWrap(True)
        self.case_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.blockers_label = QLabel()
        self.blockers_label.setObjectName("errorLabel")
        self.blockers_label.setWordWrap(True)
        tint(self.blockers_label, "#c0392b")
        self.blockers_label.hide()
        # Alt+B puts the focus on the first 登记补交 (Tab to the next, Space or Enter records it).
        self.supplements_box = QGroupBox(SUPPLEMENTS_TITLE)
        self.supplements_layout = QVBoxLayout(self.supplements_box)
        self.supplements_box.hide()
        self.supplement_buttons: dict[str, QPushButton] = {}
        case_box = QGroupBox("办件")
        case_layout = QVBoxLayout(case_box)
        case_layout.addWidget(self.case_label)
        case_layout.addWidget(self.case_info)
        case_layout.addWidget(self.blockers_label)
        case_layout.addWidget(self.supplements_box)
        case_layout.addStretch(1)
        # The written decision goes with the 签收单: printed here, before or after the hand-over.
        self.decision_button = QPushButton("打印决定书(&J)…")
        self.decision_button.setToolTip("本办件的准予／不予行政许可决定书或办理结果通知书：预览后打印，随出件签收单交申请人")
        self.decision_button.setEnabled(False)
        self.decision_button.clicked.connect(self.print_decision)
        # 交付核对: the case's scanned materials, to check the result against them before handing it over.
        self.files_button = QPushButton("查看电子件(&Y)…")
        self.files_button.setToolTip("本办件各材料的扫描件，供出件核对；每次打开记入查看留痕")
        self.files_button.setEnabled(False)
        self.files_button.clicked.connect(self.view_files)
        self.files_window: FilesWindow | None = None
        case_buttons = QHBoxLayout()
        case_buttons.addWidget(self.decision_button)
        case_buttons.addWidget(self.files_button)
        case_buttons.addStretch(1)
        case_layout.addLayout(case_buttons)
        self.decision_preview: QWidget | None = None

        # ---- the collector
        self.collector_form = CollectorForm()
        c = self.collector_form  # its inputs by the names the page always had (tests and the tab order use them)
        self.agent_radio, self.proxy_radio, self.mail_radio = c.agent_radio, c.proxy_radio, c.mail_radio
        self.agent_info, self.attorney_check, self.collector_error = c.agent_info, c.attorney_check, c.error
        self.collector_stack = c.collector_stack
        self.proxy_name_field, self.proxy_name_edit = c.proxy_name_field, c.proxy_name_edit
        self.proxy_id_field, self.proxy_id_edit, self.proxy_note_edit = c.proxy_id_field, c.proxy_id_edit, c.note_edit
        self.recipient_field, self.recipient_edit = c.recipient_field, c.recipient_edit
        self.mail_phone_field, self.mail_phone_edit = c.mail_phone_field, c.mail_phone_edit
        self.address_edit, self.tracking_edit = c.address_edit, c.tracking_edit
        self.issue_button = QPushButton("出件 (Ctrl+Enter)")
        self.issue_button.setObjectName("primaryButton")
        self.issue_button.setMinimumHeight(36)
        self.issue_button.setStyleSheet("QPushButton { font-weight: bold; padding: 6px 18px; }")
        self.result_note = hint_label()
        issue_row = QHBoxLayout()
        issue_row.addWidget(self.issue_button)
        issue_row.addWidget(self.result_note, 1)
        self.collector_box = QGroupBox("领取方式")
        collector_layout = QVBoxLayout(self.collector_box)
        collector_layout.addWidget(self.collector_form)
        collector_layout.addLayout(issue_row)

        work = QWidget()
        work_layout = QHBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.addWidget(case_box, 1)
        work_layout.addWidget(self.collector_box, 1)

        # ---- the lists
        self.waiting_model = OutputCaseTableModel(parent=self)
        self.waiting_view = table_view(self.waiting_model, empty="暂无待出件的办件。审批部门作出决定后，办件会在这里等候出件；"
                                                                  "申请人来取时扫描取件凭条即可。")
        fit_columns(self.waiting_view, stretch=2)
        self.issued_model = OutputCaseTableModel(issued=True, parent=self)
        self.issued_view = table_view(self.issued_model, empty="今天本窗口尚未出件。核验取件凭条或取件码并交付办理结果后，"
                                                                "办件会列在这里。")
        fit_columns(self.issued_view, stretch=2)
        self.refresh_button = QPushButton("刷新 (F5)")
        self.lists = QTabWidget()
        self.lists.addTab(self.waiting_view, "待出件")
        self.lists.addTab(self.issued_view, "今日已出件")
        self.lists.setCornerWidget(self.refresh_button)
        self.lists_hint = hint_label("双击待出件的办件：填入办件编号，再输入申请人提供的取件码")

        split = QSplitter(Qt.Orientation.Vertical)
        top_part = QWidget()
        top_layout = QVBoxLayout(top_part)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(find_box)
        top_layout.addWidget(work, 1)
        bottom_part = QWidget()
        bottom_layout = QVBoxLayout(bottom_part)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.lists, 1)
        bottom_layout.addWidget(self.lists_hint)
        split.addWidget(top_part)
        split.addWidget(bottom_part)
        split.setChildrenCollapsible(False)
        split.setSizes([420, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(split, 1)

        def shortcut(keys: str, slot: Callable[[], object], text: str) -> None:  # text: for 帮助 → 快捷键
            describe(QShortcut(QKeySequence(keys), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut),
                     text)

        shortcut("Ctrl+Return", guarded(self.issue_button, self.issue), "出件")
        shortcut("Ctrl+Enter", guarded(self.issue_button, self.issue), "出件")
        shortcut("F5", self.refresh, "刷新")
        shortcut("Escape", self.next_applicant, "下一位（清空查找）")
        self.scan_edit.returnPressed.connect(self.find_by_slip)
        self.scan_edit.textEdited.connect(self._scan_typed)
        self.case_no_edit.returnPressed.connect(self._case_no_entered)
        self.code_edit.returnPressed.connect(self.find_by_code)
        self.find_button.clicked.connect(self._find_clicked)
        self.clear_button.clicked.connect(self.next_applicant)
        self.issue_button.clicked.connect(self.issue)
        self.refresh_button.clicked.connect(self.refresh)
        self.waiting_view.doubleClicked.connect(self._waiting_activated)
        set_tab_order(
            self.scan_edit,
            self.case_no_edit,
            self.code_edit,
            self.find_button,
            self.agent_radio,
            self.proxy_radio,
            self.mail_radio,
            self.proxy_name_edit,
            self.proxy_id_edit,
            self.attorney_check,
            self.proxy_note_edit,
            self.recipient_edit,
            self.mail_phone_edit,
            self.address_edit,
            self.tracking_edit,
            self.issue_button,
            self.lists,
        )
        self.show_pickup(None)
        self.setFocusProxy(self.scan_edit)

    # ---- loading -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """待出件 and 今日已出件, read again."""
        hall, actor = self._hall, self._actor
        keep_waiting = current_row(self.waiting_view, self.waiting_model)
        keep_issued = current_row(self.issued_view, self.issued_model)

        def load() -> tuple[list[CaseView], list[CaseView]]:
            return (
                output.awaiting_pickup(hall.uow(), actor),
                output.issued_on(hall.uow(), actor, hall_settings.today()),
            )

        def loaded(data: tuple[list[CaseView], list[CaseView]]) -> None:
            waiting, issued = data
            self.waiting_model.set_rows(waiting)
            self.issued_model.set_rows(issued)
            restore_current(
                self.waiting_view, self.waiting_model, keep_waiting.case_no if keep_waiting else None
            )
            restore_current(self.issued_view, self.issued_model, keep_issued.case_no if keep_issued else None)
            self.lists.setTabText(0, f"待出件（{len(waiting)}）")
            self.lists.setTabText(1, f"今日已出件（{len(issued)}）")
            self._loaded = True

        run_op(load, loaded, owner=self, key="lists")
        if not self._busy and self._pickup is None:
            self.scan_edit.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Back on the page: the scanner types into the scan field unless a case is being handled.
        if self._pickup is None and not self._busy:
            self.scan_edit.setFocus()

    # ---- finding -------------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._busy

    # ---- showing -------------------------------------------------------------------------------------
    def current_pickup(self) -> Pickup | None:
        return self._pickup

    def show_pickup(self, found: Pickup | None) -> None:
        self._pickup = found
        for button in self.supplement_buttons.values():
            button.deleteLater()
        self.supplement_buttons = {}
        while self.supplements_layout.count():
            item = self.supplements_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if found is None:
            self.case_label.setText("请扫描取件凭条，或输入办件编号和取件码")
            self.case_info.setText("")
            self.agent_info.setText("")
            set_error(self.blockers_label, "")
            self.supplements_box.hide()
            self._update_buttons()
            return
        case = found.case
        self.case_label.setText(f"{case.case_no}　{case.status_name}")
        tint(self.case_label, "#c0392b" if case.status == "denied" else "#1f3a5f")
        lines = [
            f"事项：{case.item_name}",
            f"部门：{case.dept_name}",
            f"申请人：{case.enterprise_name or '（个人）'}",
            f"经办人：{mask_name(case.agent_name)}　{mask_id_number(case.agent_id_number)}",
            f"办理结果：{case.status_name}"
            if case.status in ("approved", "denied")
            else f"状态：{case.status_name}",
            f"交付材料：{found.result_docs or '（无）'}",
            f"凭证：{'取件凭条（已验签）' if found.credential == 'slip' else '办件编号 + 取件码'}",
        ]
        # What the back office told the applicant about the clocks: 补正, 特别程序, 延期 (app.clocks).
        lines += [f"{NOTICE_NAMES[n.kind]}：{n.doc_no}" for n in case.notices if n.kind in CLOCK_NOTICES]
        self.case_info.setText("\n".join(lines))
        set_error(self.blockers_label, "\n".join(f"✖ {b}" for b in found.blockers))
        self.agent_info.setText(
            f"领取人：经办人 {mask_name(case.agent_name)}\n"
            f"身份证号：{mask_id_number(case.agent_id_number)}\n请核对本人身份证件后出件"
        )
        for material in found.outstanding:
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            due = f"（应于{material.supplement_due.isoformat()}前补交）" if material.supplement_due else ""
            label = QLabel(f"{material.name}{due}")
            label.setWordWrap(True)
            button = QPushButton("登记补交")
            button.setToolTip(f"申请人已补交“{material.name}”（Alt+B 到此，空格或 Enter 登记）")
            button.setAutoDefault(True)  # Enter presses it, as Space does
            button.clicked.connect(lambda _=False, code=material.code: self.record_supplement(code))
            row_layout.addWidget(label, 1)
            row_layout.addWidget(button)
            self.supplement_buttons[material.code] = button
            self.supplements_layout.addWidget(row)
        self.supplements_box.setVisible(bool(found.outstanding) and found.handover is None)
        self.supplements_box.setTitle(
            SUPPLEMENTS_TITLE.replace("(&B)", "（补齐前不发放证照）(&B)" if found.supplements_block else "(&B)")
        )
        # Said again after every change (a 登记补交 may have removed the last blocker).
        self.result_note.setText("请核对领取人身份证件后出件" if found.ready else "暂不能出件：见左侧红字")
        self._update_buttons()

    def blockers_text(self) -> str:
        return self.blockers_label.text() if self.blockers_label.isVisible() else ""

    def owner_widget(self) -> QWidget:
        return self

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): a collector or mailing form filled in, not handed over."""
        if self._pickup is None or self._done is not None:
            return ""
        return "领取人或邮寄信息已填写，尚未出件" if self.collector_form.typed() else ""

    def collector_problem(self) -> str:
        return self.collector_form.problem()

    def collector(self) -> Collector | None:
        return self.collector_form.collector()

    def mailing(self) -> Mailing | None:
        return self.collector_form.mailing()

    def clear_form(self) -> None:
        """The collector fields back to 经办人本人, empty."""
        self.collector_form.clear()

    def _update_buttons(self) -> None:
        found = self._pickup
        ready = found is not None and found.ready and self._done is None and not self._busy
        set_available(self.issue_button, "" if ready else self._not_ready_reason())
        self.collector_box.setEnabled(ready)
        self.find_button.setEnabled(not self._busy)
        for button in self.supplement_buttons.values():
            button.setEnabled(not self._busy and self._done is None)
        case = self.decided_case()
        self.decision_button.setEnabled(case is not None and not self._busy)
        self.files_button.setEnabled(self.shown_case() is not None)

    def _not_ready_reason(self) -> str:
        """Why 出件 cannot be done now (the status bar says it when Ctrl+Enter is pressed)."""
        found = self._pickup
        if self._busy:
            return "正在办理，请稍候"
        if self._done is not None:
            return "本办件已出件：按 Esc 接待下一位"
        if found is None:
            return "请先扫描取件凭条，或输入办件编号和取件码后查找"
        if found.blockers:
            return f"暂不能出件：{found.blockers[0]}"
        return "暂不能出件"

    def shown_case(self) -> CaseView | None:
        """The case on the page: found for the hand-over, or just handed over."""
        return self._done.case if self._done is not None else self._pickup.case if self._pickup is not None else None

    def view_files(self) -> FilesWindow | None:
        """The case's 电子件 in a window of their own, for the hand-over check (audited as any opening)."""
        case = self.shown_case()
        if case is None:
            return None
        self.files_window = open_case_files(self, self._hall, self._actor, case.case_no, self.files_window)
        return self.files_window

    def decided_case(self) -> CaseView | None:
        """The case shown (or just handed over), if it has a written decision to print."""
        case = self._done.case if self._done is not None else self._pickup.case if self._pickup is not None else None
        return case if case is not None and case.decision is not None and case.decision.doc_no else None

    def print_decision(self) -> bool:
        """The case's 决定书 (as issued) in the preview, to print with the 签收单 or save."""
        case = self.decided_case()
        if case is None or case.decision is None:
            return False
        hall, actor, case_no, doc_no = self._hall, self._actor, case.case_no, case.decision.doc_no

        def done(pdf: bytes) -> None:
            self.decision_preview = open_pdf_preview(self, hall, actor, pdf, f"审批决定书 {doc_no}（{case_no}）")

        run_op(lambda: desk.notice_pdf(hall.uow(), actor, case_no, "decision"), done,
                          lambda exc: show_error(self, exc), owner=self)
        return True

    # ---- 容缺 supplements --------------------------------------------------------------------------------
    def record_supplement(self, code: str) -> bool:
        found = self._pickup
        if found is None or self._busy:
            return False
        name = next((m.name for m in found.outstanding if m.code == code), code)
        hall, actor, case_no, credential = self._hall, self._actor, found.case.case_no, dict(self._credential)

        def run() -> Pickup:
            output.record_supplement(hall.uow(), actor, case_no, code)
            if "slip" in credential:
                return output.find_for_pickup(hall.uow(), actor, slip=credential["slip"])
            return output.find_for_pickup(
                hall.uow(), actor, case_no=case_no, pickup_code=credential.get("pickup_code")
            )

        def done(again: Pickup) -> None:
            self._set_busy(False)
            self.status_message.emit(f"已登记补交：{name}（{case_no}）")
            self.show_pickup(again)
            # The keyboard stays on the work: the next material to record, else the hand-over.
            following = next(iter(self.supplement_buttons.values()), None)
            if following is not None:
                following.setFocus(Qt.FocusReason.OtherFocusReason)
            elif self.issue_button.isEnabled():
                self.issue_button.setFocus(Qt.FocusReason.OtherFocusReason)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            show_error(self, exc)

        self._set_busy(True)
        run_op(run, done, failed, changes={Change.CASES, Change.PRINT_JOBS}, owner=self)
        return True

    # ---- the hand-over -----------------------------------------------------------------------------------
    def issue(self) -> bool:
        """出件 (Ctrl+Enter): hand the result over as the form says, in the background."""
        found = self._pickup
        if found is None or not found.ready or self._busy or self._done is not None:
            return False
        if problem := self.collector_problem():
            set_error(self.collector_error, problem)
            return False
        set_error(self.collector_error, "")
        hall, actor, credential = self._hall, self._actor, dict(self._credential)
        collector, mail = self.collector(), self.mailing()
        self._set_busy(True)
        self.result_note.setText("正在出件…")
        run_op(
            lambda: output.issue(hall.uow(), actor, collector=collector, mail=mail, **credential),
            self._issued,
            self._issue_failed,
            owner=self, changes={Change.CASES, Change.PRINT_JOBS}, busy="正在出件…",
        )
        return True

    def _issue_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.result_note.setText("")
        if isinstance(exc, ValidationError):
            set_error(self.collector_error, exc.message)
            fields: dict[str, CheckedField] = {
                "collector.name": self.proxy_name_field,
                "collector.id_number": self.proxy_id_field,
                "mail.recipient": self.recipient_field,
                "mail.phone": self.mail_phone_field,
            }
            if exc.field in fields:
                fields[exc.field].show_problem(exc.message)
                fields[exc.field].edit.setFocus()
            elif exc.field == "mail.address":
                self.address_edit.setFocus()
            elif exc.field == "mail.tracking_no":
                self.tracking_edit.setFocus()
            elif exc.field == "collector.by_proxy":
                self.attorney_check.setFocus()
            return
        if isinstance(exc, SlipError):
            self.reject_slip(exc.message)
            return
        show_error(self, exc)

    def _issued(self, done: Issued) -> None:
        self._busy = False
        self._done = done
        handover = done.handover
        self.case_label.setText(f"{done.case.case_no}　已出件")
        tint(self.case_label, "#1e7d45")
        who = (
            f"EMS邮寄，单号 {handover.tracking_no}"
            if handover.method == "mail"
            else f"{handover.delivery}：{mask_name(handover.collector_name)}"
            f"　{mask_id_number(handover.collector_id_number)}"
        )
        self._done_note = f"已出件（{who}）"
        self.result_note.setText(self._done_note + ("　正在打印出件签收单…" if done.print_job else ""))
        self.supplements_box.hide()
        self._update_buttons()
        self.status_message.emit(f"已出件：{done.case.case_no}")
        self.issued.emit(done)
        if self.display is not None:
            # The decision as it was before the hand-over (the case is now 已出件): 准予许可 / 不予许可.
            decided = self._pickup.case.status_name if self._pickup is not None else ""
            docs = done.handover.result_docs
            result = f"{done.case.item_name}　{decided}" + (f"：{docs}" if docs else "")
            self.display.handed_over(done.case.case_no, result)
        if done.print_job:
            self.send_documents(done.case.case_no)
        self.clear_form()
        self.scan_edit.setFocus()
        self.refresh()

    def issued_result(self) -> Issued | None:
        return self._done

    def send_documents(self, case_no: str) -> None:
        """The 出件签收单 to the receipt printer now, as the counter window sends its receipts."""
        hall = self._hall
        run_op(
            lambda: send_pending(hall, case_no),
            lambda jobs: self._documents_sent(case_no, jobs),
            self._send_failed,
            changes={Change.PRINT_JOBS}, owner=self,
        )

    def _documents_sent(self, case_no: str, jobs: list[JobView]) -> None:
        trouble = printer_trouble([j for j in jobs if j.kind == "handover"])
        if trouble:
            note = "打印机错误：签收单留在打印队列，将自动重试"
            self.status_message.emit(f"打印机错误：{trouble}。任务已留在打印队列，将自动重试")
        elif any(j.kind == "handover" and j.status == "printed" for j in jobs):
            note = "出件签收单已打印，请申请人签字"
        else:
            note = "出件签收单待打印（本窗口未配置小票打印机，见打印队列）"
        if self._done is not None and self._done.case.case_no == case_no:
            self.result_note.setText(f"{self._done_note}　{note}")
        self.jobs_changed.emit()

    def _send_failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self.jobs_changed.emit()

    def next_applicant(self) -> None:
        """Esc / 下一位: forget the case shown, wait for the next scan."""
        if self._busy:
            return
        self._credential = {}
        self._done = None
        self.clear_form()
        self.show_pickup(None)
        self.result_note.setText("")
        self.case_no_edit.clear()
        self.code_edit.clear()
        self.scan_edit.clear()
        self.scan_edit.setFocus()
        if self.display is not None:
            self.display.idle()

    def _waiting_activated(self) -> None:
        case = current_row(self.waiting_view, self.waiting_model)
        if case is None:
            return
        self.scan_edit.clear()
        self.case_no_edit.setText(case.case_no)
        self.code_edit.clear()
        self.code_edit.setFocus()

    def waiting_case_numbers(self) -> list[str]:
        return [c.case_no for c in self.waiting_model.rows()]

    def issued_case_numbers(self) -> list[str]:
        return [c.case_no for c in self.issued_model.rows()]
