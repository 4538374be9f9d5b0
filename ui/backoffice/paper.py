"""签收纸质材料: the department signs for a 交接单 of paper folders from the counter (材料流转).

The receiver scans the 交接单's QR code (a scanner types ``HDTB:…`` into the field and presses Enter) or types its
number; the batch's folders are listed, every one ticked; the receiver unticks those that did not arrive and
confirms.  A batch signed for already lists its missing folders unticked: tick the ones that turned up and
confirm again.  The rules are ``app.transfers``'; the queue's 纸质材料 column follows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app import limits, transfers
from app.auth import Actor
from app.context import HallDesk
from app.transfers import BatchView, Folder
from ui.counter.transfers import FolderTableModel
from ui.models import CHECK, DISPLAY, local_time
from ui.ops import Change, run_op
from ui.widgets import (
    buddy_label,
    dialog_buttons,
    error_label,
    fit_columns,
    fit_to_screen,
    hint_label,
    limit_line,
    open_dialog,
    set_error,
    table_view,
)

Index = QModelIndex | QPersistentModelIndex
SCAN_FIRST = "请扫描交接单右上角的二维码，或输入交接单号后按回车。"


class ArrivalModel(FolderTableModel):
    """A batch's folders with a tick in the first column: ticked = arrived.  Only folders still open (on their
    way, or missing) can be ticked; those signed for already show ticked and greyed."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.arrived: dict[str, bool] = {}

    def set_batch(self, batch: BatchView | None) -> None:
        folders = batch.cases if batch is not None else ()
        # A first receipt ticks every folder; a later one leaves the missing ones for the receiver to tick.
        self.arrived = {f.case_no: f.state != transfers.MISSING for f in folders}
        self.set_rows(folders)

    def open(self, row: Folder) -> bool:
        return row.state in (transfers.SENT, transfers.MISSING)

    def missing(self) -> list[str]:
        """The open folders not ticked: those to record as 未到."""
        return [f.case_no for f in self._rows if self.open(f) and not self.arrived.get(f.case_no, True)]

    def arriving(self) -> list[str]:
        return [f.case_no for f in self._rows if self.open(f) and self.arrived.get(f.case_no, True)]

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        row = self.row_at(index.row()) if index.isValid() else None
        if row is not None and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
            if not self.open(row):
                flags &= ~Qt.ItemFlag.ItemIsEnabled
        return flags

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if role == CHECK and row is not None and index.column() == 0:
            ticked = self.arrived.get(row.case_no, True)
            return Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = CHECK) -> bool:
        row = self.row_at(index.row()) if index.isValid() else None
        if role != CHECK or row is None or index.column() != 0 or not self.open(row):
            return False
        self.arrived[row.case_no] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [CHECK])
        return True


