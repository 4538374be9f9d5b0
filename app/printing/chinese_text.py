"""Chinese text in our font on paper: the bundled font, line breaking by Chinese rules, measuring and fitting.

Text is real text in the bundled WenQuanYi Micro Hei (:func:`register_font`), embedded as a TrueType subset,
broken into lines by Chinese rules (:func:`break_cjk_lines`: no closing punctuation at a line's start, no
opening bracket or quote at its end, case and phone numbers kept whole); :class:`CJKParagraph` is a reportlab
paragraph that breaks that way.  The notices (:mod:`app.printing.pdf`) and the A4 reports
(:mod:`app.printing.report`) are laid out with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, TableStyle

from app.errors import HallDeskError
from app.resources import font_path

__all__ = [
    "FONT",
    "NO_LINE_END",
    "NO_LINE_START",
    "CJKParagraph",
    "break_cjk_lines",
    "fitting_size",
    "markup",
    "register_font",
    "table_style",
    "text_width",
]

FONT: Final = "WenQuanYi"
_font_ready = False


def register_font() -> None:
    global _font_ready
    if _font_ready:
        return
    path = font_path()
    try:
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    except Exception as exc:  # reportlab raises plain TTFError / OSError
        raise HallDeskError(f"无法加载打印字体 {path}：{exc}") from exc
    _font_ready = True


# Chinese line breaking (GB/T 15834 punctuation, the usual 避头尾 rules): closing punctuation never
# begins a line and opening brackets and quotes never end one; a run of Latin letters and digits (a case
# number, a phone number, a date's year) is not split unless it is longer than a whole line.  reportlab's own
# CJK breaker knows only the Japanese set of these rules, so lines could begin with "，" or "：" and end
# with "（" or "“".
NO_LINE_START: Final = "，。、：；！？）》〉」』】〕〗〙”’％‰℃…—·,.;:!?)]}%"
NO_LINE_END: Final = "（《〈「『【〔〖〘“‘([{￥$"
_FUZZ: Final = 1e-6


def _units(text: str) -> list[str]:
    """Characters, except that runs of ASCII letters, digits and punctuation stay together."""
    units: list[str] = []
    for ch in text:
        if ch != " " and ch.isascii() and units and units[-1] != " " and units[-1][-1].isascii() \
                and ch not in NO_LINE_END and units[-1][-1] not in NO_LINE_END:
            units[-1] += ch
        else:
            units.append(ch)
    return units


def _clusters(text: str) -> list[str]:
    """Units glued by the punctuation rules: an opener sticks to what follows, a closer to what precedes."""
    clusters: list[str] = []
    opening = ""
    for unit in _units(text):
        if unit == " ":
            if opening:
                clusters.append(opening)
                opening = ""
            clusters.append(unit)
        elif unit in NO_LINE_START and not opening and clusters and clusters[-1] != " ":
            clusters[-1] += unit
        elif unit in NO_LINE_END:
            opening += unit
        else:
            clusters.append(opening + unit)
            opening = ""
    if opening:
        clusters.append(opening)
    return clusters


def break_cjk_lines(text: str, widths: Sequence[float], font: str, size: float) -> list[tuple[float, str]]:
    """Break ``text`` into lines no wider than ``widths[i]`` (the last width repeats); (spare width, line).

    One closing punctuation mark may hang into the margin rather than pull a character down with it.
    """
    def width(s: str) -> float:
        return float(pdfmetrics.stringWidth(s, font, size))

    lines: list[tuple[float, str]] = []
    line = ""
    used = 0.0  # width of line; widths add up, reportlab does not kern

    def limit() -> float:
        return widths[min(len(lines), len(widths) - 1)]

    def finish() -> None:
        nonlocal line, used
        done = line.rstrip(" ")
        lines.append((limit() - width(done), done))
        line, used = "", 0.0

    def add(piece: str, piece_width: float) -> None:
        nonlocal line, used
        line += piece
        used += piece_width

    for cluster in _clusters(text):
        if cluster == " " and not line:
            continue
        w = width(cluster)
        if used + w <= limit() + _FUZZ:
            add(cluster, w)
            continue
        body = cluster.rstrip(NO_LINE_START)
        if line and len(cluster) - len(body) == 1 and body and used + width(body) <= limit() + _FUZZ:
            add(cluster, w)  # hanging punctuation
            finish()
            continue
        if line.strip(" "):
            finish()
        line, used = "", 0.0
        if cluster == " ":
            continue
        if w <= limit() + _FUZZ:
            add(cluster, w)
            continue
        # A cluster wider than a whole line (a very long number or word): split it where it must.
        for ch in cluster:
            cw = width(ch)
            if line and ch not in NO_LINE_START and used + cw > limit() + _FUZZ:
                finish()
            add(ch, cw)
    if line.strip(" ") or not lines:
        finish()
    return lines


class CJKParagraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A Paragraph that breaks Chinese text with :func:`break_cjk_lines` (one font, no inline markup)."""

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        frags = self.frags
        same_look = all(
            (f.fontName, f.fontSize, f.textColor) == (frags[0].fontName, frags[0].fontSize, frags[0].textColor)
            for f in frags
        ) if frags else False
        plain = same_look and not any(hasattr(f, "cbDefn") for f in frags) and not self.style.endDots
        if not plain or (hasattr(self, "blPara") and getattr(self, "_splitpara", False)) or self.bulletText:
            return super().breakLinesCJK(maxWidths)
        widths = list(maxWidths) if isinstance(maxWidths, list | tuple) else [maxWidths]
        self.height = 0
        first = frags[0]
        segments = [""]
        for f in frags:
            if hasattr(f, "lineBreak"):
                segments.append("")
            else:
                segments[-1] += getattr(f, "text", "")
        lines: list[tuple[float, str]] = []
        for segment in segments:
            rest = widths[min(len(lines), len(widths) - 1):]
            lines += break_cjk_lines(segment, rest, first.fontName, first.fontSize)
        return first.clone(kind=0, lines=[(spare, [text]) for spare, text in lines], ascent=first.fontSize,
                           descent=-0.2 * first.fontSize)


def table_style(commands: list[tuple[Any, ...]]) -> Any:
    # Our font for every cell, also the empty ones (reportlab would name Helvetica for those).
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def markup(text: str) -> str:
    """Plain text → Paragraph markup: escaped, ideographic spaces kept wide, line breaks kept."""
    text = escape(text).replace("\u3000", "\xa0" * 4)
    return "<br/>".join(text.splitlines()) if "\n" in text else text


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` in our font (widths add up: reportlab does not kern)."""
    return float(pdfmetrics.stringWidth(text, FONT, size))


def fitting_size(text: str, width: float, size: float, smallest: float = 6.0) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits in ``width``."""
    natural = text_width(text, size)
    if natural <= width or natural == 0:
        return size
    return max(smallest, size * width / natural)
