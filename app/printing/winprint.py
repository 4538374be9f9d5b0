"""A4 PDFs on a Windows printer (``win32://名称``): each page rendered by pdfium and drawn through GDI.

Most office printers on Windows take no PDF as raw data, so the spooler gets the pages as the printer's
driver wants them: a device context for the printer (pywin32's ``win32ui``), one GDI page per PDF page, the
image scaled to the printable area at the printer's resolution.  Linux and macOS print PDFs through CUPS
(``cups://``), which converts them itself.  Without pywin32 a clear ``PrinterError`` says what is missing.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from app.printing.transport import PrinterError

HORZRES, VERTRES = 8, 10  # GetDeviceCaps: printable area in device pixels
LOGPIXELSX = 88  # device dots per inch
PHYSICALOFFSETX, PHYSICALOFFSETY = 112, 113


def page_box(pdf_size: tuple[int, int], area: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a page image of ``pdf_size`` goes in a printable ``area`` (device pixels): scaled to fit whole,
    centred, aspect kept — (left, top, right, bottom)."""
    scale = min(area[0] / pdf_size[0], area[1] / pdf_size[1])
    width, height = round(pdf_size[0] * scale), round(pdf_size[1] * scale)
    left, top = (area[0] - width) // 2, (area[1] - height) // 2
    return left, top, left + width, top + height


def print_pdf(printer: str, pdf: bytes, title: str, *, modules: tuple[Any, Any] | None = None) -> None:
    """Print ``pdf`` on the Windows printer named ``printer`` (the default printer when empty)."""
    where = f"Windows 打印机“{printer}”" if printer else "Windows 默认打印机"
    if modules is None:
        try:
            import win32print  # type: ignore[import-not-found,unused-ignore]
            import win32ui  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise PrinterError(f"本机缺少 pywin32 组件，无法使用{where}。请联系管理员安装，或在预览中打印",
                               "driver_missing") from None
    else:
        win32print, win32ui = modules
    from PIL import ImageWin

    from app.printing.preview import page_images

    name = printer or win32print.GetDefaultPrinter()
    try:
        dc = win32ui.CreateDC()
        dc.CreatePrinterDC(name)
    except Exception as exc:
        raise PrinterError(f"找不到打印机：{where}（{exc}）", "not_found") from None
    try:
        dpi = dc.GetDeviceCaps(LOGPIXELSX) or 300
        area = (dc.GetDeviceCaps(HORZRES), dc.GetDeviceCaps(VERTRES))
        dc.StartDoc(title)
        for image in page_images(pdf, dpi=min(dpi, 300)):
            dc.StartPage()
            ImageWin.Dib(image.convert("RGB")).draw(dc.GetHandleOutput(), page_box(image.size, area))
            dc.EndPage()
        dc.EndDoc()
    except PrinterError:
        raise
    except Exception as exc:
        raise PrinterError(f"打印失败：{where}（{exc}）", "io") from None
    finally:
        with suppress(Exception):
            dc.DeleteDC()
