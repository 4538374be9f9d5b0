"""What gets printed, as plain data: the renderers turn these into ESC/POS bytes or PDF pages."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

PaperWidth = Literal[58, 80]
Encoding = Literal["GB18030", "GBK", "UTF-8"]


@dataclass(frozen=True)
class PrinterProfile:
    """How one thermal printer wants its bytes.

    ``chinese_mode``: wrap hanzi in ``FS &`` … ``FS .`` (most Chinese ESC/POS printers need it for GB18030/GBK).
    ``raster``: render the whole receipt as an image with our bundled font, for printers without a Chinese font.
    ``qr_native``: ``GS ( k`` QR; otherwise the QR is printed as an image (and can be centred).
    ``status_check``: ask the printer for its paper status (``DLE EOT 4``) before sending a job.
    """

    paper_mm: PaperWidth = 80
    encoding: Encoding = "GB18030"
    chinese_mode: bool = True
    raster: bool = False
    qr_native: bool = True
    cut: bool = True
    status_check: bool = True

    @property
    def dots(self) -> int:
        """Printable width in dots at 203 dpi."""
        return 384 if self.paper_mm == 58 else 576

    @property
    def columns(self) -> int:
        """Characters per line in font A (12×24): a hanzi takes two."""
        return 32 if self.paper_mm == 58 else 48


# 打印方式 as the printer settings offer it: how the text reaches paper, in words (``chinese_mode``, ``raster``).
PRINT_MODES: dict[str, str] = {
    "font": "中文字库打印（快，多数国产热敏打印机）",
    "plain": "直接文本打印（打印机默认即为中文）",
    "image": "图片打印（任何打印机，较慢）",
}
PRINT_MODE_TIPS: dict[str, str] = {
    "font": "用打印机自带的中文字库打印汉字，快；多数国产热敏打印机适用。",
    "plain": "打印机开机即为中文状态时适用；若汉字成乱码，请改用中文字库打印。",
    "image": "用本软件的字体把整张回执按图片打印：任何打印机都能打，但较慢。",
}
# The QR code: drawn by the printer (fast, needs the printer's QR support) or sent as an image.
QR_MODES: dict[bool, str] = {True: "打印机生成二维码（快）", False: "图片二维码（任何打印机）"}


def print_mode(profile: PrinterProfile) -> str:
    """The 打印方式 (a key of ``PRINT_MODES``) that ``profile`` describes."""
    if profile.raster:
        return "image"
    return "font" if profile.chinese_mode else "plain"


def with_print_mode(profile: PrinterProfile, mode: str) -> PrinterProfile:
    """``profile`` printing the ``mode`` way (``image`` keeps the text settings for a later switch back)."""
    if mode == "image":
        return replace(profile, raster=True)
    return replace(profile, raster=False, chinese_mode=mode == "font")


@dataclass(frozen=True)
class Receipt:
    """A thermal slip: 受理回执, 出件签收单 or the test page.

    Printed top to bottom: ``hall_name`` (centred), ``title`` (large, centred), a ``补打`` banner when
    ``reprint``, ``case_no`` (double size), the ``rows`` as "label：value" lines, a ``materials`` section
    ("name" then its state), ``notes`` lines, the QR code of ``qr_payload`` (centred), the ``pickup_code``
    (large) and ``footer`` lines (small).  Everything is already masked where personal.
    """

    title: str
    hall_name: str
    case_no: str | None = None
    reprint: bool = False
    rows: tuple[tuple[str, str], ...] = ()
    materials: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    qr_payload: str | None = None
    pickup_code: str | None = None
    footer: tuple[str, ...] = field(default_factory=tuple)


# The 交接单 (app.printing.transfer_sheet draws it); here so that app.transfers loads without reportlab.
@dataclass(frozen=True)
class SheetRow:
    case_no: str
    item: str
    applicant: str  # the company, or the agent's masked name
    paper: str  # e.g. 4项 原件2份 复印件5份


@dataclass(frozen=True)
class TransferSheet:
    """What a 交接单 says."""

    hall_name: str
    batch_no: str
    qr_payload: str
    lines: tuple[str, ...]  # under the title: department, counter, who hands over, when
    rows: tuple[SheetRow, ...]
    closing: str  # the counts
    signatures: tuple[tuple[str, str], ...]  # (label, printed value or "" for a blank line)
