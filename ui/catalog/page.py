"""事项目录: browse the service catalog; chief representatives and admins edit item guides here.

Clerks consult the guides at the counter, so everyone sees the browser; only an admin, or the chief
representative of the item's own department, gets 编辑 and 新增事项 (the services check again).
"""


from __future__ import annotations

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import catalog, limits, roles
from app.auth import Actor
from app.catalog import (
    ITEM_KINDS,
    Assessment,
    DepartmentView,
    Item,
    ItemGuide,
    Material,
)
from app.context import HallDesk
from ui.catalog.editor import ItemEditorDialog
from ui.catalog.models import DepartmentListModel, ItemTableModel, MaterialTableModel
from ui.errors import show_error
from ui.models import days
from ui.ops import Change, Op, run_op, subscribe
from ui.shortcuts import describe, guarded, set_available
from ui.widgets import (
    Page,
    current_row,
    fit_columns,
    limit_line,
    open_dialog,
    select_key,
    set_shown,
    set_tab_order,
    table_view,
)


def may_edit(actor: Actor, dept_code: str | None) -> bool:
    """Whether ``actor`` may edit (or add) items of ``dept_code``: the role table's ``catalog.edit``, and a chief
    representative only for their own department (the scope the service checks)."""
    if dept_code is None or not roles.allowed(actor, "catalog.edit"):
        return False
    return actor.role != "chief_rep" or actor.dept_code == dept_code


def can_edit_catalog(actor: Actor) -> bool:
    return roles.allowed(actor, "catalog.edit")


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
        self.search_edit = limit_line(QLineEdit(), limits.SEARCH)
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
        # The catalog's own codes (事项编码, 材料编码) are for those who keep it; the others read names.
        self.show_codes = editor_role
        self.items_view.setColumnHidden(0, not editor_role)
        set_shown(self.new_button, editor_role)
        set_shown(self.edit_button, editor_role)
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
        self.materials_view.setColumnHidden(MaterialTableModel.CODE, not self.show_codes)
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
            self.detail_title.setText(f"{item.code}  {item.name}" if self.show_codes else item.name)
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
