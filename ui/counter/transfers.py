"""材料流转 at the counter: the paper folders waiting to go to each department, and the 交接单 already made.

The clerk picks a department (the list says how many folders wait for each), sees its folders, and 生成交接单
puts the ticked ones (all, unless the clerk unticks a folder not yet ready) in a new batch and opens its A4
交接单 in the preview to print; the list below shows the counter's batches and whether each department signed for them (查看交接单 reprints one).  The rules — which
cases have a folder, the batch number, who may — are ``app.transfers``'; at a counter on its own store the
transfers go to the shared database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from app import transfers
from app.auth import Actor
from app.context import HallDesk
from app.infra.counter_store import LocalHall
from app.transfers import BatchView, DepartmentPending, Folder, PendingFolders
from ui.models import RowTableModel, local_time
from ui.ops import Change, run_op, subscribe
from ui.printing.preview import NoticePreviewDialog, open_pdf_preview
from ui.widgets import (
    Page,
    buddy_label,
    current_row,
    error_label,
    fit_columns,
    hint_label,
    restore_current,
    set_empty_text,
    set_error,
    table_view,
)

NONE_PENDING = ("本窗口没有待移交的纸质材料。窗口受理的办件受理后，其纸质材料会按承办部门列在这里，"
                "集中生成交接单送往部门（网上申报、不予受理、补正、即办的办件不需要移交）。")
NO_BATCHES = "本窗口还没有生成过交接单。"


def shared_hall(hall: HallDesk) -> HallDesk:
    """Where transfers are kept: the shared database, also at a counter working on its own store."""
    store = hall.store if isinstance(hall, LocalHall) else None
    return (store.shared_hall() if store is not None else None) or hall


def paper_text(f: Folder) -> str:
    return f"{f.materials}项（原件{f.originals}份，复印件{f.copies}份）"


class FolderTableModel(RowTableModel[Folder]):
    """Folders: case number (ticked to go in the next batch), item, applicant, the paper in it, when accepted
    (and its state in a batch).  Every folder starts ticked; one the clerk unticks (a folder not yet ready) stays
    waiting for a later 交接单.

    Signals:
        dataChanged: a folder was ticked or unticked (Space, or a click on its box).
    """

    headers = ("办件编号", "事项", "申请人", "纸质材料", "受理时间", "状态")
    centered = frozenset({4, 5})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent=parent)
        self._left_out: set[str] = set()

    def set_rows(self, rows: Iterable[Folder]) -> None:
        rows = list(rows)
        self._left_out &= {r.case_no for r in rows}  # a folder that left the list is forgotten
        super().set_rows(rows)

    def chosen(self) -> list[str]:
        """The ticked folders' case numbers, in list order."""
        return [r.case_no for r in self._rows if r.case_no not in self._left_out]

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() and index.column() == 0 else flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid() and index.column() == 0:
            row = self.row_at(index.row())
            if row is not None:
                left = row.case_no in self._left_out
                return Qt.CheckState.Unchecked if left else Qt.CheckState.Checked
        return super().data(index, role)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self.row_at(index.row()) if index.isValid() and index.column() == 0 else None
        if row is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self._left_out.discard(row.case_no)
        else:
            self._left_out.add(row.case_no)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def display(self, row: Folder, column: int) -> str:
        match column:
            case 0:
                return row.case_no
            case 1:
                return row.item_name
            case 2:
                return row.applicant
            case 3:
                return paper_text(row)
            case 4:
                return local_time(row.accepted_at, with_date=True) if row.accepted_at else ""
            case _:
                return row.state_name

    def row_of(self, case_no: object) -> int:
        return next((i for i, r in enumerate(self._rows) if r.case_no == case_no), -1)


class BatchTableModel(RowTableModel[BatchView]):
    """交接单: number, department, folders, state, when made and when signed for."""

    headers = ("交接单号", "接收部门", "件数", "状态", "移交时间", "签收时间")
    centered = frozenset({2, 3, 4, 5})

    def display(self, row: BatchView, column: int) -> str:
        match column:
            case 0:
                return row.batch_no
            case 1:
                return row.dept_name
            case 2:
                return str(len(row.cases))
            case 3:
                return row.state_name
            case 4:
                return local_time(row.created_at, with_date=True)
            case _:
                return local_time(row.received_at, with_date=True) if row.received_at else ""

    def tooltip(self, row: BatchView, column: int) -> str | None:
        if column == 3 and row.missing:
            return "未到：" + "、".join(row.missing)
        return None

    def row_of(self, batch_no: object) -> int:
        return next((i for i, r in enumerate(self._rows) if r.batch_no == batch_no), -1)


