"""打印机设置: load()/save() through the services, 打印测试页 at a TCP printer, the admin's counter dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app import accounts
from app.auth import Actor
from app.context import HallDesk
from app.printing import desk, queue
from app.printing.model import PRINT_MODE_TIPS, PrinterProfile
from app.printing.paper import SAMPLE_QR, sample_image
from tests.conftest import log_in, sqlite_only
from tests.support.escpos_decode import decode, decode_qr_images
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle
from tests.ui.test_admin import show
from ui.admin.counters import CounterDialog, CountersPage
from ui.counter.page import CounterPage
from ui.printing.printers import PrinterSettingsDialog


def counter(hall: HallDesk, number: int) -> accounts.CounterView:
    return next(c for c in accounts.list_counters(hall.uow()) if c.number == number)


@sqlite_only
def test_clerk_printer_settings_round_trip(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    page = CounterPage(hall, log_in(hall, "clerk1"))
    show(page, qtbot)
    dialog = page.open_printer_settings()
    settle()  # the form is filled when the stored settings arrive
    assert isinstance(dialog, PrinterSettingsDialog) and page.dialog is dialog
    assert dialog.form_profile() == PrinterProfile()  # nothing configured yet: the defaults
    assert not dialog.test_button.isEnabled()  # no address, nothing to test

    qtbot.keyClicks(dialog.uri_edit, "lpt1")
    assert "应为 tcp://" in dialog.uri_field.message_text()  # live, the transport's own message
    replace_text(dialog.uri_edit, printer.uri)
    assert dialog.uri_field.message_text() == "✓" and dialog.test_button.isEnabled()
    dialog.paper_combo.setCurrentIndex(dialog.paper_combo.findData(58))
    dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findData("GBK"))
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("plain"))
    dialog.qr_combo.setCurrentIndex(1)
    dialog.cut_check.setChecked(False)
    dialog.status_check.setChecked(False)
    qtbot.keyClicks(dialog.a4_edit, "cups://A4")
    wanted = PrinterProfile(paper_mm=58, encoding="GBK", chinese_mode=False, raster=False, qr_native=False,
                            cut=False, status_check=False)
    assert dialog.form_profile() == wanted
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save() is not None
    assert message_boxes.shown == [] and not dialog.isVisible()
    assert desk.get_profile(hall.uow(), printer.uri) == wanted
    assert (counter(hall, 1).printer_uri, counter(hall, 1).a4_printer_uri) == (printer.uri, "cups://A4")

    again = PrinterSettingsDialog(hall, log_in(hall, "clerk1"), 1)
    settle()
    qtbot.addWidget(again)
    assert again.load()
    assert again.form_profile() == wanted
    assert (again.uri_edit.text(), again.a4_edit.text()) == (printer.uri, "cups://A4")
    again.mode_combo.setCurrentIndex(again.mode_combo.findData("image"))  # encoding and the printer's QR do not apply
    assert not again.encoding_combo.isEnabled() and not again.qr_combo.isEnabled()


def _dialog_texts(dialog: PrinterSettingsDialog) -> list[str]:
    """Every text the dialog shows or offers: labels, buttons, check boxes, combo entries and their tips."""
    texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton)]
    texts += [w.toolTip() for w in dialog.findChildren(QWidget)]
    for combo in dialog.findChildren(QComboBox):
        texts += [combo.itemText(i) for i in range(combo.count())]
        texts += [str(combo.itemData(i, Qt.ItemDataRole.ToolTipRole) or "") for i in range(combo.count())]
    return texts


@sqlite_only
def test_printer_dialog_speaks_in_words_and_shows_a_live_sample(hall: HallDesk, qtbot: QtBot) -> None:
    dialog = PrinterSettingsDialog(hall, log_in(hall, "clerk1"), 1)
    qtbot.addWidget(dialog)
    dialog.show()
    settle()
    shown = "\n".join(_dialog_texts(dialog))
    for command in ("FS &", "FS .", "GS (", "GS v", "ESC", "raster", "chinese"):
        assert command not in shown, command
    modes = [dialog.mode_combo.itemText(i) for i in range(dialog.mode_combo.count())]
    assert any("中文字库" in m for m in modes) and any("图片打印" in m for m in modes)
    assert {dialog.qr_combo.itemText(i) for i in range(dialog.qr_combo.count())} >= {"打印机生成二维码（快）"}

    # The sample follows the choice: another 打印方式, paper or QR mode prints differently.
    samples = {}
    for mode in ("font", "image"):
        dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData(mode))
        samples[mode] = dialog.sample_image()
        assert not samples[mode].isNull() and samples[mode].height() > 100
    assert samples["font"] != samples["image"]
    assert PRINT_MODE_TIPS["image"] == dialog.mode_hint.text()
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("font"))
    assert dialog.sample_image() == samples["font"]  # the same settings, the same sample
    dialog.paper_combo.setCurrentIndex(dialog.paper_combo.findData(58))
    assert dialog.sample_image().width() < samples["font"].width()
    dialog.paper_combo.setCurrentIndex(dialog.paper_combo.findData(80))
    dialog.qr_combo.setCurrentIndex(dialog.qr_combo.findData(False))
    assert dialog.sample_image().size() == samples["font"].size()


def test_sample_is_drawn_from_the_printer_bytes() -> None:
    """The sample is put on paper from the job bytes: full width, inked, and its QR scans."""
    for profile in (PrinterProfile(), PrinterProfile(raster=True), PrinterProfile(paper_mm=58, qr_native=False)):
        image = sample_image(profile)
        assert image.width == profile.dots and image.mode == "1"
        ink = image.convert("L").histogram()[0]
        assert ink > 2000  # text, rules and the QR are on the paper
        qr = decode_qr_images([image])
        assert qr == [SAMPLE_QR]


@sqlite_only
def test_test_page_reports_success_or_the_printer_error(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    dialog = PrinterSettingsDialog(hall, log_in(hall, "clerk1"), 1)
    qtbot.addWidget(dialog)
    dialog.show()
    settle()
    replace_text(dialog.uri_edit, printer.uri)
    with qtbot.waitSignal(dialog.test_finished) as finished:
        assert dialog.print_test_page()
        assert not dialog.test_button.isEnabled()  # one test page at a time
        settle()
    assert finished.args == [True, ""] and dialog.test_text() == "测试页打印成功"
    [data] = printer.wait_for_jobs(1)
    assert "测试" in decode(data).text
    assert desk.get_profile(hall.uow(), printer.uri) == dialog.form_profile()  # the tried settings were kept

    printer.set_mode("refuse")
    with qtbot.waitSignal(dialog.test_finished) as finished:
        dialog.print_test_page()
        settle()
    assert finished.args[0] is False and "拒绝" in dialog.test_text()
    # A failed test page is not left in the queue to print later by surprise.
    assert [j for j in queue.list_jobs(hall.uow(), status="pending") if j.kind == "test"] == []
    assert counter(hall, 1).printer_uri == ""  # testing saved no counter address
    assert message_boxes.shown == []


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_admin_sets_any_counters_printers(
    hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = CountersPage(hall, admin)
    show(page, qtbot)
    assert page.select_counter(2)
    edit = page.edit_counter()
    assert isinstance(edit, CounterDialog)
    qtbot.keyClicks(edit.a4_edit, "file:///srv/notices")
    with qtbot.waitSignal(edit.saved):
        qtbot.keyClick(edit.a4_edit, Qt.Key.Key_Return)
    assert counter(hall, 2).a4_printer_uri == "file:///srv/notices"
    settle()
    assert page.model.index(page.model.row_of(2), 4).data() == "file:///srv/notices"

    dialog = page.edit_printers()
    settle()
    assert isinstance(dialog, PrinterSettingsDialog) and dialog.counter_number == 2
    assert dialog.a4_edit.text() == "file:///srv/notices"
    qtbot.keyClicks(dialog.uri_edit, "serial:///dev/ttyS0?baudrate=9600")
    replace_text(dialog.a4_edit, "lpt1")
    assert dialog.save() is None  # refused before anything is stored
    assert "应为 tcp://" in dialog.a4_field.message_text() and dialog.focusWidget() is dialog.a4_edit
    assert counter(hall, 2).printer_uri == ""
    replace_text(dialog.a4_edit, "")
    assert dialog.save() is not None
    settle()
    assert counter(hall, 2).printer_uri == "serial:///dev/ttyS0?baudrate=9600"
    assert message_boxes.shown == []
