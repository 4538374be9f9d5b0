"""ESC/POS bytes for thermal receipts.

We emit every command ourselves instead of going through python-escpos: its text path sends hanzi as raw
GB18030 without entering Chinese mode, turns some punctuation into ``?`` and cannot centre a native QR.

A receipt is first laid out into profile-independent blocks (paragraphs, rules, the QR), then either
written as text (``FS &`` … ``FS .`` around hanzi, wrapped by display columns) or, for printers without a
Chinese font, drawn into 1-bit images with the bundled font and sent as ``GS v 0`` rasters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from app.printing.model import PrinterProfile, Receipt
from app.resources import font_path

__all__ = [
    "REPLACEMENT",
    "display_width",
    "encode_text",
    "printable_text",
    "raster_bytes",
    "render_receipt",
]

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
LF = b"\n"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
# GS V 66 n: feed to the cutter, then partial cut; the feed keeps the last line from being cut through.
FEED_AND_CUT = GS + b"V" + bytes([66, 0])
# Without a cutter the clerk tears the slip off: feed the last line past the tear bar.
FEED_TO_TEAR = ESC + b"d" + bytes([4])

REPLACEMENT = "□"  # visible stand-in for what the printer's code page cannot print; exists in GBK
RASTER_CHUNK_ROWS = 1024  # many printers reject taller GS v 0 images
QR_MAX_BYTES = 2331  # byte-mode capacity of a version-40 QR at error correction M

# Byte-mode capacity per QR version (1..40) at error correction M: picks a module size that fits the paper
# without running the QR encoder when the printer draws the code itself.
_QR_M_BYTES = (
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989,
    2099, 2213, 2331,
)
_QR_QUIET = 4  # quiet-zone modules each side, as the QR spec asks

# ---------------------------------------------------------------------------------------------------------
# Text clean-up and measuring


_ASCII_CTRL = re.compile(r"[\x00-\x1f\x7f]")
_REPLACE_CATEGORIES = frozenset({"Cs", "Co", "Cn"})  # surrogates, private use, unassigned: no glyph anywhere


class _PrintableMap(dict[int, str | None]):
    """``str.translate`` table filled on first sight of each character, so repeats cost a C dict lookup."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        cat = unicodedata.category(ch)
        out: str | None
        if cat in ("Cc", "Zl", "Zp") or (cat == "Zs" and ch != "\u3000"):
            out = " "  # control bytes inside user text would otherwise reach the printer as commands
        elif cat == "Cf":
            out = None  # zero-width and direction marks print as garbage on code-page printers
        elif cat in _REPLACE_CATEGORIES:
            out = REPLACEMENT
        else:
            out = ch
        self[code] = out
        return out


_PRINTABLE = _PrintableMap()


