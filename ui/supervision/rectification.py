"""差评整改: rectifications after a 差评, with the rating summary.

``RectificationPanel`` lists rectifications (红黄牌 lights, overdue first) with the rating summary; a chief
representative sees the own department's and records 登记回访 and 整改办结 (``RectificationNoteDialog``), a
supervisor sees every department's and can narrow to one department or to 超期.  The chief representative's
page shows it as its 差评整改 tab.
"""


from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import evaluation, limits, roles
from app.auth import Actor
from app.catalog import DepartmentView
from app.context import HallDesk
from app.evaluation import (
    LEVELS,
    OCCASIONS,
    REASONS,
    EvaluationSummary,
    RectificationView,
)
from ui.models import FOREGROUND, LIGHT_BRUSHES, Index, RowTableModel, light_text, local_time
from ui.ops import Change, Op, run_op
from ui.shortcuts import set_available
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
    set_empty_text,
    set_error,
    set_shown,
    table_view,
)


def summary_text(summary: EvaluationSummary) -> str:
    """评价 N 次，满意率 x%，差评 n 次（非常满意 a、满意 b、…）."""
    if not summary.total:
        return "暂无评价"
    levels = "、".join(f"{LEVELS[k]} {summary.counts.get(k, 0)}" for k in sorted(LEVELS, reverse=True))
    return f"评价 {summary.total} 次，满意率 {summary.satisfaction:.1%}，差评 {summary.bad} 次（{levels}）"


