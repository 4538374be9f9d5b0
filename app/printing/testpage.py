"""打印测试页: a short page sent now to a printer, saying whether it worked.

The receipt printer gets a slip (hall, counter, the printer's address in words, the settings, hanzi,
Chinese punctuation, an extension-B hanzi where the profile's encoding has one, a ruler one line long and
a QR); an A4 printer a one-page PDF with the same.  It goes straight to the printer (not through the
queue: a failed test is not retried later, when nobody expects it) and the outcome comes back in words.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from app import limits
from app.auth import Actor
from app.errors import HallDeskError, NotFound, PermissionDenied, ValidationError
from app.hall_settings import read_settings
from app.printing.escpos import render_receipt
from app.printing.model import PRINT_MODES, QR_MODES, PrinterProfile, Receipt, print_mode
from app.printing.transport import parse_printer_uri, send
from app.roles import require
from app.uow import UnitOfWork
from db.models import Counter

PrinterKind = Literal["thermal", "a4"]
TEST_TIMEOUT = 3.0
TEST_QR = "HALLDESK-TEST"
PUNCTUATION = ("标点：，。、；：？！", "“”‘’（）《》【】—…")  # two lines: each fits 58 mm paper
EXT_B = "𠮷"  # U+20BB7, a 吉 variant common in names: GB18030 has it (4 bytes), GBK does not
HANZI = "汉字：一窗通政务服务大厅欢迎您"
DEFAULT_HALL = "政务服务大厅"


@dataclass(frozen=True)
class PrinterTestResult:
    """What 打印测试页 did: ``ok``, and ``message`` in Chinese (the printer's error when it failed)."""

    ok: bool
    message: str
    where: str  # the printer in words
    uri: str


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


def try_printer(uow: UnitOfWork | None, actor: Actor | None, uri: str, kind: PrinterKind = "thermal", *,
                counter_number: int | None = None, profile: PrinterProfile | None = None,
                timeout: float = TEST_TIMEOUT) -> PrinterTestResult:
    """打印测试页 from the printer chooser: an address being tried out, with the profile on the form.

    With an ``actor`` it needs ``printer.setup``; with a ``uow`` the hall's name is read for the page.  Without
    either (the first-run wizard, before any account exists) it prints for 政务服务大厅.
    """
    if actor is not None:
        require(actor, "printer.setup")
    hall_name = DEFAULT_HALL
    if uow is not None:
        with uow:
            hall_name = read_settings(uow.session).name or DEFAULT_HALL
    return send_test_page(uri, kind, hall_name=hall_name, counter_number=counter_number, profile=profile,
                          timeout=timeout)


def send_test_page(uri: str, kind: PrinterKind = "thermal", *, hall_name: str = "政务服务大厅",
                   counter_number: int | None = None, profile: PrinterProfile | None = None,
                   timeout: float = TEST_TIMEOUT) -> PrinterTestResult:
    """Build the test page for ``uri`` and send it now; never raises for printer trouble (the outcome says it).

    Writes nothing to the database: the chooser of the first-run wizard uses it before any account exists.
    """
    try:
        address = parse_printer_uri(uri)
    except ValidationError as exc:
        return PrinterTestResult(False, exc.message, "", uri)
    where = address.describe()
    profile = profile or PrinterProfile()
    name = f"测试页-{counter_label(counter_number)}"
    try:
        if kind == "a4":
            from app.printing.queue import send_pdf

            send_pdf(uri, build_test_pdf(hall_name, counter_number, uri), name, timeout)
        else:
            data = render_receipt(build_test_receipt(profile, hall_name, counter_number, uri), profile)
            send(uri, data, timeout=timeout, status_check=profile.status_check, job_name=name)
    except HallDeskError as exc:
        return PrinterTestResult(False, f"测试页打印失败：{exc.message}", where, uri)
    if address.scheme == "folder":
        return PrinterTestResult(True, f"测试页已保存到文件夹 {address.path}", where, uri)
    return PrinterTestResult(True, f"测试页已发送到{where}，请查看打印结果", where, uri)


def print_counter_test_page(uow: UnitOfWork, actor: Actor, counter_number: int, *, a4: bool = False,
                         uri: str | None = None, timeout: float = TEST_TIMEOUT) -> PrinterTestResult:
    """打印测试页 for a counter's receipt (or A4) printer — its stored address, or ``uri`` being tried out —
    with the profile stored for that address.  A clerk tests only their own counter's printers."""
    require(actor, "printer.setup")
    if uri:
        limits.check(limits.JOB_PRINTER_URI, uri, "printer_uri")
    if actor.role != "admin" and actor.counter_number != counter_number:
        raise PermissionDenied(f"只能测试本窗口的打印机（您属于{counter_label(actor.counter_number)}）")
    from app.printing.queue import profile_for

    with uow:
        s = uow.session
        counter = s.execute(select(Counter).where(Counter.number == counter_number)).scalar_one_or_none()
        if counter is None:
            raise NotFound(f"{counter_number}号窗口不存在")
        target = uri or (counter.a4_printer_uri if a4 else counter.printer_uri)
        if not target:
            raise ValidationError("printer_uri", f"{counter_number}号窗口还没有设置{'A4' if a4 else '回执'}打印机")
        parse_printer_uri(target)
        profile = profile_for(s, target)
        hall_name = read_settings(s).name
        uow.audit(actor.username, "printer.test", "printer", target[:64],
                  {"counter": counter_number, "a4": a4, "uri": target})
        uow.commit()
    return send_test_page(target, "a4" if a4 else "thermal", hall_name=hall_name, counter_number=counter_number,
                          profile=profile, timeout=timeout)
