"""事项目录: browse the service catalog; chief representatives and admins edit item guides here.

Clerks consult the guides at the counter, so everyone sees the browser; only an admin, or the chief
representative of the item's own department, gets 编辑 and 新增事项 (the services check again).
"""

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
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import catalog, limits, roles
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
from ui.errors import confirm, show_error
from ui.models import DepartmentListModel, ItemTableModel, MaterialTableModel, days
from ui.ops import Change, Op, run_op, subscribe
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import (
    LimitedTextDelegate,
    Page,
    current_row,
    dialog_buttons,
    error_label,
    fit_columns,
    fit_to_screen,
    hint_label,
    limit_line,
    limit_text,
    open_dialog,
    select_key,
    set_error,
    set_tab_order,
    table_view,
)

EDIT = Qt.ItemDataRole.EditRole
MAX_SHOWN_PROBLEMS = 5


def may_edit(actor: Actor, dept_code: str | None) -> bool:
    """Whether ``actor`` may edit (or add) items of ``dept_code``: the role table's ``catalog.edit``, and a chief
    representative only for their own department (the scope the service checks)."""
    if dept_code is None or not roles.allowed(actor, "catalog.edit"):
        return False
    return actor.role != "chief_rep" or actor.dept_code == dept_code


def can_edit_catalog(actor: Actor) -> bool:
    return roles.allowed(actor, "catalog.edit")


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