class RectificationTableModel(RowTableModel[RectificationView]):
    """Rectifications as ``evaluation.list_rectifications`` orders them: overdue first, then by deadline."""

    headers = ("时限", "办件编号", "部门", "评价", "原因", "环节", "整改期限", "状态")
    centered = frozenset({0, 3, 5, 6})

    def row_of(self, rect_id: object) -> int:
        return next((i for i, r in enumerate(self._rows) if str(r.id) == str(rect_id)), -1)

    def display(self, row: RectificationView, column: int) -> str:
        match column:
            case 0:
                return "● 已整改" if row.light == "done" else light_text(row.light)
            case 1:
                return row.case_no
            case 2:
                return row.dept_name
            case 3:
                return LEVELS[row.level]
            case 4:
                return "、".join(REASONS.get(r, r) for r in row.reasons)
            case 5:
                return OCCASIONS.get(row.occasion, row.occasion)[:2]
            case 6:
                return row.due.isoformat()
            case _:
                return row.status_name

    def tooltip(self, row: RectificationView, column: int) -> str | None:
        lines = [f"评价时间 {local_time(row.opened_at, with_date=True)}"]
        if row.comment:
            lines.append(f"申请人意见：{row.comment}")
        if row.callback_at:
            lines.append(
                f"回访（{row.callback_by}，{local_time(row.callback_at, with_date=True)}）：{row.callback_note}"
            )
        if row.closed_at:
            lines.append(
                f"整改（{row.closed_by}，{local_time(row.closed_at, with_date=True)}）：{row.fix_note}"
            )
        return "\n".join(lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == FOREGROUND and index.isValid() and index.column() == 0:
            row = self.row_at(index.row())
            return LIGHT_BRUSHES.get(row.light) if row is not None else None
        return super().data(index, role)


class RectificationNoteDialog(QDialog):
    """登记回访 (what the applicant said when called back) or 整改办结 (what was fixed).

    Signals:
        saved(object): the updated RectificationView.
    """

    saved = Signal(object)
    KINDS = {
        "callback": ("登记回访", "回访情况(&N)", "回访对象、方式和申请人意见"),
        "close": ("整改办结", "整改措施(&N)", "整改措施和结果"),
    }

    def __init__(
        self, hall: HallDesk, actor: Actor, rect: RectificationView, kind: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._form = watch_form(self)  # unsaved_work(): changed since shown
        self._hall = hall
        self._actor = actor
        self._rect = rect
        self.kind = kind
        title, label, placeholder = self.KINDS[kind]
        self.setWindowTitle(f"{title} — {rect.case_no}")
        about = QLabel(
            f"{rect.case_no}　{rect.dept_name}　{LEVELS[rect.level]}："
            f"{'、'.join(REASONS.get(r, r) for r in rect.reasons)}"
            + (f"\n申请人意见：{rect.comment}" if rect.comment else "")
            + (f"\n回访情况：{rect.callback_note}" if rect.callback_note else "")
        )
        about.setWordWrap(True)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText(placeholder)
        self.note_edit.setTabChangesFocus(True)
        self.note_limit = limit_text(self.note_edit, limits.RECTIFICATION_CALLBACK if kind == "callback"
                                     else limits.RECTIFICATION_FIX)
        self.error_label = error_label()
        form = QFormLayout()
        form.addRow(buddy_label(label, self.note_edit), self.note_edit)
        form.addRow("", self.note_limit)
        buttons, self.ok_button = dialog_buttons(self, title, on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self.note_edit.setFocus()

    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "整改说明已填写，尚未保存" if self._form.changed() else ""

    def save(self) -> Op[RectificationView]:
        hall, actor, rect_id, text = self._hall, self._actor, str(self._rect.id), self.note_edit.toPlainText()
        call = evaluation.record_callback if self.kind == "callback" else evaluation.close_rectification
        return run_op(lambda: call(hall.uow(), actor, rect_id, text), self._saved_ok, owner=self,
                      changes={Change.RECTIFICATIONS}, form=self._refused, disable=[self.ok_button])

    def _refused(self, _field: str, message: str) -> None:
        set_error(self.error_label, message)
        self.note_edit.setFocus()

    def _saved_ok(self, view: RectificationView) -> None:
        self.saved.emit(view)
        self.accept()


RECTIFICATIONS_EMPTY = "暂无差评整改。申请人给出不满意评价时，会在这里出现，须在整改期限内回访并整改。"
RECTIFICATIONS_FILTERED = "没有符合筛选条件的差评整改。取消“仅看超期”“仅看未办结”或选择“全部部门”可看到全部。"

class RectificationPanel(Page):
    """差评整改: the rectifications with their lights and the rating summary.

    A chief representative's panel is the own department's, with 登记回访… and 整改办结…; a supervisor's lists
    every department (or one), and 仅看超期 narrows to the red ones.

    Signals:
        status_message(str): for the main window's status bar.
    """


    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        self.loaded = False
        self.dialog: RectificationNoteDialog | None = None
        self.handles = roles.allowed(actor, "rectification.handle")  # who records callbacks and fixes

        self.dept_combo = QComboBox()
        self.dept_combo.addItem("全部部门", None)
        set_shown(self.dept_combo, actor.role != "chief_rep")
        self.overdue_check = QCheckBox("仅看超期(&O)")
        self.open_check = QCheckBox("仅看未办结(&W)")
        self.refresh_button = QPushButton("刷新")
        filters = QHBoxLayout()
        if actor.role != "chief_rep":
            filters.addWidget(buddy_label("部门(&D)", self.dept_combo))
            filters.addWidget(self.dept_combo)
        filters.addWidget(self.overdue_check)
        filters.addWidget(self.open_check)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)

        self.model = RectificationTableModel(parent=self)
        self.view = table_view(self.model, empty=RECTIFICATIONS_EMPTY)
        fit_columns(self.view, stretch=4)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.callback_button = QPushButton("登记回访(&C)…")
        self.close_button = QPushButton("整改办结(&Z)…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.callback_button)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        set_shown(self.callback_button, self.handles)
        set_shown(self.close_button, self.handles)
        self.count_label = hint_label()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("sectionTitle")
        self.summary_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary_label)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)

        self.dept_combo.currentIndexChanged.connect(self.refresh)
        self.overdue_check.toggled.connect(self.refresh)
        self.open_check.toggled.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.callback_button.clicked.connect(self.record_callback)
        self.close_button.clicked.connect(self.close_rectification)
        self.view.selectionModel().currentChanged.connect(self._update)
        self._update()

    def set_departments(self, departments: list[DepartmentView]) -> None:
        keep = self.dept_combo.currentData()
        self.dept_combo.blockSignals(True)
        self.dept_combo.clear()
        self.dept_combo.addItem("全部部门", None)
        for d in departments:
            self.dept_combo.addItem(d.name, d.code)
        self.dept_combo.setCurrentIndex(max(self.dept_combo.findData(keep), 0))
        self.dept_combo.blockSignals(False)

    def refresh(self) -> None:
        hall, actor = self._hall, self._actor
        dept = self._actor.dept_code if actor.role == "chief_rep" else self.dept_combo.currentData()
        overdue, only_open = self.overdue_check.isChecked(), self.open_check.isChecked()
        keep = self.selected()

        def load() -> tuple[list[RectificationView], EvaluationSummary]:
            rows = evaluation.list_rectifications(hall.uow(), actor, dept=dept, overdue_only=overdue)
            if only_open:
                rows = [r for r in rows if r.status != "closed"]
            return rows, evaluation.evaluation_summary(hall.uow(), actor, dept=dept)

        def loaded(data: tuple[list[RectificationView], EvaluationSummary]) -> None:
            rows, summary = data
            narrowed = overdue or only_open or (dept is not None and actor.role != "chief_rep")
            set_empty_text(self.view, RECTIFICATIONS_FILTERED if narrowed else RECTIFICATIONS_EMPTY)
            self.model.set_rows(rows)
            restore_current(self.view, self.model, keep.id if keep else None)
            late = sum(1 for r in rows if r.overdue)
            # No count under an empty list: the list's own note says what will appear there.
            self.count_label.setText((f"共 {len(rows)} 件" + (f"，其中超期 {late} 件" if late else "")) if rows else "")
            self.summary_label.setText(
                f"{'本部门' if actor.role == 'chief_rep' else ''}评价：{summary_text(summary)}"
            )
            self.loaded = True
            self._update()

        run_op(load, loaded, owner=self, key="load")

    def selected(self) -> RectificationView | None:
        return current_row(self.view, self.model)

    def _update(self, *_: object) -> None:
        rect = self.selected()
        pick = "请先在列表中选择差评整改" if rect is None else ""
        set_available(self.callback_button, pick or ("" if rect is not None and rect.status == "open"
                                                     else "只有待回访的整改可以登记回访"))
        set_available(self.close_button, pick or ("" if rect is not None and rect.status == "called_back"
                                                  else "回访登记后才能整改办结"))
        if rect is None:
            self.detail.setText("")
            return
        lines = [
            f"{rect.case_no}　{rect.dept_name}　{LEVELS[rect.level]}（{OCCASIONS.get(rect.occasion, '')}）"
            f"　整改期限 {rect.due.isoformat()}　{rect.status_name}"
        ]
        if rect.comment:
            lines.append(f"申请人意见：{rect.comment}")
        if rect.callback_note:
            lines.append(f"回访：{rect.callback_note}（{rect.callback_by}）")
        if rect.fix_note:
            lines.append(f"整改：{rect.fix_note}（{rect.closed_by}）")
        self.detail.setText("\n".join(lines))

    def record_callback(self) -> RectificationNoteDialog | None:
        return self._open("callback")

    def close_rectification(self) -> RectificationNoteDialog | None:
        return self._open("close")

    def _open(self, kind: str) -> RectificationNoteDialog | None:
        rect = self.selected()
        if rect is None or not self.handles:
            return None
        dialog = RectificationNoteDialog(self._hall, self._actor, rect, kind, self)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        return open_dialog(dialog, self._dialog_closed)

    def _saved(self, view: RectificationView) -> None:
        self.status_message.emit(f"{view.case_no} 的整改：{view.status_name}")
        self.refresh()

    def _dialog_closed(self) -> None:
        self.dialog = None
