"""Finding the printers a counter PC can print to, so nobody types a raw printer address.

Each source returns candidates (an address and a name in words) and never raises for a missing library or
service: CUPS may be absent, libusb not installed, pywin32 only on Windows.  What a source could not do is
said in ``Discovery.notes`` (in Chinese, for the chooser).

- CUPS queues: pycups when installed, else ``lpstat -e`` (names) and ``lpstat -v`` (device URIs) run in
  the C locale and parsed (``parse_lpstat``).  No CUPS: an empty list and a note.
- Windows printers: ``win32print.EnumPrinters`` (local and connected), printed raw through the spooler.
- USB ESC/POS devices: pyusb, every device's descriptors read into ``usbdesc`` data, the printer interface
  and its bulk endpoints chosen by ``usbdesc.choose_route``; the address carries them.
- Serial ports: ``serial.tools.list_ports``.

No Qt here (A4 system printers come from ``QPrinterInfo`` in ``ui.printing.chooser``).  Nothing is
imported at module import time that is slow or optional: each source imports its library when it runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from app.printing.usbdesc import UsbDevice, choose_route, from_pyusb, model_name, usb_uri

__all__ = [
    "Discovery",
    "PrinterCandidate",
    "cups_queues",
    "discover_thermal",
    "parse_lpstat",
    "serial_ports",
    "usb_candidates",
    "usb_printers",
    "windows_printers",
]

SourceKind = Literal["win32", "cups", "usb", "serial"]
LPSTAT_TIMEOUT = 5.0


@dataclass(frozen=True)
class PrinterCandidate:
    """A printer found on this PC: ``uri`` to store, ``name`` to show, ``detail`` (driver, device) beside it."""

    kind: SourceKind
    uri: str
    name: str
    detail: str = ""


@dataclass(frozen=True)
class Discovery:
    candidates: tuple[PrinterCandidate, ...]
    notes: tuple[str, ...] = ()

    def of(self, kind: str) -> tuple[PrinterCandidate, ...]:
        return tuple(c for c in self.candidates if c.kind == kind)


# ---- CUPS ------------------------------------------------------------------------------------------

_LPSTAT_DEVICE = re.compile(r"^device for ([^:\s]+):\s*(.*?)\s*$")


def parse_lpstat(names_text: str, devices_text: str) -> list[tuple[str, str]]:
    """CUPS queues as (name, device URI) from ``lpstat -e`` (one destination per line) and ``lpstat -v``
    (``device for NAME: URI``, C locale).  Instances (``name/instance``) are the same queue: skipped."""
    devices: dict[str, str] = {}
    for line in devices_text.splitlines():
        m = _LPSTAT_DEVICE.match(line.strip())
        if m:
            devices[m.group(1)] = m.group(2)
    names = [n.strip() for n in names_text.splitlines() if n.strip() and "/" not in n.strip()]
    if not names:  # an old lpstat without -e: the queues lpstat -v lists
        names = list(devices)
    return [(name, devices.get(name, "")) for name in dict.fromkeys(names)]


def _cups_detail(device_uri: str) -> str:
    scheme = device_uri.partition(":")[0].lower()
    return {"usb": "USB", "socket": "网络", "ipp": "网络（IPP）", "ipps": "网络（IPP）", "lpd": "网络（LPD）",
            "serial": "串口", "file": "文件", "dnssd": "网络", "implicitclass": "网络"}.get(scheme, device_uri[:40])


Runner = Callable[[list[str]], str]


def _run_lpstat(args: list[str]) -> str:
    env = dict(os.environ, LC_ALL="C", LANG="C")
    result = subprocess.run(["lpstat", *args], capture_output=True, timeout=LPSTAT_TIMEOUT, env=env, check=False)
    return result.stdout.decode("utf-8", errors="replace")


def cups_queues(run: Runner | None = None) -> tuple[list[PrinterCandidate], list[str]]:
    """CUPS queues (pycups first, else lpstat); (candidates, notes).  On Windows: nothing, no note."""
    if sys.platform == "win32":
        return [], []
    queues: list[tuple[str, str, str]] = []  # name, device URI, description
    if run is None:
        try:
            import cups

            for name, attrs in cups.Connection().getPrinters().items():
                queues.append((name, str(attrs.get("device-uri", "")), str(attrs.get("printer-info", ""))))
        except ImportError:
            run = _run_lpstat
        except Exception:  # the CUPS server is not running
            return [], ["CUPS 打印服务未运行：没有 CUPS 队列"]
    if run is not None:
        try:
            pairs = parse_lpstat(run(["-e"]), run(["-v"]))
        except FileNotFoundError:
            return [], ["本机没有安装 CUPS（lpstat）：没有 CUPS 队列"]
        except (OSError, subprocess.SubprocessError):
            return [], ["无法读取 CUPS 队列（lpstat 没有响应）"]
        queues = [(name, device, "") for name, device in pairs]
    found = [PrinterCandidate("cups", f"cups://{name}", info or name, _cups_detail(device) if device else "")
             for name, device, info in queues]
    return found, ([] if found else ["CUPS 中没有打印机队列"])


# ---- Windows --------------------------------------------------------------------------------------


def windows_printers(enum: Callable[[], Iterable[dict[str, Any]]] | None = None
                     ) -> tuple[list[PrinterCandidate], list[str]]:
    """Windows printers (local and network connections) for raw printing through the spooler."""
    if enum is None:
        if sys.platform != "win32":
            return [], []
        try:
            import win32print  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return [], ["本机缺少 pywin32 组件：无法列出 Windows 打印机"]

        def enum() -> Iterable[dict[str, Any]]:
            flags = win32print.PRINTER_ENUM_LOCAL | win32print.PRINTER_ENUM_CONNECTIONS
            return list(win32print.EnumPrinters(flags, None, 2))

    try:
        rows = list(enum())
    except Exception as exc:
        return [], [f"无法列出 Windows 打印机（{exc}）"]
    found = [PrinterCandidate("win32", "win32://" + quote(str(r["pPrinterName"]), safe=" \\()（）-_."),
                              str(r["pPrinterName"]),
                              " · ".join(str(r[k]) for k in ("pDriverName", "pPortName") if r.get(k)))
             for r in rows if r.get("pPrinterName")]
    return found, ([] if found else ["Windows 中没有打印机"])


# ---- USB --------------------------------------------------------------------------------------------


def usb_candidates(devices: Iterable[UsbDevice]) -> list[PrinterCandidate]:
    """The ESC/POS printers among ``devices``, each with the route ``choose_route`` found in its address."""
    found = []
    for device in devices:
        route = choose_route(device)
        if route is None:
            continue
        detail = f"{device.vid:04x}:{device.pid:04x} 接口{route.interface} 输出端点0x{route.out_ep:02x}"
        if device.serial:
            detail += f" 序列号{device.serial}"
        found.append(PrinterCandidate("usb", usb_uri(device, route), model_name(device), detail))
    return found


def usb_printers() -> tuple[list[PrinterCandidate], list[str]]:
    """USB devices with a printer interface (pyusb + libusb)."""
    try:
        import usb.core
    except ImportError:
        return [], ["本机缺少 pyusb 组件：无法查找 USB 打印机"]
    try:
        raw = list(usb.core.find(find_all=True))
    except usb.core.NoBackendError:
        return [], ["本机缺少 libusb 组件：无法查找 USB 打印机（Windows 上可改用 Windows 打印机方式）"]
    except Exception as exc:
        return [], [f"无法查找 USB 设备（{exc}）"]
    devices = []
    for dev in raw:
        try:
            devices.append(from_pyusb(dev))
        except Exception:  # a device that vanished or refuses its descriptors: not a printer we can use
            continue
    found = usb_candidates(devices)
    return found, ([] if found else ["没有找到 USB 小票打印机：请检查电源和 USB 线"])


# ---- serial ------------------------------------------------------------------------------------------


def serial_ports(ports: Iterable[Any] | None = None) -> tuple[list[PrinterCandidate], list[str]]:
    """Serial ports (``list_ports.comports()`` entries: ``device``, ``description``, ``hwid``), at 9600 baud;
    the chooser lets the baud rate be changed."""
    if ports is None:
        try:
            from serial.tools import list_ports
        except ImportError:
            return [], ["本机缺少 pyserial 组件：无法列出串口"]
        try:
            ports = list(list_ports.comports())
        except Exception as exc:
            return [], [f"无法列出串口（{exc}）"]
    found = []
    for port in ports:
        device = str(port.device)
        uri = f"serial://{device}?baudrate=9600"  # serial:///dev/ttyUSB0 or serial://COM3
        description = str(getattr(port, "description", "") or "")
        found.append(PrinterCandidate("serial", uri, device,
                                      "" if description in ("n/a", device) else description))
    return found, ([] if found else ["没有找到串口"])


# ---- everything ----------------------------------------------------------------------------------------


def discover_thermal(kinds: Iterable[SourceKind] = ("win32", "cups", "usb", "serial")) -> Discovery:
    """Every candidate for a receipt printer on this PC, by source; never raises for a missing source."""
    sources: dict[str, Callable[[], tuple[list[PrinterCandidate], list[str]]]] = {
        "win32": windows_printers, "cups": cups_queues, "usb": usb_printers, "serial": serial_ports,
    }
    candidates: list[PrinterCandidate] = []
    notes: list[str] = []
    for kind in kinds:
        found, said = sources[kind]()
        candidates += found
        notes += said
    return Discovery(tuple(candidates), tuple(notes))