class CountDelegate(QStyledItemDelegate):
    """原件 / 复印件 counts: a small spin box instead of Qt's full-int-range default."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        spin = QSpinBox(parent)
        spin.setRange(0, 99)
        return spin


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


# ---- the browser -----------------------------------------------------------------------------------


class CatalogPage(Page):
    """Departments on the left, their items in the middle, the selected item's guide and materials below.

    Ctrl+F searches items by code or name across all departments; Enter or F2 on an item opens the editor
    for those who may edit it.

    Signals:
        status_message(str): something the main window's status bar should show for a while.
    """

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(hall, actor, parent)
        subscribe(self, {Change.CATALOG}, self.refresh)  # what other pages change
        self._items: list[Item] = []
        self._assessments: list[Assessment] = []
        self._select_after_load: tuple[str | None, str | None] = (None, None)
        self._select_after_filter: str | None = None
        self.editor: ItemEditorDialog | None = None

        # ---- left: search and departments
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("搜索事项编码或名称（Ctrl+F）")
        self.search_edit.setClearButtonEnabled(True)
        self.dept_model = DepartmentListModel(parent=self)
        self.dept_view = QListView()
        self.dept_view.setModel(self.dept_model)
        self.dept_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        dept_label = QLabel("实施部门(&D)")
        dept_label.setObjectName("sectionTitle")
        dept_label.setBuddy(self.dept_view)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(dept_label)
        left_layout.addWidget(self.dept_view, 1)

        # ---- items
        self.items_model = ItemTableModel(parent=self)
        self.items_view = table_view(self.items_model, empty="没有符合条件的事项。请换一个关键词或部门查找。")
        fit_columns(self.items_view, stretch=1)
        self.items_caption = QLabel("正在加载…")
        self.items_caption.setObjectName("sectionTitle")
        self.items_caption.setBuddy(self.items_view)
        self.new_button = QPushButton("新增事项(&N)")
        self.edit_button = QPushButton("编辑(&E)")
        self.edit_button.setToolTip("编辑所选事项的办事指南（Enter 或 F2）")
        self.refresh_button = QPushButton("刷新(&R)")
        self.refresh_button.setToolTip("重新读取目录（F5）")
        editor_role = can_edit_catalog(actor)
        self.new_button.setVisible(editor_role)
        self.edit_button.setVisible(editor_role)
        head = QHBoxLayout()
        head.addWidget(self.items_caption, 1)
        head.addWidget(self.new_button)
        head.addWidget(self.edit_button)
        head.addWidget(self.refresh_button)

        # ---- the selected item's guide
        self.detail_title = QLabel()
        self.detail_title.setObjectName("detailTitle")
        self.detail_title.setWordWrap(True)
        self.dept_value = self._value_label()
        self.kind_value = self._value_label()
        self.days_value = self._value_label()
        self.fee_value = self._value_label()
        self.basis_value = self._value_label()
        guide_grid = QGridLayout()
        guide_grid.setHorizontalSpacing(12)
        guide_grid.setVerticalSpacing(4)
        for row, col, text, value in (
            (0, 0, "实施部门", self.dept_value), (0, 2, "事项类型", self.kind_value),
            (1, 0, "办理时限", self.days_value), (1, 2, "收费标准", self.fee_value),
        ):
            guide_grid.addWidget(self._key_label(text), row, col)
            guide_grid.addWidget(value, row, col + 1)
        guide_grid.addWidget(self._key_label("设定依据"), 2, 0, Qt.AlignmentFlag.AlignTop)
        guide_grid.addWidget(self.basis_value, 2, 1, 1, 3)
        guide_grid.setColumnStretch(1, 1)
        guide_grid.setColumnStretch(3, 1)
        self.materials_model = MaterialTableModel(parent=self)
        self.materials_view = table_view(self.materials_model, empty="在上方选择事项后，这里列出它的申请材料。")
        fit_columns(self.materials_view, stretch=MaterialTableModel.NAME)
        materials_label = QLabel("申请材料(&M)")
        materials_label.setObjectName("sectionTitle")
        materials_label.setBuddy(self.materials_view)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        detail_layout.addWidget(self.detail_title)
        detail_layout.addLayout(guide_grid)
        detail_layout.addWidget(materials_label)
        detail_layout.addWidget(self.materials_view, 1)

        right_split = QSplitter(Qt.Orientation.Vertical)
        items_box = QWidget()
        items_layout = QVBoxLayout(items_box)
        items_layout.setContentsMargins(0, 0, 0, 0)
        items_layout.addLayout(head)
        items_layout.addWidget(self.items_view)
        right_split.addWidget(items_box)
        right_split.addWidget(detail)
        right_split.setSizes([330, 370])
        right_split.setChildrenCollapsible(False)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right_split)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 900])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        set_tab_order(self.search_edit, self.dept_view, self.items_view, self.new_button, self.edit_button,
                      self.refresh_button, self.materials_view)

        # ---- wiring
        self.search_edit.textChanged.connect(self._apply_filter)
        self.search_edit.returnPressed.connect(self.items_view.setFocus)
        self.dept_view.selectionModel().currentChanged.connect(self._dept_changed)
        self.items_view.selectionModel().currentChanged.connect(self._item_changed)
        self.items_view.activated.connect(self.edit_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.new_button.clicked.connect(self.new_item)
        self.refresh_button.clicked.connect(self.refresh)
        describe(QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "查找事项")
        describe(QShortcut(QKeySequence(Qt.Key.Key_F2), self.items_view, guarded(self.edit_button, self.edit_selected),
                           context=Qt.ShortcutContext.WidgetShortcut), "编辑所选事项（列表中）")
        describe(QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                           context=Qt.ShortcutContext.WidgetWithChildrenShortcut), "刷新")
        self._show_item(None)

    @staticmethod
    def _value_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _key_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("keyLabel")
        return label

    # ---- loading
    def refresh(self) -> None:
        """Reload departments, items and assessments off the GUI thread, keeping the selection."""
        if self._select_after_load == (None, None):
            self._select_after_load = (self.selected_dept_code(), self.selected_item_code())
        hall = self._hall

        def load() -> tuple[list[DepartmentView], list[Item], list[Assessment]]:
            return (catalog.list_departments(hall.uow()), catalog.list_items(hall.uow()),
                    catalog.list_assessments(hall.uow()))

        self.refresh_button.setEnabled(False)
        run_op(load, self._loaded_data, self._load_failed, owner=self, key="load")

    def _load_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        show_error(self, exc)

    def _loaded_data(self, data: tuple[list[DepartmentView], list[Item], list[Assessment]]) -> None:
        departments, items, assessments = data
        self._items = items
        self._assessments = assessments
        self.materials_model.set_assessments(assessments)
        dept_code, item_code = self._select_after_load
        self._select_after_load = (None, None)
        if dept_code is None:
            # A chief representative works on their own department; everyone else starts at the top.
            dept_code = self._actor.dept_code if self._actor.role == "chief_rep" else None
        self.dept_model.set_rows(departments)
        self._loaded = True
        self.refresh_button.setEnabled(True)
        self.select_department(dept_code or (departments[0].code if departments else None), item_code)

    # ---- selection
    def selected_dept(self) -> DepartmentView | None:
        return current_row(self.dept_view, self.dept_model)

    def selected_dept_code(self) -> str | None:
        dept = self.selected_dept()
        return dept.code if dept else None

    def selected_item(self) -> Item | None:
        return current_row(self.items_view, self.items_model)

    def selected_item_code(self) -> str | None:
        item = self.selected_item()
        return item.code if item else None

    def items(self) -> list[Item]:
        return list(self._items)

    def select_department(self, code: str | None, item_code: str | None = None) -> None:
        row = self.dept_model.row_of(code)
        if row < 0 and self.dept_model.rowCount():
            row = 0
        self._select_after_filter = item_code
        if row >= 0:
            index = self.dept_model.index(row, 0)
            if self.dept_view.currentIndex() == index:
                self._apply_filter()
            else:
                self.dept_view.setCurrentIndex(index)
        else:
            self._apply_filter()

    def select_item(self, code: str) -> bool:
        if not select_key(self.items_view, self.items_model, code):
            return False
        self.items_view.scrollTo(self.items_view.currentIndex())
        return True

    def _dept_changed(self) -> None:
        if self.search_edit.text():
            self.search_edit.blockSignals(True)  # picking a department ends the search
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        wanted = self._select_after_filter or self.selected_item_code()
        self._select_after_filter = None
        text = self.search_edit.text().strip()
        if text:
            key = text.upper()
            rows = [i for i in self._items if key in i.code.upper() or text in i.name]
            caption = f"搜索“{text}”：找到{len(rows)}项事项"
        else:
            dept = self.selected_dept()
            rows = [i for i in self._items if dept is not None and i.dept == dept.code]
            caption = f"{dept.name}：{len(rows)}项事项" if dept else "事项"
        self.items_caption.setText(caption)
        self.items_model.set_rows(rows)
        if not (wanted and self.select_item(wanted)) and rows:
            self.items_view.setCurrentIndex(self.items_model.index(0, 0))
        if not rows:
            self._show_item(None)
        self._update_buttons()

    def _item_changed(self) -> None:
        self._show_item(self.selected_item())

    def _show_item(self, item: Item | None) -> None:
        if item is None:
            self.detail_title.setText("请选择事项")
            for label in (self.dept_value, self.kind_value, self.days_value, self.fee_value, self.basis_value):
                label.clear()
            self.materials_model.set_rows([])
        else:
            self.detail_title.setText(f"{item.code}  {item.name}")
            self.dept_value.setText(item.dept_name)
            self.kind_value.setText(item.kind)
            if item.immediate:
                self.days_value.setText(f"即办件，当场办结（法定时限{days(item.legal_days)}）")
            else:
                self.days_value.setText(f"承诺{days(item.promised_days)}，法定{days(item.legal_days)}")
            self.fee_value.setText(item.fee)
            self.basis_value.setText(item.legal_basis or "（未填写）")
            self.materials_model.set_rows(item.materials)
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.selected_item()
        if item is None:
            reason = "请先在列表中选择事项"
        elif may_edit(self._actor, item.dept):
            reason = ""
        elif can_edit_catalog(self._actor):
            reason = f"只能编辑本部门（{self._actor.dept_name}）的事项"
        else:
            reason = "办事指南可以查阅，编辑由事项所属部门负责"
        set_available(self.edit_button, reason)
        self.edit_button.setToolTip(reason or "编辑所选事项的办事指南（Enter 或 F2）")
        dept = self.selected_dept()
        self.new_button.setEnabled(dept is not None and not self.search_edit.text() and may_edit(self._actor, dept.code))

    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # ---- editing
    def edit_selected(self) -> Op[Item] | None:
        item = self.selected_item()
        if item is None or not may_edit(self._actor, item.dept):
            return None
        return self.open_editor(item)

    def open_editor(self, item: Item) -> Op[Item]:
        """Open the editor (``self.editor``, window-modal, not blocking) on the item as it is in the database when
        the read arrives."""
        hall, code = self._hall, item.code
        return run_op(lambda: catalog.get_item(hall.uow(), code), self._edit_fresh, owner=self, key="open_editor")

    def _edit_fresh(self, fresh: Item) -> None:
        if self.editor is not None:
            return  # an editor opened meanwhile (a second F2): one at a time
        dialog = ItemEditorDialog(self._hall, self._actor, self._assessments, fresh.guide, item=fresh, parent=self)
        self._show_editor(dialog)

    def new_item(self) -> ItemEditorDialog | None:
        dept = self.selected_dept()
        if dept is None or not may_edit(self._actor, dept.code):
            return None
        template = ItemGuide(
            code=self._suggest_code(dept.code), name="", kind=ITEM_KINDS[0], legal_basis="", legal_days=20,
            promised_days=5, immediate=False, fee="不收费", materials=(Material(code="M01", name="申请书"),),
        )
        dialog = ItemEditorDialog(self._hall, self._actor, self._assessments, template, dept=dept, parent=self)
        return self._show_editor(dialog)

    def _suggest_code(self, dept_code: str) -> str:
        taken = {i.code for i in self._items}
        n = sum(1 for i in self._items if i.dept == dept_code) + 1
        while f"{dept_code}{n:03d}" in taken:
            n += 1
        return f"{dept_code}{n:03d}"

    def _show_editor(self, dialog: ItemEditorDialog) -> ItemEditorDialog:
        dialog.saved.connect(self._item_saved)
        self.editor = dialog
        return open_dialog(dialog, self._editor_closed)

    def _editor_closed(self) -> None:
        self.editor = None
        self.items_view.setFocus()

    def _item_saved(self, item: Item) -> None:
        self.status_message.emit(f"已保存事项 {item.code} {item.name}（第{item.version}版）")
        self._select_after_load = (item.dept, item.code)
        self.refresh()
