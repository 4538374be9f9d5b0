"""选择打印机 (ui/printing/chooser.py): the ways, what discovery found, the 高级 address, 打印测试页."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.printing import discovery
from app.printing.discovery import Discovery, PrinterCandidate
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.helpers import replace_text, settle
from ui.printing.chooser import CandidateListModel, PrinterChooser, folder_uri

FOUND = Discovery((
    PrinterCandidate("usb", "usb://0483:5743?interface=0&out=0x02&in=0x81", "芯烨 Xprinter 热敏打印机", "0483:5743"),
    PrinterCandidate("cups", "cups://receipt", "receipt", "USB"),
    PrinterCandidate("serial", "serial:///dev/ttyUSB0?baudrate=9600", "/dev/ttyUSB0", "CH340"),
), ("本机缺少 libusb 组件：无法查找 USB 打印机",))


@pytest.fixture
def found(monkeypatch: pytest.MonkeyPatch) -> Discovery:
    monkeypatch.setattr(discovery, "discover_thermal", lambda: FOUND)
    return FOUND


def chooser(qtbot: QtBot, kind: str = "thermal") -> PrinterChooser:
    widget = PrinterChooser(kind)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.show()
    settle()  # discovery runs in the background
    return widget


def test_found_printers_are_picked_without_typing(qtbot: QtBot, found: Discovery) -> None:
    widget = chooser(qtbot)
    with qtbot.waitSignal(widget.changed) as changed:
        widget.set_way("usb")
        assert [c.name for c in widget.candidates()] == ["芯烨 Xprinter 热敏打印机"]
        assert widget.choose("usb://0483:5743?interface=0&out=0x02&in=0x81")
    assert changed.args == ["usb://0483:5743?interface=0&out=0x02&in=0x81"]
    assert widget.uri_edit.text() == widget.uri()  # 高级 shows the address built

    widget.set_way("serial")
    assert widget.baud_combo.isVisible()
    assert widget.choose("serial:///dev/ttyUSB0?baudrate=9600")
    widget.baud_combo.setCurrentIndex(widget.baud_combo.findData(115200))
    assert widget.uri() == "serial:///dev/ttyUSB0?baudrate=115200"

    widget.set_way("tcp")
    replace_text(widget.host_edit, "192.168.1.50")
    assert widget.uri() == "tcp://192.168.1.50:9100"
    widget.port_spin.setValue(9101)
    assert widget.uri() == "tcp://192.168.1.50:9101"

    widget.set_way("folder")
    replace_text(widget.folder_edit, "/srv/打印输出/窗口1")
    assert widget.uri() == "folder:///srv/打印输出/窗口1"
    widget.set_way("none")
    assert widget.uri() == "" and not widget.test_button.isEnabled()


def test_set_uri_shows_the_way_and_keeps_an_address_not_found_now(qtbot: QtBot, found: Discovery) -> None:
    widget = chooser(qtbot)
    widget.set_uri("usb://6868:0500?interface=0&out=0x03&in=0x84")  # unplugged just now: still shown
    assert widget.way() == "usb" and widget.uri() == "usb://6868:0500?interface=0&out=0x03&in=0x84"
    assert [c.detail for c in widget.candidates()] == ["当前设置", "0483:5743"]
    assert widget.device_list.currentIndex().row() == 0
    widget.set_uri("serial:///dev/ttyUSB0?baudrate=19200")
    assert widget.way() == "serial" and widget.baud_combo.currentData() == 19200
    assert widget.uri() == "serial:///dev/ttyUSB0?baudrate=19200"
    widget.set_uri("tcp://[fe80::1]:9100")
    assert (widget.way(), widget.host_edit.text(), widget.uri()) == ("tcp", "fe80::1", "tcp://[fe80::1]:9100")
    widget.set_uri("file:///dev/usb/lp0")  # no widget for it: the 高级 field holds it
    assert widget.uri() == "file:///dev/usb/lp0" == widget.uri_edit.text()


def test_typing_under_advanced_moves_the_widgets(qtbot: QtBot, found: Discovery) -> None:
    widget = chooser(qtbot)
    widget.advanced_button.click()
    assert widget.uri_field.isVisible()
    replace_text(widget.uri_edit, "tcp://10.0.0.9:9100")
    assert (widget.way(), widget.host_edit.text(), widget.uri()) == ("tcp", "10.0.0.9", "tcp://10.0.0.9:9100")
    replace_text(widget.uri_edit, "lpt1")
    assert "应为 tcp://" in widget.uri_field.message_text() and not widget.test_button.isEnabled()


def test_notes_say_why_nothing_was_found(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "discover_thermal",
                        lambda: Discovery((), ("本机没有安装 CUPS（lpstat）：没有 CUPS 队列",)))
    widget = chooser(qtbot)
    widget.set_way("cups")
    assert widget.candidates() == [] and "没有安装 CUPS" in widget.found_label.text()
    monkeypatch.setattr(discovery, "discover_thermal", lambda: FOUND)
    with qtbot.waitSignal(widget.discovered):
        widget.refresh_button.click()
    assert [c.uri for c in widget.candidates()] == ["cups://receipt"]


def test_a4_lists_the_system_printers(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.printing import chooser as module

    monkeypatch.setattr(module, "_system_printers", lambda: ["HP_LaserJet", "Office"])
    widget = chooser(qtbot, "a4")
    assert widget.way() == "system"
    assert [c.uri for c in widget.candidates()] == [module.system_uri("HP_LaserJet"), module.system_uri("Office")]
    assert widget.choose(module.system_uri("Office")) and widget.uri() == module.system_uri("Office")
    widget.set_uri("folder:///srv/通知书")
    assert widget.way() == "folder" and widget.folder_edit.text() == "/srv/通知书"


def test_test_page_to_a_network_printer_and_to_a_closed_port(
    qtbot: QtBot, found: Discovery, printer: FakePrinter
) -> None:
    widget = chooser(qtbot)
    widget.set_context(None, None, 2)
    widget.set_uri(printer.uri)
    with qtbot.waitSignal(widget.test_finished, timeout=10000) as finished:
        assert widget.print_test_page()
        assert not widget.test_button.isEnabled()  # one at a time
    assert finished.args[0] is True and "测试页已发送" in widget.test_text()
    [data] = printer.wait_for_jobs(1)
    text = decode(data).text
    assert "打印测试页" in text and "2号窗口" in text and "𠮷" in text  # GB18030 carries extension B
    assert decode(data).qr_codes == ["HALLDESK-TEST"]

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    widget.set_uri(f"tcp://127.0.0.1:{closed}")
    with qtbot.waitSignal(widget.test_finished, timeout=10000) as finished:
        widget.print_test_page()
    assert finished.args[0] is False and "连接被拒绝" in widget.test_text()


def test_test_page_into_a_folder(qtbot: QtBot, found: Discovery, tmp_path: Path) -> None:
    widget = chooser(qtbot, "a4")
    widget.set_uri(folder_uri(str(tmp_path / "通知书")))
    with qtbot.waitSignal(widget.test_finished, timeout=10000) as finished:
        widget.print_test_page()
    assert finished.args[0] is True and str(tmp_path / "通知书") in widget.test_text()
    [pdf] = (tmp_path / "通知书").glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_candidate_model(qtmodeltester: object) -> None:
    model = CandidateListModel(list(FOUND.candidates))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.index(0, 0).data() == "芯烨 Xprinter 热敏打印机　0483:5743"
