"""A printer's address and what can go wrong reaching it: the types every sender shares (``transport``
dispatches to ``folder`` and ``usbsend``, which send with these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.errors import HallDeskError, ValidationError

CHUNK = 16 * 1024  # the send timeout applies per chunk, so a slow but moving printer is not cut off

PrinterErrorKind = Literal[
    "invalid_uri", "refused", "unreachable", "connect_timeout", "timeout", "disconnected",
    "paper_out", "cover_open", "offline", "not_found", "driver_missing", "io",
]

class PrinterError(HallDeskError):
    """The printer could not be reached or refused the job; ``message`` tells the clerk what to check."""

    def __init__(self, message: str, kind: PrinterErrorKind | Literal["error"] = "error") -> None:
        super().__init__(message)
        self.kind = kind


class InvalidPrinterUri(ValidationError, PrinterError):
    """A malformed printer address: a ``ValidationError`` on ``printer_uri`` for forms, a ``PrinterError`` for senders."""

    def __init__(self, message: str) -> None:
        ValidationError.__init__(self, "printer_uri", message)
        self.kind = "invalid_uri"


Scheme = Literal["tcp", "usb", "serial", "win32", "cups", "file", "folder"]


@dataclass(frozen=True)
class PrinterAddress:
    """A parsed printer URI; only the fields of its ``scheme`` are set."""

    scheme: Scheme
    host: str | None = None
    port: int | None = None
    vid: int | None = None
    pid: int | None = None
    device: str | None = None
    baudrate: int | None = None
    name: str | None = None
    path: str | None = None
    interface: int | None = None  # usb: the printer interface and its bulk endpoints, when known
    out_ep: int | None = None
    in_ep: int | None = None

    def describe(self) -> str:
        """The address in words, for messages."""
        if self.scheme == "tcp":
            host = f"[{self.host}]" if self.host and ":" in self.host else self.host
            return f"网络打印机 {host}:{self.port}"
        if self.scheme == "usb":
            return f"USB 打印机 {self.vid or 0:04x}:{self.pid or 0:04x}"
        if self.scheme == "folder":
            return f"文件夹 {self.path}"
        if self.scheme == "serial":
            return f"串口打印机 {self.device}（{self.baudrate} 波特）"
        if self.scheme == "win32":
            return f"Windows 打印机“{self.name}”" if self.name else "Windows 默认打印机"
        if self.scheme == "cups":
            return f"CUPS 打印机“{self.name}”" if self.name else "CUPS 默认打印机"
        return f"文件 {self.path}"


def disconnected(where: str, started: bool) -> PrinterError:
    if started:
        return PrinterError(f"打印中连接断开：{where}。回执可能没有打完整，请检查打印机后补打", "disconnected")
    return PrinterError(f"打印机断开了连接：{where}。请检查打印机后重试", "disconnected")
