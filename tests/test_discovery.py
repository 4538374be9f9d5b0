"""Finding printers (app/printing/discovery.py) and the USB route (app/printing/usbdesc.py), on real data.

The USB descriptor layouts below are copied from published ``lsusb -v`` / pyusb dumps of the named models;
each says where it comes from.  Nothing here needs a printer, CUPS, libusb or Windows.
"""

from __future__ import annotations

import subprocess
from types import SimpleNamespace
from typing import Any

import pytest

from app.printing import discovery
from app.printing.discovery import PrinterCandidate, parse_lpstat, usb_candidates
from app.printing.transport import PrinterError, parse_printer_uri, send
from app.printing.usbdesc import UsbDevice, UsbEndpoint, UsbInterface, UsbRoute, choose_route, usb_uri

BULK, INTERRUPT = 2, 3


def ep(address: int, kind: int = BULK, size: int = 64) -> UsbEndpoint:
    return UsbEndpoint(address, kind, size)


def printer_if(*endpoints: UsbEndpoint, number: int = 0, protocol: int = 2, alternate: int = 0) -> UsbInterface:
    return UsbInterface(number, alternate, 7, 1, protocol, endpoints)


# sintrb/USB-Printer-Descriptors, README.md (commit 1e99df88), pyusb dumps of Chinese receipt printers:
GPRINTER_ZH380 = UsbDevice(0x6868, 0x0500, (printer_if(ep(0x84), ep(0x03)),), "Printer", "Printer", "6A6958721237")
GPRINTER_GP58 = UsbDevice(0x6868, 0x0200, (printer_if(ep(0x81), ep(0x02)),), "GPrinter", "GP-58")
GPRINTER_R222C = UsbDevice(0x6868, 0x0500, (printer_if(ep(0x81), ep(0x01)),),  # bDeviceClass 2 (CDC) on the device
                           "Zhuhai Howbest Label Printer Co.,Ltd.", "Gprinter USB Printer", "0002A0000000")
XPRINTER_T58H = UsbDevice(0x0483, 0x5743, (printer_if(ep(0x02), ep(0x81)),), "Xprinter ", "USB Printer P")
# The same collection: a DeTong DP30 label printer — a printer interface and a HID one with interrupt endpoints.
DETONG_DP30 = UsbDevice(0x0483, 0x5A19, (
    printer_if(ep(0x81), ep(0x01), protocol=1),
    UsbInterface(1, 0, 3, 0, 0, (ep(0x82, INTERRUPT), ep(0x02, INTERRUPT))),
), "DeTong", "DP30 Label Printer")
# python-escpos issue #636 (pyusb dump of a 0416:5011 "POS58 Printer USB": one interface, class Printer); its
# endpoints are cut off in the issue, so they are those public code drives this model with:
# Usb(0x0416, 0x5011, in_ep=0x81, out_ep=0x03).
POS58 = UsbDevice(0x0416, 0x5011, (printer_if(ep(0x81), ep(0x03)),), "STMicroelectronics", "POS58 Printer USB", "Printer")
# raspberrypi/linux issue #722 (lsusb -v of a receipt printer on an Odoo POSbox): one vendor-specific (255)
# interface with bulk IN 0x81 and bulk OUT 0x02 (a third endpoint is cut off in the issue).  Its vendor id is
# not in the excerpt: the test gives it Epson's (04b8, product 0e15 = TM-T20II) and an unknown vendor's.
VENDOR_LAYOUT = (UsbInterface(0, 0, 255, 0, 255, (ep(0x81, size=512), ep(0x02, size=512))),)
# gregkh/usbutils PR #78: an IPP-over-USB printer interface (protocol 4) — HTTP, not ESC/POS.
IPP_PRINTER = UsbDevice(0x03F0, 0x0001, (
    printer_if(ep(0x01), ep(0x81), protocol=4, alternate=1),
), "HP", "LaserJet")
# computerlyrik/dymoprint issue #40: a DYMO LabelManager PnP — HID and mass storage, no printer interface.
DYMO = UsbDevice(0x0922, 0x1001, (
    UsbInterface(0, 0, 3, 0, 0, (ep(0x81, INTERRUPT), ep(0x01, INTERRUPT))),
    UsbInterface(1, 0, 8, 6, 80, (ep(0x82), ep(0x05))),
), "Dymo", "DYMO LabelManager PnP")


@pytest.mark.parametrize(("device", "route"), [
    (GPRINTER_ZH380, UsbRoute(0, 0, 0x03, 0x84)),
    (GPRINTER_GP58, UsbRoute(0, 0, 0x02, 0x81)),
    (GPRINTER_R222C, UsbRoute(0, 0, 0x01, 0x81)),
    (XPRINTER_T58H, UsbRoute(0, 0, 0x02, 0x81)),  # python-escpos's default OUT 0x01 does not exist here
    (DETONG_DP30, UsbRoute(0, 0, 0x01, 0x81)),  # the printer interface, never the HID one
    (POS58, UsbRoute(0, 0, 0x03, 0x81)),
    (UsbDevice(0x04B8, 0x0E15, VENDOR_LAYOUT), UsbRoute(0, 0, 0x02, 0x81)),  # a known vendor's vendor class
    (UsbDevice(0x1234, 0x5678, VENDOR_LAYOUT), None),  # an unknown vendor's: not taken for a printer
    (UsbDevice(0x0483, 0x3748, VENDOR_LAYOUT, "STMicroelectronics", "STM32 STLink"), None),  # same VID, no printer
    (IPP_PRINTER, None),
    (DYMO, None),
])
def test_the_route_comes_from_the_descriptors(device: UsbDevice, route: UsbRoute | None) -> None:
    assert choose_route(device) == route


