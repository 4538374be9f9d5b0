"""打印机设置: a counter's receipt (thermal) printer with its profile, and its A4 printer.

A clerk opens it for their own counter from the 综合受理 page; an admin for any counter from 窗口管理.
The profile (paper width, encoding, Chinese mode, …) belongs to the printer's address, the addresses to
the counter; ``load()`` and ``save()`` read and write both.
"""


from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import accounts, limits
from app.accounts import CounterView
from app.auth import Actor
from app.context import HallDesk
from app.errors import NotFound, ValidationError
from app.printing import desk, queue
from app.printing.model import PrinterProfile
from app.printing.transport import parse_printer_uri
from ui.errors import show_error
from ui.ops import Change, Op, run_op
from ui.widgets import CheckedField, buddy_label, dialog_buttons, hint_label, limit_line, set_tab_order, tint

URI_FORMS = ("网络 tcp://192.168.1.50:9100　　USB usb://0416:5011（VID:PID）\n"
             "串口 serial:///dev/ttyS0?baudrate=9600 或 serial://COM3?baudrate=9600\n"
             "Windows win32://打印机名　　CUPS cups://队列名　　文件 file:///路径")
TEST_TIMEOUT = 3.0


def _optional_uri(uri: str) -> object:
    """An empty address is allowed (no printer yet); anything typed must parse."""
    return parse_printer_uri(uri) if uri.strip() else None


