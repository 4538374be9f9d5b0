"""打印机设置: a counter's receipt (thermal) printer with its profile, and its A4 printer.

A clerk opens it for their own counter from the 综合受理 page; an admin for any counter from 窗口管理.
Each printer is picked with a ``PrinterChooser`` (the printers found on this PC, no address to type; the
address itself under 高级).  The profile (paper width, encoding, Chinese mode, …) belongs to the printer's
address, the addresses to the counter; ``load()`` and ``save()`` read and write both.
"""


from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
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

from app import accounts
from app.accounts import CounterView
from app.auth import Actor
from app.context import HallDesk
from app.errors import NotFound, ValidationError
from app.printing import desk, testpage
from app.printing.model import (
    PRINT_MODE_TIPS,
    PRINT_MODES,
    QR_MODES,
    PrinterProfile,
    print_mode,
    with_print_mode,
)
from app.printing.paper import sample_image
from ui.errors import show_error
from ui.ops import Change, Op, run_op
from ui.printing.chooser import PrinterChooser
from ui.widgets import buddy_label, dialog_buttons, hint_label, set_tab_order, tint

TEST_TIMEOUT = 3.0
SAMPLE_SCALE = 0.4  # the sample at 40 % of the printed dots: an 80 mm slip is 230 pixels wide


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
        self.thermal = PrinterChooser("thermal")
        self.thermal.test_button.hide()  # the dialog's own 打印测试页 prints with the form's profile
        self.thermal.test_label.hide()
        self.thermal.set_keys(test="")
        self.uri_field = self.thermal.uri_field
        self.uri_edit = self.thermal.uri_edit
        self.paper_combo = QComboBox()
        self.paper_combo.addItem("80 毫米（每行48字符）", 80)
        self.paper_combo.addItem("58 毫米（每行32字符）", 58)
        self.encoding_combo = QComboBox()
        for encoding in desk.ENCODINGS:
            self.encoding_combo.addItem(encoding, encoding)
        self.mode_combo = QComboBox()
        for mode, name in PRINT_MODES.items():
            self.mode_combo.addItem(name, mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, PRINT_MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        self.mode_hint = hint_label()
        self.qr_combo = QComboBox()
        for native, name in QR_MODES.items():
            self.qr_combo.addItem(name, native)
        self.cut_check = QCheckBox("打印后自动切纸(&U)")
        self.status_check = QCheckBox("打印前检测纸张状态（缺纸时不发送）(&K)")
        receipt_form = QFormLayout()
        receipt_form.addRow(self.thermal)
        receipt_form.addRow(buddy_label("纸宽(&W)", self.paper_combo), self.paper_combo)
        receipt_form.addRow(buddy_label("打印方式(&M)", self.mode_combo), self.mode_combo)
        receipt_form.addRow("", self.mode_hint)
        receipt_form.addRow(buddy_label("编码(&E)", self.encoding_combo), self.encoding_combo)
        receipt_form.addRow(buddy_label("二维码(&Q)", self.qr_combo), self.qr_combo)
        receipt_form.addRow("", self.cut_check)
        receipt_form.addRow("", self.status_check)
        # The live sample: the bytes this profile sends, put on paper (app.printing.paper), scaled down.
        self.sample_label = QLabel()
        self.sample_label.setObjectName("receiptSample")
        self.sample_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.sample_label.setFixedWidth(round(PrinterProfile(paper_mm=80).dots * SAMPLE_SCALE) + 8)
        self.sample_label.setStyleSheet("background: #ffffff; border: 1px solid #c8ced6;")
        self.sample_label.setToolTip("按当前设置打印出来的样子（示例回执，未连接打印机）")
        sample_box = QVBoxLayout()
        sample_box.addWidget(hint_label("打印效果示例"))
        sample_box.addWidget(self.sample_label)
        sample_box.addStretch(1)
        receipt_row = QHBoxLayout()
        receipt_row.addLayout(receipt_form, 1)
        receipt_row.addLayout(sample_box)
        receipt_box = QGroupBox("回执打印机（热敏）")
        receipt_box.setLayout(receipt_row)

        # ---- A4 printer
        self.a4 = PrinterChooser("a4")
        self.a4.set_context(hall, actor, counter_number)
        # Alt keys of their own beside the receipt printer's chooser
        self.a4.set_keys(way="L", refresh="F", baud="", host="I", port="N", folder="J", test="G")
        self.a4_field = self.a4.uri_field
        self.a4_edit = self.a4.uri_edit
        a4_note = hint_label("A4 通知书发送到所选打印机；选“不设置”则在预览中用本机打印机打印。")
        a4_form = QVBoxLayout()
        a4_form.addWidget(self.a4)
        a4_form.addWidget(a4_note)
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
        self.setMinimumWidth(780)  # the form and the sample side by side
        set_tab_order(self.thermal.way_combo, self.thermal.device_list, self.paper_combo, self.mode_combo,
                      self.encoding_combo, self.qr_combo, self.cut_check, self.status_check, self.a4.way_combo,
                      self.a4.device_list, self.test_button, *buttons.buttons())

        self.test_button.clicked.connect(self.print_test_page)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        for combo in (self.paper_combo, self.encoding_combo, self.qr_combo):
            combo.currentIndexChanged.connect(self.update_sample)
        self.uri_edit.textChanged.connect(self._update_test_button)
        self.thermal.changed.connect(lambda *_: self._update_test_button())
        self._mode_changed()
        self.load()
        self.thermal.way_combo.setFocus()

    # ---- the form
    def form_profile(self) -> PrinterProfile:
        paper = 58 if self.paper_combo.currentData() == 58 else 80
        encoding = str(self.encoding_combo.currentData())
        profile = PrinterProfile(
            paper_mm=paper, encoding=encoding,  # type: ignore[arg-type]  # the combo only holds ENCODINGS
            qr_native=bool(self.qr_combo.currentData()), cut=self.cut_check.isChecked(),
            status_check=self.status_check.isChecked(),
        )
        return with_print_mode(profile, str(self.mode_combo.currentData()))

    def set_form(self, counter: CounterView, profile: PrinterProfile) -> None:
        self.counter = counter
        self.thermal.set_uri(counter.printer_uri)
        self.a4.set_uri(counter.a4_printer_uri)
        self.set_profile(profile)

    def set_profile(self, profile: PrinterProfile) -> None:
        self.paper_combo.setCurrentIndex(max(0, self.paper_combo.findData(profile.paper_mm)))
        self.encoding_combo.setCurrentIndex(max(0, self.encoding_combo.findData(profile.encoding)))
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(print_mode(profile))))
        self.qr_combo.setCurrentIndex(max(0, self.qr_combo.findData(profile.qr_native)))
        self.cut_check.setChecked(profile.cut)
        self.status_check.setChecked(profile.status_check)
        self._mode_changed()

    def _mode_changed(self) -> None:
        # In picture mode the whole slip is an image: text encoding and the printer's QR do not apply.
        mode = str(self.mode_combo.currentData())
        for widget in (self.encoding_combo, self.qr_combo):
            widget.setEnabled(mode != "image")
        self.mode_hint.setText(PRINT_MODE_TIPS[mode])
        self.update_sample()

    def update_sample(self) -> None:
        """Draw the sample slip as the form's settings print it."""
        image = sample_image(self.form_profile()).convert("L")
        qimage = QImage(image.tobytes(), image.width, image.height, image.width, QImage.Format.Format_Grayscale8)
        pixmap = QPixmap.fromImage(qimage.copy())
        width = round(image.width * SAMPLE_SCALE)
        self.sample_label.setPixmap(pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation))

    def sample_image(self) -> QImage:
        """The sample as shown (for tests)."""
        return self.sample_label.pixmap().toImage()

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
        for chooser in (self.thermal, self.a4):
            if problem := chooser.uri_field.problem():
                # Both addresses are checked before anything is stored: no profile saved for a refused form.
                chooser.show_problem(problem)
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
        (self.a4 if field_name == "a4_printer_uri" else self.thermal).show_problem(message)

    # ---- test page
    def print_test_page(self) -> bool:
        """Save the form's profile for this address, queue a test page and send it at once (in the background)."""
        if self._testing:
            return False
        uri, profile, hall, actor = self.uri_field.text(), self.form_profile(), self._hall, self._actor
        number = self.counter_number
        if problem := self.uri_field.problem() or ("" if uri else "请先选择打印机"):
            self.thermal.show_problem(problem)
            return False

        def run() -> testpage.PrinterTestResult:
            # Sent straight to the printer (not queued): a failed test page is not retried later by surprise.
            desk.save_profile(hall.uow(), actor, uri, profile)
            return testpage.print_counter_test_page(hall.uow(), actor, number, uri=uri, timeout=TEST_TIMEOUT)

        self._testing = True
        self._update_test_button()
        self.test_label.setText("正在打印测试页…")
        tint(self.test_label, "#5b6b7f")
        run_op(run, self._test_done, self._test_failed, changes={Change.PRINT_JOBS, Change.SETTINGS}, owner=self)
        return True

    def _test_done(self, outcome: testpage.PrinterTestResult) -> None:
        ok = outcome.ok
        self._test_result(ok, "测试页打印成功" if ok else outcome.message)
        self.test_finished.emit(ok, "" if ok else outcome.message)

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
