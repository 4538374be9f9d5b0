"""A4 table reports as PDF (报表), landscape: the 审批专用章使用登记簿 and any other list a desk prints.

A report is a title, a few lines saying what it covers, one table whose header row repeats on every page, a
closing line (a count), and lines for handwritten signatures.  Every page carries the hall's name and the
printing time in its header and "第 N 页 共 M 页" in its footer, so a loose page still says what it belongs to.
Text is real text in the bundled font, broken into lines by the Chinese rules of :mod:`app.printing.chinese_text`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Final

from reportlab.lib import colors, units
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from app.errors import ValidationError
from app.printing.chinese_text import FONT, CJKParagraph, markup, register_font, table_style

__all__ = ["ReportColumn", "TableReport", "render_table_report"]

MM: Final = float(units.mm)
PAGE_W, PAGE_H = (float(v) for v in landscape(A4))
MARGIN: Final = 15 * MM
CONTENT_W: Final = PAGE_W - 2 * MARGIN
CELL_SIZE: Final = 10.0
_GREY: Final = colors.Color(0.2, 0.2, 0.2)


@dataclass(frozen=True)
class ReportColumn:
    title: str
    width_mm: float
    centre: bool = False


@dataclass(frozen=True)
class TableReport:
    """What a report says; ``rows`` hold one string per column."""

    title: str
    header: str  # on every page, left: the hall's name
    printed: str  # on every page, right: when and by whom it was printed
    lines: tuple[str, ...]  # under the title: what the report covers
    columns: tuple[ReportColumn, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str  # in place of the table when there are no rows
    closing: str  # under the table, e.g. the count
    signatures: tuple[str, ...]  # labels of the lines to sign by hand


def _check(report: TableReport) -> None:
    width = sum(c.width_mm for c in report.columns) * MM
    if abs(width - CONTENT_W) > 1:
        raise ValidationError("columns", f"报表各栏宽度之和应为 {CONTENT_W / MM:.0f} 毫米，实为 {width / MM:.0f} 毫米")
    for row in report.rows:
        if len(row) != len(report.columns):
            raise ValidationError("rows", f"报表每行应有 {len(report.columns)} 栏，有一行为 {len(row)} 栏")


def _styles() -> dict[str, ParagraphStyle]:
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=CELL_SIZE, leading=CELL_SIZE * 1.35, wordWrap="CJK",
                          alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=cell, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4),
        "line": ParagraphStyle("line", parent=cell, fontSize=11, leading=17, alignment=TA_CENTER),
        "cell": cell,
        "cell_centre": ParagraphStyle("cell_centre", parent=cell, alignment=TA_CENTER),
        "closing": ParagraphStyle("closing", parent=cell, fontSize=11, leading=17, spaceBefore=6),
    }


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Keeps every page until the end, so each can say how many pages there are; ``_decorate`` draws what goes
    around a page's content (header, footer, 第 N 页 共 M 页)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, len(self._pages))
            super().showPage()
        super().save()

    def _decorate(self, page: int, pages: int) -> None:
        raise NotImplementedError


class _NumberedCanvas(NumberedCanvas):
    """A table report's pages: its title and footer on each."""

    def __init__(self, *args: Any, report: TableReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._report = report

    def _decorate(self, page: int, pages: int) -> None:
        self.saveState()
        self.setFillColor(_GREY)
        self.setFont(FONT, 9.5)
        top = PAGE_H - 10 * MM
        self.drawString(MARGIN, top, self._report.header)
        self.drawRightString(PAGE_W - MARGIN, top, self._report.printed)
        self.setStrokeColor(colors.Color(0.45, 0.45, 0.45))
        self.setLineWidth(0.5)
        self.line(MARGIN, top - 2.5 * MM, PAGE_W - MARGIN, top - 2.5 * MM)
        self.line(MARGIN, 12 * MM, PAGE_W - MARGIN, 12 * MM)
        self.drawCentredString(PAGE_W / 2, 8 * MM, f"{self._report.title}　第 {page} 页 共 {pages} 页")
        self.restoreState()


def _table(report: TableReport, styles: dict[str, ParagraphStyle]) -> Table:
    head = [CJKParagraph(markup(c.title), styles["cell_centre"]) for c in report.columns]
    body = [[CJKParagraph(markup(text), styles["cell_centre" if column.centre else "cell"])
             for text, column in zip(row, report.columns, strict=True)] for row in report.rows]
    table = Table([head, *body], colWidths=[c.width_mm * MM for c in report.columns], repeatRows=1)
    table.setStyle(table_style([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ]))
    return table


def _signatures(report: TableReport, styles: dict[str, ParagraphStyle]) -> Table:
    cells = []
    for label in report.signatures:
        cells += [CJKParagraph(markup(label), styles["closing"]), ""]
    width = CONTENT_W / max(1, len(report.signatures))
    table = Table([cells], colWidths=[width * 0.45, width * 0.55] * len(report.signatures))
    table.setStyle(table_style([
        *(("LINEBELOW", (2 * i + 1, 0), (2 * i + 1, 0), 0.6, colors.black) for i in range(len(report.signatures))),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
    ]))
    return table


def render_table_report(report: TableReport) -> bytes:
    """The report as PDF bytes (A4 landscape)."""
    _check(report)
    register_font()
    styles = _styles()
    story: list[Any] = [Paragraph(markup(report.title), styles["title"])]
    story += [CJKParagraph(markup(line), styles["line"]) for line in report.lines]
    story.append(Spacer(1, 5 * MM))
    story.append(_table(report, styles) if report.rows else CJKParagraph(markup(report.empty), styles["line"]))
    closing: list[Any] = [CJKParagraph(markup(report.closing), styles["closing"])]
    if report.signatures:
        closing += [Spacer(1, 8 * MM), _signatures(report, styles)]
    story.append(KeepTogether(closing))  # the count and the signatures never stand alone on a page
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=18 * MM, bottomMargin=17 * MM, title=report.title, author=report.header,
                            creator="HallDesk")
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, report=report, **k))
    return out.getvalue()
