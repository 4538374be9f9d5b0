"""后台审批: the department queue and the reviewer's case in hand (我的在办).

``BackOfficePage`` shows the department queue (红黄牌 lights, keyset paging as the table is scrolled; live on
PostgreSQL through ``DepartmentWatch``, polled every 10 s elsewhere), lets a reviewer claim the next case
(Ctrl+N) or the selected one, and shows the claimed case in the 我的在办 panel: materials and notices,
审查意见, 决定… (``DecisionDialog``) and 释放.  While a case is held, its lease is renewed in the background.
Every decision names the claim token it was made under.
"""


from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import backoffice, catalog, claims, decisions, lifecycle, limits
from app.auth import Actor
from app.backoffice import QueuePage, QueueRow
from app.cases import CaseView
from app.catalog import DepartmentView
from app.claims import HeldCase
from app.context import HallDesk
from app.hall_settings import HALL_TZ
from app.infra.live import QueueListener
from app.printing import desk
from ui.backoffice.case_view import CaseViewPanel
from ui.backoffice.clock_buttons import ClockButtons
from ui.backoffice.decision import DecisionDialog
from ui.backoffice.models import QueueTableModel
from ui.backoffice.paper import paper_button
from ui.backoffice.watch import DepartmentWatch
from ui.errors import show_error
from ui.models import LIGHT_BRUSHES, NOTICE_NAMES
from ui.ops import Change, run_op, subscribe
from ui.printing.preview import NoticePreviewDialog, open_pdf_preview
from ui.shortcuts import describe, guarded, set_available
from ui.unsaved import typed
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    fit_columns,
    hint_label,
    limit_line,
    limit_text,
    open_dialog,
    restore_current,
    set_empty_text,
    set_tab_order,
    table_view,
)

POLL_MS = 10_000
POLL_LIVE_MS = 60_000  # with push updates the poll is only a fallback (e.g. a lease that ran out)
PUSH_DELAY_MS = 250  # a burst of notifications (a colleague's claim, decision, ...) makes one refresh
PAGE_SIZE = 100
RENEW_MAX_MS = 5 * 60_000  # renew at least every five minutes
RENEW_MIN_MS = 30_000
Cursor = Any  # (promised_due, received_at, id) as app.backoffice.queue_page hands it out


# The queue's filters: (label, value); None shows everything.
QUEUE_VIEWS = (("全部待办", None), ("待领取", "accepted"), ("审批中", "in_review"), ("我的在办", "mine"),
               ("特别程序中", "suspended"))
LIGHT_FILTERS = (("全部时限", None), ("● 超期", "red"), ("● 临期", "yellow"), ("● 正常", "green"),
                 ("● 暂停计时", "paused"))
CHANNEL_FILTERS = (("全部来源", None), ("窗口受理", "window"), ("网上申报", "online"))
# What the queue says while empty, by the 办理状态 filter (the other filters narrow: QUEUE_NARROWED).
QUEUE_EMPTY = {
    None: "本部门暂无待办办件。窗口受理本部门的事项后，办件会在这里出现；按 Ctrl+N 领取最先到期的一件。",
    "accepted": "暂无待领取的办件。窗口受理本部门的事项后，办件会在这里等候领取。",
    "in_review": "暂无审批中的办件。审批人员领取办件后，会在这里列出。",
    "mine": "您手上没有在办的办件。按 Ctrl+N 领取最先到期的一件，或选中一件后按“领取所选”。",
    "suspended": "暂无特别程序中的办件。中止计时（如现场核查、专家评审）的办件会在这里列出。",
}
QUEUE_NARROWED = "没有符合条件的办件。请清除查找内容，或把时限、来源筛选改回“全部”。"


def _filter_combo(choices: tuple[tuple[str, str | None], ...], tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tip)
    for label, value in choices:
        combo.addItem(label, value)
        if value in LIGHT_BRUSHES:  # the lights in their colours, as in the table
            combo.setItemData(combo.count() - 1, LIGHT_BRUSHES[value], Qt.ItemDataRole.ForegroundRole)
    return combo


