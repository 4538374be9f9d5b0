"""通知书预览: a notice's PDF as pages on screen; print it on a system (A4) printer, or save it as a PDF.

The pages are pdfium renderings of the very bytes the A4 printer would get (``app.printing.preview``), so
what the clerk sees is what prints.  Printing paints page images onto a ``QPrinter`` at up to 300 dpi:
plenty for text on A4, and it works with any printer driver (no PDF support needed).
"""


from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import limits
from app.auth import Actor
from app.context import HallDesk
from app.printing import desk, queue
from app.printing.preview import page_images
from app.printing.queue import JobView
from ui.errors import show_error, warn
from ui.ops import Change, run_op
from ui.widgets import (
    dialog_buttons,
    error_label,
    fit_to_screen,
    hint_label,
    limit_line,
    open_dialog,
    set_error,
)

PREVIEW_DPI = 110
PRINT_DPI = 300  # ceiling: a driver reporting 1200 dpi would otherwise get a 400 MB page image
REPRINT_REASONS = ("回执遗失", "打印不清", "卡纸或缺纸", "申请人要求再打一份")


def pdf_pages(pdf: bytes, dpi: float) -> list[QImage]:
    """The PDF's pages as QImages (safe off the GUI thread: QImage is not a widget)."""
    images = []
    for page in page_images(pdf, dpi):
        rgb = page.convert("RGB")
        data = rgb.tobytes()
        # copy(): the QImage must own its pixels, not borrow the bytes object that goes away here.
        images.append(QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy())
    return images


