"""What 打印测试页 prints: the thermal slip and the A4 page (``app.printing.testpage`` sends them; the print queue
draws a queued test job with the same slip)."""

from __future__ import annotations

import io
from datetime import datetime

from app.printing.model import PRINT_MODES, QR_MODES, PrinterProfile, Receipt, print_mode
from app.printing.transport import parse_printer_uri

TEST_QR = "HALLDESK-TEST"
PUNCTUATION = ("标点：，。、；：？！", "“”‘’（）《》【】—…")  # two lines: each fits 58 mm paper
EXT_B = "𠮷"  # U+20BB7, a 吉 variant common in names: GB18030 has it (4 bytes), GBK does not
HANZI = "汉字：一窗通政务服务大厅欢迎您"


def has_ext_b(profile: PrinterProfile) -> bool:
    """Whether the profile can send an extension-B hanzi: its encoding has one and the printer draws the text
    (picture mode draws with the bundled font, which has none)."""
    return not profile.raster and profile.encoding in ("GB18030", "UTF-8")


def counter_label(counter_number: int | None) -> str:
    return f"{counter_number}号窗口" if counter_number is not None else "（未指定窗口）"


def build_test_receipt(profile: PrinterProfile, hall_name: str, counter_number: int | None, uri: str,
                 now: datetime | None = None) -> Receipt:
    """The thermal test slip."""
    where = parse_printer_uri(uri).describe()
    rows = (
        ("窗口", counter_label(counter_number)),
        ("打印机", where),
        ("纸宽", f"{profile.paper_mm} 毫米（每行 {profile.columns} 个字符）"),
        ("打印方式", PRINT_MODES[print_mode(profile)]),
        ("编码", profile.encoding),
        ("二维码", QR_MODES[profile.qr_native and not profile.raster]),
        ("时间", (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")),
    )
    notes: tuple[str, ...] = (HANZI, *PUNCTUATION)
    if has_ext_b(profile):
        notes += (f"生僻字：{EXT_B}（吉字异体，扩展B区）",)
    notes += ("ASCII: ABC abc 0123456789",)
    if not profile.raster:
        notes += (("1234567890" * 7)[: profile.columns],)
    return Receipt(title="打印测试页", hall_name=hall_name, rows=rows, notes=notes, qr_payload=TEST_QR,
                   footer=("汉字、标点、二维码清晰完整，说明打印机设置正确。",))


def build_test_pdf(hall_name: str, counter_number: int | None, uri: str, now: datetime | None = None) -> bytes:
    """The A4 test page: one page with the same text and a QR."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from app.printing.chinese_text import FONT, register_font
    from app.printing.qr import dark_runs, qr_matrix

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle("打印测试页")
    width, height = A4
    y = height - 30 * mm
    c.setFont(FONT, 20)
    c.drawCentredString(width / 2, y, hall_name)
    y -= 14 * mm
    c.setFont(FONT, 26)
    c.drawCentredString(width / 2, y, "A4 打印测试页")
    y -= 16 * mm
    c.setFont(FONT, 12)
    for line in (f"窗口：{counter_label(counter_number)}", f"打印机：{parse_printer_uri(uri).describe()}",
                 f"时间：{(now or datetime.now()).strftime('%Y-%m-%d %H:%M:%S')}", HANZI, "".join(PUNCTUATION),
                 "ASCII: ABC abc 0123456789", "汉字、标点、二维码清晰完整，页边没有被裁切，说明打印机设置正确。"):
        c.drawString(25 * mm, y, line)
        y -= 9 * mm
    matrix = qr_matrix(TEST_QR)
    module = 1.2 * mm
    left, top = 25 * mm, y - 4 * mm
    for row, col, length in dark_runs(matrix):
        c.rect(left + col * module, top - (row + 1) * module, length * module, module, stroke=0, fill=1)
    c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm, stroke=1, fill=0)  # the printable margin
    c.showPage()
    c.save()
    return buf.getvalue()