class TransferPanel(Page):
    """The counter's 材料流转 tab (only for clerks of a comprehensive counter: ``transfers.may_send``)."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(shared_hall(hall), actor, parent)
        subscribe(self, {Change.CASES}, self.refresh)  # a case taken meanwhile has a folder to send
        self.preview: NoticePreviewDialog | None = None
        self._dept_name = ""
        self.dept_combo = QComboBox()
        self.dept_combo.setMinimumContentsLength(16)
        self.refresh_button = QPushButton("刷新")
        self.create_button = QPushButton("生成交接单(&E)")
        self.create_button.setToolTip("把所选部门勾选的待移交纸质材料生成一张交接单，并打开 A4 交接单预览以打印"
                                      "（未勾选的留待下一张交接单；空格键勾选或取消）")
        self.folder_model = FolderTableModel(parent=self)
        self.folder_view = table_view(self.folder_model, empty=NONE_PENDING)
        fit_columns(self.folder_view, stretch=(1, 2))
        self.count_label = hint_label()
        self.error = error_label()
        self.batch_model = BatchTableModel(parent=self)
        self.batch_view = table_view(self.batch_model, empty=NO_BATCHES)
        fit_columns(self.batch_view, stretch=1)
        self.sheet_button = QPushButton("查看交接单(&V)…")
        self.sheet_button.setToolTip("预览所选交接单（可再次打印；部门签收后显示接收人和时间）")

        head = QHBoxLayout()
        head.addWidget(buddy_label("接收部门(&D)", self.dept_combo))
        head.addWidget(self.dept_combo, 1)
        head.addWidget(self.refresh_button)
        head.addWidget(self.create_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(head)
        top_layout.addWidget(self.folder_view, 1)
        top_layout.addWidget(self.count_label)
        top_layout.addWidget(self.error)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("本窗口的交接单")
        title.setObjectName("sectionTitle")
        row = QHBoxLayout()
        row.addWidget(title, 1)
        row.addWidget(self.sheet_button)
        bottom_layout.addLayout(row)
        bottom_layout.addWidget(self.batch_view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addWidget(split)

        self.folder_model.dataChanged.connect(lambda *_: self._show_count())
        self.dept_combo.currentIndexChanged.connect(self._dept_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.create_button.clicked.connect(self.create_batch)
        self.sheet_button.clicked.connect(self.view_sheet)
        self.batch_view.activated.connect(self.view_sheet)
        self._update_buttons()

    # ---- loading
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        hall, actor = self._hall, self._actor

        def load() -> tuple[list[DepartmentPending], list[BatchView]]:
            return transfers.pending_by_department(hall.uow(), actor), transfers.list_batches(hall.uow(), actor)

        run_op(load, self._loaded_all, owner=self, key="transfers")

    def _loaded_all(self, data: tuple[list[DepartmentPending], list[BatchView]]) -> None:
        pending, batches = data
        keep = self.dept_combo.currentData()
        self.dept_combo.blockSignals(True)
        self.dept_combo.clear()
        for d in pending:
            self.dept_combo.addItem(f"{d.dept_name}（{d.count}件）", d.dept)
        index = self.dept_combo.findData(keep)
        self.dept_combo.setCurrentIndex(index if index >= 0 else 0 if pending else -1)
        self.dept_combo.blockSignals(False)
        selected = current_row(self.batch_view, self.batch_model)
        self.batch_model.set_rows(batches)
        restore_current(self.batch_view, self.batch_model, selected.batch_no if selected else None)
        self._loaded = True
        self._dept_changed()

    def selected_dept(self) -> str | None:
        value = self.dept_combo.currentData()
        return value if isinstance(value, str) else None

    def _dept_changed(self) -> None:
        dept = self.selected_dept()
        set_error(self.error, "")
        if dept is None:
            self._show_folders(None)
            return
        hall, actor = self._hall, self._actor
        run_op(lambda: transfers.pending_folders(hall.uow(), actor, dept), self._show_folders, owner=self,
               key="folders")

    def _show_folders(self, pending: PendingFolders | None) -> None:
        if pending is not None and pending.dept != self.selected_dept():
            return  # an answer for a department no longer chosen
        folders = pending.folders if pending is not None else ()
        self._dept_name = pending.dept_name if pending is not None else ""
        self.folder_model.set_rows(folders)
        set_empty_text(self.folder_view, NONE_PENDING)
        self._show_count()

    def _show_count(self) -> None:
        folders = self.folder_model.rows()
        chosen = set(self.folder_model.chosen())
        if not folders:
            self.count_label.setText("")
        else:
            ticked = [f for f in folders if f.case_no in chosen]
            left = f"（{len(folders) - len(ticked)}件未勾选，留待下次）" if len(ticked) < len(folders) else ""
            self.count_label.setText(f"待移交{self._dept_name}：{len(folders)}件；本次移交{len(ticked)}件，"
                                     f"材料{sum(f.materials for f in ticked)}项{left}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.create_button.setEnabled(transfers.may_send(self._actor) and bool(self.folder_model.chosen()))
        self.sheet_button.setEnabled(self.batch_model.rowCount() > 0)

    # ---- actions
    def create_batch(self) -> None:
        dept = self.selected_dept()
        if dept is None or not self.create_button.isEnabled():
            return
        hall, actor = self._hall, self._actor
        numbers = self.folder_model.chosen()  # exactly what the clerk ticked

        def make() -> tuple[BatchView, bytes]:
            made = transfers.create_batch(hall.uow(), actor, dept, numbers)
            return transfers.batch_sheet(hall.uow(), actor, made.batch_no)

        run_op(make, self._created, owner=self, changes={Change.CASES}, busy="正在生成交接单…", form=self.error,
               disable=[self.create_button])

    def _created(self, made: tuple[BatchView, bytes]) -> None:
        view, pdf = made
        self.status_message.emit(f"已生成交接单 {view.batch_no}：{len(view.cases)}件送{view.dept_name}，请打印后随材料移交")
        self._open_preview(view, pdf)
        self.refresh()

    def selected_batch(self) -> BatchView | None:
        return current_row(self.batch_view, self.batch_model)

    def view_sheet(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        hall, actor, number = self._hall, self._actor, batch.batch_no
        run_op(lambda: transfers.batch_sheet(hall.uow(), actor, number), lambda made: self._open_preview(*made),
               owner=self, busy="正在打开交接单…")

    def _open_preview(self, view: BatchView, pdf: bytes) -> None:
        self.preview = open_pdf_preview(self, self._hall, self._actor, pdf, f"材料流转交接单 {view.batch_no}")
