"""容缺催补: the cases whose 容缺 promise is broken, with 催补 and 终止办理 (issue 14 part 7).

The page lists ``tolerate.overdue`` (most overdue first; days in calendar days) for the output window's clerk
(every department) and the chief representative (the own department).  The buttons follow the lifecycle
(``lifecycle.allowed_actions``) and the role table (``roles.allowed``); every other rule — what is late, who may
terminate on what ground — is the service's, whose refusals the page shows.  After a reminder or a termination
the notice as issued opens in the preview, to print or save.
"""


from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import lifecycle, limits, roles, tolerate
from app.auth import Actor
from app.context import HallDesk
from app.errors import HallDeskError, ValidationError
from app.lifecycle import Action
from app.printing import desk
from app.tolerate import OverdueCase, Served
from ui.errors import confirm, show_error
from ui.models import FOREGROUND, NOTICE_NAMES, Index, RowTableModel, local_time
from ui.ops import Change, run_op, subscribe
from ui.printing.preview import NoticePreviewDialog, open_pdf_preview
from ui.shortcuts import describe, set_available
from ui.unsaved import watch_form
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    dialog_buttons,
    error_label,
    fit_columns,
    hint_label,
    limit_text,
    open_dialog,
    restore_current,
    set_error,
    set_shown,
    table_view,
)

_LATE = QBrush(QColor("#c0392b"))


