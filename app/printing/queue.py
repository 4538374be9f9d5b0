"""The print queue: every print is a job row; a worker sends due jobs; nothing is lost, nothing doubles.

A job is written in the same transaction as the change that caused it (an intake, a hand-over, a reprint).
Sending happens after that commit, outside any transaction: the job is first *leased* (status ``sending``
with ``lease_until``) by one conditional UPDATE, so two workers never send the same job; a worker that
dies mid-send lets its lease run out and the job goes back to pending.  A failed send leaves the job
pending with the error and a retry time that backs off; the clerk can retry, cancel or redirect it.
A job already printed is only printed again as a new job marked 补打, with who and why in the audit trail.
"""

from __future__ import annotations

import json
import logging
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor
from app.errors import Conflict, HallDeskError, NotFound, PermissionDenied, ValidationError
from app.hall_settings import read_settings
from app.printing import documents
from app.printing.escpos import render_receipt
from app.printing.folder import write_folder_job
from app.printing.model import PrinterProfile
from app.printing.transport import PrinterError, parse_printer_uri, send
from app.roles import require
from app.uow import UnitOfWork
from db.models import Case, Counter, PrintJob
from db.models import PrinterProfile as PrinterProfileRow
from db.types import utcnow

log = logging.getLogger(__name__)

JOB_KINDS = {"receipt": "受理回执", "handover": "出件签收单", "test": "测试页", "notice": "A4通知书"}
PUBLIC_STATUS = {"pending": "pending", "sending": "pending", "printed": "printed", "failed": "failed",
                 "cancelled": "cancelled"}
STATUS_NAMES = {"pending": "待打印", "printed": "已打印", "failed": "失败", "cancelled": "已取消"}
MAX_ATTEMPTS = 12  # about an hour of backing off; then the job waits for the clerk
SEND_TIMEOUT = 5.0
NO_PRINTER = "未配置打印机：请在窗口设置中填写打印机地址，或改派到其他打印机"


@dataclass(frozen=True)
class JobView:
    id: uuid.UUID
    case_no: str | None
    kind: str
    printer: str
    status: str
    reprint: bool
    reason: str
    attempts: int
    last_error: str
    created_at: datetime
    printed_at: datetime | None
    next_attempt_at: datetime
    notice_kind: str = ""  # for a notice job: which notice (acceptance, correction, ...), so it can be previewed

    @property
    def kind_name(self) -> str:
        return JOB_KINDS[self.kind]

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "case_no": self.case_no, "kind": self.kind, "printer": self.printer,
                "status": self.status, "reprint": self.reprint, "attempts": self.attempts,
                "last_error": self.last_error}


def _view(job: PrintJob, case_no: str | None) -> JobView:
    notice_kind = ""
    if job.kind == "notice":
        notice_kind = str(json.loads(job.payload).get("kind", ""))
    return JobView(
        id=job.id, case_no=case_no, kind=job.kind, printer=job.printer_uri, status=PUBLIC_STATUS[job.status],
        reprint=job.reprint, reason=job.reason, attempts=job.attempts, last_error=job.last_error,
        created_at=job.created_at, printed_at=job.printed_at, next_attempt_at=job.next_attempt_at,
        notice_kind=notice_kind,
    )


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


# ---- writing jobs (inside the caller's unit of work) -----------------------------------------------


def job_row(
    *,
    kind: str,
    payload: dict[str, Any],
    requested_by: str,
    printer_uri: str,
    case_id: uuid.UUID | None = None,
    counter_id: uuid.UUID | None = None,
    notice_id: uuid.UUID | None = None,
    reprint: bool = False,
    reason: str = "",
) -> dict[str, Any]:
    """A print job as a row, ready to insert in the caller's transaction."""
    now = utcnow()
    return {
        "id": uuid.uuid4(), "kind": kind, "payload": json.dumps(payload, ensure_ascii=False),
        "requested_by": requested_by, "printer_uri": printer_uri, "case_id": case_id, "counter_id": counter_id,
        "notice_id": notice_id, "reprint": reprint, "reason": reason, "status": "pending", "attempts": 0,
        "last_error": "" if printer_uri else NO_PRINTER, "next_attempt_at": now, "lease_until": None,
        "created_at": now, "printed_at": None,
    }


