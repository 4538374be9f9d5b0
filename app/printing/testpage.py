"""打印测试页: a short page sent now to a printer, saying whether it worked.

The receipt printer gets a slip (hall, counter, the printer's address in words, the settings, hanzi,
Chinese punctuation, an extension-B hanzi where the profile's encoding has one, a ruler one line long and
a QR); an A4 printer a one-page PDF with the same.  It goes straight to the printer (not through the
queue: a failed test is not retried later, when nobody expects it) and the outcome comes back in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from app import limits
from app.auth import Actor
from app.errors import HallDeskError, NotFound, PermissionDenied, ValidationError
from app.hall_settings import read_settings
from app.printing.escpos import render_receipt
from app.printing.model import PrinterProfile
from app.printing.sample import (  # re-exported: what the test page is
    build_test_pdf,
    build_test_receipt,
    counter_label,
)
from app.printing.transport import parse_printer_uri, send
from app.roles import require
from app.uow import UnitOfWork
from db.models import Counter

PrinterKind = Literal["thermal", "a4"]
TEST_TIMEOUT = 3.0
DEFAULT_HALL = "政务服务大厅"


@dataclass(frozen=True)
class PrinterTestResult:
    """What 打印测试页 did: ``ok``, and ``message`` in Chinese (the printer's error when it failed)."""

    ok: bool
    message: str
    where: str  # the printer in words
    uri: str


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
