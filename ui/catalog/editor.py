"""The item guide editor (事项编辑): fields, materials with counts, 容缺 and 免提交 rules, all problems at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import catalog, limits
from app.auth import Actor
from app.catalog import (
    ITEM_KINDS,
    MAX_DAYS,
    Assessment,
    DepartmentView,
    Item,
    ItemGuide,
    Material,
    guide_problems,
)
from app.context import HallDesk
from ui.catalog.models import MaterialTableModel
from ui.errors import confirm
from ui.ops import Change, Op, run_op
from ui.shortcuts import describe
from ui.unsaved import watch_form
from ui.widgets import (
    CountDelegate,
    LimitedTextDelegate,
    dialog_buttons,
    error_label,
    fit_columns,
    fit_to_screen,
    hint_label,
    limit_line,
    limit_text,
    set_error,
    set_tab_order,
    table_view,
)

EDIT = Qt.ItemDataRole.EditRole
MAX_SHOWN_PROBLEMS = 5


# ---- the item editor -------------------------------------------------------------------------------


class AssessmentDelegate(QStyledItemDelegate):
    """Edits 区域评估免提交 with a combo box of the zone's assessments (first choice: none)."""

    def __init__(self, assessments: Sequence[Assessment], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assessments = list(assessments)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        combo = QComboBox(parent)
        combo.addItem("（无）", "")
        for a in self._assessments:
            combo.addItem(a.name, a.code)
        # Commit as soon as a choice is made, not only when focus leaves the cell.
        combo.activated.connect(self._commit_combo)
        return combo

    def _commit_combo(self) -> None:
        combo = self.sender()
        if isinstance(combo, QComboBox):
            self.commitData.emit(combo)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(EDIT) or "")))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), EDIT)
        else:
            super().setModelData(editor, model, index)


def _materials_of(dialog: QWidget) -> object:
    """The editor's materials, for its snapshot (``unsaved_work``)."""
    return dialog.materials_model.materials() if isinstance(dialog, ItemEditorDialog) else None


