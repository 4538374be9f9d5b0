"""Printing through the services: receipts at a real TCP printer, the queue under faults, reprints, notices."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app import accounts, intake, slips
from app.context import HallDesk
from app.errors import Conflict, ValidationError
from app.infra import keys
from app.printing import desk, queue
from app.printing.model import PrinterProfile
from db.models import AuditEvent
from tests.conftest import log_in
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as p:
        yield p


def _point_counter_at(hall: HallDesk, uri: str, number: int = 1) -> None:
    admin = log_in(hall, "admin")
    current = next(c for c in accounts.list_counters(hall.uow()) if c.number == number)
    accounts.save_counter(hall.uow(), admin, number=number, name=current.name, kind=current.kind, printer_uri=uri)


def _accept(hall: HallDesk) -> tuple[str, str]:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    view = intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item)))
    return view.case_no, view.slip


def _receipt_job(hall: HallDesk, case_no: str) -> queue.JobView:
    return next(j for j in queue.list_jobs(hall.uow(), case_no=case_no) if j.kind == "receipt")


def test_receipt_bytes_at_the_printer_carry_the_case_and_a_genuine_slip(hall: HallDesk, printer: FakePrinter) -> None:
    _point_counter_at(hall, printer.uri)
    case_no, slip = _accept(hall)
    job = queue.send_job(hall.uow, _receipt_job(hall, case_no).id)
    assert job.status == "printed" and job.attempts == 1
    [data] = printer.wait_for_jobs(1)
    decoded = decode(data)
    assert case_no in decoded.text
    assert "受理回执" in decoded.text and "新建经开区政务服务大厅" in decoded.text
    assert "张*" in decoded.text and "张伟" not in decoded.text  # masked on paper
    assert decoded.qr_codes == [slip]
    assert slips.verify(decoded.qr_codes[0], keys.public_keys(hall.uow())).case_no == case_no
    # Printed once: processing the queue again sends nothing more.
    assert queue.process_due(hall.uow) == []
    assert len(printer.jobs) == 1


def test_image_qr_and_raster_profiles(hall: HallDesk, printer: FakePrinter) -> None:
    _point_counter_at(hall, printer.uri)
    admin = log_in(hall, "admin")
    desk.save_profile(hall.uow(), admin, printer.uri, PrinterProfile(paper_mm=58, raster=True, qr_native=False))
    case_no, slip = _accept(hall)
    assert queue.send_job(hall.uow, _receipt_job(hall, case_no).id).status == "printed"
    decoded = decode(printer.wait_for_jobs(1)[0])
    assert decoded.qr_codes == [] and decoded.images
    assert all(img.width == 384 for img in decoded.images)
    stacked = Image.new("1", (384, sum(i.height for i in decoded.images)), 1)
    y = 0
    for img in decoded.images:
        stacked.paste(img, (0, y))
        y += img.height
    assert [r.text for r in zxingcpp.read_barcodes(stacked.convert("L"))] == [slip]


@pytest.mark.parametrize("fault", ["refuse", "stall", "hangup_after", "paper_out"])
def test_printer_faults_leave_the_job_pending_then_it_prints_once(hall: HallDesk, printer: FakePrinter,
                                                                  fault: str) -> None:
    _point_counter_at(hall, printer.uri)
    if fault == "stall":
        # A jammed printer is only noticed once its buffer is full: a raster receipt is big enough.
        desk.save_profile(hall.uow(), log_in(hall, "admin"), printer.uri, PrinterProfile(raster=True))
    case_no, _ = _accept(hall)
    job_id = _receipt_job(hall, case_no).id
    printer.set_mode(fault, hangup_after=50)  # type: ignore[arg-type]
    failed = queue.send_job(hall.uow, job_id, timeout=1.0)
    assert failed.status == "pending" and failed.attempts == 1 and failed.last_error
    assert {"refuse": "拒绝", "stall": "超时", "hangup_after": "断开", "paper_out": "缺纸"}[fault] in failed.last_error
    assert failed.next_attempt_at > failed.created_at
    # Not due yet (backoff): the worker leaves it alone.
    assert queue.process_due(hall.uow) == []
    printer.set_mode("ok")
    clerk = log_in(hall, "clerk1")
    queue.retry_job(hall.uow(), clerk, job_id)
    done = queue.send_job(hall.uow, job_id)
    assert done.status == "printed" and done.attempts == 2
    # The last job at the printer is the whole receipt (earlier, broken connections left partial bytes).
    last = decode(printer.jobs[-1])
    assert (case_no in last.text) if fault != "stall" else bool(last.images)
    with pytest.raises(Conflict):
        queue.retry_job(hall.uow(), clerk, job_id)


def test_redirect_cancel_and_unconfigured_printer(hall: HallDesk, printer: FakePrinter) -> None:
    case_no, _ = _accept(hall)  # counter 1 has no printer in the demo
    job = _receipt_job(hall, case_no)
    assert "未配置打印机" in job.last_error
    assert queue.send_job(hall.uow, job.id).status == "pending"
    clerk = log_in(hall, "clerk1")
    with pytest.raises(ValidationError):
        queue.redirect_job(hall.uow(), clerk, job.id, "lpt1:")
    queue.redirect_job(hall.uow(), clerk, job.id, printer.uri)
    assert queue.send_job(hall.uow, job.id).status == "printed"
    assert len(printer.wait_for_jobs(1)) == 1
    notice_job = next(j for j in queue.list_jobs(hall.uow(), case_no=case_no) if j.kind == "notice")
    queue.cancel_job(hall.uow(), clerk, notice_job.id, "在预览中打印")
    assert queue.get_job(hall.uow(), notice_job.id).status == "cancelled"


def test_reprint_is_marked_logged_and_needs_a_reason(hall: HallDesk, printer: FakePrinter) -> None:
    _point_counter_at(hall, printer.uri)
    case_no, _ = _accept(hall)
    queue.send_job(hall.uow, _receipt_job(hall, case_no).id)
    clerk = log_in(hall, "clerk1")
    with pytest.raises(Conflict, match="补打"):
        desk.receipt_job(hall.uow(), clerk, case_no)
    with pytest.raises(ValidationError, match="原因"):
        desk.receipt_job(hall.uow(), clerk, case_no, reprint=True, reason=" ")
    job_id = desk.receipt_job(hall.uow(), clerk, case_no, reprint=True, reason="回执遗失")
    assert queue.send_job(hall.uow, job_id).status == "printed"
    first, second = printer.wait_for_jobs(2)
    assert decode(second).text.count("补打") > decode(first).text.count("补打")
    with hall.uow() as uow:
        rows = list(uow.session.execute(select(AuditEvent).where(AuditEvent.action == "print.reprint")).scalars())
    assert len(rows) == 1 and rows[0].actor == "clerk1" and json.loads(rows[0].payload)["reason"] == "回执遗失"
    assert [j.reprint for j in queue.list_jobs(hall.uow(), case_no=case_no) if j.kind == "receipt"] == [True, False]


def test_notice_pdf_has_text_fonts_and_a_decodable_qr(hall: HallDesk, tmp_path: Path) -> None:
    case_no, slip = _accept(hall)
    clerk = log_in(hall, "clerk1")
    pdf = desk.notice_pdf(hall.uow(), clerk, case_no, "acceptance")
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    item = item_with_tolerable(hall)
    assert case_no in text and item.name in text and "受理通知书" in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    assert slip in [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    with pytest.raises(Exception, match="没有签发过"):
        desk.notice_pdf(hall.uow(), clerk, case_no, "refusal")


def test_a4_notice_job_to_a_folder(hall: HallDesk, tmp_path: Path) -> None:
    admin = log_in(hall, "admin")
    accounts.save_counter(hall.uow(), admin, number=1, name="综合受理1号窗口", kind="comprehensive")
    with hall.uow() as uow:
        from db.models import Counter

        counter = uow.session.execute(select(Counter).where(Counter.number == 1)).scalar_one()
        counter.a4_printer_uri = f"file://{tmp_path}"
        uow.commit()
    case_no, _ = _accept(hall)
    notice_job = next(j for j in queue.list_jobs(hall.uow(), case_no=case_no) if j.kind == "notice")
    assert queue.send_job(hall.uow, notice_job.id).status == "printed"
    [pdf] = list(tmp_path.glob("*.pdf"))
    assert case_no in "".join(p.extract_text() for p in PdfReader(pdf).pages)


def test_handover_slip_at_the_printer(hall: HallDesk, printer: FakePrinter) -> None:
    from datetime import UTC, datetime

    from app import cases
    from app.hall_settings import get_hall_settings
    from app.printing import documents
    from app.printing.escpos import render_receipt
    from app.printing.transport import send

    case_no, slip = _accept(hall)
    view = cases.read_case(hall.uow(), case_no)
    receipt = documents.handover_receipt(
        view, get_hall_settings(hall.uow()), collector_name="李娜", collector_id="11010519491231002X",
        delivery="窗口领取", handed_over_at=datetime(2026, 12, 3, 2, 30, tzinfo=UTC), clerk_name="统一出件窗口")
    send(printer.uri, render_receipt(receipt, PrinterProfile()))
    decoded = decode(printer.wait_for_jobs(1)[0])
    assert "出件签收单" in decoded.text and case_no in decoded.text and "领取人签字" in decoded.text
    assert "李*" in decoded.text and "110***********002X" in decoded.text and "李娜" not in decoded.text
    assert "2026年12月3日 10:30" in decoded.text
    # The slip's work is done once the result is handed over: the 签收单 carries no pickup credentials.
    assert decoded.qr_codes == [] and slip not in decoded.text
