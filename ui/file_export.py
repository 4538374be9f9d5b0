"""导出电子件: one stored file saved to this PC exactly as stored, with the reason the audit trail keeps.

The reason is required and as long as ``app.limits.FILE_EXPORT_REASON`` allows; ``app.files.export_file`` checks
it (the refusal shows under the field, nothing is written) and writes the bytes chunk by chunk, checked against
their SHA-256, then records 查看留痕 ``case.file.export``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import files, limits
from app.auth import Actor
from app.context import HallDesk
from app.files import CaseFileView
from ui.ops import run_op
from ui.widgets import buddy_label, dialog_buttons, error_label, hint_label, limit_line, set_error

SUFFIX = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
FILTERS = {"pdf": "PDF 文件 (*.pdf)", "jpeg": "JPEG 图片 (*.jpg *.jpeg)", "png": "PNG 图片 (*.png)"}


class FileExportDialog(QDialog):
    """导出电子件: reason and target path, then ``files.export_file`` in the background.

    Signals:
        exported(str): the path written.
    """

    exported = Signal(str)

    def __init__(self, hall: HallDesk, actor: Actor, case_no: str, file: CaseFileView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall, self._actor, self._case_no, self.file = hall, actor, case_no, file
        self.setWindowTitle("导出电子件")
        self.reason_edit = limit_line(QLineEdit(), limits.FILE_EXPORT_REASON)
        self.reason_edit.setPlaceholderText("例如：报送上级机关复核、行政复议调卷")
        self.path_edit = QLineEdit(str(Path.home() / self.default_name()))
        self.path_edit.setMaxLength(1024)  # a file path, not stored
        self.browse_button = QPushButton("浏览(&B)…")
        self.error_label = error_label()
        self.file_dialog: QFileDialog | None = None
        form = QFormLayout()
        name = QLabel(f"{file.material_name} · {file.name}（{file.kind_name}，{file.pages}页）")
        name.setWordWrap(True)
        form.addRow("文件：", name)
        form.addRow(buddy_label("导出原因(&R)", self.reason_edit), self.reason_edit)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form.addRow(buddy_label("保存到(&S)", self.path_edit), path_row)
        buttons, self.ok_button = dialog_buttons(self, "导出(&E)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint_label("文件按保存时的内容原样导出（与校验值核对）；导出原因和操作人记入查看留痕。"))
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.browse_button.clicked.connect(self.browse)
        self.resize(560, self.sizeHint().height())

    def default_name(self) -> str:
        stem = Path(self.file.name).stem or "电子件"
        return f"{self._case_no}_{stem}.{SUFFIX.get(self.file.kind, 'bin')}"

    def browse(self) -> QFileDialog:
        dialog = QFileDialog(self, "导出电子件", self.path_edit.text(), FILTERS.get(self.file.kind, ""))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(SUFFIX.get(self.file.kind, ""))
        dialog.fileSelected.connect(self.path_edit.setText)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def save(self) -> None:
        reason, target = self.reason_edit.text(), self.path_edit.text().strip()
        if not target:
            set_error(self.error_label, "请选择保存位置")
            return
        hall, actor, case_no, file_id = self._hall, self._actor, self._case_no, str(self.file.id)
        path = Path(target)

        def done(_view: CaseFileView) -> None:
            self.exported.emit(str(path))
            self.accept()

        def field_error(_field: str, message: str) -> None:
            set_error(self.error_label, message)
            (self.reason_edit if _field == "reason" else self.path_edit).setFocus()

        run_op(lambda: files.export_file(hall.uow(), actor, case_no, file_id, path, reason), done, owner=self,
               form=field_error, disable=[self.ok_button], busy="正在导出电子件…")
