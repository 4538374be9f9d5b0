"""USB receipt printers: raw bulk transfers with pyusb to the printer interface's own endpoints.

python-escpos's ``Usb`` writes to endpoint 0x01 and detaches the kernel driver of interface 0 only; an Xprinter
(0483:5743, OUT 0x02) or a Gprinter (6868:0500, OUT 0x03) then fails with "Invalid endpoint address".  Here
the address's ``interface``/``out``/``in`` are used when it has them (``app.printing.discovery`` writes them),
else ``usbdesc.choose_route`` picks them from the device's descriptors at send time.
"""

from __future__ import annotations

import errno
from contextlib import suppress

from app.printing.address import CHUNK, PrinterAddress, PrinterError
from app.printing.address import disconnected as _disconnected


def _usb_error(exc: Exception, where: str, started: bool) -> PrinterError:
    code = getattr(exc, "errno", None)
    if "timeout" in type(exc).__name__.lower() or code in (errno.ETIMEDOUT, 110):
        return PrinterError(f"发送打印数据超时：{where}。请检查打印机是否卡纸、缺纸或离线", "timeout")
    if code in (errno.EACCES, errno.EPERM):
        return PrinterError(f"没有权限使用{where}：Linux 上请按说明添加 udev 规则（或把用户加入 lp 组）后重新插拔打印机",
                            "io")
    if code in (errno.ENODEV, errno.ENOENT, errno.EPIPE):
        return _disconnected(where, started) if started else PrinterError(
            f"找不到打印机：{where}。请检查打印机电源和 USB 线", "not_found")
    if code == errno.EBUSY:
        return PrinterError(f"{where} 正被其他程序占用（如系统打印服务）：请改用 CUPS/Windows 打印机方式，或关闭占用的程序",
                            "io")
    return PrinterError(f"打印失败：{where}（{type(exc).__name__}: {exc}）", "io")


def send_usb(address: PrinterAddress, data: bytes, timeout: float) -> None:
    """Raw bulk transfer with pyusb to the printer interface and endpoints of the address — or, when it names
    none, those ``usbdesc.choose_route`` reads from the device's descriptors (never fixed numbers)."""
    where = address.describe()
    try:
        import usb.core
        import usb.util
    except ImportError:
        raise PrinterError(f"本机缺少 pyusb 组件，无法使用{where}。请联系管理员安装，或改用其他连接方式",
                           "driver_missing") from None
    from app.printing.usbdesc import UsbRoute, choose_route, from_pyusb

    try:
        dev = usb.core.find(idVendor=address.vid, idProduct=address.pid)
    except usb.core.NoBackendError:
        raise PrinterError(f"本机缺少 libusb 组件，无法使用{where}。请联系管理员安装 libusb，或改用 Windows/CUPS 打印机方式",
                           "driver_missing") from None
    if dev is None:
        raise PrinterError(f"找不到打印机：{where}。请检查打印机电源和 USB 线", "not_found")
    started = False
    claimed = detached = False
    route: UsbRoute | None = None
    try:
        if address.out_ep is not None:
            route = UsbRoute(address.interface or 0, 0, address.out_ep, address.in_ep)
        else:
            route = choose_route(from_pyusb(dev))
            if route is None:
                raise PrinterError(f"{where} 没有可用的打印接口：它可能不是小票打印机", "not_found")
        with suppress(NotImplementedError, usb.core.USBError):
            if dev.is_kernel_driver_active(route.interface):  # Linux usblp holds it: borrow it for the job
                dev.detach_kernel_driver(route.interface)
                detached = True
        try:
            dev.get_active_configuration()
        except usb.core.USBError:
            dev.set_configuration()
        usb.util.claim_interface(dev, route.interface)
        claimed = True
        if route.alternate:
            dev.set_interface_altsetting(route.interface, route.alternate)
        ms = max(1, int(timeout * 1000))
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            chunk = view[start : start + CHUNK]
            started = True
            if dev.write(route.out_ep, chunk, ms) != len(chunk):
                raise _disconnected(where, started=True)
    except PrinterError:
        raise
    except Exception as exc:  # usb.core.USBError / USBTimeoutError
        raise _usb_error(exc, where, started) from None
    finally:
        if route is not None and claimed:
            with suppress(Exception):
                usb.util.release_interface(dev, route.interface)
        if route is not None and detached:
            with suppress(Exception):
                dev.attach_kernel_driver(route.interface)
        with suppress(Exception):
            usb.util.dispose_resources(dev)