class PaperReceiptDialog(QDialog):
    """Scan or type a 交接单, untick what did not arrive, 确认签收; stays open for the next 交接单."""

    def __init__(self, hall: HallDesk, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall, self._actor = hall, actor
        self.batch: BatchView | None = None
        self.setWindowTitle("签收纸质材料")
        self.scan_edit = limit_line(QLineEdit(), limits.TRANSFER_SCAN)
        self.scan_edit.setPlaceholderText("扫描交接单二维码，或输入交接单号后按回车")
        self.find_button = QPushButton("查找(&F)")
        self.find_button.setAutoDefault(False)
        self.batch_label = QLabel(SCAN_FIRST)
        self.batch_label.setWordWrap(True)
        self.model = ArrivalModel(self)
        self.view = table_view(self.model, empty="扫描或输入交接单号后，这里列出交接单上的办件。")
        fit_columns(self.view, stretch=(1, 2))
        self.note = hint_label("逐件核对纸质材料：未到的取消勾选后再确认签收；后来送到的，再扫描同一交接单补签。")
        self.error = error_label()
        self.done_label = QLabel()
        self.done_label.setObjectName("sectionTitle")
        self.done_label.setWordWrap(True)
        box, self.confirm_button = dialog_buttons(self, "确认签收(&S)", "关闭", on_accept=self.confirm)
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setDefault(False)  # Enter belongs to the scanner's field
        row = QHBoxLayout()
        row.addWidget(buddy_label("交接单(&J)", self.scan_edit))
        row.addWidget(self.scan_edit, 1)
        row.addWidget(self.find_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.batch_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.done_label)
        layout.addWidget(box)
        self.model.dataChanged.connect(self._update_confirm)  # a tick changes what can be signed for
        self.scan_edit.returnPressed.connect(self.find_batch)
        self.find_button.clicked.connect(self.find_batch)
        fit_to_screen(self, 860, 560)
        self._show_batch(None)

    def find_batch(self) -> None:
        text = self.scan_edit.text()
        if not text.strip():
            set_error(self.error, SCAN_FIRST)
            return
        hall, actor = self._hall, self._actor
        set_error(self.error, "")
        run_op(lambda: transfers.get_batch(hall.uow(), actor, text), self._found, owner=self, key="batch",
               busy="正在查找交接单…", form=self.error, disable=[self.find_button])

    def _found(self, batch: BatchView) -> None:
        self._show_batch(batch)
        self.done_label.setText({"received": "本交接单的纸质材料已全部签收。",
                                 "partial": "本交接单已签收；后来送到的办件请勾选后确认补签。"}.get(batch.state, ""))
        self.view.setFocus()

    def _show_batch(self, batch: BatchView | None) -> None:
        self.batch = batch
        self.model.set_batch(batch)
        if batch is None:
            self.batch_label.setText(SCAN_FIRST)
        else:
            materials, originals, copies = batch.totals
            signed = (f"；{batch.received_by_name}已于{local_time(batch.received_at, with_date=True)}签收"
                      if batch.received_at else "")
            self.batch_label.setText(
                f"交接单 {batch.batch_no}：{batch.counter}号窗口 {batch.created_by_name} 移交{batch.dept_name}，"
                f"{len(batch.cases)}件，材料{materials}项（原件{originals}份，复印件{copies}份）{signed}")
        self._update_confirm()

    def _update_confirm(self) -> None:
        self.confirm_button.setEnabled(bool(self.model.arriving()))

    def confirm(self) -> None:
        batch = self.batch
        if batch is None:
            set_error(self.error, SCAN_FIRST)
            return
        if not self.model.arriving():
            set_error(self.error, "没有勾选到达的办件：请勾选已送到的纸质材料")
            return
        hall, actor, number, missing = self._hall, self._actor, batch.batch_no, self.model.missing()
        run_op(lambda: transfers.receive_batch(hall.uow(), actor, number, missing), self._received, owner=self,
               changes={Change.CASES}, busy="正在签收…", form=self.error, disable=[self.confirm_button])

    def _received(self, batch: BatchView) -> None:
        arrived = sum(1 for f in batch.cases if f.state == transfers.RECEIVED)
        self._show_batch(batch)
        missing = f"，未到 {len(batch.missing)} 件：{'、'.join(batch.missing)}" if batch.missing else ""
        self.done_label.setText(f"已签收交接单 {batch.batch_no}：到达 {arrived} 件{missing}。可继续扫描下一张。")
        self.scan_edit.clear()
        self.scan_edit.setFocus()


def paper_button(page: Any) -> QPushButton:
    """The back-office page's 签收纸质材料… button (only for those who sign for 交接单); it opens the dialog
    and keeps it as ``page.paper_dialog``."""
    button = QPushButton("签收纸质材料(&J)…")
    button.setToolTip("扫描或输入交接单号，签收窗口移交的纸质材料")
    button.setVisible(transfers.may_receive(page._actor))
    page.paper_dialog = None

    def open_receipt() -> None:
        def closed() -> None:
            page.paper_dialog = None

        page.paper_dialog = open_dialog(PaperReceiptDialog(page._hall, page._actor, page), closed)

    button.clicked.connect(open_receipt)
    return button