def paint_pages(printer: QPrinter, images: list[QImage]) -> bool:
    """Paint one image per printer page, scaled to the whole sheet (the PDF page already has margins)."""
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        for number, image in enumerate(images):
            if number and not printer.newPage():
                return False
            area = painter.viewport()
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(area.x() + (area.width() - size.width()) // 2, area.y(), size.width(), size.height())
            painter.drawImage(target, image)
    finally:
        painter.end()
    return True


class ReprintReasonDialog(QDialog):
    """Why something already printed is printed again: a 补打 needs a reason, which goes into the audit trail.

    Signals:
        chosen(str): the reason, when the clerk confirmed.
    """

    chosen = Signal(str)

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"补打 — {what}")
        self.reason_combo = QComboBox()
        self.reason_combo.setEditable(True)
        self.reason_combo.addItems(list(REPRINT_REASONS))
        self.reason_combo.setCurrentIndex(-1)
        line_edit = self.reason_combo.lineEdit()
        if line_edit is not None:
            line_edit.setPlaceholderText("选择或输入补打原因")
            limit_line(line_edit, limits.PRINT_REASON)
        label = QLabel("补打原因(&R)")
        label.setBuddy(self.reason_combo)
        note = hint_label("补打件标注“补打”，补打人和原因记入审计日志。")
        self.error_label = error_label()
        buttons, self.ok_button = dialog_buttons(self, "补打(&P)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason_combo)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)
        self.reason_combo.setFocus()

    def reason(self) -> str:
        return self.reason_combo.currentText().strip()

    def save(self) -> str | None:
        reason = self.reason()
        if not reason:
            set_error(self.error_label, "请填写补打原因（如：回执遗失、打印不清）")
            self.reason_combo.setFocus()
            return None
        self.chosen.emit(reason)
        self.accept()
        return reason


class NoticePreviewDialog(QDialog):
    """The pages of one notice, scaled to the window's width; 打印…, 另存为PDF…, 关闭.

    Opened for a queued notice job (``job_id``), printing it here marks that job printed.  Opened with a
    ``reprint_loader`` (the notice was printed before), 打印… first asks for a reason and prints the copy
    that loader returns, marked 补打.

    Signals:
        printed(): the pages went to the printer (and the job, if any, was marked printed).
        saved(str): the PDF was written to this path.
    """

    printed = Signal()
    saved = Signal(str)

    def __init__(
        self,
        hall: HallDesk,
        actor: Actor,
        pdf: bytes,
        title: str,
        *,
        job_id: uuid.UUID | None = None,
        reprint_loader: Callable[[str], bytes] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self._pdf = pdf
        self._title = title
        self._job_id = job_id
        self._reprint_loader = reprint_loader
        self._images: list[QImage] = []
        self._busy = False
        self.printer: QPrinter | None = None
        self.dialog: QDialog | None = None  # the print, save or reason dialog on top, kept for tests
        self.setWindowTitle(f"预览 — {title}")

        self.pages_widget = QWidget()
        self.pages_widget.setObjectName("previewPages")
        self.pages_layout = QVBoxLayout(self.pages_widget)
        self.pages_layout.setSpacing(12)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.status_label = QLabel("正在生成预览…")
        self.status_label.setObjectName("hintLabel")
        self.pages_layout.addWidget(self.status_label)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.pages_widget)
        self.scroll_area.setStyleSheet("QScrollArea { background: #8a9099; } QWidget#previewPages { background: #8a9099; }")

        self.print_button = QPushButton("补打…(&P)" if reprint_loader else "打印…(&P)")
        self.print_button.setToolTip("在本机的打印机（A4）上打印" + ("；须填写补打原因" if reprint_loader else ""))
        self.save_button = QPushButton("另存为PDF…(&S)")
        self.close_button = QPushButton("关闭")
        self.close_button.setDefault(True)
        self.info_label = QLabel()
        self.info_label.setObjectName("hintLabel")
        buttons = QHBoxLayout()
        buttons.addWidget(self.info_label, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)

        self.print_button.clicked.connect(self.start_print)
        self.save_button.clicked.connect(self.start_save)
        self.close_button.clicked.connect(self.reject)
        fit_to_screen(self, 820, 900)
        run_op(lambda: pdf_pages(pdf, PREVIEW_DPI), self._pages_ready, self._pages_failed, owner=self)

    # ---- showing the pages
    def page_count(self) -> int:
        return len(self._images)

    def page_labels(self) -> list[QLabel]:
        return [w for w in self.pages_widget.findChildren(QLabel) if w.objectName() == "previewPage"]

    def _pages_ready(self, images: list[QImage]) -> None:
        self._images = images
        self.status_label.hide()
        for _ in images:
            label = QLabel()
            label.setObjectName("previewPage")
            self.pages_layout.addWidget(label)
        self.info_label.setText(f"共{len(images)}页")
        self._scale_pages()

    def _pages_failed(self, exc: BaseException) -> None:
        self.status_label.setText("无法生成预览")
        show_error(self, exc)

    def _scale_pages(self) -> None:
        width = max(200, self.scroll_area.viewport().width() - 40)
        for label, image in zip(self.page_labels(), self._images, strict=False):
            label.setPixmap(QPixmap.fromImage(image).scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._images:
            self._scale_pages()

    # ---- saving
    def start_save(self) -> QFileDialog:
        dialog = QFileDialog(self, "另存为PDF", str(Path.home() / f"{self._title}.pdf"), "PDF 文件 (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(self.save_pdf)
        self._open(dialog)
        return dialog

    def save_pdf(self, path: str) -> bool:
        """Write the notice's PDF bytes, exactly as issued, to ``path``."""
        try:
            Path(path).write_bytes(self._pdf)
        except OSError as exc:
            warn(self, f"无法保存文件 {path}：{exc.strerror or exc}")
            return False
        self.info_label.setText(f"已保存到 {path}")
        self.saved.emit(path)
        return True

    # ---- printing
    def start_print(self) -> QDialog | None:
        """打印…: a reprint asks for its reason first; then the system print dialog."""
        if self._busy:
            return None
        if self._reprint_loader is not None:
            reason_dialog = ReprintReasonDialog(self._title, self)
            reason_dialog.chosen.connect(self._reprint_reason)
            self._open(reason_dialog)
            return reason_dialog
        return self._open_print_dialog()

    def _reprint_reason(self, reason: str) -> None:
        loader = self._reprint_loader
        assert loader is not None
        self._set_busy(True)
        run_op(lambda: loader(reason), self._reprint_loaded, self._failed, owner=self)

    def _reprint_loaded(self, pdf: bytes) -> None:
        # From now on this dialog holds the 补打 copy: printing it again needs no second reason.
        self._pdf = pdf
        self._reprint_loader = None
        self.print_button.setText("打印…(&P)")
        self._set_busy(False)
        self._open_print_dialog()

    def _open_print_dialog(self) -> QPrintDialog:
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.printer.setDocName(self._title)
        dialog = QPrintDialog(self.printer, self)
        dialog.accepted.connect(self._print_accepted)
        self._open(dialog)
        return dialog

    def _print_accepted(self) -> None:
        if self.printer is not None:
            self.print_to(self.printer)

    def print_to(self, printer: QPrinter) -> None:
        """Render the pages at the printer's resolution (at most 300 dpi) off the GUI thread, then paint them."""
        if self._busy:
            return
        self._set_busy(True)
        pdf, dpi = self._pdf, min(float(printer.resolution()), PRINT_DPI)
        run_op(lambda: pdf_pages(pdf, dpi), lambda images: self._paint(printer, images), self._failed,
                          owner=self)

    def _paint(self, printer: QPrinter, images: list[QImage]) -> None:
        if not paint_pages(printer, images):
            self._set_busy(False)
            warn(self, "打印机没有接受打印任务，请检查打印机后重试")
            return
        job_id, hall, actor = self._job_id, self._hall, self._actor
        if job_id is None:
            self._printed()
            return

        def mark() -> None:
            queue.mark_printed_elsewhere(hall.uow(), actor, job_id, "预览打印")

        run_op(mark, lambda _none: self._printed(), self._failed, changes={Change.PRINT_JOBS}, owner=self)

    def _printed(self) -> None:
        self._set_busy(False)
        self.info_label.setText(f"已发送到打印机：{self._title}")
        self.printed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        show_error(self, exc)

    def is_busy(self) -> bool:
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.print_button.setEnabled(not busy)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        open_dialog(dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.dialog = None


def open_pdf_preview(parent: QWidget, hall: HallDesk, actor: Actor, pdf: bytes, title: str) -> NoticePreviewDialog:
    """A PDF to read, print or save (a notice as issued, a report): not modal, gone once closed."""
    preview = NoticePreviewDialog(hall, actor, pdf, title, parent=parent)
    preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    preview.show()
    return preview


def notice_preview(hall: HallDesk, actor: Actor, case_no: str, kind: str, pdf: bytes, title: str,
                   job: JobView | None, parent: QWidget | None = None) -> NoticePreviewDialog:
    """The preview of a case's notice, wired to its print job.

    A waiting job is marked printed when the clerk prints from the preview; a notice whose job already
    printed can only be printed again as a 补打 (with a reason, logged, marked on the page).
    """
    waiting = job is not None and job.status in ("pending", "failed")
    printed_before = job is not None and job.status == "printed"

    def reprint(reason: str) -> bytes:
        return desk.notice_pdf(hall.uow(), actor, case_no, kind, reprint=True, reason=reason)

    return NoticePreviewDialog(hall, actor, pdf, title, job_id=job.id if job is not None and waiting else None,
                               reprint_loader=reprint if printed_before else None, parent=parent)
