"""Building blocks of the 综合受理 page: the materials checklist, the case summary and the intake dialogs.

``MaterialChecklist`` is the keyboard-driven table of an item's materials (used for a new application and
for 补正后受理); ``CaseSummary`` shows one case with its notices and print jobs (the result panel after an
outcome, and the detail of a case in 今日办件).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app import intake, limits
from app.auth import Actor
from app.cases import CaseView
from app.catalog import Assessment, Item
from app.context import HallDesk
from app.errors import ValidationError
from app.hall_settings import today
from app.intake import REFUSAL_REASONS
from app.printing.documents import DEFAULT_REFUSAL_BASIS
from app.printing.queue import JobView
from app.workdays import DueDate
from ui.catalog import CountDelegate
from ui.errors import show_error
from ui.material_note import MaterialNoteDialog
from ui.models import (
    NOTICE_NAMES,
    IntakeMaterialModel,
    IntakeMaterialRow,
    JobTableModel,
    due_text,
    local_time,
)
from ui.ops import Change, Op, run_op
from ui.shortcuts import describe, tell
from ui.widgets import (
    LimitedTextDelegate,
    dialog_buttons,
    error_label,
    fit_to_screen,
    format_date,
    hint_label,
    limit_text,
    set_error,
    table_view,
    tint,
    to_date,
    to_qdate,
)

EDIT = Qt.ItemDataRole.EditRole
_STATE_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3, Qt.Key.Key_4: 4, Qt.Key.Key_5: 5}
_EDIT_COLUMNS = (IntakeMaterialModel.STATE, IntakeMaterialModel.ORIGINALS, IntakeMaterialModel.COPIES,
                 IntakeMaterialModel.NOTE)
CHECKLIST_KEYS = ("空格/1–5 设置状态（1已收 2缺少/未提交 3有误 4容缺 5免提交）· E 电子件 · Enter 编辑份数或备注"
                  " · 材料初始为待核验")
MARK_ALL_KEY = "Ctrl+Shift+A"


class StateDelegate(QStyledItemDelegate):
    """The 状态 cell edited with a combo of the states this material allows (the mouse way; keys are faster)."""

    def __init__(self, model: IntakeMaterialModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        combo = QComboBox(parent)
        row = self._model.row_at(index.row())
        for state in row.allowed_states if row else ():
            combo.addItem(IntakeMaterialModel.state_name(_with_state(row, state)) if row else state, state)
        combo.activated.connect(self._commit_combo)
        return combo

    def _commit_combo(self) -> None:
        combo = self.sender()
        if isinstance(combo, QComboBox):
            self.commitData.emit(combo)
            self.closeEditor.emit(combo)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(EDIT))))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), EDIT)


def _with_state(row: IntakeMaterialRow, state: str) -> IntakeMaterialRow:
    return replace(row, state=state)


class MaterialChecklist(QWidget):
    """An item's materials with what the applicant brought, driven from the keyboard; the 容缺 deadline.

    Every material starts 待核验 (covered ones 免提交): the clerk marks what was handed in.  Space cycles the
    current row's state, 1–5 set it, E toggles 电子件, Enter edits the counts or the note (marking a material
    有误 opens its note at once: the service wants the problem written down).  其余全部已收 (the button, or
    Ctrl+Shift+A on the counter page) marks every material still 待核验 as 已收 at once; the intake's audit
    row records that it was used (``marked_all``).  The 容缺补交期限 appears when any material is 容缺: by
    default the promised due date, never later.

    Signals:
        changed(): a state, count, note or the deadline changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._promised: DueDate | None = None
        self.note_dialog: MaterialNoteDialog | None = None
        self.model = IntakeMaterialModel(parent=self)
        self.view = table_view(self.model, empty="选择办理事项后，这里列出须核验的申请材料。")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.SelectedClicked)
        self.view.verticalHeader().show()
        self.view.setItemDelegateForColumn(IntakeMaterialModel.STATE, StateDelegate(self.model, self.view))
        counts = CountDelegate(self.view)
        self.view.setItemDelegateForColumn(IntakeMaterialModel.ORIGINALS, counts)
        self.view.setItemDelegateForColumn(IntakeMaterialModel.COPIES, counts)
        self.view.setItemDelegateForColumn(IntakeMaterialModel.NOTE,
                                           LimitedTextDelegate(limits.MATERIAL_PROBLEM, self.view))
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(IntakeMaterialModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(IntakeMaterialModel.NOTE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(IntakeMaterialModel.STATE, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(IntakeMaterialModel.STATE, 190)
        self.view.setColumnWidth(IntakeMaterialModel.NOTE, 170)
        self.view.installEventFilter(self)

        self.keys_label = hint_label(CHECKLIST_KEYS)
        self.mark_all_button = QPushButton(f"其余全部已收 ({MARK_ALL_KEY})")
        self.mark_all_button.setToolTip("把仍为“待核验”的材料全部标为已收：请确认申请人确已提交；受理时记入审计")
        self.mark_all_button.setEnabled(False)
        self._marked_all = False
        self.due_edit = QDateEdit()
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        self.due_label = QLabel("容缺补交期限(&D)")
        self.due_label.setBuddy(self.due_edit)
        self.due_note = QLabel()
        self.due_note.setObjectName("hintLabel")
        self.due_row = QWidget()
        due_layout = QHBoxLayout(self.due_row)
        due_layout.setContentsMargins(0, 0, 0, 0)
        due_layout.addWidget(self.due_label)
        due_layout.addWidget(self.due_edit)
        due_layout.addWidget(self.due_note, 1)
        self.due_row.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.view, 1)
        keys_row = QHBoxLayout()
        keys_row.addWidget(self.keys_label, 1)
        keys_row.addWidget(self.mark_all_button)
        layout.addLayout(keys_row)
        layout.addWidget(self.due_row)

        for signal in (self.model.dataChanged, self.model.modelReset):
            signal.connect(self._model_changed)
        self.due_edit.dateChanged.connect(self.changed)
        self.mark_all_button.clicked.connect(self.mark_all_received)

    # ---- filling
    def set_item(self, item: Item | None, assessments: Sequence[Assessment] = (), promised: DueDate | None = None) -> None:
        """The item's materials with their defaults: covered ones 免提交, all others 待核验."""
        rows = IntakeMaterialModel.default_rows(item.materials, assessments) if item else []
        self.set_rows(rows, promised)

    def set_rows(self, rows: Sequence[IntakeMaterialRow], promised: DueDate | None = None) -> None:
        self._promised = promised
        self._marked_all = False
        self._set_due_range()
        self.model.set_rows(rows)
        if rows:
            self.view.setCurrentIndex(self.model.index(0, IntakeMaterialModel.STATE))

    def clear(self) -> None:
        self.set_rows([])

    def _set_due_range(self) -> None:
        promised = self._promised
        tomorrow = today() + timedelta(days=1)
        if promised is None or promised.date < tomorrow:
            self.due_edit.setEnabled(False)
            self.due_note.setText("该事项承诺时限为当日，不能容缺受理")
            return
        self.due_edit.setEnabled(True)
        self.due_edit.setDateRange(to_qdate(tomorrow), to_qdate(promised.date))
        self.due_edit.setDate(to_qdate(promised.date))
        note = f"不晚于承诺办结日 {format_date(promised.date)}"
        self.due_note.setText(note + ("，该日期待定" if promised.provisional else ""))

    def _model_changed(self) -> None:
        tolerated = self.model.any_state("tolerated")
        if tolerated and not self.due_row.isVisible() and self._promised is not None and self.due_edit.isEnabled():
            self.due_edit.setDate(to_qdate(self._promised.date))  # each time it appears: the promised date
        self.due_row.setVisible(tolerated)
        self.mark_all_button.setEnabled(bool(self.model.pending()))
        self.changed.emit()

    def mark_all_received(self) -> int:
        """其余全部已收: every material still 待核验 becomes 已收 (remembered for the audit); how many did."""
        self.commit_editing()
        count = self.model.mark_all_received()
        if count:
            self._marked_all = True
        return count

    def marked_all(self) -> bool:
        """Whether 其余全部已收 was used for the materials on the checklist now."""
        return self._marked_all

    # ---- reading
    def materials_input(self) -> dict[str, intake.MaterialInput]:
        return self.model.materials_input()

    def supplement_due(self) -> date | None:
        """The 容缺 deadline, only when some material is 容缺 (the service refuses one otherwise)."""
        if not self.model.any_state("tolerated") or not self.due_edit.isEnabled():
            return None
        return to_date(self.due_edit.date())

    def promised(self) -> DueDate | None:
        return self._promised

    # ---- keyboard
    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def focus_material(self, code: str | None = None, column: int = IntakeMaterialModel.STATE) -> None:
        """Put the cursor on a material (the one a service message names), or the first one."""
        row = self.model.row_of(code) if code else -1
        if row < 0:
            row = max(0, self.current_row())
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(row, column))
        self.view.setFocus()

    def commit_editing(self) -> None:
        """An open cell editor hands its text to the model (before the form is read)."""
        if self.view.state() == QAbstractItemView.State.EditingState:
            self.view.setFocus()  # the editor loses focus and its delegate commits

    def set_state(self, row: int, state: str) -> bool:
        """Mark a row; 有误 without a note opens the note at once (Esc there puts the state back)."""
        before = self.model.row_at(row)
        if before is None or not self.model.set_state(row, state):
            return False
        if state == "defective" and not before.note.strip():
            self.edit_note(row, restore=before.state if before.state != state else None)
        return True

    def edit_note(self, row: int, *, restore: str | None = None) -> MaterialNoteDialog | None:
        """The note of a material 有误 in a small dialog (a table cell may be out of sight); the note goes into
        the row when saved; ``restore``: the state to put back when the clerk cancels."""
        current = self.model.row_at(row)
        if current is None:
            return None
        self.view.setCurrentIndex(self.model.index(row, IntakeMaterialModel.STATE))
        dialog = MaterialNoteDialog(current.material.name, current.note, self)
        code = current.material.code

        def noted(note: str) -> None:
            at = self.model.row_of(code)
            if at >= 0:
                self.model.setData(self.model.index(at, IntakeMaterialModel.NOTE), note, EDIT)

        def closed(result: int) -> None:
            self.note_dialog = None
            at = self.model.row_of(code)
            if result != QDialog.DialogCode.Accepted and restore is not None and at >= 0:
                self.model.set_state(at, restore)
            self.activateWindow()  # back to the checklist, keys and all
            self.view.setFocus()

        dialog.noted.connect(noted)
        dialog.finished.connect(closed)
        self.note_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.activateWindow()  # the keyboard goes along: type the note at once
        dialog.edit.setFocus()
        return dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and self.view.state() != QAbstractItemView.State.EditingState and self._key(event)):
            return True
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods != Qt.KeyboardModifier.NoModifier:
            return False
        row, key = self.current_row(), event.key()
        if row < 0:
            return False
        if key == Qt.Key.Key_Space:
            before = self.model.row_at(row)
            state = self.model.cycle_state(row)
            if state == "defective" and before is not None and not before.note.strip():
                self.edit_note(row, restore=before.state)
            return True
        if key in _STATE_KEYS:
            state = self.model.state_for_number(row, _STATE_KEYS[Qt.Key(key)])
            if state is None or not self.set_state(row, state):
                # e.g. 容缺 for a material that is not tolerable: the intake rule says why.
                current = self.model.row_at(row)
                reason = current.refusal(state) if current is not None and state is not None else ""
                tell(self.view, reason or "此键对该材料不适用")
                QApplication.beep()
            return True
        if key == Qt.Key.Key_E:
            self.model.toggle_electronic(row)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = self.view.currentIndex()
            column = index.column() if index.column() in _EDIT_COLUMNS else IntakeMaterialModel.NOTE
            target = self.model.index(row, column)
            if self.model.flags(target) & Qt.ItemFlag.ItemIsEditable:
                self.view.setCurrentIndex(target)
                self.view.edit(target)
            return True
        return False