def printable_text(text: str) -> str:
    """``text`` as it will be printed: control characters become spaces, invisible ones go, characters
    no font has become :data:`REPLACEMENT`."""
    if text.isascii():
        return _ASCII_CTRL.sub(" ", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # one code point per glyph, as the code pages have them
    return text.translate(_PRINTABLE)


def display_width(text: str) -> int:
    """Columns in printer font A: printable ASCII takes one, anything else (hanzi, full-width) two."""
    # Counting the ASCII characters through the codec keeps this in C.
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


# A space, a run of visible ASCII (kept together when it fits), or one other character.
_TOKEN = re.compile(r" |[!-~]+|[^ -~]")
# Chinese line-breaking rules: these must not start a line ...
_NO_LINE_START = frozenset("，。、：；！？）」』”’》〉】〕…—·,.:;!?)]}%")
# ... and these must not end one.
_NO_LINE_END = frozenset("（「『“‘《〈【〔([{")


def _wrap(text: str, first: float, rest: float, measure: Callable[[str], float],
          total: Callable[[str], float]) -> list[str]:
    """Greedy wrap of ``text`` into lines no wider than ``first`` (first line) / ``rest`` (the others).

    Every character is kept, so joining the lines gives ``text`` back; ASCII words move whole to the next
    line when they fit there, and closing punctuation is not left at the start of a line.  ``measure``
    gives the width of one token, ``total`` that of a whole string (for the common case: it fits).
    """
    if total(text) <= first:
        return [text]
    lines: list[str] = []
    cur: list[str] = []
    widths: list[float] = []
    used = 0.0
    avail = first

    def newline(carry: int = 0) -> None:
        nonlocal cur, widths, used, avail
        keep_tok, keep_w = cur[len(cur) - carry :], widths[len(widths) - carry :]
        lines.append("".join(cur[: len(cur) - carry]))
        cur, widths = keep_tok, keep_w
        used = sum(widths)
        avail = rest

    for tok in _TOKEN.findall(text):
        w = measure(tok)
        if used + w <= avail:
            cur.append(tok)
            widths.append(w)
            used += w
            continue
        if len(tok) > 1:  # an ASCII word that does not fit here
            if cur and w <= rest:
                newline()
                cur.append(tok)
                widths.append(w)
                used = w
                continue
            for ch in tok:  # longer than a whole line: split it, filling this line first
                cw = measure(ch)
                if cur and used + cw > avail:
                    newline()
                cur.append(ch)
                widths.append(cw)
                used += cw
            continue
        carry = 0
        last = cur[-1] if cur else " "
        if tok in _NO_LINE_START and len(last) == 1 and last not in _NO_LINE_START and last != " ":
            carry = 1  # take the previous character along so the punctuation does not open a line
        # ... and any opening bracket that would then end the line
        while carry < len(cur) and cur[-1 - carry] in _NO_LINE_END:
            carry += 1
        if carry >= len(cur) or sum(widths[len(widths) - carry :]) + w > rest:
            carry = 0  # cannot help it without emptying the line or overflowing the next
        if cur:
            newline(carry)
        cur.append(tok)
        widths.append(w)
        used += w
    lines.append("".join(cur))
    return lines


def _text_measure(tok: str) -> float:
    # Tokens are a single non-ASCII character or pure ASCII, see _TOKEN.
    return len(tok) if tok.isascii() else 2


# ---------------------------------------------------------------------------------------------------------
# Layout: what goes on the slip, independent of how it is printed

Style = Literal["hall", "title", "banner", "case", "heading", "body", "code", "small"]


@dataclass(frozen=True)
class _Look:
    mul: int  # GS ! width and height multiplier
    bold: bool
    inverse: bool
    font_b: bool  # ESC M 1: smaller ASCII; hanzi keep their 24-dot font
    px: int  # raster font size in dots


_LOOKS: dict[Style, _Look] = {
    "hall": _Look(1, True, False, False, 26),
    "title": _Look(2, True, False, False, 44),
    "banner": _Look(2, True, True, False, 40),
    "case": _Look(2, True, False, False, 40),
    "heading": _Look(1, True, False, False, 24),
    "body": _Look(1, False, False, False, 24),
    "code": _Look(2, True, False, False, 48),
    "small": _Look(1, False, False, True, 20),
}


@dataclass(frozen=True)
class _Para:
    text: str
    style: Style = "body"
    center: bool = False
    hang: int = 0  # columns by which continuation lines are indented
    lead: int = 0  # columns by which every line is indented


@dataclass(frozen=True)
class _Rule:
    pass


@dataclass(frozen=True)
class _Qr:
    payload: str


@dataclass(frozen=True)
class _Gap:
    pass


_Block = _Para | _Rule | _Qr | _Gap

REPRINT_BANNER = " 补打 "


def _row_text(label: str, value: str) -> tuple[str, int]:
    label = printable_text(label)
    value = printable_text(value)
    if not label:
        return value, 0
    head = label if label.endswith(("：", ":")) else label + "："
    return head + value, display_width(head)


def _layout(receipt: Receipt) -> list[_Block]:
    blocks: list[_Block] = []
    if receipt.hall_name:
        blocks.append(_Para(printable_text(receipt.hall_name), "hall", center=True))
    blocks.append(_Para(printable_text(receipt.title), "title", center=True))
    if receipt.reprint:
        blocks.append(_Para(REPRINT_BANNER, "banner", center=True))
    if receipt.case_no:
        blocks.append(_Para(printable_text(receipt.case_no), "case", center=True))
    if receipt.rows:
        blocks.append(_Rule())
        for label, value in receipt.rows:
            text, hang = _row_text(label, value)
            blocks.append(_Para(text, hang=hang))
    if receipt.materials:
        blocks.append(_Rule())
        count = len(receipt.materials)
        blocks.append(_Para(f"材料清单（共{count}项）", "heading"))
        indent = len(str(count)) + 2
        for i, (name, state) in enumerate(receipt.materials, 1):
            prefix = f"{i}.".ljust(indent)
            blocks.append(_Para(prefix + printable_text(name), hang=indent))
            if state:
                blocks.append(_Para(printable_text(state), lead=indent))
    if receipt.notes:
        blocks.append(_Rule())
        blocks.extend(_Para(printable_text(note)) for note in receipt.notes)
    if receipt.qr_payload or receipt.pickup_code:
        blocks.append(_Rule())
    if receipt.qr_payload:
        blocks.append(_Qr(receipt.qr_payload))
    if receipt.pickup_code:
        blocks.append(_Para("取件码", "heading", center=True))
        blocks.append(_Para(printable_text(receipt.pickup_code), "code", center=True))
    if receipt.footer:
        blocks.append(_Gap())
        blocks.extend(_Para(printable_text(line), "small") for line in receipt.footer)
    return blocks


# ---------------------------------------------------------------------------------------------------------
# Text mode


_RUNS = re.compile(r"[ -~]+|[^ -~]+")


@lru_cache(maxsize=4096)
def _encode_char(ch: str, encoding: str) -> bytes:
    try:
        data = ch.encode(encoding)
    except UnicodeEncodeError:
        return REPLACEMENT.encode(encoding)
    if encoding != "UTF-8" and len(data) < 2:
        # CP936 maps € to the lone byte 0x80, which printers do not have.
        return REPLACEMENT.encode(encoding)
    return data


def _encode_run(run: str, encoding: str) -> bytes:
    try:
        data = run.encode(encoding)
    except UnicodeEncodeError:
        return b"".join(_encode_char(ch, encoding) for ch in run)
    if encoding == "GBK" and len(data) != 2 * len(run):
        return b"".join(_encode_char(ch, encoding) for ch in run)
    return data


def encode_text(text: str, profile: PrinterProfile) -> bytes:
    """Printer bytes for an already clean line: hanzi runs wrapped in ``FS &`` … ``FS .`` in Chinese mode."""
    if text.isascii():
        return text.encode("ascii")
    encoding = profile.encoding.upper()
    out = bytearray()
    for run in _RUNS.findall(text):
        if run[0] <= "~":
            out += run.encode("ascii")
        elif profile.chinese_mode:
            out += CHINESE_ON + _encode_run(run, encoding) + CHINESE_OFF
        else:
            out += _encode_run(run, encoding)
    return bytes(out)


class _TextWriter:
    """Builds the byte stream, sending a style command only when the style changes."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.out = bytearray(INIT)
        self._align = 0
        self._bold = False
        self._size = 0
        self._inverse = False
        self._font_b = False

    def style(self, *, align: int = 0, look: _Look = _LOOKS["body"]) -> None:
        if align != self._align:
            self.out += ESC + b"a" + bytes([align])
            self._align = align
        if look.bold != self._bold:
            self.out += ESC + b"E" + bytes([int(look.bold)])
            self._bold = look.bold
        size = (look.mul - 1) << 4 | (look.mul - 1)
        if size != self._size:
            self.out += GS + b"!" + bytes([size])
            self._size = size
        if look.inverse != self._inverse:
            self.out += GS + b"B" + bytes([int(look.inverse)])
            self._inverse = look.inverse
        if look.font_b != self._font_b:
            self.out += ESC + b"M" + bytes([int(look.font_b)])
            self._font_b = look.font_b

    def para(self, p: _Para) -> None:
        look = _LOOKS[p.style]
        self.style(align=1 if p.center else 0, look=look)
        cols = self.profile.columns // look.mul
        lead = min(p.lead, cols // 2)
        hang = min(p.hang, (cols - lead) // 2)
        width = cols - lead
        for i, piece in enumerate(_wrap(p.text, width, width - hang, _text_measure, display_width)):
            pad = lead + (hang if i else 0)
            self.out += encode_text(" " * pad + piece, self.profile) + LF

    def rule(self) -> None:
        self.style()
        self.out += b"-" * self.profile.columns + LF

    def gap(self) -> None:
        self.out += LF

    def qr(self, payload: str) -> None:
        if self.profile.qr_native:
            self.style(align=1)  # python-escpos refuses to centre a native QR; ESC a 1 does it
            self.out += _native_qr(payload, self.profile)
        else:
            self.style(align=0)  # the image is already centred within the full width
            qr = _qr_image(payload, self.profile)
            img = Image.new("1", (self.profile.dots, qr.height), 1)
            img.paste(qr, ((self.profile.dots - qr.width) // 2, 0))
            self.out += raster_bytes(img)

    def finish(self) -> bytes:
        self.style()
        self.out += FEED_AND_CUT if self.profile.cut else FEED_TO_TEAR
        return bytes(self.out)


def _qr_module(payload_len: int, profile: PrinterProfile, version: int | None = None) -> int:
    if version is None:
        version = next((v for v, cap in enumerate(_QR_M_BYTES, 1) if cap >= payload_len), 40)
    modules = 17 + 4 * version + 2 * _QR_QUIET
    default = 6 if profile.paper_mm == 80 else 5
    return max(1, min(default, profile.dots // modules))


def _check_qr_payload(payload: str) -> bytes:
    data = payload.encode("utf-8")
    if len(data) > QR_MAX_BYTES:
        raise ValueError(f"QR payload of {len(data)} bytes exceeds {QR_MAX_BYTES}")
    return data


def _k(fn: int, body: bytes) -> bytes:
    """One ``GS ( k`` function for QR (cn 49)."""
    n = len(body) + 2
    return GS + b"(k" + bytes([n & 0xFF, n >> 8, 49, fn]) + body


def _native_qr(payload: str, profile: PrinterProfile) -> bytes:
    data = _check_qr_payload(payload)
    module = _qr_module(len(data), profile)
    return b"".join(
        (
            _k(65, b"\x32\x00"),  # model 2
            _k(67, bytes([module])),
            _k(69, b"\x31"),  # error correction M
            _k(80, b"\x30" + data),  # store
            _k(81, b"\x30"),  # print
        )
    )


def _qr_image(payload: str, profile: PrinterProfile) -> Image.Image:
    """The QR with its quiet zone as a 1-bit image (0 = black), modules scaled to fit the paper."""
    _check_qr_payload(payload)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=_QR_QUIET)
    code.add_data(payload)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    n = len(matrix)
    module = _qr_module(0, profile, version=int(code.version))
    # Build the pixels in one go: qrcode's own image factories draw module by module and are slow.
    pixels = bytes(0 if cell else 255 for row in matrix for cell in row)
    small = Image.frombytes("L", (n, n), pixels)
    return small.resize((n * module, n * module), Image.Resampling.NEAREST).convert("1", dither=Image.Dither.NONE)


_INVERT = bytes(255 - i for i in range(256))


def raster_bytes(img: Image.Image) -> bytes:
    """``GS v 0`` commands for a 1-bit image (PIL's 0 = black = printed), in chunks of at most 1024 rows."""
    if img.mode != "1":
        img = img.convert("1")
    if img.width % 8:
        padded = Image.new("1", ((img.width + 7) // 8 * 8, img.height), 1)
        padded.paste(img, (0, 0))
        img = padded
    row_bytes = img.width // 8
    # PIL packs mode "1" with 1 = white; ESC/POS wants 1 = dot printed.
    data = img.tobytes().translate(_INVERT)
    out = bytearray()
    for top in range(0, img.height, RASTER_CHUNK_ROWS):
        rows = min(RASTER_CHUNK_ROWS, img.height - top)
        out += GS + b"v0\x00" + bytes([row_bytes & 0xFF, row_bytes >> 8, rows & 0xFF, rows >> 8])
        out += data[top * row_bytes : (top + rows) * row_bytes]
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------
# Raster mode


@lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), px, index=0)


@dataclass(frozen=True)
class _Glyph:
    mask: Image.Image | None  # mode "1", 1 = ink; None for blank glyphs (spaces)
    dx: int  # ink box relative to the pen position
    dy: int
    advance: float


@lru_cache(maxsize=16384)
def _glyph(px: int, ch: str) -> _Glyph:
    # Rasterising each character once and pasting it afterwards is several times faster than letting
    # FreeType lay out every line again: receipts repeat a few hundred distinct characters.
    font = _font(px)
    left, top, right, bottom = (int(v) for v in font.getbbox(ch))
    advance = font.getlength(ch)
    if right <= left or bottom <= top:
        return _Glyph(None, 0, 0, advance)
    mask = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), ch, font=font, fill=1)
    return _Glyph(mask, left, top, advance)


def _advance(px: int, text: str) -> float:
    return sum(_glyph(px, ch).advance for ch in text)


def _draw_text(img: Image.Image, x: float, y: int, text: str, px: int, ink: int, bold: bool) -> None:
    pen = x
    for ch in text:
        g = _glyph(px, ch)
        if g.mask is not None:
            at = (round(pen) + g.dx, y + g.dy)
            img.paste(ink, at, g.mask)
            if bold:  # faux bold: the bundled font has a single weight
                img.paste(ink, (at[0] + 1, at[1]), g.mask)
        pen += g.advance


_Painter = Callable[[ImageDraw.ImageDraw, Image.Image, int], None]


def _raster_para(p: _Para, dots: int) -> list[tuple[int, _Painter]]:
    look = _LOOKS[p.style]
    px = look.px
    col = px / 2  # one printer column in this font size, so indents match the text layout
    lead = min(p.lead * col, dots / 2)
    hang = min(p.hang * col, (dots - lead) / 2)
    pad = 12 if look.inverse else 0
    width = dots - lead - 2 * pad
    ascent, descent = _font(px).getmetrics()
    height = ascent + descent + (px // 4)

    def measure(text: str) -> float:
        return _advance(px, text)

    rows: list[tuple[int, _Painter]] = []
    for i, piece in enumerate(_wrap(p.text, width, width - hang, measure, measure)):
        text_w = measure(piece)
        x = (dots - text_w) / 2 if p.center else lead + pad + (hang if i else 0)

        def paint(draw: ImageDraw.ImageDraw, img: Image.Image, y: int, x: float = x, piece: str = piece,
                  text_w: float = text_w) -> None:
            ink = 0
            if look.inverse:
                draw.rectangle((x - pad, y, x + text_w + pad, y + height - 1), fill=0)
                ink = 1
            _draw_text(img, x, y + px // 8, piece, px, ink, look.bold)

        rows.append((height, paint))
    return rows


def _raster_image(blocks: list[_Block], profile: PrinterProfile) -> Image.Image:
    dots = profile.dots
    rows: list[tuple[int, _Painter]] = []
    for block in blocks:
        if isinstance(block, _Para):
            rows += _raster_para(block, dots)
        elif isinstance(block, _Rule):

            def rule(draw: ImageDraw.ImageDraw, img: Image.Image, y: int) -> None:
                draw.rectangle((0, y + 8, dots - 1, y + 9), fill=0)

            rows.append((18, rule))
        elif isinstance(block, _Gap):
            rows.append((16, lambda draw, img, y: None))
        else:
            qr = _qr_image(block.payload, profile)

            def paste(draw: ImageDraw.ImageDraw, img: Image.Image, y: int, qr: Image.Image = qr) -> None:
                img.paste(qr, ((dots - qr.width) // 2, y))

            rows.append((qr.height, paste))
    height = sum(h for h, _ in rows) + 8
    img = Image.new("1", (dots, height), 1)
    draw = ImageDraw.Draw(img)
    y = 0
    for h, paint in rows:
        paint(draw, img, y)
        y += h
    return img


def _render_raster(blocks: list[_Block], profile: PrinterProfile) -> bytes:
    out = bytearray(INIT)
    out += raster_bytes(_raster_image(blocks, profile))
    out += FEED_AND_CUT if profile.cut else FEED_TO_TEAR
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------
# Public API


def render_receipt(receipt: Receipt, profile: PrinterProfile) -> bytes:
    """The complete print job for ``receipt`` on a printer described by ``profile``.

    Raises ``ValueError`` only for a QR payload too long for any QR version (a programming error).
    """
    blocks = _layout(receipt)
    if profile.raster:
        return _render_raster(blocks, profile)
    writer = _TextWriter(profile)
    for block in blocks:
        if isinstance(block, _Para):
            writer.para(block)
        elif isinstance(block, _Rule):
            writer.rule()
        elif isinstance(block, _Gap):
            writer.gap()
        else:
            writer.qr(block.payload)
    return writer.finish()