class ItemEditorDialog(QDialog):
    """Edit an item's guide (办事指南) and its materials, or create a new item.

    The rules of ``catalog.guide_problems`` are checked on every change; 保存 stays disabled while any is
    broken.  Saving goes through ``catalog.update_item`` (with the version the dialog was opened on, so a
    concurrent edit is refused) or ``catalog.create_item``; a refusal is shown and the dialog stays open.

    Signals:
        saved(Item): the service stored the guide; carries the item as it now is in the database.
    """

    saved = Signal(object)

    def __init__(
        self,
        hall: HallDesk,
        actor: Actor,
        assessments: Sequence[Assessment],
        guide: ItemGuide,
        *,
        item: Item | None = None,
        dept: DepartmentView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # unsaved_work(): the fields and the materials, changed since shown
        self._form = watch_form(self, extra=_materials_of)
        self._hall = hall
        self._actor = actor
        self._item = item
        self._dept = dept
        self._original = guide
        self._assessment_codes = [a.code for a in assessments]
        self.saved_item: Item | None = None
        if item is not None:
            self.setWindowTitle(f"编辑事项 — {item.code} {item.name}（{item.dept_name}）")
        else:
            self.setWindowTitle(f"新增事项 — {dept.name if dept else ''}")

        # ---- guide fields
        self.code_edit = limit_line(QLineEdit(guide.code), limits.ITEM_CODE)
        self.code_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[A-Za-z0-9-]{0,32}"), self))
        self.code_edit.setReadOnly(item is not None)  # the code is the item's identity (printed on receipts)
        self.name_edit = limit_line(QLineEdit(guide.name), limits.ITEM_NAME)
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(list(ITEM_KINDS))
        if guide.kind not in ITEM_KINDS:
            self.kind_combo.addItem(guide.kind)
        self.kind_combo.setCurrentText(guide.kind)
        self.fee_edit = limit_line(QLineEdit(guide.fee), limits.FEE)
        self.legal_spin = self._days_spin(guide.legal_days)
        self.promised_spin = self._days_spin(guide.promised_days)
        self.immediate_check = QCheckBox("即办件（当场办结）(&J)")
        self.immediate_check.setChecked(guide.immediate)
        self.promised_spin.setEnabled(not guide.immediate)
        self.basis_edit = QPlainTextEdit(guide.legal_basis)
        self.basis_edit.setTabChangesFocus(True)
        self.basis_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 16)
        self.basis_limit = limit_text(self.basis_edit, limits.LEGAL_BASIS)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self._add_field(grid, 0, 0, "事项编码(&C)", self.code_edit)
        self._add_field(grid, 0, 2, "事项名称(&N)", self.name_edit)
        self._add_field(grid, 1, 0, "事项类型(&K)", self.kind_combo)
        self._add_field(grid, 1, 2, "收费标准(&F)", self.fee_edit)
        self._add_field(grid, 2, 0, "法定时限(&L)", self.legal_spin)
        promised = QHBoxLayout()
        promised.addWidget(self.promised_spin, 1)
        promised.addSpacing(12)
        promised.addWidget(self.immediate_check)
        promised_label = QLabel("承诺时限(&P)")
        promised_label.setBuddy(self.promised_spin)
        grid.addWidget(promised_label, 2, 2)
        grid.addLayout(promised, 2, 3)
        basis_label = QLabel("设定依据(&B)")
        basis_label.setBuddy(self.basis_edit)
        grid.addWidget(basis_label, 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.basis_edit, 3, 1, 1, 3)
        grid.addWidget(self.basis_limit, 4, 1, 1, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 3)

        # ---- materials
        self.materials_model = MaterialTableModel(guide.materials, assessments, editable=True, parent=self)
        self.materials_view = self._materials_view(assessments)
        materials_label = QLabel("申请材料(&T)")
        materials_label.setObjectName("sectionTitle")
        materials_label.setBuddy(self.materials_view)
        self.add_button = QPushButton("添加材料(&A)")
        self.add_button.setToolTip("在当前材料之后添加一行（Insert）")
        self.remove_button = QPushButton("删除材料(&D)")
        self.remove_button.setToolTip("删除当前材料（Delete）")
        self.up_button = QPushButton("上移(&U)")
        self.up_button.setToolTip("Ctrl+↑")
        self.down_button = QPushButton("下移(&W)")
        self.down_button.setToolTip("Ctrl+↓")
        tools = QHBoxLayout()
        tools.addWidget(materials_label)
        tools.addStretch(1)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            tools.addWidget(button)
        hint = hint_label("勾选“可容缺”的材料可在容缺受理时后补；选择区域评估的材料由已完成的区域评估免于提交。"
                          "F2 或直接输入编辑单元格，空格切换勾选。")

        self.problems_label = error_label()
        buttons, self.save_button = dialog_buttons(self, "保存(&S)", on_accept=self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addSpacing(4)
        layout.addLayout(tools)
        layout.addWidget(self.materials_view, 1)
        layout.addWidget(hint)
        layout.addWidget(self.problems_label)
        layout.addWidget(buttons)

        chain: list[QWidget] = [
            self.code_edit, self.name_edit, self.kind_combo, self.fee_edit, self.legal_spin, self.promised_spin,
            self.immediate_check, self.basis_edit, self.materials_view, self.add_button, self.remove_button,
            self.up_button, self.down_button,
        ]
        set_tab_order(*chain, *buttons.buttons())

        self.add_button.clicked.connect(self.add_material)
        self.remove_button.clicked.connect(self.remove_material)
        self.up_button.clicked.connect(self.move_material_up)
        self.down_button.clicked.connect(self.move_material_down)
        self.immediate_check.toggled.connect(self._immediate_toggled)
        for edit in (self.code_edit, self.name_edit, self.fee_edit):
            edit.textChanged.connect(self._revalidate)
        self.basis_edit.textChanged.connect(self._revalidate)
        self.kind_combo.currentIndexChanged.connect(self._revalidate)
        self.legal_spin.valueChanged.connect(self._revalidate)
        self.promised_spin.valueChanged.connect(self._revalidate)
        self.immediate_check.toggled.connect(self._revalidate)
        m = self.materials_model
        for signal in (m.dataChanged, m.rowsInserted, m.rowsRemoved, m.rowsMoved, m.modelReset):
            signal.connect(self._revalidate)
        self.materials_view.selectionModel().currentChanged.connect(self._update_row_buttons)

        fit_to_screen(self, 1040, 680)
        self._revalidate()
        self._update_row_buttons()
        (self.code_edit if item is None else self.name_edit).setFocus()

    # ---- construction helpers
    @staticmethod
    def _days_spin(value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, MAX_DAYS)
        spin.setSuffix(" 个工作日")
        spin.setValue(value)
        spin.setAccelerated(True)
        return spin

    @staticmethod
    def _add_field(grid: QGridLayout, row: int, col: int, text: str, widget: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        grid.addWidget(label, row, col)
        grid.addWidget(widget, row, col + 1)

    def _materials_view(self, assessments: Sequence[Assessment]) -> QTableView:
        view = table_view(self.materials_model, self, empty="该事项尚未登记申请材料。")
        view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
        )
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setItemDelegateForColumn(MaterialTableModel.COVERED_BY, AssessmentDelegate(assessments, view))
        counts = CountDelegate(view)
        view.setItemDelegateForColumn(MaterialTableModel.ORIGINALS, counts)
        view.setItemDelegateForColumn(MaterialTableModel.COPIES, counts)
        for column, limit in ((MaterialTableModel.CODE, limits.MATERIAL_CODE),
                              (MaterialTableModel.NAME, limits.MATERIAL_NAME),
                              (MaterialTableModel.NOTE, limits.MATERIAL_NOTE)):
            view.setItemDelegateForColumn(column, LimitedTextDelegate(limit, view))
        fit_columns(view, stretch=MaterialTableModel.NAME)
        header = view.horizontalHeader()
        header.setSectionResizeMode(MaterialTableModel.NOTE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MaterialTableModel.COVERED_BY, QHeaderView.ResizeMode.Interactive)
        view.setColumnWidth(MaterialTableModel.COVERED_BY, 150)
        view.setColumnWidth(MaterialTableModel.NOTE, 220)
        for keys, slot, text in (
            (QKeySequence(Qt.Key.Key_Insert), self.add_material, "添加材料"),
            (QKeySequence(Qt.Key.Key_Delete), self.remove_material, "删除材料"),
            (QKeySequence("Ctrl+Up"), self.move_material_up, "材料上移"),
            (QKeySequence("Ctrl+Down"), self.move_material_down, "材料下移"),
        ):
            describe(QShortcut(keys, view, slot, context=Qt.ShortcutContext.WidgetShortcut), text)
        return view

    # ---- reading the form
    def guide(self) -> ItemGuide:
        return ItemGuide(
            code=self.code_edit.text().strip().upper(),
            name=self.name_edit.text(),
            kind=self.kind_combo.currentText(),
            legal_basis=self.basis_edit.toPlainText(),
            legal_days=self.legal_spin.value(),
            promised_days=self.promised_spin.value(),
            immediate=self.immediate_check.isChecked(),
            fee=self.fee_edit.text(),
            materials=self.materials_model.materials(),
        )

    def problems(self) -> list[str]:
        return [message for _, message in guide_problems(self.guide(), self._assessment_codes)]

    def is_modified(self) -> bool:
        return self.guide() != self._original

    # ---- materials table actions
    def current_material_row(self) -> int:
        index = self.materials_view.currentIndex()
        return index.row() if index.isValid() else -1

    def add_material(self, material: Material | None = None) -> int:
        current = self.current_material_row()
        row = self.materials_model.add_row(material, at=current + 1 if current >= 0 else None)
        index = self.materials_model.index(row, MaterialTableModel.NAME)
        self.materials_view.setCurrentIndex(index)
        self.materials_view.setFocus()
        if material is None:
            self.materials_view.edit(index)  # a new row starts with its name
        return row

    def remove_material(self) -> None:
        row = self.current_material_row()
        if row < 0:
            return
        column = self.materials_view.currentIndex().column()
        self.materials_model.remove_row(row)
        remaining = self.materials_model.rowCount()
        if remaining:
            self.materials_view.setCurrentIndex(self.materials_model.index(min(row, remaining - 1), column))
        self._update_row_buttons()

    def move_material_up(self) -> None:
        self.move_material(-1)

    def move_material_down(self) -> None:
        self.move_material(1)

    def move_material(self, delta: int) -> None:
        row = self.current_material_row()
        if row < 0:
            return
        column = self.materials_view.currentIndex().column()
        target = self.materials_model.move_row(row, delta)
        self.materials_view.setCurrentIndex(self.materials_model.index(target, column))
        self._update_row_buttons()

    # ---- saving
    def unsaved_work(self) -> str:
        """For leaving the window (退出登录, 退出程序): what this open dialog would lose."""
        return "办事指南已修改，尚未保存" if self._form.changed() else ""

    def save(self) -> Op[Item] | None:
        """Store the guide through the service; on success emit ``saved`` and close.  A refusal shows a message
        box and keeps the user's edits in the dialog.  None when the form's own checks refuse."""
        guide = self.guide()
        if self.problems():
            self._revalidate()
            return None
        item, dept, hall, actor = self._item, self._dept, self._hall, self._actor
        call: Callable[[], Item]
        if item is not None:
            version = item.version
            call = lambda: catalog.update_item(hall.uow(), actor, guide, expected_version=version)  # noqa: E731
        elif dept is not None:
            code = dept.code
            call = lambda: catalog.create_item(hall.uow(), actor, code, guide)  # noqa: E731
        else:
            return None
        return run_op(call, self._stored_item, owner=self, changes={Change.CATALOG}, busy="正在保存事项…",
                      disable=[self.save_button])

    def _stored_item(self, item: Item) -> None:
        self.saved_item = item
        self.saved.emit(item)
        self.accept()

    def reject(self) -> None:
        if self.is_modified() and not confirm(self, "放弃对本事项所做的修改？", "放弃修改"):
            return
        super().reject()

    # ---- internals
    def _immediate_toggled(self, immediate: bool) -> None:
        # An immediate item is done on the spot: its promise is 0 days, a promised item needs at least 1.
        self.promised_spin.setEnabled(not immediate)
        if immediate:
            self.promised_spin.setValue(0)
        elif self.promised_spin.value() == 0:
            self.promised_spin.setValue(1)

    def _revalidate(self) -> None:
        problems = self.problems()
        if problems:
            shown = problems[:MAX_SHOWN_PROBLEMS]
            more = len(problems) - len(shown)
            text = "请先修正：\n" + "\n".join(f"• {p}" for p in shown) + (f"\n……另有{more}处问题" if more else "")
        else:
            text = ""
        set_error(self.problems_label, text)
        self.save_button.setEnabled(not problems)

    def _update_row_buttons(self) -> None:
        row = self.current_material_row()
        count = self.materials_model.rowCount()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