class CaseSummary(QWidget):
    """One case: number, status, pickup code, dates, the notices issued and the print jobs with their status.

    ``large`` is the result panel after an outcome (the number read out to the applicant); the small one
    is the detail of a case selected in 今日办件.

    Signals:
        preview_requested(str, str): 预览通知书 — case number and notice kind.
        reprint_requested(str): 补打回执 (or 打印回执 while the original waits) for this case number.
        resubmit_requested(str): 补正后受理 for this case number.
    """

    preview_requested = Signal(str, str)
    reprint_requested = Signal(str)
    resubmit_requested = Signal(str)

    def __init__(self, *, large: bool = False, counter: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case: CaseView | None = None
        self.large = large
        self.counter = counter  # this PC's counter: receipts of other counters' cases are not printed here
        self.case_label = QLabel()
        self.case_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.caption_label = QLabel("办件编号" if large else "")
        self.caption_label.setObjectName("hintLabel")
        if large:
            self.case_label.setStyleSheet("font-size: 30pt; font-weight: bold; color: #1f3a5f;")
            self.status_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        else:
            self.case_label.setObjectName("detailTitle")
            self.status_label.setStyleSheet("font-weight: bold;")
        head = QHBoxLayout()
        head.addWidget(self.case_label)
        head.addSpacing(16)
        head.addWidget(self.status_label, 1, Qt.AlignmentFlag.AlignBottom)

        self.item_value = self._value()
        self.applicant_value = self._value()
        self.agent_value = self._value()
        self.pickup_value = self._value()
        if large:
            self.pickup_value.setStyleSheet("font-size: 18pt; font-weight: bold; letter-spacing: 2px;")
        self.received_value = self._value()
        self.promised_value = self._value()
        self.correction_value = self._value()
        self.supplement_value = self._value()
        self.reason_value = self._value()
        self.form = QFormLayout()
        self.form.setVerticalSpacing(3)
        for text, value in (("事项", self.item_value), ("企业/申请人", self.applicant_value),
                            ("经办人", self.agent_value), ("取件码", self.pickup_value),
                            ("收件时间", self.received_value), ("承诺办结日", self.promised_value),
                            ("补正告知期限", self.correction_value), ("容缺补交期限", self.supplement_value),
                            ("不予受理理由", self.reason_value)):
            key = QLabel(text)
            key.setObjectName("keyLabel")
            self.form.addRow(key, value)

        self.notices_list = QListWidget()
        self.notices_list.setMaximumHeight(96)
        notices_label = QLabel("通知书(&N)")
        notices_label.setObjectName("sectionTitle")
        notices_label.setBuddy(self.notices_list)
        self.jobs_model = JobTableModel(parent=self)
        self.jobs_view = table_view(self.jobs_model, empty="本办件暂无打印任务。受理回执、通知书和取件凭条送打后会列在这里。")
        self.jobs_view.hideColumn(1)  # the case number is the panel's title
        header = self.jobs_view.horizontalHeader()
        for column in range(self.jobs_model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.jobs_view.setMaximumHeight(130)
        jobs_label = QLabel("打印任务")
        jobs_label.setObjectName("sectionTitle")
        jobs_label.setBuddy(self.jobs_view)

        self.preview_button = QPushButton("预览通知书(&V)")
        self.reprint_button = QPushButton("补打回执(&P)")
        self.resubmit_button = QPushButton("补正后受理(&Z)")
        self.resubmit_button.setToolTip("申请人已按补正通知书补齐材料：核对后受理")
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.reprint_button)
        buttons.addWidget(self.resubmit_button)
        buttons.addStretch(1)

        # Large: one column under the big number.  Small (今日办件, wide and low): facts left, documents right.
        documents = QVBoxLayout()
        documents.setSpacing(4)
        documents.addWidget(notices_label)
        documents.addWidget(self.notices_list)
        documents.addWidget(jobs_label)
        documents.addWidget(self.jobs_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        if large:
            layout.addWidget(self.caption_label)
            layout.addLayout(head)
            layout.addLayout(self.form)
            layout.addLayout(documents)
        else:
            facts = QVBoxLayout()
            facts.addLayout(head)
            facts.addLayout(self.form)
            facts.addStretch(1)
            body = QHBoxLayout()
            body.addLayout(facts, 2)
            body.addSpacing(12)
            body.addLayout(documents, 3)
            layout.addLayout(body, 1)
        layout.addLayout(buttons)
        if large:
            layout.addStretch(1)

        self.preview_button.clicked.connect(self._preview)
        self.notices_list.itemActivated.connect(self._preview)
        self.reprint_button.clicked.connect(self._reprint)
        self.resubmit_button.clicked.connect(self._resubmit)
        self.show_case(None)

    @staticmethod
    def _value() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # ---- showing
    def show_case(self, case: CaseView | None, jobs: Sequence[JobView] | None = None) -> None:
        self.case = case
        self.notices_list.clear()
        if case is None:
            self.case_label.setText("—" if self.large else "请选择办件")
            self.status_label.clear()
            for value in (self.item_value, self.applicant_value, self.agent_value, self.pickup_value,
                          self.received_value, self.promised_value, self.correction_value,
                          self.supplement_value, self.reason_value):
                value.clear()
            self.jobs_model.set_rows([])
            self._update_buttons()
            return
        self.case_label.setText(case.case_no)
        status = case.status_name + ("（逾期未告知补正，视为受理）" if case.deemed_accepted else "")
        self.status_label.setText(status)
        tint(self.status_label, {"refused": "#c0392b", "correction_requested": "#9a6200"}.get(case.status, "#1e7d45"))
        self.item_value.setText(f"{case.item_name}（{case.dept_name}）")
        applicant = case.enterprise_name or "个人申请"
        self.applicant_value.setText(applicant + (f"　{case.enterprise_uscc}" if case.enterprise_uscc else ""))
        self.agent_value.setText(case.agent_name)
        # The code is shown once, in the intake's own result; a listed case never carries it (见回执).
        self.pickup_value.setText("" if case.status == "refused" else case.pickup_code or "（见回执）")
        self.received_value.setText(local_time(case.received_at, with_date=True))
        promised = due_text(case.promised_due, case.due_provisional).replace("（待定）", "（待定：该年节假日未确认）")
        self.promised_value.setText(promised)
        correcting = case.status in ("correction_requested", "returned")
        self.correction_value.setText(
            f"{format_date(case.correction_deadline)}（收件后5个工作日内一次性告知）"
            if correcting and case.correction_deadline else "")
        self.supplement_value.setText(format_date(case.supplement_due) if case.supplement_due else "")
        self.reason_value.setText(case.refusal_reason if case.status == "refused" else "")
        for label in (self.pickup_value, self.promised_value, self.correction_value, self.supplement_value,
                      self.reason_value):
            self.form.setRowVisible(label, bool(label.text()))
        for notice in case.notices:
            entry = QListWidgetItem(f"{NOTICE_NAMES.get(notice.kind, notice.kind)}　{notice.doc_no}")
            entry.setData(Qt.ItemDataRole.UserRole, notice.kind)
            self.notices_list.addItem(entry)
        if self.notices_list.count():
            self.notices_list.setCurrentRow(0)
        self.set_jobs(jobs or [])

    def set_jobs(self, jobs: Sequence[JobView]) -> None:
        self.jobs_model.set_rows(jobs)
        self._update_buttons()

    def jobs(self) -> list[JobView]:
        return self.jobs_model.rows()

    def notice_kinds(self) -> list[str]:
        return [str(self.notices_list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.notices_list.count())]

    def receipt_printed(self) -> bool:
        return any(j.kind == "receipt" and j.status == "printed" for j in self.jobs())

    def _update_buttons(self) -> None:
        case = self.case
        self.preview_button.setEnabled(case is not None and bool(case.notices))
        # The receipt is printed only at the counter that took the case (the service's rule; here: said early).
        self.reprint_button.setEnabled(case is not None and case.status != "refused"
                                       and (self.counter is None or case.counter == self.counter))
        self.reprint_button.setText("补打回执(&P)" if self.receipt_printed() or not self.jobs() else "打印回执(&P)")
        self.resubmit_button.setEnabled(case is not None and case.status in ("correction_requested", "returned"))

    # ---- actions
    def _preview(self) -> None:
        item = self.notices_list.currentItem()
        if self.case is not None and item is not None:
            self.preview_requested.emit(self.case.case_no, str(item.data(Qt.ItemDataRole.UserRole)))

    def _reprint(self) -> None:
        if self.case is not None:
            self.reprint_requested.emit(self.case.case_no)

    def _resubmit(self) -> None:
        if self.case is not None:
            self.resubmit_requested.emit(self.case.case_no)


class RefusalDialog(QDialog):
    """不予受理: a statutory reason and/or the clerk's own words, and the legal basis.

    The notice tells the applicant of their right to 行政复议 or 行政诉讼 (the service adds it).

    Signals:
        chosen(str, str): the reason and the legal basis, when the clerk confirmed.
    """

    chosen = Signal(str, str)

    def __init__(self, item_name: str, parent: QWidget | None = None, *,
                 legal_basis: str = DEFAULT_REFUSAL_BASIS) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"不予受理 — {item_name}")
        self.reason_combo = QComboBox()
        self.reason_combo.addItem("（选择法定理由，或在下面写明）", "")
        for reason in REFUSAL_REASONS:
            self.reason_combo.addItem(reason, reason)
        self.detail_edit = QPlainTextEdit()
        self.detail_edit.setTabChangesFocus(True)
        self.detail_edit.setPlaceholderText("具体说明（如：申请事项属于市级权限，请向市行政审批局申请）")
        self.detail_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 16)
        # The reason stored is "法定理由：具体说明": the detail gets what the longest standard reason leaves.
        room = limits.INTAKE_REASON.chars - max(len(r) for r in REFUSAL_REASONS) - 1
        self.detail_limit = limit_text(self.detail_edit, replace(limits.INTAKE_REASON, label="具体说明", chars=room))
        # By the item's kind: 行政许可法 for a licence, the item's own 设定依据 otherwise (documents.default_refusal_basis).
        self.basis_edit = QPlainTextEdit(legal_basis)
        self.basis_edit.setTabChangesFocus(True)
        self.basis_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 14)
        self.basis_limit = limit_text(self.basis_edit, limits.REFUSAL_BASIS)
        form = QFormLayout()
        for text, widget, counter in (("不予受理理由(&R)", self.reason_combo, None),
                                      ("具体说明(&T)", self.detail_edit, self.detail_limit),
                                      ("法律依据(&L)", self.basis_edit, self.basis_limit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            if counter is not None:
                form.addRow("", counter)
        note = hint_label("将打印不予受理通知书，告知申请人依法申请行政复议或者提起行政诉讼的权利；不打印受理回执。")
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "不予受理(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.reason_combo.setFocus()

    def reason(self) -> str:
        standard = str(self.reason_combo.currentData() or "")
        detail = self.detail_edit.toPlainText().strip()
        if standard and detail:
            return f"{standard}：{detail}"
        return standard or detail

    def legal_basis(self) -> str:
        return self.basis_edit.toPlainText().strip()

    def save(self) -> tuple[str, str] | None:
        reason = self.reason()
        if not reason:
            set_error(self.error_label, "不予受理必须写明理由：请选择法定理由或写明具体说明")
            self.reason_combo.setFocus()
            return None
        result = (reason, self.legal_basis())
        self.chosen.emit(*result)
        self.accept()
        return result


class ResubmitDialog(QDialog):
    """补正后受理: the applicant is back with the corrections; the checklist as the case left it.

    The clerk marks what was brought (Space/1–5 as at the counter); 受理 calls ``intake.resubmit``, which
    accepts the case today and issues the acceptance notice.  A refusal keeps the dialog open.

    Signals:
        saved(CaseView): the case as accepted.
    """

    saved = Signal(object)

    def __init__(self, hall: HallDesk, actor: Actor, case: CaseView, item: Item, assessments: Sequence[Assessment],
                 promised: DueDate | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self._item = item
        self.case = case
        self.setWindowTitle(f"补正后受理 — {case.case_no}")
        title = QLabel(f"{case.case_no}　{case.item_name}")
        title.setObjectName("detailTitle")
        who = QLabel(f"{case.enterprise_name or '个人申请'} · 经办人 {case.agent_name} · "
                     f"收件 {local_time(case.received_at, with_date=True)}")
        who.setObjectName("hintLabel")
        asked = [f"{m.name}（{m.state_name}{'：' + m.note if m.note else ''}）" for m in case.materials
                 if m.state in ("missing", "defective")]
        asked_label = QLabel("补正通知书所列：" + ("；".join(asked) if asked else "无"))
        asked_label.setWordWrap(True)
        self.checklist = MaterialChecklist()
        rows = IntakeMaterialModel.rows_from_case(item.materials, assessments, case.materials)
        self.checklist.set_rows(rows, promised)
        self.checklist.mark_all_button.hide()  # only the first intake's audit records it
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "受理(&A)", on_accept=self.save)
        self.ok_button.setToolTip("Ctrl+Enter")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(who)
        layout.addWidget(asked_label)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            describe(QShortcut(QKeySequence(keys), self, self.save), "受理")
        self.checklist.changed.connect(self._update)
        fit_to_screen(self, 900, 560)
        self._update()
        self.checklist.focus_material()

    def _update(self) -> None:
        problems = self.checklist.model.problems("accept", self._item)
        tolerated = self.checklist.model.any_state("tolerated")
        self.ok_button.setEnabled(not problems)
        self.ok_button.setText("容缺受理(&A)" if tolerated else "受理(&A)")
        if problems:
            self.hint_label.setText(problems[0].message)
            tint(self.hint_label, "#c0392b")
        else:
            self.hint_label.setText("材料已补齐，受理日期为今天，承诺时限自今天起算")
            tint(self.hint_label, "#1e7d45")

    def save(self) -> Op[CaseView] | None:
        """Start 受理 of the resubmitted materials (None when the checklist refuses); ``saved`` follows."""
        self.checklist.commit_editing()
        if problems := self.checklist.model.problems("accept", self._item):
            self._update()
            field = problems[0].field
            if field.startswith("materials."):
                self.checklist.focus_material(field.partition(".")[2])
            return None
        hall, actor, case_no = self._hall, self._actor, self.case.case_no
        materials, due = self.checklist.materials_input(), self.checklist.supplement_due()
        return run_op(lambda: intake.resubmit(hall.uow(), actor, case_no, materials, due), self._resubmitted,
                      owner=self, changes={Change.CASES, Change.PRINT_JOBS}, busy="正在受理补交材料…",
                      form=self._field_error, disable=[self.ok_button])

    def _field_error(self, field: str, message: str) -> None:
        set_error(self.error_label, message)
        show_error(self, ValidationError(field, message))
        if field.startswith("materials"):
            self.checklist.focus_material(field.partition(".")[2] or None)

    def _resubmitted(self, view: CaseView) -> None:
        self.saved.emit(view)
        self.accept()
