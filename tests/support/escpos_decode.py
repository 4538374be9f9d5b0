"""A strict ESC/POS reader for tests: what would a printer put on paper for these bytes?

It understands the commands a receipt needs and raises :class:`EscPosDecodeError` on anything else, on a
truncated command, on text that does not decode in the printer's encoding, and (with ``chinese_mode``)
on hanzi bytes sent outside ``FS &`` … ``FS .`` — so garbage in a job fails the test instead of passing
unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import zxingcpp
from PIL import Image

__all__ = ["Decoded", "EscPosDecodeError", "Line", "QrCode", "Raster", "Style", "decode", "decode_qr_images"]

_TEXT = re.compile(rb"[\x20-\x7e\x80-\xff]+")
_INVERT = bytes(255 - i for i in range(256))
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_ECC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_PY_CODEC = {"GB18030": "gb18030", "GBK": "gbk", "UTF-8": "utf-8"}


class EscPosDecodeError(ValueError):
    """The bytes are not a well-formed job of the commands we know."""


@dataclass(frozen=True)
class Style:
    align: str = "left"
    bold: bool = False
    width: int = 1  # GS ! multipliers
    height: int = 1
    inverse: bool = False
    font: int = 0  # 0 = font A, 1 = font B
    underline: int = 0
    double_strike: bool = False


@dataclass(frozen=True)
class Line:
    text: str
    style: Style  # in force when the line's first character arrived
    raw: bytes  # the text bytes without commands


@dataclass(frozen=True)
class QrCode:
    payload: str
    data: bytes
    model: int | None
    module_size: int | None
    ecc: str | None
    align: str


@dataclass(frozen=True)
class Raster:
    image: Image.Image  # mode "1", printed dots black
    align: str
    mode: int


@dataclass
class Decoded:
    lines: list[Line] = field(default_factory=list)
    qr: list[QrCode] = field(default_factory=list)
    rasters: list[Raster] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)  # "partial" / "full", in order
    feeds: int = 0  # lines fed by ESC d
    inits: int = 0
    text_bytes: int = 0  # printable bytes outside commands
    chinese_runs: int = 0  # FS & seen
    commands: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_codes(self) -> list[str]:
        """Payloads of the QR codes printed (stored with ``GS ( k`` fn 80, then printed with fn 81)."""
        return [q.payload for q in self.qr]

    @property
    def images(self) -> list[Image.Image]:
        return [r.image for r in self.rasters]

    @property
    def cut_count(self) -> int:
        return len(self.cuts)

    @property
    def bold_seen(self) -> bool:
        return any(line.style.bold for line in self.lines)

    @property
    def sizes(self) -> set[tuple[int, int]]:
        return {(line.style.width, line.style.height) for line in self.lines}

    @property
    def alignments(self) -> set[str]:
        return {line.style.align for line in self.lines} | {q.align for q in self.qr}

    def lines_with(self, needle: str) -> list[Line]:
        return [line for line in self.lines if needle in line.text]


def decode(data: bytes, encoding: str = "GB18030", *, chinese_mode: bool | None = None) -> Decoded:
    """Walk the job.  ``chinese_mode``: True requires every non-ASCII byte inside ``FS &`` … ``FS .``,
    False forbids ``FS &``, None accepts both."""
    codec = _PY_CODEC.get(encoding.upper(), encoding)
    out = Decoded()
    style = Style()
    in_chinese = False
    pending = bytearray()
    pending_style: Style | None = None
    qr_store: bytes | None = None
    qr_model: int | None = None
    qr_size: int | None = None
    qr_ecc: str | None = None
    i = 0
    n = len(data)

    def fail(msg: str) -> EscPosDecodeError:
        return EscPosDecodeError(f"at byte {i}: {msg} (next bytes {data[i : i + 12].hex(' ')})")

    def need(count: int) -> None:
        if i + count > n:
            raise fail(f"command truncated, needs {count} bytes")

    def flush(force: bool) -> None:
        nonlocal pending, pending_style
        if not pending and not force:
            return
        try:
            text = bytes(pending).decode(codec)
        except UnicodeDecodeError as exc:
            raise fail(f"text does not decode as {encoding}: {exc}") from None
        out.lines.append(Line(text, pending_style or style, bytes(pending)))
        pending = bytearray()
        pending_style = None

    while i < n:
        b = data[i]
        if b >= 0x20 and b != 0x7F:
            m = _TEXT.match(data, i)
            assert m is not None
            run = m.group()
            if chinese_mode and not in_chinese and any(c >= 0x80 for c in run):
                raise fail("non-ASCII text outside FS & (Chinese mode)")
            if pending_style is None:
                pending_style = style
            pending += run
            out.text_bytes += len(run)
            i = m.end()
            continue
        if b == 0x0A:
            flush(True)
            i += 1
        elif b == 0x0D:
            i += 1
        elif b == 0x1B:
            need(2)
            c = data[i + 1]
            if c == 0x40:  # ESC @
                flush(False)
                style = Style()
                in_chinese = False
                out.inits += 1
                out.commands.append("ESC @")
                i += 2
                continue
            if c == 0x32:  # ESC 2: default line spacing
                out.commands.append("ESC 2")
                i += 2
                continue
            need(3)
            arg = data[i + 2]
            if c == 0x61:  # ESC a
                if arg not in _ALIGN:
                    raise fail(f"bad ESC a {arg}")
                style = replace(style, align=_ALIGN[arg])
            elif c == 0x45:  # ESC E
                style = replace(style, bold=bool(arg & 1))
            elif c == 0x47:  # ESC G
                style = replace(style, double_strike=bool(arg & 1))
            elif c == 0x2D:  # ESC -
                style = replace(style, underline=arg % 48 if arg >= 48 else arg)
            elif c == 0x4D:  # ESC M
                if arg not in (0, 1, 48, 49):
                    raise fail(f"bad ESC M {arg}")
                style = replace(style, font=arg & 1)
            elif c == 0x21:  # ESC ! print mode
                style = replace(style, font=arg & 1, bold=bool(arg & 8), height=2 if arg & 16 else 1,
                                width=2 if arg & 32 else 1, underline=1 if arg & 128 else 0)
            elif c == 0x64:  # ESC d: print and feed n lines
                flush(False)
                out.feeds += arg
            elif c == 0x4A:  # ESC J: print and feed n dots
                flush(False)
            elif c in (0x33, 0x74):  # ESC 3 line spacing, ESC t code table
                pass
            else:
                raise fail(f"unknown command ESC 0x{c:02x}")
            out.commands.append(f"ESC {chr(c)} {arg}")
            i += 3
        elif b == 0x1D:
            need(2)
            c = data[i + 1]
            if c == 0x21:  # GS ! size
                need(3)
                arg = data[i + 2]
                w, h = (arg >> 4) + 1, (arg & 15) + 1
                if w > 8 or h > 8:
                    raise fail(f"bad GS ! {arg}")
                style = replace(style, width=w, height=h)
                out.commands.append(f"GS ! {arg}")
                i += 3
            elif c == 0x42:  # GS B inverse
                need(3)
                style = replace(style, inverse=bool(data[i + 2] & 1))
                out.commands.append(f"GS B {data[i + 2]}")
                i += 3
            elif c == 0x56:  # GS V cut
                need(3)
                m_ = data[i + 2]
                if m_ in (0, 48, 1, 49):
                    size = 3
                elif m_ in (65, 66):
                    need(4)
                    size = 4
                else:
                    raise fail(f"unsupported GS V {m_}")
                flush(False)
                out.cuts.append("full" if m_ in (0, 48, 65) else "partial")
                out.commands.append(f"GS V {m_}")
                i += size
            elif c == 0x28:  # GS ( k
                need(5)
                if data[i + 2] != 0x6B:
                    raise fail(f"unsupported GS ( {chr(data[i + 2])}")
                length = data[i + 3] | data[i + 4] << 8
                need(5 + length)
                body = data[i + 5 : i + 5 + length]
                if length < 2 or body[0] != 49:
                    raise fail("GS ( k for a symbol other than QR")
                fn = body[1]
                if fn == 65:
                    if length != 4 or body[2] not in (49, 50, 51):
                        raise fail("bad QR model")
                    qr_model = body[2] - 48
                elif fn == 67:
                    if length != 3 or not 1 <= body[2] <= 16:
                        raise fail("bad QR module size")
                    qr_size = body[2]
                elif fn == 69:
                    if length != 3 or body[2] not in _QR_ECC:
                        raise fail("bad QR error correction")
                    qr_ecc = _QR_ECC[body[2]]
                elif fn == 80:
                    if length < 4 or body[2] != 48:
                        raise fail("bad QR store")
                    qr_store = bytes(body[3:])
                elif fn == 81:
                    if length != 3 or body[2] != 48:
                        raise fail("bad QR print")
                    if qr_store is None:
                        raise fail("QR print without stored data")
                    if pending:
                        raise fail("QR printed with text in the line buffer")
                    try:
                        payload = qr_store.decode("utf-8")
                    except UnicodeDecodeError:
                        raise fail("QR data is not UTF-8") from None
                    out.qr.append(QrCode(payload, qr_store, qr_model, qr_size, qr_ecc, style.align))
                else:
                    raise fail(f"unsupported QR function {fn}")
                out.commands.append(f"GS ( k {fn}")
                i += 5 + length
            elif c == 0x76:  # GS v 0 raster
                need(8)
                if data[i + 2] != 0x30:
                    raise fail("unsupported GS v")
                mode = data[i + 3]
                if mode not in (0, 1, 2, 3, 48, 49, 50, 51):
                    raise fail(f"bad GS v 0 mode {mode}")
                xb = data[i + 4] | data[i + 5] << 8
                rows = data[i + 6] | data[i + 7] << 8
                if not xb or not rows:
                    raise fail("empty raster")
                need(8 + xb * rows)
                if pending:
                    raise fail("raster with text in the line buffer")
                bits = data[i + 8 : i + 8 + xb * rows].translate(_INVERT)
                img = Image.frombytes("1", (xb * 8, rows), bits)
                out.rasters.append(Raster(img, style.align, mode))
                out.commands.append(f"GS v 0 {xb * 8}x{rows}")
                i += 8 + xb * rows
            else:
                raise fail(f"unknown command GS 0x{c:02x}")
        elif b == 0x1C:
            need(2)
            c = data[i + 1]
            if c == 0x26:  # FS &
                if chinese_mode is False:
                    raise fail("FS & in a job without Chinese mode")
                in_chinese = True
                out.chinese_runs += 1
                out.commands.append("FS &")
                i += 2
            elif c == 0x2E:  # FS .
                in_chinese = False
                out.commands.append("FS .")
                i += 2
            elif c == 0x21:  # FS ! Chinese print mode
                need(3)
                out.commands.append(f"FS ! {data[i + 2]}")
                i += 3
            else:
                raise fail(f"unknown command FS 0x{c:02x}")
        else:
            raise fail(f"unexpected control byte 0x{b:02x}")
    flush(False)
    return out


def stack_images(images: list[Image.Image]) -> Image.Image:
    """Raster chunks one under the other, as the printer puts them on paper."""
    width = max(img.width for img in images)
    height = sum(img.height for img in images)
    sheet = Image.new("L", (width, height), 255)
    y = 0
    for img in images:
        sheet.paste(img.convert("L"), (0, y))
        y += img.height
    return sheet


def decode_qr_images(images: list[Image.Image]) -> list[str]:
    """Texts of the QR codes found with zxing in the rasters (stacked first, a QR may span two chunks)."""
    if not images:
        return []
    sheet = stack_images(images)
    # A white margin: the quiet zone of a QR drawn at the edge of a chunk would otherwise be cut.
    framed = Image.new("L", (sheet.width + 64, sheet.height + 64), 255)
    framed.paste(sheet, (32, 32))
    return [r.text for r in zxingcpp.read_barcodes(framed) if r.format == zxingcpp.BarcodeFormat.QRCode]