def test_a_bidirectional_printer_interface_wins_and_interfaces_come_in_any_order() -> None:
    uni = printer_if(ep(0x04), number=1, protocol=1)
    bi = printer_if(ep(0x83), ep(0x05), number=2, protocol=2)
    assert choose_route(UsbDevice(0x6868, 0x0500, (uni, bi))) == UsbRoute(2, 0, 0x05, 0x83)
    assert choose_route(UsbDevice(0x6868, 0x0500, (uni,))) == UsbRoute(1, 0, 0x04, None)


def test_usb_candidates_carry_the_route_in_the_address() -> None:
    found = usb_candidates([XPRINTER_T58H, DYMO, GPRINTER_ZH380])
    assert [c.uri for c in found] == ["usb://0483:5743?interface=0&out=0x02&in=0x81",
                                      "usb://6868:0500?interface=0&out=0x03&in=0x84"]
    assert found[0].name.startswith("芯烨 Xprinter") and "Xprinter" in found[0].name
    address = parse_printer_uri(found[1].uri)
    assert (address.vid, address.pid, address.interface, address.out_ep, address.in_ep) == (0x6868, 0x0500, 0, 3, 0x84)
    assert usb_uri(POS58, UsbRoute(0, 0, 3, None)) == "usb://0416:5011?interface=0&out=0x03"


@pytest.mark.parametrize("uri", ["usb://0483:5743?out=0x81", "usb://0483:5743?in=0x02", "usb://0483:5743?out=300",
                                 "usb://0483:5743?ep=1", "usb://0483:5743?out=1&out=2", "usb://0483:5743?out"])
def test_bad_usb_routes_are_refused_in_chinese(uri: str) -> None:
    with pytest.raises(PrinterError) as info:
        parse_printer_uri(uri)
    assert info.value.kind == "invalid_uri" and "USB" in info.value.message


# ---- sending over USB: the route from the address, or from the live descriptors -----------------------

class FakeUsbDevice:
    """What pyusb's Device offers to from_pyusb and send_usb; records the writes."""

    def __init__(self, device: UsbDevice) -> None:
        self.idVendor, self.idProduct = device.vid, device.pid
        self.iManufacturer = self.iProduct = self.iSerialNumber = 0
        self._config = [
            [SimpleNamespace(bEndpointAddress=e.address, bmAttributes=e.attributes, wMaxPacketSize=e.max_packet)
             for e in i.endpoints] for i in device.interfaces]
        self._interfaces = device.interfaces
        self.writes: list[tuple[int, bytes]] = []
        self.claimed: list[int] = []

    def get_active_configuration(self) -> Any:
        interfaces = []
        for desc, eps in zip(self._interfaces, self._config, strict=True):
            intf = SimpleNamespace(bInterfaceNumber=desc.number, bAlternateSetting=desc.alternate,
                                   bInterfaceClass=desc.cls, bInterfaceSubClass=desc.subclass,
                                   bInterfaceProtocol=desc.protocol)
            interfaces.append(type("Intf", (), {"__iter__": lambda self, e=eps: iter(e), **vars(intf)})())
        return type("Config", (), {"__iter__": lambda self: iter(interfaces), "bConfigurationValue": 1})()

    def is_kernel_driver_active(self, interface: int) -> bool:
        return False

    def write(self, endpoint: int, data: Any, timeout: int) -> int:
        self.writes.append((endpoint, bytes(data)))
        return len(data)


@pytest.fixture
def fake_usb(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeUsbDevice]:
    import usb.core
    import usb.util

    devices: dict[str, FakeUsbDevice] = {}
    monkeypatch.setattr(usb.core, "find", lambda idVendor, idProduct: devices.get(f"{idVendor:04x}:{idProduct:04x}"))
    monkeypatch.setattr(usb.util, "claim_interface", lambda dev, i: dev.claimed.append(i))
    monkeypatch.setattr(usb.util, "release_interface", lambda dev, i: None)
    monkeypatch.setattr(usb.util, "dispose_resources", lambda dev: None)
    return devices