class BackOfficePage(ClockButtons, Page):
    """The department queue and the reviewer's case in hand (我的在办).

    While the page is on screen and the database is PostgreSQL, a ``QueueListener`` reports changes to the
    department's queue and the page refreshes within a fraction of a second (实时更新; polled every 60 s as a
    fallback); otherwise, or while the listener reconnects, the page polls every 10 s.

    Signals:
        claim_changed(): a case was claimed, decided or released (the chief representative's page refreshes).
    """

    claim_changed = Signal()
    statuses = backoffice.QUEUE_STATUSES

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CASES}, self.refresh)  # what other pages change
        self.dept = actor.dept_code or ""
        self.claim: HeldCase | None = None
        self.departments: list[DepartmentView] = []
        self.dialog: DecisionDialog | None = None
        self._loading = False
        self._select: str | None = None
        # The department's queue changes on other PCs (PostgreSQL pushes it): refresh shortly after.
        self.watch = DepartmentWatch(hall.url, self.dept, self)
        self.live = False
        self.loads = 0  # queue loads started; a notification needs a load started after it
        self._push_since: int | None = None

        self.search_edit = limit_line(QLineEdit(), limits.SEARCH)
        self.search_edit.setPlaceholderText("办件编号、申请单位或事项名称")
        self.search_edit.setClearButtonEnabled(True)
        self.claim_next_button = QPushButton("领取下一件(&N)")
        self.claim_next_button.setToolTip("领取本部门队列中最先到期的办件（Ctrl+N）")
        self.claim_button = QPushButton("领取所选(&C)")
        self.refresh_button = QPushButton("刷新")  # F5; its tooltip says how the queue refreshes itself
        # Filters: what (status, or the cases I hold), 红黄牌, and where the application came from.
        self.status_combo = _filter_combo(QUEUE_VIEWS, "按办理状态筛选；“我的在办”只列本人领取的办件")
        self.light_combo = _filter_combo(LIGHT_FILTERS, "按红黄牌筛选：超期、临期（剩1个工作日及以内）、正常")
        self.channel_combo = _filter_combo(CHANNEL_FILTERS, "按申请来源筛选：窗口受理或网上申报")
        # Two rows: search and the claim buttons, then the filters (one row needs more than 1366 pixels).
        top = QHBoxLayout()
        top.addWidget(buddy_label("查找(&F)", self.search_edit))
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.claim_next_button)
        top.addWidget(self.claim_button)
        top.addWidget(self.refresh_button)
        self.paper_button = paper_button(self)  # 签收纸质材料 (材料流转)
        top.addWidget(self.paper_button)
        filters = QHBoxLayout()
        filters.addWidget(self.status_combo)
        filters.addWidget(self.light_combo)
        filters.addWidget(self.channel_combo)
        filters.addStretch(1)

        self.model = QueueTableModel(parent=self)
        self.model.fetch_page = self._fetch_more
        self.view = table_view(self.model, empty=QUEUE_EMPTY[None])
        fit_columns(self.view, stretch=(QueueTableModel.ITEM, QueueTableModel.APPLICANT))  # 收件时间…办理人 in view
        self.count_label = hint_label()
        self.mode_label = hint_label()
        self.mode_label.setWordWrap(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.mode_label)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.view, 1)
        left_layout.addLayout(bottom)

        self.mine = QGroupBox("我的在办")
        self.case_label = QLabel("未领取办件")
        self.case_label.setWordWrap(True)
        self.lease_label = hint_label()
        self.details = CaseViewPanel(hall, actor)
        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setFixedHeight(64)
        self.opinion_limit = limit_text(self.opinion_edit, limits.OPINION)
        self.opinion_button = QPushButton("添加意见(&O)")
        self.decide_button = QPushButton("决定(&D)…")
        self.release_button = QPushButton("释放(&R)")
        self.release_button.setToolTip("放回部门队列，由他人领取")
        # The clocks (app.clocks): 特别程序 stops both, 恢复 restarts them, 延期 moves the legal due date.
        self.suspend_button = QPushButton("特别程序(&P)…")
        self.suspend_button.setToolTip("听证、检验、鉴定、专家评审等：中止计时并出具特别程序告知书（行政许可法第四十五条）")
        self.resume_button = QPushButton("恢复计时(&U)")
        self.resume_button.setToolTip("所选办件的特别程序已结束：按剩余工作日恢复计时，并由本人领取办理")
        self.extend_button = QPushButton("延期(&E)…")
        self.extend_button.setToolTip("经负责人批准延长法定期限（最多10个工作日，每件一次），出具延期告知书")
        self.clock_dialog: QDialog | None = None
        # The decision's buttons, and under them the clocks' (one row would not fit beside the queue at 1366 px).
        buttons = QHBoxLayout()
        buttons.addWidget(self.opinion_button)
        buttons.addStretch(1)
        buttons.addWidget(self.release_button)
        buttons.addWidget(self.decide_button)
        clock_row = QHBoxLayout()
        clock_row.addWidget(self.suspend_button)
        clock_row.addWidget(self.resume_button)
        clock_row.addWidget(self.extend_button)
        clock_row.addStretch(1)
        mine_layout = QVBoxLayout(self.mine)
        mine_layout.addWidget(self.case_label)
        mine_layout.addWidget(self.lease_label)
        mine_layout.addWidget(self.details, 1)
        # The notices the case was given (受理通知书, 补正材料通知书, …), as issued.
        self.notice_combo = QComboBox()
        self.notice_button = QPushButton("查看文书(&W)…")
        self.notice_button.setToolTip("预览所选文书（与签发时相同的编号和内容），可打印或另存为PDF")
        self.preview: NoticePreviewDialog | None = None
        notices_row = QHBoxLayout()
        notices_row.addWidget(buddy_label("文书", self.notice_combo))
        notices_row.addWidget(self.notice_combo, 1)
        notices_row.addWidget(self.notice_button)
        mine_layout.addLayout(notices_row)
        mine_layout.addWidget(buddy_label("审查意见(&V)", self.opinion_edit))
        mine_layout.addWidget(self.opinion_edit)
        mine_layout.addWidget(self.opinion_limit)
        mine_layout.addLayout(buttons)
        mine_layout.addLayout(clock_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.mine)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.poll_timer.start()
        self.renew_timer = QTimer(self)
        self.renew_timer.setSingleShot(True)
        self.renew_timer.timeout.connect(self.renew)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(400)
        self.search_timer.timeout.connect(self.refresh)
        self.push_timer = QTimer(self)
        self.push_timer.setSingleShot(True)
        self.push_timer.setInterval(PUSH_DELAY_MS)
        self.push_timer.timeout.connect(self._push_refresh)
        self.watch.heard.connect(self._heard)
        self.watch.live_changed.connect(self._set_live)

        self.search_edit.textChanged.connect(self.search_timer.start)
        self.search_edit.returnPressed.connect(self.refresh)
        for combo in (self.status_combo, self.light_combo, self.channel_combo):
            combo.currentIndexChanged.connect(self.refresh)
        self.claim_next_button.clicked.connect(self.claim_next)
        self.claim_button.clicked.connect(self.claim_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.activated.connect(self.claim_selected)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        self.opinion_button.clicked.connect(self.add_opinion)
        self.notice_button.clicked.connect(self.view_notice)
        self.decide_button.clicked.connect(self.open_decision)
        self.release_button.clicked.connect(self.release)
        self.suspend_button.clicked.connect(self.open_suspend)
        self.resume_button.clicked.connect(self.resume_selected)
        self.extend_button.clicked.connect(self.open_extend)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        describe(QShortcut(QKeySequence("Ctrl+N"), self, guarded(self.claim_next_button, self.claim_next),
                           context=context), "认领下一件")
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh, context=context), "刷新")
        set_tab_order(self.search_edit, self.status_combo, self.light_combo, self.channel_combo,
                      self.claim_next_button, self.claim_button, self.refresh_button, self.paper_button, self.view,
                      *self.details.tab_chain(),
                      self.notice_combo, self.notice_button, self.opinion_edit, self.opinion_button,
                      self.suspend_button, self.resume_button, self.extend_button, self.release_button,
                      self.decide_button)
        self._set_live(False)
        self._show_claim()

    # ---- loading
    def refresh(self) -> None:
        self._load(max(PAGE_SIZE, self.model.rowCount()))

    def filters(self) -> dict[str, Any]:
        """The search text and the filter combos, as ``backoffice.queue_page`` takes them."""
        view = self.status_combo.currentData()
        return {"search": self.search_edit.text().strip() or None,
                "statuses": (view,) if view in (*backoffice.QUEUE_STATUSES, "suspended") else self.statuses,
                "mine": view == "mine", "with_light": self.light_combo.currentData(),
                "channel": self.channel_combo.currentData()}

    def set_empty_text(self) -> None:
        """What the queue says while empty, for the filters now chosen."""
        narrowed = (self.search_edit.text().strip() or self.light_combo.currentData() is not None
                    or self.channel_combo.currentData() is not None)
        set_empty_text(self.view, QUEUE_NARROWED if narrowed else QUEUE_EMPTY[self.status_combo.currentData()])

    def poll(self) -> None:
        """The timed refresh (10 s; 60 s while live): only while on screen and nothing else is loading."""
        if self.isVisible() and not self._loading and self.dialog is None:
            self.refresh()

    # ---- live updates (PostgreSQL): listen while the page is on screen
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._start_listener()

    def hideEvent(self, event: QHideEvent) -> None:
        # Also runs when the main window closes: no connection outlives the page on screen.
        self._stop_listener()
        super().hideEvent(event)

    @property
    def push(self) -> bool:
        """Whether this database pushes queue changes (PostgreSQL)."""
        return self.watch.push

    @property
    def listener(self) -> QueueListener | None:
        return self.watch.listener

    def _start_listener(self) -> None:
        if self.push and self.watch.listener is None:
            self.watch.start()
            self._set_live(False)  # says "connecting" until the listener reports

    def _stop_listener(self) -> None:
        self.watch.stop()
        self.push_timer.stop()
        self._set_live(False)

    def _heard(self) -> None:
        """The department's queue changed (GUI thread): refresh shortly, unless a load started since."""
        self._push(self.loads)

    def _push(self, since: int) -> None:
        if self._push_since is None:
            self._push_since = since
        if not self.push_timer.isActive():
            self.push_timer.start()

    def _push_refresh(self) -> None:
        since = self._push_since
        if since is None:
            return
        if self.loads > since:
            self._push_since = None  # a load started after the news already shows it
        elif self.isVisible() and self.dialog is None:
            self._push_since = None
            self.refresh()
        # else: pending until the decision dialog closes

    def _set_live(self, live: bool) -> None:
        self.live = live
        self.poll_timer.setInterval(POLL_LIVE_MS if live else POLL_MS)
        self.mode_label.setText("实时更新" if live else "每10秒刷新")
        if live:
            tip = "队列有变化时立即刷新（F5 手动刷新）"
        elif self.push and self.listener is not None:
            tip = "正在连接实时更新；连接前每10秒刷新（F5 手动刷新）"
        else:
            tip = "队列每10秒自动刷新（F5 手动刷新）"
        self.mode_label.setToolTip(tip)
        self.refresh_button.setToolTip(tip)

    def _load(self, limit: int) -> None:
        self.loads += 1
        self._loading = True
        hall, actor, dept = self._hall, self._actor, self.dept
        filters = self.filters()
        if self._select is None:
            row = current_row(self.view, self.model)
            self._select = row.case_no if row else None
        want_departments = not self.departments

        def load() -> tuple[QueuePage, list[DepartmentView]]:
            page = backoffice.queue_page(hall.uow(), actor, dept, limit=limit, **filters)
            return page, (catalog.list_departments(hall.uow()) if want_departments else [])

        run_op(load, lambda result: self._loaded_page(*result), self._load_failed, owner=self, key="load")

    def _loaded_page(self, page: QueuePage, departments: list[DepartmentView]) -> None:
        self._loading = False
        if departments:
            self.departments = departments
        self.set_empty_text()
        self.model.set_page(page.rows, page.next_cursor)
        self._loaded = True
        restore_current(self.view, self.model, self._select)
        self._select = None
        self._after_load(page.rows)

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._loaded = True
        show_error(self, exc)

    def _after_load(self, rows: tuple[QueueRow, ...]) -> None:
        """Pick up a case this reviewer still holds (e.g. after a restart): renewing it hands back the token."""
        waiting = sum(1 for r in self.model.rows() if r.status == "accepted")
        more = "，向下滚动加载更多" if self.model.cursor is not None else ""
        self.count_label.setText(f"已显示{self.model.rowCount()}件，其中待领取{waiting}件{more}")
        if self.claim is None:
            # A case waiting in a 特别程序 is listed as the reviewer's too, but there is no lease to take back.
            mine = next((r for r in rows if r.holder == self._actor.username and r.status == "in_review"), None)
            if mine is not None:
                self._renew_case(mine.case_no, None)
        self._update_buttons()

    def _fetch_more(self, cursor: Cursor) -> None:
        hall, actor, dept = self._hall, self._actor, self.dept
        filters = self.filters()

        def more() -> QueuePage:
            return backoffice.queue_page(hall.uow(), actor, dept, after=cursor, limit=PAGE_SIZE, **filters)

        def done(page: QueuePage) -> None:
            self.model.append_page(page.rows, page.next_cursor)
            self._after_load(())

        def failed(exc: BaseException) -> None:
            self.model.fetching = False
            show_error(self, exc)

        # Same key as the reload: a reload started meanwhile drops this page of an older list.
        run_op(more, done, failed, owner=self, key="load")

    def selected_row(self) -> QueueRow | None:
        return current_row(self.view, self.model)

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): a review opinion typed but not saved."""
        return "审查意见尚未保存" if self.claim is not None and typed(self.opinion_edit) else ""

    def _update_buttons(self, *_: object) -> None:
        row = self.selected_row()
        free = self.claim is None
        busy_hand = "" if free else "请先办结或释放手中的办件"
        set_available(self.claim_next_button, busy_hand)
        set_available(self.claim_button, busy_hand or ("请先在队列中选择一件办件" if row is None
                                                       else "所选办件已有人在办" if row.holder is not None else ""))
        held = self.claim is not None
        # A greyed button's key says why in the status bar (ui.shortcuts): the reasons are set with it.
        hold = "" if held else "请先领取办件（Ctrl+N）"
        for widget in (self.opinion_edit, self.opinion_button, self.decide_button, self.release_button):
            set_available(widget, hold)
        self.notice_combo.setEnabled(held and self.notice_combo.count() > 0)
        set_available(self.notice_button, hold or ("" if self.notice_combo.count() > 0 else "本办件还没有通知书"))
        # What the lifecycle allows for the case in hand, or else for the selected row (and why not).
        target = self.clock_target()
        allowed = lifecycle.allowed_actions(target[1]) if target else frozenset()

        def why(action: lifecycle.Action) -> str:
            if target is None:
                return "请先领取或在队列中选择办件"
            return "" if action in allowed else lifecycle.refusal(action, target[1])

        set_available(self.suspend_button, hold or why(lifecycle.Action.SUSPEND))
        set_available(self.resume_button, busy_hand or why(lifecycle.Action.RESUME))
        set_available(self.extend_button, why(lifecycle.Action.EXTEND))

    # ---- claims
    def claim_next(self) -> None:
        if self.claim is not None:
            self.status_message.emit("请先办结或释放手中的办件")
            return
        hall, actor, dept = self._hall, self._actor, self.dept
        self.claim_next_button.setEnabled(False)
        # The claim is lean; the case for the panel is read right after it, still off the GUI thread.
        run_op(lambda: claims.held(hall.uow(), claims.claim_next(hall.uow(), actor, dept)), self._claimed,
                          self._action_failed, changes={Change.CASES}, owner=self)

    def claim_selected(self) -> None:
        row = self.selected_row()
        if row is None or self.claim is not None:
            return
        hall, actor, case_no = self._hall, self._actor, row.case_no
        self.claim_button.setEnabled(False)
        run_op(lambda: claims.held(hall.uow(), claims.claim(hall.uow(), actor, case_no)), self._claimed,
                          self._action_failed, changes={Change.CASES}, owner=self)

    def _claimed(self, claim: HeldCase | None) -> None:
        if claim is None:
            self.status_message.emit("队列中没有待领取的办件")
            self._update_buttons()
            return
        self._set_claim(claim)
        self.status_message.emit(f"已领取 {claim.case.case_no}")
        self._select = claim.case.case_no
        self.claim_changed.emit()
        self.refresh()

    def _action_failed(self, exc: BaseException) -> None:
        show_error(self, exc)
        self.refresh()

    def _set_claim(self, claim: HeldCase | None) -> None:
        self.claim = claim
        self.renew_timer.stop()
        if claim is not None:
            left_ms = (claim.lease_until - datetime.now(UTC)).total_seconds() * 1000
            self.renew_timer.start(int(max(RENEW_MIN_MS, min(RENEW_MAX_MS, left_ms / 2))))
        self._show_claim()

    def _show_claim(self) -> None:
        claim = self.claim
        if claim is None:
            self.case_label.setText("未领取办件：按“领取下一件”（Ctrl+N）或在队列中选中后“领取所选”。")
            self.lease_label.setText("")
            self.details.show_case(None)
            self.opinion_edit.clear()
            self.notice_combo.clear()
        else:
            self.case_label.setText(f"<b>{claim.case.case_no}</b>　{claim.case.item_name}")
            until = claim.lease_until.astimezone(HALL_TZ).strftime("%H:%M")
            self.lease_label.setText(f"领取保留至 {until}（办理期间自动续期）")
            self.details.show_case(claim.case, lights=claim.lights, names=claim.names)
            chosen = self.notice_combo.currentData()  # a renewal redraws the panel: keep the choice
            self.notice_combo.clear()
            for notice in claim.case.notices:
                self.notice_combo.addItem(f"{NOTICE_NAMES.get(notice.kind, notice.kind)} {notice.doc_no}", notice.kind)
            self.notice_combo.setCurrentIndex(max(0, self.notice_combo.findData(chosen)))
        self._update_buttons()

    def view_notice(self) -> None:
        """The chosen notice of the held case, as issued, in the preview (打印…, 另存为PDF…)."""
        claim, kind = self.claim, self.notice_combo.currentData()
        if claim is None or kind is None:
            return
        hall, actor, case_no, title = self._hall, self._actor, claim.case.case_no, self.notice_combo.currentText()
        self.notice_button.setEnabled(False)

        def done(pdf: bytes) -> None:
            self._update_buttons()
            self.preview = open_pdf_preview(self, hall, actor, pdf, f"{title}（{case_no}）")
            self.preview.finished.connect(self._preview_closed)

        def failed(exc: BaseException) -> None:
            self._update_buttons()
            show_error(self, exc)

        run_op(lambda: desk.notice_pdf(hall.uow(), actor, case_no, str(kind)), done, failed, owner=self)

    def _preview_closed(self) -> None:
        self.preview = None

    def renew(self) -> None:
        if self.claim is not None:
            self._renew_case(self.claim.case.case_no, self.claim.token)

    def _renew_case(self, case_no: str, token: int | None) -> None:
        hall, actor = self._hall, self._actor

        def lost(exc: BaseException) -> None:
            self._set_claim(None)
            show_error(self, exc)
            self.refresh()

        run_op(lambda: claims.renew(hall.uow(), actor, case_no, token), self._set_claim, lost,
                          owner=self)

    def add_opinion(self) -> None:
        claim, text = self.claim, self.opinion_edit.toPlainText().strip()
        if claim is None:
            return
        if not text:
            self.status_message.emit("请先填写审查意见")
            self.opinion_edit.setFocus()
            return
        hall, actor = self._hall, self._actor

        def saved(_none: None) -> None:
            self.opinion_edit.clear()
            self.status_message.emit("审查意见已保存")

        run_op(lambda: decisions.add_opinion(hall.uow(), actor, claim.case.case_no, text, claim.token), saved,
               owner=self, changes={Change.CASES})

    def release(self) -> None:
        claim = self.claim
        if claim is None:
            return
        hall, actor = self._hall, self._actor
        case_no = claim.case.case_no

        def released(_none: object) -> None:
            self.status_message.emit(f"{case_no} 已放回队列")
            self._after_release()

        def failed(exc: BaseException) -> None:
            show_error(self, exc)
            self._after_release()

        run_op(lambda: claims.release(hall.uow(), actor, case_no), released, failed, owner=self,
               changes={Change.CASES})

    def _after_release(self) -> None:
        self._set_claim(None)
        self.claim_changed.emit()
        self.refresh()

    # ---- decisions
    def open_decision(self) -> DecisionDialog | None:
        if self.claim is None:
            return None
        dialog = DecisionDialog(self._hall, self._actor, self.claim, self.departments, self)
        dialog.decided.connect(self._decided)
        dialog.failed.connect(self._decision_failed)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None
        if self._push_since is not None:
            self.push_timer.start()  # news that arrived while the dialog was open

    def _decided(self, view: CaseView) -> None:
        self._set_claim(None)
        self.status_message.emit(f"{view.case_no}：{view.status_name}")
        self.claim_changed.emit()
        self.refresh()
        if view.decision is not None and view.decision.doc_no:
            self.show_decision(view.case_no, view.decision.doc_no)

    def show_decision(self, case_no: str, doc_no: str) -> None:
        """The written decision just made (决定书 / 办理结果通知书), as issued, in the preview: to read, print or save."""
        hall, actor = self._hall, self._actor

        def done(pdf: bytes) -> None:
            self.preview = open_pdf_preview(self, hall, actor, pdf, f"审批决定书 {doc_no}（{case_no}）")
            self.preview.finished.connect(self._preview_closed)

        run_op(lambda: desk.notice_pdf(hall.uow(), actor, case_no, "decision"), done,
                          lambda exc: show_error(self, exc), owner=self)

    def owner_widget(self) -> QWidget:
        return self

    def _decision_failed(self) -> None:
        # The claim may be gone (re-claimed, lease ran out): look again, keep the dialog for a retry.
        if self.claim is not None:
            self._renew_case(self.claim.case.case_no, self.claim.token)
        self.refresh()