class OverdueTableModel(RowTableModel[OverdueCase]):
    """容缺逾期 cases as ``tolerate.overdue`` orders them: the most overdue first."""

    headers = ("逾期", "办件编号", "承办部门", "事项", "申请人", "联系电话", "未补材料", "最迟补齐", "办件状态", "已催补")
    centered = frozenset({0, 5, 7, 9})

    def row_of(self, case_no: object) -> int:
        return next((i for i, r in enumerate(self._rows) if r.case_no == case_no), -1)

    def display(self, row: OverdueCase, column: int) -> str:
        match column:
            case 0:
                return f"{row.days_overdue}日"
            case 1:
                return row.case_no
            case 2:
                return row.dept_name
            case 3:
                return row.item_name
            case 4:
                return row.applicant
            case 5:
                return row.agent_phone
            case 6:
                return "、".join(m.name for m in row.materials)
            case 7:
                return row.due.isoformat()
            case 8:
                return row.status_name
            case _:
                return f"{row.reminders}次" if row.reminders else "—"

    def tooltip(self, row: OverdueCase, column: int) -> str | None:
        lines = [f"{m.name}：{m.due.isoformat()}前补齐，" + (f"已逾期{m.days_overdue}日" if m.days_overdue > 0
                                                          else "未逾期") for m in row.materials]
        if row.last_reminded_at is not None:
            lines.append(f"最近催补 {local_time(row.last_reminded_at, with_date=True)}")
        return "\n".join(lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() == 0:
            return _LATE
        return super().data(index, role)


class TerminateDialog(QDialog):
    """终止办理: the reason, and whether the applicant withdrew (a clerk terminates only on a withdrawal).

    Signals:
        saved(object): the ``tolerate.Served`` of the termination.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, row: OverdueCase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._row = row
        self.busy = False
        self.setWindowTitle(f"终止办理 — {row.case_no}")
        about = QLabel(f"{row.case_no}　{row.item_name}　{row.applicant}\n"
                       f"容缺材料逾期{row.days_overdue}日未补齐："
                       + "、".join(m.name for m in row.materials if m.days_overdue > 0))
        about.setWordWrap(True)
        self.withdrawn_check = QCheckBox("申请人申请撤回(&W)")
        clerk = tolerate.withdrawal_only(actor)
        if clerk:  # the service's rule, shown rather than left to a refusal
            self.withdrawn_check.setChecked(True)
            self.withdrawn_check.setEnabled(False)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setPlaceholderText("终止办理的理由，将印在终止办理通知书上")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_limit = limit_text(self.reason_edit, limits.TERMINATION_REASON)
        self.error_label = error_label()
        form = QFormLayout()
        form.addRow(buddy_label("终止理由(&R)", self.reason_edit), self.reason_edit)
        form.addRow("", self.reason_limit)
        form.addRow("", self.withdrawn_check)
        hint = (tolerate.WITHDRAWAL_ONLY_MESSAGE + "。" if clerk else
                "未勾选“申请人申请撤回”的，以容缺材料逾期未补齐（未履行容缺受理承诺）为由终止办理。")
        buttons, self.ok_button = dialog_buttons(self, "终止办理", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(hint_label(hint))
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.reason_edit.setFocus()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "终止办理的理由已填写，尚未保存" if self._form.changed() else ""

    def save(self) -> None:
        if self.busy:
            return
        hall, actor, case_no = self._hall, self._actor, self._row.case_no
        reason, withdrawn = self.reason_edit.toPlainText(), self.withdrawn_check.isChecked()
        self.busy = True
        self.ok_button.setEnabled(False)

        def done(served: Served) -> None:
            self.busy = False
            self.saved.emit(served)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.ok_button.setEnabled(True)
            if isinstance(exc, ValidationError):
                set_error(self.error_label, exc.message)
                self.reason_edit.setFocus()
            elif isinstance(exc, HallDeskError):
                set_error(self.error_label, exc.message)
            else:
                show_error(self, exc)

        run_op(lambda: tolerate.terminate(hall.uow(), actor, case_no, reason, withdrawn=withdrawn),
                          done, failed, changes={Change.CASES, Change.PRINT_JOBS}, owner=self)


class OverduePage(Page):
    """容缺催补: the broken 容缺 promises, most overdue first, with 催补… and 终止办理…; F5 refreshes."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CASES}, self.refresh)  # what other pages change
        self.dialog: TerminateDialog | None = None
        self.preview: NoticePreviewDialog | None = None
        title = QLabel("容缺催补 — 容缺材料逾期未补齐的办件")
        title.setObjectName("pageTitle")
        self.model = OverdueTableModel(parent=self)
        self.view = table_view(self.model, empty="没有容缺材料逾期未补齐的办件。容缺受理的材料过了补交期限仍未补交时，"
                                "办件会在这里出现，可以发催补通知或终止办理。")
        fit_columns(self.view, stretch=6)
        self.count_label = hint_label()
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.remind_button = QPushButton("催补(&R)…")
        self.terminate_button = QPushButton("终止办理(&T)…")
        self.refresh_button = QPushButton("刷新")
        set_shown(self.remind_button, roles.allowed(actor, "case.remind"))
        set_shown(self.terminate_button, roles.allowed(actor, "case.terminate"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.remind_button)
        buttons.addWidget(self.terminate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        scope = "本部门" if actor.role == "chief_rep" else "全部部门"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(hint_label(f"{scope}容缺受理的办件中，容缺材料已超过承诺补齐期限仍未补交的（逾期按自然日计，"
                                    "逾期最久的在前）。"))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self.remind_button.clicked.connect(self.remind)
        self.terminate_button.clicked.connect(self.terminate)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.selectionModel().currentChanged.connect(self._update)
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        self._update()

    def refresh(self) -> None:
        hall, actor = self._hall, self._actor
        keep = self.selected()

        def loaded(rows: list[OverdueCase]) -> None:
            self.model.set_rows(rows)
            restore_current(self.view, self.model, keep.case_no if keep else None)
            self.count_label.setText(f"共 {len(rows)} 件" if rows else "")  # empty: the list's note speaks
            self._loaded = True
            self._update()

        run_op(lambda: tolerate.overdue(hall.uow(), actor), loaded, owner=self, key="load")

    def selected(self) -> OverdueCase | None:
        return current_row(self.view, self.model)

    def may(self, action: Action, row: OverdueCase | None) -> bool:
        """Whether the lifecycle and the role table allow ``action`` on ``row``."""
        permission = {Action.REMIND: "case.remind", Action.TERMINATE: "case.terminate"}[action]
        return (row is not None and action in lifecycle.allowed_actions(row.status)
                and roles.allowed(self._actor, permission))

    def why_not(self, action: Action, row: OverdueCase | None) -> str:
        """Why ``action`` cannot be taken on ``row`` now ('' when it can): for the status bar."""
        if row is None:
            return "请先在列表中选择办件"
        if action not in lifecycle.allowed_actions(row.status):
            return lifecycle.refusal(action, row.status)
        return "" if self.may(action, row) else f"本岗位不能{lifecycle.ACTION_NAMES[action]}"

    def _update(self, *_: object) -> None:
        row = self.selected()
        set_available(self.remind_button, self.why_not(Action.REMIND, row))
        set_available(self.terminate_button, self.why_not(Action.TERMINATE, row))
        if row is None:
            self.detail.setText("")
            return
        late = "；".join(f"{m.name}（{m.due.isoformat()}前，" + (f"已逾期{m.days_overdue}日）" if m.days_overdue > 0
                                                                else "未逾期）") for m in row.materials)
        reminded = (f"　已催补{row.reminders}次，最近 {local_time(row.last_reminded_at, with_date=True)}"
                    if row.last_reminded_at is not None else "　尚未催补")
        self.detail.setText(f"{row.case_no}　{row.item_name}　{row.applicant}　{row.status_name}{reminded}\n"
                            f"未补材料：{late}")

    # ---- actions
    def remind(self) -> bool:
        row = self.selected()
        if row is None or not self.may(Action.REMIND, row):
            return False
        if not confirm(self, f"向{row.applicant}出具容缺材料催补通知书（办件 {row.case_no}，逾期{row.days_overdue}日）？",
                       "催补"):
            return False
        hall, actor = self._hall, self._actor
        self.remind_button.setEnabled(False)
        run_op(lambda: tolerate.remind(hall.uow(), actor, row.case_no), self._served, self._failed,
                          changes={Change.CASES, Change.PRINT_JOBS}, owner=self)
        return True

    def terminate(self) -> TerminateDialog | None:
        row = self.selected()
        if row is None or not self.may(Action.TERMINATE, row):
            return None
        dialog = TerminateDialog(self._hall, self._actor, row, self)
        dialog.saved.connect(self._served)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _served(self, served: Served) -> None:
        name = NOTICE_NAMES.get(served.kind, served.kind)
        self.status_message.emit(f"{served.case.case_no}：已出具{name} {served.doc_no}")
        self.refresh()
        hall, actor, case_no, kind = self._hall, self._actor, served.case.case_no, served.kind

        def show(pdf: bytes) -> None:
            self.preview = open_pdf_preview(self, hall, actor, pdf, f"{name}（{case_no}）")
            self.preview.finished.connect(self._preview_closed)

        run_op(lambda: desk.notice_pdf(hall.uow(), actor, case_no, kind), show, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self._update()
        show_error(self, exc)

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _preview_closed(self) -> None:
        self.preview = None
