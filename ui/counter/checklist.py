"""The materials checklist of the 综合受理 page.

``MaterialChecklist`` is the keyboard-driven table of an item's materials (used for a new application and
for 补正后受理): Space / 1–5 set a material's state, each starts 待核验, Ctrl+Shift+A marks the rest 已收.
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
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app import intake, limits
from app.catalog import Assessment, Item
from app.hall_settings import today
from app.workdays import DueDate
from ui.counter.models import IntakeMaterialModel, IntakeMaterialRow
from ui.counter.note import MaterialNoteDialog
from ui.shortcuts import tell
from ui.widgets import (
    CountDelegate,
    LimitedTextDelegate,
    format_date,
    hint_label,
    table_view,
    to_date,
    to_qdate,
)

EDIT = Qt.ItemDataRole.EditRole
_STATE_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3, Qt.Key.Key_4: 4, Qt.Key.Key_5: 5}
_EDIT_COLUMNS = (IntakeMaterialModel.STATE, IntakeMaterialModel.ORIGINALS, IntakeMaterialModel.COPIES,
                 IntakeMaterialModel.NOTE)
CHECKLIST_KEYS = ("空格/1–5 设置状态（1已收 2缺少/未提交 3有误 4容缺 5免提交）· E 添加电子件 · Enter 编辑份数或备注"
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
    current row's state, 1–5 set it, E asks for the material's files (``files_requested``; the 电子件 column
    counts the pages captured), Enter edits the counts or the note (marking a material
    有误 opens its note at once: the service wants the problem written down).  其余全部已收 (the button, or
    Ctrl+Shift+A on the counter page) marks every material still 待核验 as 已收 at once; the intake's audit
    row records that it was used (``marked_all``).  The 容缺补交期限 appears when any material is 容缺: by
    default the promised due date, never later.

    Signals:
        changed(): a state, count, note or the deadline changed.
        files_requested(str): E on a material (its code): add its scanned files.
    """

    changed = Signal()
    files_requested = Signal(str)

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
                self.model.setData(self.model.index(at, IntakeMaterialModel.NOTE), note, Qt.ItemDataRole.EditRole)

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
            current = self.model.row_at(row)
            if current is not None:
                self.files_requested.emit(current.material.code)
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