class PrinterSettingsDialog(QDialog):
    """The printers of one counter: receipt printer address and profile, A4 printer address, 打印测试页.

    Signals:
        saved(CounterView): the counter's printers (and the receipt printer's profile) were stored.
        test_finished(bool, str): 打印测试页 came back — printed, and the printer's error when not.
    """

    saved = Signal(object)
    test_finished = Signal(bool, str)

    def __init__(self, hall: HallDesk, actor: Actor, counter_number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hall = hall
        self._actor = actor
        self.counter_number = counter_number
        self.counter: CounterView | None = None
        self._testing = False
        self.setWindowTitle(f"打印机设置 — {counter_number}号窗口")

        # ---- receipt printer
        self.uri_field = CheckedField(_optional_uri, placeholder="如 tcp://192.168.1.50:9100", optional=True)
        self.uri_edit = limit_line(self.uri_field.edit, limits.PRINTER_URI)
        forms = QLabel(URI_FORMS)
        forms.setObjectName("hintLabel")
        forms.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.paper_combo = QComboBox()
        self.paper_combo.addItem("80 毫米（每行48字符）", 80)
        self.paper_combo.addItem("58 毫米（每行32字符）", 58)
        self.encoding_combo = QComboBox()
        for encoding in desk.ENCODINGS:
            self.encoding_combo.addItem(encoding, encoding)
        self.chinese_check = QCheckBox("中文模式（FS && … FS .，多数国产热敏打印机需要）(&C)")
        self.raster_check = QCheckBox("图片模式（打印机没有中文字库时，整张按图片打印）(&R)")
        self.qr_combo = QComboBox()
        self.qr_combo.addItem("打印机自带二维码指令（GS ( k）", True)
        self.qr_combo.addItem("按图片打印二维码", False)
        self.cut_check = QCheckBox("打印后自动切纸(&U)")
        self.status_check = QCheckBox("打印前检测纸张状态（缺纸时不发送）(&K)")
        receipt_form = QFormLayout()
        receipt_form.addRow(buddy_label("打印机地址(&P)", self.uri_field.edit), self.uri_field)
        receipt_form.addRow("", forms)
        receipt_form.addRow(buddy_label("纸宽(&W)", self.paper_combo), self.paper_combo)
        receipt_form.addRow(buddy_label("编码(&E)", self.encoding_combo), self.encoding_combo)
        receipt_form.addRow("", self.chinese_check)
        receipt_form.addRow("", self.raster_check)
        receipt_form.addRow(buddy_label("二维码(&Q)", self.qr_combo), self.qr_combo)
        receipt_form.addRow("", self.cut_check)
        receipt_form.addRow("", self.status_check)
        receipt_box = QGroupBox("回执打印机（热敏）")
        receipt_box.setLayout(receipt_form)

        # ---- A4 printer
        self.a4_field = CheckedField(_optional_uri, placeholder="如 cups://A4 或 file:///home/窗口/通知书", optional=True)
        self.a4_edit = limit_line(self.a4_field.edit, limits.A4_PRINTER_URI)
        a4_note = hint_label("A4 通知书可发送到 cups://、file:// 或网络打印机 tcp://；留空则在预览中用本机打印机打印。")
        a4_form = QFormLayout()
        a4_form.addRow(buddy_label("A4打印机地址(&A)", self.a4_field.edit), self.a4_field)
        a4_form.addRow("", a4_note)
        a4_box = QGroupBox("A4 打印机（通知书）")
        a4_box.setLayout(a4_form)

        # ---- test page and buttons
        self.test_button = QPushButton("打印测试页(&T)")
        self.test_button.setToolTip("按表单中的纸宽、编码等设置保存该打印机的参数，并立即打印一张测试页")
        self.test_label = QLabel()
        self.test_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_label, 1)
        buttons, self.ok_button = dialog_buttons(self, "保存(&S)", on_accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(receipt_box)
        layout.addWidget(a4_box)
        layout.addLayout(test_row)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)
        set_tab_order(self.uri_edit, self.paper_combo, self.encoding_combo, self.chinese_check, self.raster_check,
                      self.qr_combo, self.cut_check, self.status_check, self.a4_edit, self.test_button,
                      *buttons.buttons())

        self.test_button.clicked.connect(self.print_test_page)
        self.raster_check.toggled.connect(self._raster_toggled)
        self.uri_edit.textChanged.connect(self._update_test_button)
        self.load()
        self.uri_edit.setFocus()

    # ---- the form
    def form_profile(self) -> PrinterProfile:
        paper = 58 if self.paper_combo.currentData() == 58 else 80
        encoding = str(self.encoding_combo.currentData())
        return PrinterProfile(
            paper_mm=paper, encoding=encoding,  # type: ignore[arg-type]  # the combo only holds ENCODINGS
            chinese_mode=self.chinese_check.isChecked(), raster=self.raster_check.isChecked(),
            qr_native=bool(self.qr_combo.currentData()), cut=self.cut_check.isChecked(),
            status_check=self.status_check.isChecked(),
        )

    def set_form(self, counter: CounterView, profile: PrinterProfile) -> None:
        self.counter = counter
        self.uri_edit.setText(counter.printer_uri)
        self.a4_edit.setText(counter.a4_printer_uri)
        self.set_profile(profile)

    def set_profile(self, profile: PrinterProfile) -> None:
        self.paper_combo.setCurrentIndex(max(0, self.paper_combo.findData(profile.paper_mm)))
        self.encoding_combo.setCurrentIndex(max(0, self.encoding_combo.findData(profile.encoding)))
        self.chinese_check.setChecked(profile.chinese_mode)
        self.raster_check.setChecked(profile.raster)
        self.qr_combo.setCurrentIndex(0 if profile.qr_native else 1)
        self.cut_check.setChecked(profile.cut)
        self.status_check.setChecked(profile.status_check)
        self._raster_toggled()

    def _raster_toggled(self) -> None:
        # In picture mode the whole slip is an image: text encoding and native QR do not apply.
        text_mode = not self.raster_check.isChecked()
        for widget in (self.encoding_combo, self.chinese_check, self.qr_combo):
            widget.setEnabled(text_mode)

    def _update_test_button(self) -> None:
        self.test_button.setEnabled(not self._testing and self.uri_field.is_valid())

    # ---- load / save
    def load(self) -> Op[tuple[CounterView, PrinterProfile]]:
        """Fill the form from the database: the counter's addresses and its receipt printer's profile."""
        hall, number = self._hall, self.counter_number

        def read() -> tuple[CounterView, PrinterProfile]:
            counter = next((c for c in accounts.list_counters(hall.uow()) if c.number == number), None)
            if counter is None:
                raise NotFound(f"{number}号窗口不存在")
            profile = desk.get_profile(hall.uow(), counter.printer_uri) if counter.printer_uri else PrinterProfile()
            return counter, profile

        return run_op(read, self._read, owner=self, key="load")

    def _read(self, data: tuple[CounterView, PrinterProfile]) -> None:
        self.set_form(*data)
        self._update_test_button()

    def save(self) -> Op[CounterView] | None:
        """Store the addresses (and the profile under the receipt printer's address); close on success."""
        hall, actor, number = self._hall, self._actor, self.counter_number
        uri, a4, profile = self.uri_field.text(), self.a4_field.text(), self.form_profile()
        for field in (self.uri_field, self.a4_field):
            if problem := field.problem():
                # Both addresses are checked before anything is stored: no profile saved for a refused form.
                field.show_problem(problem)
                field.edit.setFocus()
                return None

        def write() -> CounterView:
            # The profile first: it checks the address the same way, and a refusal then leaves nothing half-saved.
            if uri:
                desk.save_profile(hall.uow(), actor, uri, profile)
            return accounts.set_counter_printers(hall.uow(), actor, number, uri, a4)

        return run_op(write, self._written, owner=self, changes={Change.ACCOUNTS, Change.SETTINGS},
                      form=self._show_field_error, disable=[self.ok_button])

    def _written(self, counter: CounterView) -> None:
        self.counter = counter
        self.saved.emit(counter)
        self.accept()

    def _show_field_error(self, field_name: str, message: str) -> None:
        show_error(self, ValidationError(field_name, message))
        field = self.a4_field if field_name == "a4_printer_uri" else self.uri_field
        field.show_problem(message)
        field.edit.setFocus()

    # ---- test page
    def print_test_page(self) -> bool:
        """Save the form's profile for this address, queue a test page and send it at once (in the background)."""
        if self._testing:
            return False
        uri, profile, hall, actor = self.uri_field.text(), self.form_profile(), self._hall, self._actor
        if problem := self.uri_field.problem() or ("" if uri else "请先填写打印机地址"):
            self.uri_field.show_problem(problem)
            self.uri_edit.setFocus()
            return False

        def run() -> queue.JobView:
            desk.save_profile(hall.uow(), actor, uri, profile)
            job_id = queue.enqueue_test_page(hall.uow(), actor, uri)
            job = queue.send_job(hall.uow, job_id, force=True, timeout=TEST_TIMEOUT)
            if job.status != "printed":
                # A failed test page is not worth retrying later: it would print when nobody expects it.
                queue.cancel_job(hall.uow(), actor, job_id, "测试页未打印")
            return job

        self._testing = True
        self._update_test_button()
        self.test_label.setText("正在打印测试页…")
        tint(self.test_label, "#5b6b7f")
        run_op(run, self._test_done, self._test_failed, changes={Change.PRINT_JOBS, Change.SETTINGS}, owner=self)
        return True

    def _test_done(self, job: queue.JobView) -> None:
        ok = job.status == "printed"
        self._test_result(ok, "测试页打印成功" if ok else f"测试页打印失败：{job.last_error}")
        self.test_finished.emit(ok, "" if ok else job.last_error)

    def _test_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self._test_result(False, exc.message)
            self.test_finished.emit(False, exc.message)
        else:
            self._test_result(False, "测试页打印失败")
            show_error(self, exc)

    def _test_result(self, ok: bool, text: str) -> None:
        self._testing = False
        self._update_test_button()
        self.test_label.setText(text)
        tint(self.test_label, "#1e7d45" if ok else "#c0392b")

    def test_text(self) -> str:
        return self.test_label.text()