def enqueue(session: Session, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Write print jobs (from ``job_row``) in the session's transaction."""
    if rows:
        session.execute(insert(PrintJob), rows)
    return [row["id"] for row in rows]


def profile_for(session: Session, uri: str) -> PrinterProfile:
    row = session.get(PrinterProfileRow, uri)
    if row is None:
        return PrinterProfile()
    return PrinterProfile(paper_mm=80 if row.paper_mm == 80 else 58, encoding=row.encoding,  # type: ignore[arg-type]
                          chinese_mode=row.chinese_mode, raster=row.raster, qr_native=row.qr_native, cut=row.cut,
                          status_check=row.status_check)


# ---- sending -----------------------------------------------------------------------------------------


def _render(kind: str, payload: dict[str, Any], profile: PrinterProfile, uri: str) -> bytes:
    if kind in ("receipt", "handover"):
        return render_receipt(documents.receipt_from_json(payload), profile)
    if kind == "test":  # 打印测试页 queued (``print test``): the same page as sent at once (app.printing.testpage)
        from app.printing.sample import build_test_receipt

        return render_receipt(build_test_receipt(profile, payload.get("hall_name", ""), payload.get("counter"), uri),
                              profile)
    if kind == "notice":
        from app.printing.pdf import render_notice  # reportlab: loaded when a notice is first drawn

        return render_notice(documents.notice_from_json(payload))
    raise ValueError(f"unknown job kind {kind}")


def send_pdf(uri: str, pdf: bytes, name: str, timeout: float = SEND_TIMEOUT) -> None:
    """A4 notices: a folder printer (folder://, a new .pdf each time), a file (file://), CUPS (cups://name, the
    system printers of Linux and macOS), a Windows printer (win32://name: the pages drawn through the spooler,
    ``app.printing.winprint``), or raw to a network printer that takes PDF (tcp://)."""
    address = parse_printer_uri(uri)
    if address.scheme == "folder":
        write_folder_job(address, pdf, name, ".pdf")
    elif address.scheme == "file":
        path = Path(address.path or "")
        target = path / f"{name}.pdf" if path.is_dir() else path
        try:
            target.write_bytes(pdf)
        except OSError as exc:
            raise PrinterError(f"无法写入文件 {target}：{exc.strerror}") from exc
    elif address.scheme == "cups":
        try:
            subprocess.run(["lp", "-d", address.name or "", "-t", name, "-"], input=pdf, check=True,
                           capture_output=True, timeout=timeout)
        except FileNotFoundError:
            raise PrinterError("本机没有 CUPS 打印命令 lp：请在预览中打印") from None
        except subprocess.CalledProcessError as exc:
            raise PrinterError(f"CUPS 打印失败：{exc.stderr.decode(errors='replace').strip()}") from None
        except subprocess.TimeoutExpired:
            raise PrinterError("CUPS 打印超时") from None
    elif address.scheme == "win32":
        from app.printing.winprint import print_pdf

        print_pdf(address.name or "", pdf, name)
    elif address.scheme == "tcp":
        send(uri, pdf, timeout=timeout, status_check=False)
    else:
        raise PrinterError(f"A4 通知书不能直接发送到 {address.scheme}:// 打印机：请在预览中打印，或选择系统打印机、"
                           "网络打印机或文件夹")


def _lease(uow: UnitOfWork, job_id: uuid.UUID, now: datetime, force: bool) -> tuple[PrintJob, PrinterProfile] | None:
    """Take the job for sending with one conditional UPDATE, and read its printer's profile in the same
    transaction (one round of the database less before the first byte); None if someone else has it or it
    is done."""
    with uow:
        s = uow.session
        cond = or_(PrintJob.status == "pending", (PrintJob.status == "sending") & (PrintJob.lease_until < now))
        if not force:
            cond = cond & (PrintJob.next_attempt_at <= now)
        result = s.execute(
            update(PrintJob).where(PrintJob.id == job_id, cond)
            .values(status="sending", lease_until=now + timedelta(seconds=SEND_TIMEOUT * 4 + 30))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        job = s.get(PrintJob, job_id)
        assert job is not None
        profile = profile_for(s, job.printer_uri) if job.printer_uri else PrinterProfile()
        s.expunge(job)
        uow.commit()
        return job, profile


def _printer_for_log(uri: str) -> str:
    """The printer without a file path (a ``file://`` folder may carry a user's name): scheme and host."""
    scheme, _, rest = (uri or "").partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else (scheme or "-")


def send_job(uow_factory: Any, job_id: uuid.UUID, *, force: bool = False, timeout: float = SEND_TIMEOUT) -> JobView:
    """Send one job now if it is due (or ``force``); returns its state afterwards.  Never raises for printer trouble."""
    now = utcnow()
    leased = _lease(uow_factory(), job_id, now, force)
    error = ""
    if leased is not None:
        job, profile = leased
        try:
            if not job.printer_uri:
                raise PrinterError(NO_PRINTER)
            payload = json.loads(job.payload)
            data = _render(job.kind, payload, profile, job.printer_uri)
            name = f"{payload.get('doc_no') or JOB_KINDS.get(job.kind, job.kind)}-{str(job.id)[:8]}"
            if job.kind == "notice":
                send_pdf(job.printer_uri, data, name, timeout)
            else:
                send(job.printer_uri, data, timeout=timeout, status_check=profile.status_check, job_name=name)
        except HallDeskError as exc:  # PrinterError, and ValidationError for a malformed URI
            error = exc.message[:250]
            cause = exc.__cause__ or exc.__context__
            log.warning("print job %s (%s) to %s failed, attempt %d: %s%s", job.id, job.kind,
                        _printer_for_log(job.printer_uri), job.attempts + 1, type(exc).__name__,
                        f" ({type(cause).__name__}: {cause})" if cause is not None else "")
        with uow_factory() as uow:
            row = uow.session.get(PrintJob, job_id)
            assert row is not None
            row.lease_until = None
            row.attempts += 1
            if error:
                row.last_error = error
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
                row.next_attempt_at = utcnow() + backoff(row.attempts)
            else:
                row.status = "printed"
                row.last_error = ""
                row.printed_at = utcnow()
            uow.commit()
    return get_job(uow_factory(), job_id)


# The applicant waits at the counter for the thermal slip; an A4 notice is rendered (a PDF) and printed after it.
SEND_ORDER = {"receipt": 0, "handover": 0, "test": 1, "notice": 2}


def send_case_jobs(uow_factory: Any, case_no: str, *, force: bool = False,
                   timeout: float = SEND_TIMEOUT) -> list[JobView]:
    """Send a case's waiting jobs now (those with a printer), the receipt first; returns all its jobs afterwards.

    ``send_job`` leases each job first, so a print worker running meanwhile never prints one twice.
    """
    waiting = [j for j in list_jobs(uow_factory(), case_no=case_no, status="pending") if j.printer]
    for job in sorted(waiting, key=lambda j: (SEND_ORDER.get(j.kind, 1), j.created_at)):
        send_job(uow_factory, job.id, force=force, timeout=timeout)
    return list_jobs(uow_factory(), case_no=case_no)


def send_slips_now(uow_factory: Any, case_id: uuid.UUID, *, timeout: float = SEND_TIMEOUT) -> list[JobView]:
    """Send a case's waiting thermal slips (its receipt, a hand-over slip) at once, before anything else of the
    case: right after the intake's commit, while the applicant waits at the counter."""
    with uow_factory() as uow:
        ids = list(uow.session.execute(
            select(PrintJob.id).where(PrintJob.case_id == case_id, PrintJob.kind.in_(("receipt", "handover")),
                                      PrintJob.status == "pending", PrintJob.printer_uri != "")
            .order_by(PrintJob.created_at)).scalars())
    return [send_job(uow_factory, job_id, timeout=timeout) for job_id in ids]


def due_job_ids(uow: UnitOfWork, counter_number: int | None = None, limit: int = 20) -> list[uuid.UUID]:
    now = utcnow()
    with uow:
        q = select(PrintJob.id).where(
            or_(PrintJob.status == "pending", (PrintJob.status == "sending") & (PrintJob.lease_until < now)),
            PrintJob.next_attempt_at <= now,
            # Without a printer a job waits for the clerk (preview, or redirect); retrying it helps nobody.
            PrintJob.printer_uri != "",
        )
        if counter_number is not None:
            q = q.join(Counter, PrintJob.counter_id == Counter.id).where(Counter.number == counter_number)
        notices_last = sql_case((PrintJob.kind == "notice", 1), else_=0)  # receipts first (SEND_ORDER)
        return list(uow.session.execute(q.order_by(notices_last, PrintJob.created_at).limit(limit)).scalars())


def process_due(uow_factory: Any, counter_number: int | None = None) -> list[JobView]:
    """One pass of the worker: send every due job of this counter (or all)."""
    return [send_job(uow_factory, jid) for jid in due_job_ids(uow_factory(), counter_number)]


# ---- the clerk's actions ------------------------------------------------------------------------------


def _job(s: Session, job_id: uuid.UUID | str) -> PrintJob:
    try:
        jid = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(f"打印任务 {job_id} 不存在") from None
    job = s.get(PrintJob, jid)
    if job is None:
        raise NotFound(f"打印任务 {job_id} 不存在")
    return job


def _case_no(s: Session, job: PrintJob) -> str | None:
    if job.case_id is None:
        return None
    case = s.get(Case, job.case_id)
    return case.case_no if case else None


def get_job(uow: UnitOfWork, job_id: uuid.UUID | str) -> JobView:
    with uow:
        job = _job(uow.session, job_id)
        return _view(job, _case_no(uow.session, job))


def list_jobs(uow: UnitOfWork, *, status: str | None = None, counter_number: int | None = None,
              case_no: str | None = None, limit: int = 200) -> list[JobView]:
    with uow:
        s = uow.session
        q = select(PrintJob, Case.case_no).outerjoin(Case, PrintJob.case_id == Case.id)
        if status == "pending":
            q = q.where(PrintJob.status.in_(("pending", "sending")))
        elif status:
            q = q.where(PrintJob.status == status)
        if counter_number is not None:
            q = q.join(Counter, PrintJob.counter_id == Counter.id).where(Counter.number == counter_number)
        if case_no:
            q = q.where(Case.case_no == case_no)
        rows = s.execute(q.order_by(PrintJob.created_at.desc()).limit(limit)).all()
        return [_view(job, no) for job, no in rows]


def _own_job(s: Session, actor: Actor, job_id: uuid.UUID | str) -> PrintJob:
    """The job, if ``actor`` may act on it: a clerk only on their own counter's jobs (receipts carry pickup
    codes), an admin on any."""
    job = _job(s, job_id)
    if actor.role == "admin":
        return job
    counter = s.get(Counter, job.counter_id) if job.counter_id else None
    if counter is None or counter.number != actor.counter_number:
        raise PermissionDenied(f"只能处理本窗口的打印任务（该任务属于{f'{counter.number}号窗口' if counter else '其他窗口'}）")
    return job


def retry_job(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID | str) -> uuid.UUID:
    """Make a pending or failed job due now (the caller then sends it)."""
    require(actor, "print.manage")
    with uow:
        job = _own_job(uow.session, actor, job_id)
        if job.status in ("printed", "cancelled"):
            raise Conflict(f"该打印任务{STATUS_NAMES[job.status]}，不能重试；如需再打请使用补打")
        job.status = "pending"
        job.lease_until = None
        job.next_attempt_at = utcnow()
        uow.audit(actor.username, "print.retry", "print_job", str(job.id), {"kind": job.kind})
        uow.commit()
        return job.id


def cancel_job(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID | str, reason: str = "") -> None:
    require(actor, "print.manage")
    limits.check(limits.CANCEL_REASON, reason, "reason")
    with uow:
        job = _own_job(uow.session, actor, job_id)
        if job.status == "printed":
            raise Conflict("该任务已打印，不能取消")
        if job.status == "sending":
            raise Conflict("该任务正在发送，请稍后再试")
        job.status = "cancelled"
        uow.audit(actor.username, "print.cancel", "print_job", str(job.id), {"kind": job.kind, "reason": reason})
        uow.commit()


def redirect_job(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID | str, printer_uri: str) -> uuid.UUID:
    """Send a waiting job to another printer (the counter's own jobs only: the new printer gets its content)."""
    require(actor, "print.redirect")
    limits.check(limits.JOB_PRINTER_URI, printer_uri, "printer_uri")
    parse_printer_uri(printer_uri)
    with uow:
        job = _own_job(uow.session, actor, job_id)
        if job.status in ("printed", "cancelled", "sending"):
            raise Conflict(f"该任务{STATUS_NAMES.get(job.status, '正在发送')}，不能改派")
        before = job.printer_uri
        job.printer_uri = printer_uri
        job.status = "pending"
        job.next_attempt_at = utcnow()
        uow.audit(actor.username, "print.redirect", "print_job", str(job.id), {"from": before, "to": printer_uri})
        uow.commit()
        return job.id


def mark_printed_elsewhere(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID | str, how: str) -> None:
    """The clerk printed an A4 notice from the preview (system printer): the job is done."""
    require(actor, "print.manage")
    with uow:
        job = _own_job(uow.session, actor, job_id)
        if job.status in ("printed", "cancelled"):
            return
        job.status = "printed"
        job.printed_at = utcnow()
        job.last_error = ""
        uow.audit(actor.username, "print.manual", "print_job", str(job.id), {"via": how})
        uow.commit()


def counter_folders(uow: UnitOfWork, counter_number: int) -> list[str]:
    """The folders a counter's folder printers write to (the demo's), for the print queue to say where."""
    with uow:
        counter = uow.session.execute(select(Counter).where(Counter.number == counter_number)).scalar_one_or_none()
        uris = [counter.printer_uri, counter.a4_printer_uri] if counter else []
    folders = []
    for uri in uris:
        try:
            address = parse_printer_uri(uri) if uri else None
        except ValidationError:
            continue
        if address is not None and address.scheme == "folder" and address.path not in folders:
            folders.append(address.path or "")
    return folders


@dataclass(frozen=True)
class JobContent:
    """What a job prints, for 预览: ESC/POS bytes with the profile they were made for, or an A4 PDF."""

    job_id: uuid.UUID
    kind: str  # receipt, handover, test, notice
    data: bytes
    profile: PrinterProfile
    pdf: bool
    printer: str


def job_content(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID | str) -> JobContent:
    """The bytes a job sends (rendered now, as the print worker would, with its printer's profile): a receipt
    carries the pickup code and slip, so only the counter's own clerks (and an admin) see it."""
    require(actor, "print.manage")
    with uow:
        s = uow.session
        job = _own_job(s, actor, job_id)
        profile = profile_for(s, job.printer_uri) if job.printer_uri else PrinterProfile()
        kind, payload, uri, jid = job.kind, json.loads(job.payload), job.printer_uri, job.id
    return JobContent(jid, kind, _render(kind, payload, profile, uri), profile, kind == "notice", uri)


def enqueue_test_page(uow: UnitOfWork, actor: Actor, printer_uri: str) -> uuid.UUID:
    """A 打印测试页 job for ``printer_uri``, on the actor's counter (so that they may retry or cancel it)."""
    require(actor, "printer.setup")
    limits.check(limits.JOB_PRINTER_URI, printer_uri, "printer_uri")
    parse_printer_uri(printer_uri)
    with uow:
        s = uow.session
        hall = read_settings(s)
        counter = (s.execute(select(Counter.id).where(Counter.number == actor.counter_number)).scalar_one_or_none()
                   if actor.counter_number else None)
        [job_id] = enqueue(s, [job_row(kind="test", payload={"hall_name": hall.name, "counter": actor.counter_number},
                                       requested_by=actor.username,
                                       printer_uri=printer_uri, counter_id=counter)])
        uow.commit()
        return job_id


def check_reprint_reason(reason: str) -> str:
    reason = limits.check(limits.PRINT_REASON, reason, "reason").strip()
    if not reason:
        raise ValidationError("reason", "补打须填写原因（如：回执遗失、打印不清）")
    return reason
