"""A4 notices as PDF: 受理通知书, 不予受理通知书, 补正材料通知书 (一次性告知), 容缺受理通知书 with its
承诺书 in two copies, the 出件签收单, the back office's 补正通知书（审查阶段）, 特别程序告知书 and 延期告知书, and the
decision documents.

This module builds the pages: :func:`render_notice` turns a :class:`~app.printing.notice_templates.Notice` into
PDF bytes, worded by its template (:mod:`app.printing.notice_templates`) and set in Chinese text
(:mod:`app.printing.chinese_text`).

Every page carries the hall name and the 文书编号 in its header, the signed QR slip (drawn as vector modules,
so it stays sharp on any printer) with the case number under it, and a footer with the hall's address and
phone and "第 N 页 共 M 页".

Personal data is expected masked already (DOMAIN.md).  As a last guard before paper, anything that still
looks like a full 居民身份证号码 or mobile number in a printed field is masked here, and a clear name passed
as a ``*_masked`` name is cut to surname + ``*``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Any, Final

from reportlab.lib import colors, units
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from app.errors import ValidationError
from app.printing.chinese_text import (
    FONT,
    CJKParagraph,
    fitting_size,
    markup,
    register_font,
    table_style,
    text_width,
)
from app.printing.notice_templates import (
    MATERIAL_STATES,
    NOTICE_KINDS,
    Block,
    InfoBlock,
    MaterialsBlock,
    Notice,
    NoticeMaterial,
    Part,
    SignBlock,
    Template,
    TextBlock,
    Values,
    cn_date,
    fill,
    holds,
    load_templates,
    rows_for,
    template_values,
)
from app.printing.qr import dark_runs, qr_matrix
from app.validators import check_id_number, mask_id_number, mask_name, mask_phone

__all__ = ["render_notice"]

# ---------------------------------------------------------------------------------------- personal data

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
# Identifiers that are public or ours, never personal: left as they are.
_NOT_SCRUBBED: Final = frozenset({"kind", "doc_no", "case_no", "item_code", "uscc", "hall_phone", "qr_payload",
                                  "pickup_code"})
_MASKED_NAMES: Final = ("agent_name_masked", "collector_masked")


def _mask_id_like(match: re.Match[str]) -> str:
    try:
        number = check_id_number(match[0])
    except ValidationError:
        return match[0]
    return mask_id_number(number)


def _scrub(text: str) -> str:
    """Mask anything in free text that is a valid 身份证号码 or a mobile number."""
    text = _ID_LIKE.sub(_mask_id_like, text)
    return _MOBILE_LIKE.sub(lambda m: mask_phone(m[0]), text)


def _scrubbed(notice: Notice) -> Notice:
    changes: dict[str, Any] = {}
    for f in fields(Notice):
        value = getattr(notice, f.name)
        if isinstance(value, str) and f.name not in _NOT_SCRUBBED:
            clean = _scrub(value)
            if f.name in _MASKED_NAMES and clean.strip() and "*" not in clean and "＊" not in clean:
                # A name handed over unmasked: print surname + * as DOMAIN.md asks.
                clean = mask_name(clean)
            if clean != value:
                changes[f.name] = clean
    materials = tuple(replace(m, name=_scrub(m.name), note=_scrub(m.note)) for m in notice.materials)
    if materials != notice.materials:
        changes["materials"] = materials
    return replace(notice, **changes) if changes else notice


# ------------------------------------------------------------------------------------------------ layout

MM: Final = float(units.mm)
PAGE_W: Final = float(A4[0])
PAGE_H: Final = float(A4[1])
MARGIN_X: Final = 20 * MM
CONTENT_W: Final = PAGE_W - 2 * MARGIN_X
HEADER_BASELINE: Final = PAGE_H - 13 * MM
HEADER_RULE: Final = PAGE_H - 15.5 * MM
QR_TOP: Final = PAGE_H - 19 * MM
FOOTER_RULE: Final = 17 * MM
FOOTER_BASELINE: Final = 12 * MM
FRAME_BOTTOM: Final = 20 * MM
QR_MODULE_MIN: Final = 0.5 * MM
QR_SIDE_MIN: Final = 26 * MM
QR_SIDE_MAX: Final = 40 * MM
CAPTION_SIZE: Final = 9.0
BODY_SIZE: Final = 12.0
TABLE_SIZE: Final = 10.5
TITLE_SIZE: Final = 22.0
SUBTITLE_SIZE: Final = 14.0
STAMP_RED: Final = colors.Color(0.78, 0.1, 0.1)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.75, wordWrap="CJK",
                          firstLineIndent=2 * BODY_SIZE, alignment=TA_LEFT, spaceAfter=2)
    return {
        "body": base,
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0, alignment=TA_LEFT, spaceBefore=4),
        "note": ParagraphStyle("note", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.6,
                               firstLineIndent=0, alignment=TA_LEFT, textColor=colors.Color(0.2, 0.2, 0.2)),
        "center": ParagraphStyle("center", parent=base, firstLineIndent=0, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, firstLineIndent=0, alignment=TA_RIGHT),
        "caption": ParagraphStyle("caption", parent=base, firstLineIndent=0, alignment=TA_LEFT, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                               firstLineIndent=0, alignment=TA_LEFT, spaceAfter=0),
        "cell_center": ParagraphStyle("cell_center", parent=base, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.4,
                                      firstLineIndent=0, alignment=TA_CENTER, spaceAfter=0),
        "sign": ParagraphStyle("sign", parent=base, firstLineIndent=0, alignment=TA_CENTER, spaceAfter=0),
    }


@dataclass(frozen=True)
class _QR:
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def modules(self) -> int:
        return len(self.matrix)

    @property
    def side(self) -> float:
        if not self.matrix:
            return QR_SIDE_MIN
        return min(max(QR_SIDE_MIN, self.modules * QR_MODULE_MIN), QR_SIDE_MAX)


def _qr(payload: str) -> _QR:
    if not payload:
        return _QR(())
    return _QR(qr_matrix(payload))


_QR_FORM: Final = "HallDeskQR"


@dataclass(frozen=True)
class _Decor:
    """What is drawn around the flowing text on every page."""

    header: str
    doc_no: str
    qr: _QR
    caption: str
    footer: str
    page_label: str
    reprint_mark: str

    @property
    def band_bottom(self) -> float:
        """Lowest point of the QR block (QR + caption); body text on continuation pages starts below it."""
        return QR_TOP - self.qr.side - 4.2 * MM - 2.5 * MM

    def define_qr(self, c: Any) -> None:
        """The QR code as one form XObject, drawn once and placed on every page."""
        n = self.qr.modules
        if not n:
            return
        c.beginForm(_QR_FORM, 0, 0, self.qr.side, self.qr.side)
        c.scale(self.qr.side / n, self.qr.side / n)
        path = c.beginPath()
        for r, start, length in dark_runs(self.qr.matrix):
            path.rect(start, n - r - 1, length, 1)  # in module units
        c.drawPath(path, stroke=0, fill=1)
        c.endForm()

    def draw(self, c: Any, page: int, pages: int) -> None:
        c.saveState()
        # header: hall name left, 文书编号 right, a rule under both
        c.setFillColor(colors.black)
        c.setFont(FONT, 10.5)
        c.drawRightString(PAGE_W - MARGIN_X, HEADER_BASELINE, self.doc_no)
        room = CONTENT_W - text_width(self.doc_no, 10.5) - 8 * MM
        c.setFont(FONT, fitting_size(self.header, room, 10.5))
        c.drawString(MARGIN_X, HEADER_BASELINE, self.header)
        c.setLineWidth(0.6)
        c.line(MARGIN_X, HEADER_RULE, PAGE_W - MARGIN_X, HEADER_RULE)
        # QR slip, top right, with the case number under it
        side = self.qr.side
        x0 = PAGE_W - MARGIN_X - side
        if self.qr.matrix:
            c.saveState()
            c.translate(x0, QR_TOP - side)
            c.doForm(_QR_FORM)
            c.restoreState()
        size = fitting_size(self.caption, side + 14 * MM, CAPTION_SIZE)
        c.setFont(FONT, size)
        # centred under the code, but never past the right margin
        centre = min(x0 + side / 2, PAGE_W - MARGIN_X - text_width(self.caption, size) / 2)
        c.drawCentredString(centre, QR_TOP - side - 4.2 * MM, self.caption)
        if self.reprint_mark:
            self._stamp(c)
        # footer: address and phone left, page number right
        c.setStrokeColor(colors.Color(0.45, 0.45, 0.45))
        c.setLineWidth(0.4)
        c.line(MARGIN_X, FOOTER_RULE, PAGE_W - MARGIN_X, FOOTER_RULE)
        label = self.page_label.format(page=page, pages=pages)
        c.setFillColor(colors.Color(0.2, 0.2, 0.2))
        c.setFont(FONT, 9)
        c.drawRightString(PAGE_W - MARGIN_X, FOOTER_BASELINE, label)
        room = CONTENT_W - text_width(label, 9) - 8 * MM
        c.setFont(FONT, fitting_size(self.footer, room, 9))
        c.drawString(MARGIN_X, FOOTER_BASELINE, self.footer)
        c.restoreState()

    def _stamp(self, c: Any) -> None:
        """The 补打 mark: a red stamp-like box at the top left, slightly turned."""
        size = 18.0
        width = text_width(self.reprint_mark, size) + 8 * MM
        height = size + 4 * MM
        c.saveState()
        c.translate(MARGIN_X + 2 * MM, QR_TOP - 3 * MM - height)
        c.rotate(6)
        c.setStrokeColor(STAMP_RED)
        c.setFillColor(STAMP_RED)
        c.setLineWidth(1.6)
        c.roundRect(0, 0, width, height, 2 * MM, stroke=1, fill=0)
        c.setLineWidth(0.5)
        c.roundRect(1.2 * MM, 1.2 * MM, width - 2.4 * MM, height - 2.4 * MM, 1.2 * MM, stroke=1, fill=0)
        text = c.beginText(4 * MM, (height - size * 0.72) / 2)
        text.setFont(FONT, size)
        text.setTextRenderMode(2)  # fill + stroke: a bolder look from the one-weight font
        c.setLineWidth(0.5)
        text.textOut(self.reprint_mark)
        c.drawText(text)
        c.restoreState()


class _DeferredCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Keeps every page until the end, so each can say "共 M 页" and get its header, QR and footer."""

    def __init__(self, *args: Any, decor: _Decor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decor = decor
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        self._decor.define_qr(self)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decor.draw(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


class _TitleBand(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The title (and subtitle) centred on the page, beside the QR code in the top band."""

    def __init__(self, title: str, subtitle: str, height: float, side: float) -> None:
        super().__init__()
        self.title = title
        self.subtitle = subtitle
        self.band_height = height
        self.side = side

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.band_height

    def draw(self) -> None:
        c = self.canv
        room = self.width - 2 * (self.side + 4 * MM)
        title_size = fitting_size(self.title, room, TITLE_SIZE, 12)
        sub_size = fitting_size(self.subtitle, room, SUBTITLE_SIZE, 8) if self.subtitle else 0.0
        gap = 3 * MM if self.subtitle else 0.0
        block = title_size + gap + sub_size
        top = (self.band_height + block) / 2
        centre = self.width / 2
        c.saveState()
        text = c.beginText()
        text.setTextRenderMode(2)
        c.setLineWidth(0.6)
        text.setFont(FONT, title_size)
        text.setTextOrigin(centre - text_width(self.title, title_size) / 2, top - title_size * 0.85)
        text.textOut(self.title)
        c.drawText(text)
        c.restoreState()
        if self.subtitle:
            c.setFont(FONT, sub_size)
            c.drawCentredString(centre, top - title_size - gap - sub_size * 0.85, self.subtitle)


class _Builder:
    """Turns one Part of a template into flowables."""

    def __init__(self, notice: Notice, template: Template, decor: _Decor) -> None:
        self.notice = notice
        self.common = template.common
        self.decor = decor
        self.styles = _styles()
        self.grid = colors.Color(0.15, 0.15, 0.15)
        self.shade = colors.Color(0.92, 0.92, 0.92)

    def part(self, part: Part, values: Values) -> list[Flowable]:
        band = QR_TOP - self.decor.band_bottom
        story: list[Flowable] = [
            _TitleBand(fill(part.title, values), fill(part.subtitle, values), band, self.decor.qr.side),
            NextPageTemplate("continued"),
        ]
        body: list[Flowable] = []
        for block in part.body:
            if holds(block.when, self.notice, values):
                body += self.block(block, values)
        if part.signature:
            # The issuer's block never starts a page on its own: it takes the last paragraph along.
            tail = [body.pop()] if body and isinstance(body[-1], Paragraph) else []
            body.append(KeepTogether([*tail, *self.signature([fill(line, values) for line in part.signature])]))
        return story + body

    def block(self, block: Block, values: Values) -> list[Flowable]:
        if isinstance(block, TextBlock):
            return [CJKParagraph(markup(fill(block.text, values)), self.styles[block.style])]
        if isinstance(block, InfoBlock):
            return self.info(block, values)
        if isinstance(block, MaterialsBlock):
            return self.materials(block, values)
        if isinstance(block, SignBlock):
            return [self.sign([fill(label, values) for label in block.labels])]
        return [Spacer(CONTENT_W, block.mm * MM)]

    def cell(self, text: str, *, centre: bool = False) -> Paragraph:
        return CJKParagraph(markup(text), self.styles["cell_center" if centre else "cell"])

    def info(self, block: InfoBlock, values: Values) -> list[Flowable]:
        """A bordered label/value table; two short rows share a line, so the notice stays on fewer pages."""
        pairs: list[tuple[str, str]] = []
        for row in block.rows:
            if not holds(row.when, self.notice, values):
                continue
            value = fill(row.value, values)
            if value.strip():
                pairs.append((fill(row.label, values), value))
        if not pairs:
            return []
        pad = 5.0
        widest = max(text_width(label, TABLE_SIZE) for label, _ in pairs)
        label_w = min(max(widest + 2 * pad + 1, 24 * MM), 42 * MM)
        half = CONTENT_W / 2
        room = half - label_w - 2 * pad

        def short(pair: tuple[str, str]) -> bool:
            label, value = pair
            return ("\n" not in value and text_width(value, TABLE_SIZE) <= room
                    and text_width(label, TABLE_SIZE) <= label_w - 2 * pad)

        rows: list[list[Any]] = []
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.6, self.grid),
            ("BACKGROUND", (0, 0), (0, -1), self.shade),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ]
        i = 0
        while i < len(pairs):
            r = len(rows)
            if i + 1 < len(pairs) and short(pairs[i]) and short(pairs[i + 1]):
                (l1, v1), (l2, v2) = pairs[i], pairs[i + 1]
                rows.append([self.cell(l1), self.cell(v1), self.cell(l2), self.cell(v2)])
                style.append(("BACKGROUND", (2, r), (2, r), self.shade))
                i += 2
            else:
                label, value = pairs[i]
                rows.append([self.cell(label), self.cell(value), "", ""])
                style.append(("SPAN", (1, r), (3, r)))
                i += 1
        table = Table(rows, colWidths=[label_w, half - label_w, label_w, half - label_w], hAlign="CENTER")
        table.setStyle(table_style(style))
        return [Spacer(CONTENT_W, 2 * MM), table, Spacer(CONTENT_W, 3 * MM)]

    def materials(self, block: MaterialsBlock, values: Values) -> list[Flowable]:
        col = self.common.columns
        states = self.common.states

        def count(n: int) -> str:
            return str(n) if n else "—"

        materials = rows_for(self.notice.materials, block.mode)
        numeric: tuple[int, ...]
        if block.mode == "deficient":
            head = [col["seq"], col["name"], col["problem"], col["requirement"], col["originals"], col["copies"]]
            widths = [12, 50, 24, 0, 14, 14]
            numeric = (0, 2, 4, 5)
            hint = self.common.missing_hint
            body = [[str(i), m.name, states[m.state], m.note or (hint if m.state == "missing" else "") or "—",
                     count(m.originals), count(m.copies)]
                    for i, m in enumerate(materials, 1)]
        elif block.mode == "tolerated":
            head = [col["seq"], col["name"], col["originals"], col["copies"], col["due"], col["note"]]
            widths = [12, 0, 14, 14, 32, 44]
            numeric = (0, 2, 3, 4)
            body = [[str(i), m.name, count(m.originals), count(m.copies),
                     cn_date(m.due) if m.due else self.notice.supplement_due or "—", m.note or "—"]
                    for i, m in enumerate(materials, 1)]
        else:
            head = [col["seq"], col["name"], col["originals"], col["copies"], col["state"]]
            widths = [12, 0, 15, 15, 50]
            numeric = (0, 2, 3)
            body = [[str(i), m.name, count(m.originals), count(m.copies), self.state_text(m, states)]
                    for i, m in enumerate(materials, 1)]
        fixed = sum(widths) * MM
        col_widths = [w * MM if w else CONTENT_W - fixed for w in widths]
        rows: list[list[Any]] = []
        caption = fill(block.caption, values) if block.caption else ""
        if caption:
            # The caption is the table's first row, repeated with the header on every page the table spans,
            # so it never stays behind alone (and the table can still split).
            rows.append([CJKParagraph(markup(caption), self.styles["caption"])] + [""] * (len(head) - 1))
        top = len(rows)
        rows.append([self.cell(h, centre=True) for h in head])
        rows += [[self.cell(v, centre=i in numeric) for i, v in enumerate(r)] for r in body]
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, top), (-1, -1), 0.6, self.grid),
            ("BACKGROUND", (0, top), (-1, top), self.shade),
            ("VALIGN", (0, top), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, top), (-1, -1), 3),
            ("BOTTOMPADDING", (0, top), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        if caption:
            style += [("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (-1, 0), 0),
                      ("TOPPADDING", (0, 0), (-1, 0), 4), ("BOTTOMPADDING", (0, 0), (-1, 0), 4)]
        if not body:
            rows.append([self.cell(fill(block.empty, values) or "—", centre=True)] + [""] * (len(head) - 1))
            style.append(("SPAN", (0, top + 1), (-1, top + 1)))
        table = Table(rows, colWidths=col_widths, repeatRows=top + 1, hAlign="CENTER")
        table.setStyle(table_style(style))
        lead = [] if caption else [Spacer(CONTENT_W, 2 * MM)]
        return [*lead, table, Spacer(CONTENT_W, 3 * MM)]

    @staticmethod
    def state_text(m: NoticeMaterial, states: Mapping[str, str]) -> str:
        label = states[m.state]
        extra = m.note
        if m.state == "tolerated" and m.due:
            extra = cn_date(m.due)
        if not extra:
            return label
        if extra.startswith(label) or m.state == "waived":
            return extra
        return f"{label}（{extra}）"

    def signature(self, lines: list[str]) -> list[Flowable]:
        """The issuer's block at the bottom right: hall name with （盖章）, then the date."""
        style = self.styles["sign"]
        width = max(text_width(line, style.fontSize) for line in lines) + 6 * MM
        inset = 2 * BODY_SIZE
        table = Table([[CJKParagraph(markup(line), style), ""] for line in lines],
                      colWidths=[min(width, CONTENT_W - inset), inset], hAlign="RIGHT")
        table.setStyle(table_style([
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        return [Spacer(CONTENT_W, 9 * MM), table]

    def sign(self, labels: list[str]) -> Flowable:
        """Lines to sign on by hand, two per row: "申请人（签字/盖章）：________   日期：________"."""
        half = CONTENT_W / 2
        size = BODY_SIZE
        rows: list[list[Any]] = []
        widths: list[float] = []
        for i in range(0, len(labels), 2):
            pair = labels[i:i + 2]
            row: list[Any] = []
            for label in pair:
                row += [CJKParagraph(markup(label), self.styles["cell"].clone("signlabel", fontSize=size,
                                                                            leading=size * 1.4)), ""]
            rows.append(row + [""] * (4 - len(row)))
        label_w = [
            max((text_width(labels[i], size) for i in range(j, len(labels), 2)), default=0.0)
            + 2 for j in (0, 1)
        ]
        label_w = [min(w, half - 25 * MM) for w in label_w]
        gap = 6 * MM
        widths = [label_w[0], half - label_w[0] - gap, label_w[1] + gap, half - label_w[1]]
        style: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 9 * MM), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("LEFTPADDING", (2, 0), (2, -1), gap),
        ]
        for r, row_labels in enumerate(labels[i:i + 2] for i in range(0, len(labels), 2)):
            style.append(("LINEBELOW", (1, r), (1, r), 0.6, colors.black))
            if len(row_labels) == 2:
                style.append(("LINEBELOW", (3, r), (3, r), 0.6, colors.black))
        table = Table(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(table_style(style))
        return KeepTogether([table, Spacer(CONTENT_W, 4 * MM)])


def _check(notice: Notice) -> None:
    if notice.kind not in NOTICE_KINDS:
        raise ValidationError("kind", f"未知的文书类型“{notice.kind}”（应为 {'、'.join(NOTICE_KINDS)} 之一）")
    for m in notice.materials:
        if m.state not in MATERIAL_STATES:
            raise ValidationError(
                f"materials.{m.code}", f"材料“{m.name}”的状态“{m.state}”无效（应为 {'、'.join(MATERIAL_STATES)} 之一）"
            )


def render_notice(notice: Notice, templates: Path | None = None) -> bytes:
    """The notice as a PDF (A4).  ``templates``: a ``notices.yaml`` or a directory holding one."""
    _check(notice)
    template = load_templates(templates)[notice.kind]
    register_font()
    notice = _scrubbed(notice)
    values = template_values(notice, template)
    common = template.common
    decor = _Decor(
        header=fill(common.header, values),
        doc_no=notice.doc_no,
        qr=_qr(notice.qr_payload),
        caption=fill(common.qr_caption, values),
        footer=fill(common.footer, values),
        page_label=common.page_label,
        reprint_mark=common.reprint_mark if notice.reprint else "",
    )
    builder = _Builder(notice, template, decor)
    story = builder.part(template.main, values)
    if template.pledge is not None:
        for copy in template.pledge.copies:
            copy_values = Values(values)
            copy_values["copy_label"] = fill(copy, values)
            copy_values["title"] = template.pledge.part.title
            story += [NextPageTemplate("titled"), PageBreak()]
            story += builder.part(template.pledge.part, copy_values)

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=PAGE_H - QR_TOP,
        bottomMargin=FRAME_BOTTOM, title=f"{values['title']} {notice.doc_no}", author=notice.hall_name,
        subject=notice.case_no, creator="HallDesk 一窗通", initialFontName=FONT,
    )
    frame = partial(Frame, MARGIN_X, FRAME_BOTTOM, CONTENT_W, leftPadding=0, rightPadding=0, topPadding=0,
                    bottomPadding=0)
    doc.addPageTemplates([
        PageTemplate("titled", frames=[frame(QR_TOP - FRAME_BOTTOM, id="titled")]),
        PageTemplate("continued", frames=[frame(decor.band_bottom - FRAME_BOTTOM, id="continued")]),
    ])
    maker: Callable[..., Any] = partial(_DeferredCanvas, decor=decor)
    doc.build(story, canvasmaker=maker)
    return buffer.getvalue()
