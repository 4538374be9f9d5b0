"""USB receipt printers: which interface and bulk endpoints to print to, chosen from the device's descriptors.

python-escpos's ``Usb`` assumes endpoints 0x82 (in) and 0x01 (out); common models differ (an Xprinter
XP-T58H sends on 0x02, a Gprinter ZH-380 on 0x03 and answers on 0x84), and then every job fails with
"Invalid endpoint address".  So the route is read from the descriptors: the printer-class (7) interface,
or — for a known printer vendor — a vendor-specific (0xFF) one, and its bulk OUT (and bulk IN, for status)
endpoints.  ``choose_route`` is a pure function over frozen dataclasses that ``from_pyusb`` fills from a
live device, so it is tested on the published descriptor layouts of real models (tests/test_discovery.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRINTER_CLASS = 7
VENDOR_SPECIFIC = 0xFF
BULK = 2

# Vendors whose receipt printers may present a vendor-specific interface instead of the printer class.
PRINTER_VENDORS: dict[int, str] = {
    0x04B8: "爱普生 Epson",
    0x0483: "芯烨 Xprinter",  # STMicroelectronics' id, used by Xprinter and many generic printers
    0x6868: "佳博 Gprinter",
    0x0416: "通用热敏打印机（Winbond 芯片）",
    0x0FE6: "通用热敏打印机（ICS 芯片）",
}
# Models named in the list of devices; a vendor-specific interface of these is taken as their printer.
KNOWN_MODELS: dict[tuple[int, int], str] = {
    (0x0483, 0x5743): "芯烨 Xprinter 热敏打印机",
    (0x6868, 0x0200): "佳博 Gprinter GP-58",
    (0x6868, 0x0500): "佳博 Gprinter 热敏打印机",
    (0x0416, 0x5011): "通用 POS58/POS80 热敏打印机",
    (0x0FE6, 0x811E): "通用热敏打印机",
    (0x04B8, 0x0E03): "爱普生 TM-T20",
    (0x04B8, 0x0E15): "爱普生 TM-T20II",
    (0x04B8, 0x0202): "爱普生 TM 系列",
}
# Vendor ids shared with other kinds of device (0x0483 is every STM32 gadget, 0x04B8 makes scanners): a
# vendor-specific interface of these counts only for a known model or a product string naming a printer.
_SHARED_VENDORS = frozenset({0x0483, 0x04B8, 0x0416, 0x0FE6})
_PRINTER_WORDS = ("print", "pos", "receipt", "tm-", "打印")


@dataclass(frozen=True)
class UsbEndpoint:
    address: int  # bEndpointAddress: bit 7 set = IN
    attributes: int  # bmAttributes: bits 0–1 the transfer type (2 = bulk)
    max_packet: int = 64

    @property
    def is_in(self) -> bool:
        return bool(self.address & 0x80)

    @property
    def is_bulk(self) -> bool:
        return self.attributes & 0x03 == BULK


@dataclass(frozen=True)
class UsbInterface:
    number: int  # bInterfaceNumber
    alternate: int  # bAlternateSetting
    cls: int  # bInterfaceClass
    subclass: int
    protocol: int  # printer class: 1 unidirectional, 2 bidirectional, 4 IPP over USB
    endpoints: tuple[UsbEndpoint, ...]


@dataclass(frozen=True)
class UsbDevice:
    vid: int
    pid: int
    interfaces: tuple[UsbInterface, ...]
    manufacturer: str = ""
    product: str = ""
    serial: str = ""
    configuration: int = 1  # bConfigurationValue


@dataclass(frozen=True)
class UsbRoute:
    """Where to send: the interface (and alternate setting) and its bulk endpoints."""

    interface: int
    alternate: int
    out_ep: int
    in_ep: int | None


def _bulk(interface: UsbInterface) -> tuple[int | None, int | None]:
    out_ep = next((e.address for e in interface.endpoints if e.is_bulk and not e.is_in), None)
    in_ep = next((e.address for e in interface.endpoints if e.is_bulk and e.is_in), None)
    return out_ep, in_ep


def _vendor_printer(device: UsbDevice) -> bool:
    if device.vid not in PRINTER_VENDORS:
        return False
    if device.vid not in _SHARED_VENDORS or (device.vid, device.pid) in KNOWN_MODELS:
        return True
    words = f"{device.manufacturer} {device.product}".lower()
    return any(w in words for w in _PRINTER_WORDS)


def choose_route(device: UsbDevice) -> UsbRoute | None:
    """The interface and endpoints to print to, or None when the device is no ESC/POS printer we can drive.

    A printer-class interface with a bulk OUT endpoint wins (bidirectional — protocol 2, with a bulk IN for
    status — before unidirectional; IPP-over-USB, protocol 4, never: it speaks HTTP, not ESC/POS); then a
    vendor-specific interface with bulk OUT, only on a known printer vendor's device.  Other interfaces
    (HID, mass storage, CDC) are never chosen, whatever their endpoints.
    """
    ranked: list[tuple[int, UsbInterface, int, int | None]] = []
    for interface in device.interfaces:
        out_ep, in_ep = _bulk(interface)
        if out_ep is None:
            continue
        if interface.cls == PRINTER_CLASS and interface.protocol != 4:
            rank = 0 if in_ep is not None and interface.protocol == 2 else 1
        elif interface.cls == VENDOR_SPECIFIC and _vendor_printer(device):
            rank = 2
        else:
            continue
        ranked.append((rank, interface, out_ep, in_ep))
    if not ranked:
        return None
    _rank, interface, out_ep, in_ep = min(ranked, key=lambda r: (r[0], r[1].number, r[1].alternate))
    return UsbRoute(interface.number, interface.alternate, out_ep, in_ep)


def model_name(device: UsbDevice) -> str:
    """The printer in words: a known model, else the device's own strings, else its vendor."""
    known = KNOWN_MODELS.get((device.vid, device.pid))
    own = " ".join(p for p in (device.manufacturer.strip(), device.product.strip()) if p)
    if known:
        return f"{known}（{own}）" if own else known
    if own:
        return own
    return PRINTER_VENDORS.get(device.vid, "USB 打印机")


