"""The 材料流转交接单 as PDF (A4 portrait): one batch of paper folders from the counter to a department.

Every page carries the hall's name and the batch number in its header, the batch's QR code (``HDTB:<number>``,
what the department's scanner reads to sign for it) with the number under it, and "第 N 页 共 M 页" in its
footer, so a loose page still says what it belongs to.  The table lists each case with a small QR code of its
case number (the receiver scans a folder's label against it), the item, the applicant (the agent's name
masked, DOMAIN.md) and the paper in the folder; under it the counts and the lines the two sides sign.  QR codes
are drawn as vector modules: sharp on any printer.  Text is real text in the bundled font.
"""

from __future__ import annotations

import io
from typing import Any, Final

from reportlab.lib import colors, units
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from app.printing.chinese_text import FONT, CJKParagraph, markup, register_font, table_style
from app.printing.model import SheetRow, TransferSheet
from app.printing.qr import Matrix, dark_runs, qr_matrix
from app.printing.report import NumberedCanvas

__all__ = ["SheetRow", "TransferSheet", "render_transfer_sheet"]

MM: Final = float(units.mm)
PAGE_W, PAGE_H = (float(v) for v in A4)
MARGIN: Final = 16 * MM
CONTENT_W: Final = PAGE_W - 2 * MARGIN
BATCH_QR: Final = 28 * MM
CASE_QR: Final = 15 * MM
TOP: Final = 14 * MM + BATCH_QR + 9 * MM  # header, the batch QR and its caption
CELL_SIZE: Final = 9.5
# 序号, 办件编号, 事项, 申请人, 材料, 核对 (ticked by hand on arrival), the case's QR code: 178 mm in all.
_WIDTHS_MM: Final = (10.0, 33.0, 44.0, 38.0, 20.0, 12.0, 21.0)
_GREY: Final = colors.Color(0.2, 0.2, 0.2)


def _draw_qr(c: Any, matrix: Matrix, x: float, y: float, side: float) -> None:
    """``matrix`` as dark rectangles (one per run of modules) in a square of ``side`` with its corner at x, y."""
    n = len(matrix)
    unit = side / n
    path = c.beginPath()
    for r, start, length in dark_runs(matrix):
        path.rect(x + start * unit, y + (n - r - 1) * unit, length * unit, unit)
    c.saveState()
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


class _QRCell(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A case number's QR code in a table cell (with the quiet zone the cell's padding and white give it)."""

    def __init__(self, payload: str, side: float) -> None:
        super().__init__()
        self.matrix = qr_matrix(payload)
        self.side = side

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        _draw_qr(self.canv, self.matrix, 0, 0, self.side)


class _SheetCanvas(NumberedCanvas):
    """Keeps every page until the end, so each can say how many pages there are, and gets the batch QR."""

    def __init__(self, *args: Any, sheet: TransferSheet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sheet = sheet
        self._matrix = qr_matrix(sheet.qr_payload)

    def _decorate(self, page: int, pages: int) -> None:
        s = self._sheet
        self.saveState()
        self.setFillColor(_GREY)
        self.setFont(FONT, 9.5)
        top = PAGE_H - 10 * MM
        self.drawString(MARGIN, top, s.hall_name)
        self.drawRightString(PAGE_W - MARGIN, top, f"交接单号：{s.batch_no}")
        self.setStrokeColor(colors.Color(0.45, 0.45, 0.45))
        self.setLineWidth(0.5)
        self.line(MARGIN, top - 2.5 * MM, PAGE_W - MARGIN, top - 2.5 * MM)
        qr_bottom = top - 5 * MM - BATCH_QR
        _draw_qr(self, self._matrix, PAGE_W - MARGIN - BATCH_QR, qr_bottom, BATCH_QR)
        self.setFillColor(colors.black)
        self.setFont(FONT, 8)
        self.drawCentredString(PAGE_W - MARGIN - BATCH_QR / 2, qr_bottom - 3.5 * MM, "签收时扫描此码")
        self.setFont(FONT, 20)
        self.drawCentredString(PAGE_W / 2, top - 5 * MM - BATCH_QR / 2 - 3 * MM, "材料流转交接单")
        self.setFillColor(_GREY)
        self.setFont(FONT, 9.5)
        self.line(MARGIN, 12 * MM, PAGE_W - MARGIN, 12 * MM)
        self.drawCentredString(PAGE_W / 2, 8 * MM, f"材料流转交接单 {s.batch_no}　第 {page} 页 共 {pages} 页")
        self.restoreState()


def _styles() -> dict[str, ParagraphStyle]:
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=CELL_SIZE, leading=CELL_SIZE * 1.35, wordWrap="CJK",
                          alignment=TA_LEFT)
    return {
        "cell": cell,
        "centre": ParagraphStyle("centre", parent=cell, alignment=TA_CENTER),
        "line": ParagraphStyle("line", parent=cell, fontSize=11, leading=17),
        "closing": ParagraphStyle("closing", parent=cell, fontSize=11, leading=17, spaceBefore=6),
    }


def _table(sheet: TransferSheet, styles: dict[str, ParagraphStyle]) -> Table:
    titles = ("序号", "办件编号", "事项", "申请人", "纸质材料", "核对", "办件码")
    head = [CJKParagraph(markup(t), styles["centre"]) for t in titles]
    body = [[CJKParagraph(str(i), styles["centre"]), CJKParagraph(markup(r.case_no), styles["centre"]),
             CJKParagraph(markup(r.item), styles["cell"]), CJKParagraph(markup(r.applicant), styles["cell"]),
             CJKParagraph(markup(r.paper), styles["centre"]), "", _QRCell(r.case_no, CASE_QR)]
            for i, r in enumerate(sheet.rows, 1)]
    table = Table([head, *body], colWidths=[w * MM for w in _WIDTHS_MM], repeatRows=1)
    table.setStyle(table_style([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (-1, 1), (-1, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return table


def _signatures(sheet: TransferSheet, styles: dict[str, ParagraphStyle]) -> Table:
    # Two pairs per row: 移交人 | line, 接收人 | line; then the times.
    rows = []
    pairs = list(sheet.signatures)
    for i in range(0, len(pairs), 2):
        row: list[Any] = []
        for label, value in pairs[i:i + 2]:
            row += [CJKParagraph(markup(label), styles["closing"]), CJKParagraph(markup(value), styles["closing"])]
        rows.append(row + [""] * (4 - len(row)))
    table = Table(rows, colWidths=[c * MM for c in (30, 59, 30, 59)], rowHeights=[13 * MM] * len(rows))
    table.setStyle(table_style([
        ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
        ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
    ]))
    return table


def render_transfer_sheet(sheet: TransferSheet) -> bytes:
    """The 交接单 as PDF bytes."""
    register_font()
    styles = _styles()
    story: list[Any] = [CJKParagraph(markup(line), styles["line"]) for line in sheet.lines]
    story += [Spacer(1, 4 * MM), _table(sheet, styles)]
    story.append(KeepTogether([Paragraph(markup(sheet.closing), styles["closing"]), Spacer(1, 4 * MM),
                               _signatures(sheet, styles)]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
                            bottomMargin=17 * MM, title=f"材料流转交接单 {sheet.batch_no}", author=sheet.hall_name,
                            creator="HallDesk")
    doc.build(story, canvasmaker=lambda *a, **k: _SheetCanvas(*a, sheet=sheet, **k))
    return out.getvalue()
