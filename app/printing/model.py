"""What gets printed, as plain data: the renderers turn these into ESC/POS bytes or PDF pages."""

from __future__ import annotations

from dataclasses import dataclass, field
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