def usb_uri(device: UsbDevice, route: UsbRoute) -> str:
    """The printer address with the chosen route, e.g. ``usb://0483:5743?interface=0&out=0x02&in=0x81``."""
    uri = f"usb://{device.vid:04x}:{device.pid:04x}?interface={route.interface}&out=0x{route.out_ep:02x}"
    return uri + (f"&in=0x{route.in_ep:02x}" if route.in_ep is not None else "")


def _string(dev: Any, index: int) -> str:
    if not index:
        return ""
    try:
        import usb.util

        return str(usb.util.get_string(dev, index) or "")
    except Exception:  # no permission to open the device, or no string there
        return ""


def from_pyusb(dev: Any) -> UsbDevice:
    """The descriptors of a ``usb.core.Device`` (its active or first configuration), as data."""
    try:
        config = dev.get_active_configuration()
    except Exception:  # not configured yet, or no permission
        config = dev[0]
    interfaces = tuple(
        UsbInterface(
            number=intf.bInterfaceNumber, alternate=intf.bAlternateSetting, cls=intf.bInterfaceClass,
            subclass=intf.bInterfaceSubClass, protocol=intf.bInterfaceProtocol,
            endpoints=tuple(UsbEndpoint(ep.bEndpointAddress, ep.bmAttributes, ep.wMaxPacketSize) for ep in intf),
        )
        for intf in config
    )
    return UsbDevice(vid=dev.idVendor, pid=dev.idProduct, interfaces=interfaces,
                     manufacturer=_string(dev, dev.iManufacturer), product=_string(dev, dev.iProduct),
                     serial=_string(dev, dev.iSerialNumber), configuration=config.bConfigurationValue)
