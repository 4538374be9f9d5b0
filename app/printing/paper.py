"""What a receipt printer puts on paper for our ESC/POS bytes: the live sample of the printer settings.

``paper_image`` reads a job the way a Chinese thermal printer with a GB18030/GBK font does (only the commands
``escpos`` emits) and draws the slip as a 1-bit image at the printer's 203 dpi, so the settings dialog can
show the chosen 打印方式, encoding and QR mode as they come out — from the same bytes the printer gets,
without a printer.  The printer's own font is drawn with the bundled one, in its fixed 12×24 cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from app.printing.escpos import _glyph, render_receipt
from app.printing.model import PrinterProfile, Receipt

_INVERT = bytes(255 - i for i in range(256))
_CODECS = {"GB18030": "gb18030", "GBK": "gbk", "UTF-8": "utf-8"}
_CELL = 12  # font A: 12×24 dots, a hanzi two cells
_CELL_B = 9  # font B ASCII
_LINE = 24
_FEED_LINE = 30  # the default line spacing (ESC 2)

SAMPLE_QR = "https://example.invalid/q/2026-0001"


def sample_receipt(hall_name: str = "政务服务大厅") -> Receipt:
    """A short 受理回执: a title, two lines and the QR."""
    return Receipt(title="受理回执", hall_name=hall_name,
                   rows=(("申请单位", "南昌示例商贸有限公司"), ("事项", "食品经营许可（新办）")),
                   qr_payload=SAMPLE_QR)


@dataclass
class _State:
    align: int = 0
    bold: bool = False
    mul: int = 1
    inverse: bool = False
    font_b: bool = False


@dataclass
class _Paper:
    width: int
    pieces: list[tuple[int, int, Image.Image]] = field(default_factory=list)  # x, y, 1-bit image (0 = ink)
    y: int = 0

    def place(self, img: Image.Image, align: int) -> None:
        x = {0: 0, 1: (self.width - img.width) // 2, 2: self.width - img.width}.get(align, 0)
        self.pieces.append((max(0, x), self.y, img))
        self.y += img.height

    def image(self) -> Image.Image:
        out = Image.new("1", (self.width, max(1, self.y + 8)), 1)
        for x, y, img in self.pieces:
            out.paste(img, (x, y))
        return out


def _draw_line(chars: list[tuple[str, _State]], width: int) -> Image.Image:
    """One printed line: each character in its cell (hanzi two), scaled by GS !, bold and inverse as set."""
    mul = max((s.mul for _, s in chars), default=1)
    height = _LINE * mul
    cells = [((_CELL_B if s.font_b and ch.isascii() else _CELL) * (1 if ch.isascii() else 2) * s.mul, ch, s)
             for ch, s in chars]
    line = Image.new("1", (max(1, min(width, sum(c[0] for c in cells))), height), 1)
    x = 0
    for w, ch, s in cells:
        if x + w > width:
            break
        if s.inverse:
            line.paste(0, (x, 0, x + w, height))
        px = (_LINE if not ch.isascii() else 20 if s.font_b else _LINE) * s.mul
        g = _glyph(px, ch)
        if g.mask is not None:
            ink = 1 if s.inverse else 0
            at = (x + max(0, (w - g.mask.width) // 2), height - _LINE * s.mul + g.dy - 2 * s.mul)
            line.paste(ink, at, g.mask)
            if s.bold:
                line.paste(ink, (at[0] + 1, at[1]), g.mask)
        x += w
    return line


def _qr(data: bytes, module: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    n = len(matrix)
    small = Image.frombytes("L", (n, n), bytes(0 if cell else 255 for row in matrix for cell in row))
    return small.resize((n * module, n * module), Image.Resampling.NEAREST).convert("1", dither=Image.Dither.NONE)


def paper_image(data: bytes, profile: PrinterProfile) -> Image.Image:
    """The slip ``data`` prints on a printer described by ``profile`` (1-bit, 0 = ink, ``profile.dots`` wide)."""
    codec = _CODECS.get(profile.encoding, "gb18030")
    paper = _Paper(profile.dots)
    state = _State()
    line: list[tuple[str, _State]] = []
    line_align = 0
    pending = bytearray()
    pending_state = _State()
    qr_data = b""
    qr_module = 6
    i, n = 0, len(data)

    def flush_text() -> None:
        nonlocal pending
        if pending:
            text = bytes(pending).decode(codec, errors="replace").replace("\ufffd", "□")
            line.extend((ch, pending_state) for ch in text)
            pending = bytearray()

    def end_line() -> None:
        nonlocal line
        flush_text()
        if line:
            paper.place(_draw_line(line, paper.width), line_align)
            paper.y += _FEED_LINE - _LINE
        else:
            paper.y += _FEED_LINE * state.mul
        line = []

    while i < n:
        b = data[i]
        if b == 0x0A:
            end_line()
            i += 1
        elif b == 0x1B and i + 1 < n:  # ESC
            flush_text()
            cmd = data[i + 1]
            if cmd == 0x40:  # ESC @
                state = _State()
                i += 2
                continue
            arg = data[i + 2] if i + 2 < n else 0
            if cmd == ord("a"):
                state.align = arg % 48 if arg >= 48 else arg
            elif cmd == ord("E"):
                state.bold = bool(arg & 1)
            elif cmd == ord("M"):
                state.font_b = bool(arg & 1)
            elif cmd == ord("d"):
                end_line()
                paper.y += _FEED_LINE * max(0, arg - 1)
            i += 3
        elif b == 0x1D and i + 1 < n:  # GS
            flush_text()
            cmd = data[i + 1]
            if cmd == ord("!"):
                state.mul = (data[i + 2] & 0x0F) + 1
                i += 3
            elif cmd == ord("B"):
                state.inverse = bool(data[i + 2] & 1)
                i += 3
            elif cmd == ord("V"):
                i += 4 if data[i + 2] in (65, 66) else 3
            elif cmd == ord("v"):  # GS v 0 m xL xH yL yH bitmap
                xb = data[i + 4] | data[i + 5] << 8
                rows = data[i + 6] | data[i + 7] << 8
                bits = data[i + 8 : i + 8 + xb * rows].translate(_INVERT)
                paper.place(Image.frombytes("1", (xb * 8, rows), bits), state.align)
                i += 8 + xb * rows
            elif cmd == ord("("):  # GS ( k pL pH cn fn …
                size = data[i + 3] | data[i + 4] << 8
                fn, body = data[i + 6], data[i + 7 : i + 5 + size]
                if fn == 67 and body:
                    qr_module = body[0]
                elif fn == 80:
                    qr_data = body[1:]
                elif fn == 81 and qr_data:
                    paper.place(_qr(qr_data, qr_module), state.align)
                i += 5 + size
            else:
                i += 2
        elif b == 0x1C and i + 1 < n:  # FS & / FS .: the printer's Chinese mode on and off
            flush_text()
            i += 2
        else:
            if not line and not pending:
                line_align = state.align
            if not pending:
                pending_state = _State(**vars(state))
            pending.append(b)
            i += 1
    end_line()
    return paper.image()


def sample_image(profile: PrinterProfile, hall_name: str = "政务服务大厅") -> Image.Image:
    """The sample slip as ``profile`` prints it: the bytes the printer would get, put on paper."""
    return paper_image(render_receipt(sample_receipt(hall_name), profile), profile)