def test_usb_jobs_go_to_the_printers_own_out_endpoint(fake_usb: dict[str, FakeUsbDevice]) -> None:
    xprinter = fake_usb["0483:5743"] = FakeUsbDevice(XPRINTER_T58H)
    send("usb://0483:5743", b"\x1b@hello\n", timeout=1.0)  # no route in the address: read at send time
    assert xprinter.writes == [(0x02, b"\x1b@hello\n")] and xprinter.claimed == [0]
    gprinter = fake_usb["6868:0500"] = FakeUsbDevice(GPRINTER_ZH380)
    send("usb://6868:0500?interface=0&out=0x03&in=0x84", b"\x1b@", timeout=1.0)
    assert gprinter.writes == [(0x03, b"\x1b@")]
    fake_usb["0922:1001"] = FakeUsbDevice(DYMO)
    with pytest.raises(PrinterError) as info:
        send("usb://0922:1001", b"x", timeout=1.0)
    assert info.value.kind == "not_found" and "没有可用的打印接口" in info.value.message
    with pytest.raises(PrinterError) as info:
        send("usb://0416:5011", b"x", timeout=1.0)  # not plugged in
    assert info.value.kind == "not_found" and "找不到打印机" in info.value.message


# ---- CUPS ------------------------------------------------------------------------------------------------

# The output of CUPS 2.4 lpstat in the C locale (lpstat -e; lpstat -v) on a PC with a raw receipt queue,
# an office printer and an instance of it.
LPSTAT_E = "Xprinter_XP-58\nHP_LaserJet_M1136\nHP_LaserJet_M1136/duplex\n"
LPSTAT_V = ("device for HP_LaserJet_M1136: usb://HP/LaserJet%20Professional%20M1136%20MFP?serial=000000000QH0Z9HSPR1a\n"
            "device for Xprinter_XP-58: usb://Xprinter/XP-58?serial=12345\n")


def test_lpstat_output_is_parsed() -> None:
    assert parse_lpstat(LPSTAT_E, LPSTAT_V) == [
        ("Xprinter_XP-58", "usb://Xprinter/XP-58?serial=12345"),
        ("HP_LaserJet_M1136", "usb://HP/LaserJet%20Professional%20M1136%20MFP?serial=000000000QH0Z9HSPR1a"),
    ]
    assert parse_lpstat("", "device for receipt: socket://192.168.1.50:9100\n") == [
        ("receipt", "socket://192.168.1.50:9100")]  # an lpstat without -e
    assert parse_lpstat("", "") == []


def test_cups_queues_from_lpstat_and_without_cups() -> None:
    calls: list[list[str]] = []

    def run(args: list[str]) -> str:
        calls.append(args)
        return LPSTAT_E if args == ["-e"] else LPSTAT_V

    found, notes = discovery.cups_queues(run)
    assert calls == [["-e"], ["-v"]] and notes == []
    assert found == [PrinterCandidate("cups", "cups://Xprinter_XP-58", "Xprinter_XP-58", "USB"),
                     PrinterCandidate("cups", "cups://HP_LaserJet_M1136", "HP_LaserJet_M1136", "USB")]
    for candidate in found:
        assert parse_printer_uri(candidate.uri).name == candidate.name

    def missing(args: list[str]) -> str:
        raise FileNotFoundError("lpstat")

    assert discovery.cups_queues(missing) == ([], ["本机没有安装 CUPS（lpstat）：没有 CUPS 队列"])

    def hung(args: list[str]) -> str:
        raise subprocess.TimeoutExpired("lpstat", 5)

    assert discovery.cups_queues(hung)[0] == []
    assert discovery.cups_queues(lambda args: "")[1] == ["CUPS 中没有打印机队列"]


def test_windows_printers_and_serial_ports_from_their_apis() -> None:
    rows = [{"pPrinterName": "XP-58 (copy 1)", "pDriverName": "XP-58", "pPortName": "USB001"},
            {"pPrinterName": "\\\\server\\收件打印机", "pDriverName": "Generic / Text Only", "pPortName": "IP_10.0.0.5"}]
    found, notes = discovery.windows_printers(lambda: rows)
    assert notes == [] and [c.name for c in found] == ["XP-58 (copy 1)", "\\\\server\\收件打印机"]
    assert [parse_printer_uri(c.uri).name for c in found] == ["XP-58 (copy 1)", "\\\\server\\收件打印机"]
    assert found[0].detail == "XP-58 · USB001"

    ports = [SimpleNamespace(device="/dev/ttyUSB0", description="USB-Serial Controller", hwid="USB VID:PID=067B:2303"),
             SimpleNamespace(device="COM3", description="n/a", hwid="n/a")]
    found, notes = discovery.serial_ports(ports)
    assert [c.uri for c in found] == ["serial:///dev/ttyUSB0?baudrate=9600", "serial://COM3?baudrate=9600"]
    assert [parse_printer_uri(c.uri).device for c in found] == ["/dev/ttyUSB0", "COM3"]
    assert [c.detail for c in found] == ["USB-Serial Controller", ""]
    assert discovery.serial_ports([]) == ([], ["没有找到串口"])


def test_discovery_on_this_machine_never_raises() -> None:
    found = discovery.discover_thermal()
    for candidate in found.candidates:
        parse_printer_uri(candidate.uri)
    assert all(isinstance(note, str) and note for note in found.notes)
