"""What a clerk asks of the printers: receipts and reprints, notice PDFs, printer profiles, slip checks."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import select

from app import limits, slips
from app.auth import Actor
from app.cases import case_view, load_case, may_read_credentials
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import read_settings
from app.infra import keys
from app.printing import documents, queue
from app.printing.model import PrinterProfile
from app.printing.notice_templates import DECISION_KINDS, KIND_NAMES, NOTICE_KINDS
from app.printing.transport import STATUS_MEMORY, parse_printer_uri
from app.roles import require
from app.uow import UnitOfWork
from db.models import Case, Counter, Notice, PrintJob
from db.models import PrinterProfile as PrinterProfileRow
from db.types import utcnow

ENCODINGS = ("GB18030", "GBK", "UTF-8")


def receipt_job(uow: UnitOfWork, actor: Actor, case_no: str, *, printer: str | None = None, reprint: bool = False,
                reason: str = "") -> uuid.UUID:
    """The job that prints this case's receipt: the waiting original, or a new 补打 when ``reprint``.

    An original already printed is never printed again by accident: that needs ``reprint`` and a reason.  The
    receipt carries the pickup code and the slip, so only the counter that took the case prints it, and every
    print, reprint and change of printer is audited.
    """
    require(actor, "print.receipt")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.JOB_PRINTER_URI, printer, "printer"),
                     (limits.PRINT_REASON, reason, "reason"))
    if printer:
        parse_printer_uri(printer)
    if reprint:
        reason = queue.check_reprint_reason(reason)
    with uow:
        s = uow.session
        case = load_case(s, case_no.strip().upper())
        taken_at = case.counter.number if case.counter else None
        if actor.counter_number is None or taken_at != actor.counter_number:
            raise PermissionDenied(f"受理回执只能在受理该办件的窗口（{taken_at or '网上'}号窗口）打印"
                                   if taken_at else "网上申请的办件没有窗口受理回执")
        jobs = list(s.execute(select(PrintJob).where(PrintJob.case_id == case.id, PrintJob.kind == "receipt")
                              .order_by(PrintJob.created_at)).scalars())
        counter = s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one_or_none() \
            if actor.counter_number else None
        uri = printer or (counter.printer_uri if counter else "") or (jobs[-1].printer_uri if jobs else "")
        if not reprint:
            waiting = [j for j in jobs if j.status in ("pending", "failed", "sending") and not j.reprint]
            if waiting:
                job = waiting[0]
                before = job.printer_uri
                if printer and job.status != "sending":
                    job.printer_uri = printer
                if job.status == "failed":
                    job.status = "pending"
                job.next_attempt_at = utcnow()
                uow.audit(actor.username, "print.receipt", "print_job", str(job.id),
                          {"case_no": case.case_no, "printer": job.printer_uri, "from": before})
                uow.commit()
                return job.id
            if any(j.status == "printed" for j in jobs):
                raise Conflict(f"办件 {case.case_no} 的回执已打印过：如需再打，请选择“补打”并填写原因")
            if case.status == "refused":
                raise Conflict("不予受理的办件不打印回执，请打印不予受理通知书")
        view = case_view(case, credentials=True)
        hall = read_settings(s)
        output = s.execute(select(Counter.number).where(Counter.kind == "output").order_by(Counter.number)).scalars().first()
        receipt = documents.receipt_for_case(view, hall, output_counter=output,
                                             clerk_name=case.clerk.full_name if case.clerk else actor.full_name,
                                             reprint=reprint)
        [job_id] = queue.enqueue(s, [queue.job_row(
            kind="receipt", payload=documents.receipt_to_json(receipt), requested_by=actor.username,
            printer_uri=uri, case_id=case.id, counter_id=counter.id if counter else None, reprint=reprint,
            reason=reason)])
        uow.audit(actor.username, "print.reprint" if reprint else "print.receipt", "case", str(case.id),
                  {"case_no": case.case_no, "job": str(job_id), "reason": reason, "printer": uri})
        uow.commit()
        return job_id


def notice_pdf(uow: UnitOfWork, actor: Actor, case_no: str, kind: str, *, reprint: bool = False,
               reason: str = "") -> bytes:
    """The PDF of a notice as issued (same document number and content); a 补打 is marked and logged.

    The QR slip and pickup code printed on a notice appear only for those who may read them
    (``cases.may_read_credentials``); reviewers and chief representatives see their own department's notices.
    """
    require(actor, "print.notice")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.PRINT_REASON, reason, "reason"))
    if kind not in NOTICE_KINDS and kind != "decision":
        raise ValidationError("kind", f"通知书类型 {kind} 不正确，可选：{'、'.join((*NOTICE_KINDS, 'decision'))}")
    # ``decision``: the case's written decision, whichever it is (准予／不予行政许可决定书, 办理结果通知书).
    kinds = DECISION_KINDS if kind == "decision" else (kind,)
    if reprint:
        reason = queue.check_reprint_reason(reason)
    with uow:
        s = uow.session
        case = load_case(s, case_no.strip().upper())
        if actor.role in ("reviewer", "chief_rep") and case.dept_id != actor.dept_id:
            raise PermissionDenied("只能查看本部门办件的通知书")
        notice = s.execute(select(Notice).where(Notice.case_id == case.id, Notice.kind.in_(kinds))
                           .order_by(Notice.issued_at.desc())).scalars().first()
        if notice is None:
            what = "审批决定书（办件尚未作出准予或不予的决定）" if kind == "decision" else KIND_NAMES[kind]
            raise NotFound(f"办件 {case.case_no} 没有签发过{what}")
        data = documents.notice_from_json(json.loads(notice.payload))
        if not may_read_credentials(actor, case.counter.number if case.counter else None):
            data = replace(data, qr_payload="", pickup_code="")
        if reprint:
            data = replace(data, reprint=True)
            uow.audit(actor.username, "print.reprint", "case", str(case.id),
                      {"case_no": case.case_no, "notice": notice.doc_no, "reason": reason})
            uow.commit()
        from app.printing.pdf import render_notice  # reportlab: loaded when a notice is first drawn

        return render_notice(data)


def get_profile(uow: UnitOfWork, uri: str) -> PrinterProfile:
    limits.check(limits.PROFILE_URI, uri, "uri")
    parse_printer_uri(uri)
    with uow:
        return queue.profile_for(uow.session, uri)


def save_profile(uow: UnitOfWork, actor: Actor, uri: str, profile: PrinterProfile) -> PrinterProfile:
    """A printer's profile: an admin sets any; a clerk not those of another counter's printers."""
    require(actor, "printer.setup")
    limits.check(limits.PROFILE_URI, uri, "uri")
    parse_printer_uri(uri)
    if profile.paper_mm not in (58, 80):
        raise ValidationError("paper_mm", "纸宽只能是58或80毫米")
    if profile.encoding not in ENCODINGS:
        raise ValidationError("encoding", f"编码只能是 {'、'.join(ENCODINGS)}")
    with uow:
        s = uow.session
        if actor.role != "admin":
            _require_own_printer(s, actor, uri)
        row = s.get(PrinterProfileRow, uri)
        if row is None:
            row = PrinterProfileRow(uri=uri)
            s.add(row)
        row.paper_mm, row.encoding = profile.paper_mm, profile.encoding
        row.chinese_mode, row.raster, row.qr_native = profile.chinese_mode, profile.raster, profile.qr_native
        row.cut, row.status_check = profile.cut, profile.status_check
        # The audit row names the printer in 64 characters; the whole address is in the payload.
        uow.audit(actor.username, "printer.profile", "printer", uri[:64], asdict(profile) | {"uri": uri})
        uow.commit()
    STATUS_MEMORY.forget(uri)  # set up anew: ask it again whether it answers status queries
    return profile


def _require_own_printer(s: Any, actor: Actor, uri: str) -> None:
    """A clerk sets up their own counter's printers, or a new address they are trying out; never a printer that
    another counter prints on."""
    others = s.execute(select(Counter.number).where(
        Counter.number != actor.counter_number,
        (Counter.printer_uri == uri) | (Counter.a4_printer_uri == uri))).scalars().first()
    if others is not None:
        raise PermissionDenied(f"该打印机属于{others}号窗口：只能设置本窗口的打印机")


def verify_slip(uow: UnitOfWork, payload: str) -> slips.SlipInfo:
    """A scanned slip, checked by its signature and by the key belonging to the counter that took the case
    (works from the cached keys when the network is down)."""
    return keys.verify_slip(payload, keys.key_records(uow))


def case_exists(uow: UnitOfWork, case_no: str) -> bool:
    with uow:
        return uow.session.execute(select(Case.id).where(Case.case_no == case_no)).first() is not None
