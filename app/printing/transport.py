"""Sending finished print jobs (bytes) to a printer named by a URI.

Supported addresses::

    tcp://192.168.1.50:9100          raw TCP ("JetDirect"), port 9100 by default
    usb://0416:5011                  USB vendor:product id (hex), via python-escpos + pyusb
    serial:///dev/ttyS0?baudrate=9600  serial port (serial://COM3 on Windows), via pyserial
    win32://收件打印机                Windows printer queue (URL-encoded names allowed), via pywin32
    cups://receipt                   CUPS queue, raw, via pycups
    file:///var/spool/halldesk.bin   bytes appended to a file (also /dev/usb/lp0)
    folder:///srv/打印输出/窗口1      a folder printer: each job a new file (.bin thermal, .pdf A4), nothing overwritten

A USB address may name the interface and bulk endpoints found by ``app.printing.discovery``
(``usb://0483:5743?interface=0&out=0x02&in=0x81``); without them they are chosen from the device's
descriptors at send time (``app.printing.usbdesc.choose_route``), never fixed numbers.

Every failure a clerk can meet becomes a :class:`PrinterError` whose Chinese message says what happened
and what to check; ``kind`` lets the print queue tell the cases apart.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from app.printing.address import CHUNK as CHUNK
from app.printing.address import InvalidPrinterUri as InvalidPrinterUri
from app.printing.address import PrinterAddress as PrinterAddress
from app.printing.address import PrinterError as PrinterError
from app.printing.address import PrinterErrorKind as PrinterErrorKind
from app.printing.address import Scheme as Scheme
from app.printing.address import disconnected as _disconnected

__all__ = [
    "DEFAULT_TCP_PORT",
    "STATUS_MEMORY",
    "InvalidPrinterUri",
    "PrinterAddress",
    "PrinterError",
    "PrinterErrorKind",
    "StatusMemory",
    "parse_printer_uri",
    "send",
]

DEFAULT_TCP_PORT = 9100
# A small kernel send buffer: otherwise megabytes of a job sit "sent" in it while a jammed printer reads
# nothing, and the per-chunk timeout never fires.  Printers consume far less than this per round trip.
SEND_BUFFER = 32 * 1024
STATUS_WAIT = 0.5  # many printers never answer DLE EOT; do not hold every job up for longer
# A printer that left a status query unanswered is not asked before its next jobs (``StatusMemory``); it is
# asked again on its RECHECK_JOBS-th job after that, or on the first job once RECHECK_SECONDS have passed.
RECHECK_JOBS = 50
RECHECK_SECONDS = 4 * 3600.0
CLOSE_GRACE = 2.0  # after our FIN, how long to wait for the printer to close its side
DLE_EOT_PAPER = b"\x10\x04\x04"  # paper roll sensor status
DLE_EOT_OFFLINE = b"\x10\x04\x02"  # offline cause: cover open, error
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)

URI_HELP = ("应为 tcp://IP:9100、usb://VID:PID、serial:///dev/ttyS0?baudrate=9600、win32://打印机名、cups://队列名、"
            "file:///路径 或 folder:///文件夹")


# ---------------------------------------------------------------------------------------------------------
# Parsing

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_USB = re.compile(r"^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,4})/?(?:\?(.*))?$", re.IGNORECASE)
_USB_NUMBER = re.compile(r"^(?:0x[0-9a-f]{1,2}|[0-9]{1,3})$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _invalid(uri: str, why: str) -> InvalidPrinterUri:
    return InvalidPrinterUri(f"打印机地址无效：{why}（{uri}）")


def _parse_tcp(uri: str, rest: str) -> PrinterAddress:
    try:
        parts = urlsplit("tcp://" + rest)
    except ValueError:  # e.g. a bracketed host that is no IPv6 address
        raise _invalid(uri, "IP 地址不正确") from None
    if parts.username is not None or parts.password is not None:
        raise _invalid(uri, "网络打印机地址不能带用户名或密码")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _invalid(uri, "网络打印机地址只能是 tcp://主机:端口")
    host = parts.hostname or ""
    if not host:
        raise _invalid(uri, "缺少打印机的 IP 地址或主机名")
    try:
        port = parts.port
    except ValueError:
        raise _invalid(uri, "端口必须是 1 到 65535 之间的数字") from None
    if port is None:
        port = DEFAULT_TCP_PORT
    if not 1 <= port <= 65535:
        raise _invalid(uri, "端口必须是 1 到 65535 之间的数字")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid(uri, f"IP 地址“{host}”不正确") from None
    elif not _HOSTNAME.match(host):
        raise _invalid(uri, f"主机名“{host}”不正确")
    return PrinterAddress("tcp", host=host, port=port)


def _parse_usb(uri: str, rest: str) -> PrinterAddress:
    m = _USB.match(rest)
    if not m:
        raise _invalid(uri, "USB 打印机应写成 usb://厂商ID:产品ID（十六进制，如 usb://0416:5011）")
    vid, pid = int(m.group(1), 16), int(m.group(2), 16)
    if vid == 0:
        raise _invalid(uri, "USB 厂商ID 不能为 0")
    found: dict[str, int] = {}
    if m.group(3):
        try:
            query = parse_qsl(m.group(3), keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise _invalid(uri, "USB 参数格式不正确") from None
        for key, value in query:
            if key not in ("interface", "out", "in") or key in found:
                raise _invalid(uri, f"不认识的 USB 参数“{key}”（只支持 interface、out、in）")
            if not _USB_NUMBER.match(value) or int(value, 0) > 255:
                raise _invalid(uri, f"USB 参数 {key} 应为 0 到 255 的数字（如 0x81）")
            found[key] = int(value, 0)
    out_ep, in_ep = found.get("out"), found.get("in")
    if out_ep is not None and out_ep & 0x80:
        raise _invalid(uri, "USB 输出端点（out）的最高位应为 0，如 0x02")
    if in_ep is not None and not in_ep & 0x80:
        raise _invalid(uri, "USB 输入端点（in）的最高位应为 1，如 0x81")
    return PrinterAddress("usb", vid=vid, pid=pid, interface=found.get("interface"), out_ep=out_ep, in_ep=in_ep)


def _parse_serial(uri: str, rest: str) -> PrinterAddress:
    try:
        parts = urlsplit("serial://" + rest)
    except ValueError:
        raise _invalid(uri, "串口地址格式不正确") from None
    if parts.netloc and parts.path:
        raise _invalid(uri, "串口应写成 serial:///dev/ttyS0 或 serial://COM3")
    device = unquote(parts.path or parts.netloc)
    if not device or _CONTROL.search(device):
        raise _invalid(uri, "缺少串口设备名")
    baudrate = 9600
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _invalid(uri, "串口参数格式不正确") from None
    for key, value in query:
        if key != "baudrate":
            raise _invalid(uri, f"不认识的串口参数“{key}”（只支持 baudrate）")
        if not value.isdigit() or int(value) not in BAUDRATES:
            raise _invalid(uri, f"波特率只能是 {'、'.join(map(str, BAUDRATES))}")
        baudrate = int(value)
    return PrinterAddress("serial", device=device, baudrate=baudrate)


def _parse_name(uri: str, scheme: Literal["win32", "cups"], rest: str) -> PrinterAddress:
    # Not urlsplit: Windows printer names may hold spaces, '#', '?' and backslashes (\\server\queue).
    name = unquote(rest)
    if _CONTROL.search(name):
        raise _invalid(uri, "打印机名称含有控制字符")
    if scheme == "cups":
        name = name.rstrip("/")
        if re.search(r"[\s/#]", name):
            raise _invalid(uri, "CUPS 队列名不能含空格、“/”或“#”")
    return PrinterAddress(scheme, name=name)


def _parse_file(uri: str, rest: str, scheme: Literal["file", "folder"] = "file") -> PrinterAddress:
    if rest.lower().startswith("localhost/"):
        rest = rest[len("localhost") :]
    if not rest.startswith("/"):
        raise _invalid(uri, f"{'文件夹' if scheme == 'folder' else '文件'}地址应写成 {scheme}:///完整路径")
    path = unquote(rest)
    if re.match(r"^/[A-Za-z]:[/\\]", path):  # file:///C:/... on Windows
        path = path[1:]
    if _CONTROL.search(path) or path.rstrip("/") == "":
        raise _invalid(uri, "文件路径不正确")
    if scheme == "folder" and len(path) > 1 and not re.match(r"^[A-Za-z]:[/\\]$", path):
        path = path.rstrip("/\\")
    return PrinterAddress(scheme, path=path)


def parse_printer_uri(uri: str) -> PrinterAddress:
    """Parse a printer URI; raises :class:`InvalidPrinterUri` (a ``PrinterError`` and a ``ValidationError``
    on field ``printer_uri``) with a Chinese message when it is malformed."""
    text = uri.strip()
    if not text:
        raise InvalidPrinterUri("未设置打印机地址")
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise _invalid(uri, URI_HELP)
    scheme = scheme.lower()
    if scheme == "tcp":
        return _parse_tcp(uri, rest)
    if scheme == "usb":
        return _parse_usb(uri, rest)
    if scheme == "serial":
        return _parse_serial(uri, rest)
    if scheme in ("win32", "cups"):
        return _parse_name(uri, "win32" if scheme == "win32" else "cups", rest)
    if scheme == "file":
        return _parse_file(uri, rest)
    if scheme == "folder":
        return _parse_file(uri, rest, "folder")
    raise _invalid(uri, f"不支持“{scheme}://”，{URI_HELP}")


# ---------------------------------------------------------------------------------------------------------
# Which network printers answer status queries


@dataclass
class _Silence:
    since: float  # clock() when the printer last left a query unanswered
    skipped: int = 0  # jobs sent since then without asking


class StatusMemory:
    """Which network printers never answer ``DLE EOT``, remembered per address for this process.

    Many receipt printers ignore status queries; asking costs the whole ``STATUS_WAIT`` on every job, and the
    applicant waits for the receipt.  So a printer that left the paper query unanswered is not asked before its
    next jobs.  It is asked again (one full wait) on its ``recheck_jobs``-th job since, or on the first job after
    ``recheck_seconds``; and at once after any failed send to it (switched off, replaced, rebooted: it may be
    another printer now) or a change of its profile (``forget``).  A printer that answers is asked before every
    job, so paper-out and cover-open are still caught before a byte of the job is sent.
    """

    def __init__(self, recheck_jobs: int = RECHECK_JOBS, recheck_seconds: float = RECHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.recheck_jobs = recheck_jobs
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._silent: dict[tuple[str, int], _Silence] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(address: PrinterAddress) -> tuple[str, int]:
        return ((address.host or "").lower(), address.port or DEFAULT_TCP_PORT)

    def should_ask(self, address: PrinterAddress) -> bool:
        """Whether to query this printer before the job now being sent (counts the job when not)."""
        with self._lock:
            silence = self._silent.get(self.key(address))
            if silence is None:
                return True
            if silence.skipped + 1 >= self.recheck_jobs or self.clock() - silence.since >= self.recheck_seconds:
                return True  # the re-check: its outcome (answered or silent) resets the memory
            silence.skipped += 1
            return False

    def silent(self, address: PrinterAddress) -> None:
        with self._lock:
            self._silent[self.key(address)] = _Silence(since=self.clock())

    def answered(self, address: PrinterAddress) -> None:
        with self._lock:
            self._silent.pop(self.key(address), None)

    def is_silent(self, uri_or_address: str | PrinterAddress) -> bool:
        address = parse_printer_uri(uri_or_address) if isinstance(uri_or_address, str) else uri_or_address
        if address.scheme != "tcp":
            return False
        with self._lock:
            return self.key(address) in self._silent

    def forget(self, uri_or_address: str | PrinterAddress) -> None:
        """Ask this printer again before its next job."""
        address = parse_printer_uri(uri_or_address) if isinstance(uri_or_address, str) else uri_or_address
        if address.scheme == "tcp":
            self.answered(address)

    def clear(self) -> None:
        with self._lock:
            self._silent.clear()


STATUS_MEMORY = StatusMemory()


# ---------------------------------------------------------------------------------------------------------
# Sending


def send(uri: str, data: bytes, *, timeout: float = 5.0, status_check: bool = True, job_name: str = "") -> None:
    """Send one print job; returns once the bytes are handed over, raises :class:`PrinterError` otherwise.

    ``timeout`` bounds connecting and each chunk of the transfer, so a printer that stops reading makes
    this return after about ``timeout`` seconds.  ``status_check`` asks a network printer for its paper
    status first (ignored for other kinds of printer), unless ``STATUS_MEMORY`` knows it does not answer.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    address = parse_printer_uri(uri)
    if address.scheme == "tcp":
        _send_tcp(address, data, timeout, status_check)
    elif address.scheme == "file":
        _append_file(address, data)
    elif address.scheme == "folder":
        from app.printing.folder import write_folder_job

        write_folder_job(address, data, job_name, ".bin")
    elif address.scheme == "usb":
        from app.printing.usbsend import send_usb

        send_usb(address, data, timeout)
    else:
        _send_escpos(address, data, timeout)


_AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


def _resolve(host: str, port: int, timeout: float) -> Sequence[_AddrInfo]:
    """getaddrinfo bounded by ``timeout``: the resolver ignores socket timeouts and can block for long."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # a literal address: no lookup
    box: list[Sequence[_AddrInfo] | OSError] = []

    def lookup() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            box.append(exc)

    worker = threading.Thread(target=lookup, name="printer-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if not box:
        raise TimeoutError
    if isinstance(box[0], OSError):
        raise box[0]
    return box[0]


def _open_socket(host: str, port: int, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    infos = _resolve(host, port, timeout)
    error: OSError = TimeoutError()
    for family, kind, proto, _, sockaddr in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock = socket.socket(family, kind, proto)
        sock.settimeout(left)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error


def _connect(address: PrinterAddress, timeout: float) -> socket.socket:
    where = address.describe()
    assert address.host is not None and address.port is not None
    try:
        return _open_socket(address.host, address.port, timeout)
    except ConnectionRefusedError:
        raise PrinterError(
            f"无法连接打印机（连接被拒绝）：{where}。请检查打印机是否开机、IP 地址和端口是否正确", "refused"
        ) from None
    except TimeoutError:
        raise PrinterError(f"连接打印机超时：{where}。请检查打印机电源和网线", "connect_timeout") from None
    except socket.gaierror:
        raise PrinterError(f"打印机地址无效：找不到主机“{address.host}”", "unreachable") from None
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.EADDRNOTAVAIL):
            raise PrinterError(f"无法连接打印机（网络不通）：{where}。请检查网线和 IP 地址", "unreachable") from None
        raise PrinterError(f"无法连接打印机：{where}（{exc.strerror or exc}）", "io") from None


def _query_status(sock: socket.socket, command: bytes, wait: float, where: str) -> int | None:
    """Send a ``DLE EOT`` query; the status byte, or None when the printer stays silent."""
    sock.settimeout(wait)
    sock.sendall(command)
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            reply = sock.recv(16)
        except TimeoutError:
            return None
        if not reply:
            raise _disconnected(where, started=False)
        for byte in reply:
            # DLE EOT answers have bits 1 and 4 set and bits 0 and 7 clear; skip anything else
            # (automatic status back, a late answer to an earlier query).
            if byte & 0x93 == 0x12:
                return byte
    return None


def _check_status(sock: socket.socket, timeout: float, address: PrinterAddress) -> None:
    if not STATUS_MEMORY.should_ask(address):
        return  # known not to answer: do not make the applicant wait for nothing
    where = address.describe()
    wait = min(STATUS_WAIT, timeout)
    paper = _query_status(sock, DLE_EOT_PAPER, wait, where)
    if paper is None:
        STATUS_MEMORY.silent(address)
        return  # silent printer: assume it is ready
    STATUS_MEMORY.answered(address)
    if paper & 0x60:  # paper end sensor (0x0C, near end, still prints)
        raise PrinterError(f"打印机缺纸：{where}。请装入热敏纸后重试", "paper_out")
    offline = _query_status(sock, DLE_EOT_OFFLINE, wait, where)
    if offline is None:
        return
    if offline & 0x04:
        raise PrinterError(f"打印机盖未关好：{where}。请合上纸仓盖后重试", "cover_open")
    if offline & 0x20:
        raise PrinterError(f"打印机缺纸：{where}。请装入热敏纸后重试", "paper_out")
    if offline & 0x40:
        raise PrinterError(f"打印机离线（出错）：{where}。请检查切刀是否卡纸、打印头是否过热，必要时重启打印机", "offline")


def _wait_for_close(sock: socket.socket, grace: float, where: str) -> None:
    """After our FIN: read (and drop) until the printer closes, so our close does not send a reset that could
    make it discard unread job bytes; give up quietly after ``grace``."""
    deadline = time.monotonic() + grace
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return
        except TimeoutError:
            return
        except ConnectionResetError:
            # The printer aborted the connection before reading everything we sent.
            raise _disconnected(where, started=True) from None


def _send_tcp(address: PrinterAddress, data: bytes, timeout: float, status_check: bool) -> None:
    try:
        _send_tcp_job(address, data, timeout, status_check)
    except PrinterError as exc:
        if exc.kind not in ("paper_out", "cover_open", "offline"):  # it answered: it answers
            STATUS_MEMORY.forget(address)  # off, rebooted or replaced: maybe another printer now; ask again
        raise


def _send_tcp_job(address: PrinterAddress, data: bytes, timeout: float, status_check: bool) -> None:
    where = address.describe()
    sock = _connect(address, timeout)
    started = False
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        if status_check:
            _check_status(sock, timeout, address)
        started = True
        sock.settimeout(timeout)
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            sock.sendall(view[start : start + CHUNK])
        sock.shutdown(socket.SHUT_WR)
        _wait_for_close(sock, min(CLOSE_GRACE, timeout), where)
    except TimeoutError:
        raise PrinterError(
            f"发送打印数据超时：{where} 停止接收数据。请检查打印机是否卡纸、缺纸或离线", "timeout"
        ) from None
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        raise _disconnected(where, started) from None
    except OSError as exc:
        if exc.errno == errno.ENOTCONN:
            # shutdown() after the printer reset the connection: the same hang-up, seen one call later.
            raise _disconnected(where, started) from None
        raise PrinterError(f"打印机通讯失败：{where}（{exc.strerror or exc}）", "io") from None
    finally:
        sock.close()


def _append_file(address: PrinterAddress, data: bytes) -> None:
    assert address.path is not None
    path = Path(address.path)
    try:
        with path.open("ab") as fh:
            fh.write(data)
    except FileNotFoundError:
        raise PrinterError(f"打印文件所在的文件夹不存在：{path.parent}", "not_found") from None
    except PermissionError:
        raise PrinterError(f"没有权限写入打印文件：{path}", "io") from None
    except IsADirectoryError:
        raise PrinterError(f"打印地址指向的是文件夹而不是文件：{path}", "io") from None
    except OSError as exc:
        raise PrinterError(f"写入打印文件失败：{path}（{exc.strerror or exc}）", "io") from None


ESCPOS_PICKLE_DIR = "ESCPOS_CAPABILITIES_PICKLE_DIR"
_DRIVER_LIBS = {"usb": "pyusb 和 libusb", "serial": "pyserial", "win32": "pywin32", "cups": "pycups"}


def escpos_cache() -> str:
    """Point python-escpos's capability cache at our data folder before it is first imported.

    Without this it pickles its capability database into a fresh temporary folder on every import, so the cache
    never hits (0.6 s each time).  It still makes an empty temporary folder per import (its ``mkdtemp()`` is a
    default argument, evaluated either way); python-escpos is imported only to send to a USB, serial, Windows or
    CUPS printer, once per process.
    """
    from db.paths import cache_dir

    os.environ.setdefault(ESCPOS_PICKLE_DIR, str(cache_dir()))
    return os.environ[ESCPOS_PICKLE_DIR]


def _escpos_driver(address: PrinterAddress, timeout: float) -> Any:
    """A python-escpos printer object, imported here because each needs an optional library."""
    where = address.describe()
    escpos_cache()
    try:
        from escpos import printer as drivers
    except ImportError:
        raise PrinterError(f"本机缺少 python-escpos 组件，无法使用{where}", "driver_missing") from None
    cls = {"usb": drivers.Usb, "serial": drivers.Serial, "win32": drivers.Win32Raw, "cups": drivers.CupsPrinter}[
        address.scheme
    ]
    if not cls.is_usable():
        raise PrinterError(
            f"本机缺少 {_DRIVER_LIBS[address.scheme]} 组件，无法使用{where}。请联系管理员安装，或改用网络打印机",
            "driver_missing",
        )
    if address.scheme == "usb":
        return drivers.Usb(address.vid, address.pid, timeout=max(1, int(timeout * 1000)))
    if address.scheme == "serial":
        return drivers.Serial(devfile=address.device, baudrate=address.baudrate, timeout=timeout)
    if address.scheme == "win32":
        return drivers.Win32Raw(address.name or "")
    return drivers.CupsPrinter(address.name or "")


def _send_escpos(address: PrinterAddress, data: bytes, timeout: float) -> None:
    where = address.describe()
    from escpos.exceptions import DeviceNotFoundError

    printer = _escpos_driver(address, timeout)
    try:
        if address.scheme in ("win32", "cups"):
            printer.open(job_name="HallDesk")
        else:
            printer.open()
        if address.scheme == "serial" and printer.device is not None:
            printer.device.write_timeout = timeout  # python-escpos sets only the read timeout
        printer._raw(data)
        printer.close()  # win32 ends the document and cups submits the job here
    except DeviceNotFoundError:
        raise PrinterError(f"找不到打印机：{where}。请检查打印机电源、连接线和名称", "not_found") from None
    except Exception as exc:
        # The drivers raise their own types (usb.core.USBError, serial.SerialException, pywintypes.error, ...).
        if "timeout" in type(exc).__name__.lower():
            raise PrinterError(f"发送打印数据超时：{where}。请检查打印机是否卡纸、缺纸或离线", "timeout") from None
        raise PrinterError(f"打印失败：{where}（{type(exc).__name__}: {exc}）", "io") from None
    finally:
        with suppress(Exception):
            printer.close()
