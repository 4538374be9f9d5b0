"""The two clocks of a case as the law counts them, and the notices that tell the applicant when they stop.

* 承诺时限 (``promised_due``): the hall's promise.  A back-office 退回补正 stops it; the applicant's 补正 at the
  counter restarts it with the working days that were left (never past the legal due date).
* 法定时限 (``legal_due``): the law's limit.  A 退回补正 does not stop it (行政许可法第45条 excludes only the
  time of 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审); a 特别程序 stops both clocks until it is over;
  a 延期 (第42条) moves it once by at most ten working days.

A stopped clock keeps its working days left (``paused_promised`` / ``paused_legal``) and shows as paused,
never as overdue.  The notices (补正通知书（审查阶段）, 特别程序告知书, 延期告知书) are issued by the deciding
department and printed at the counter that took the case; an online case, or one whose counter is gone, gets
its notice marked for mailing instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Actor
from app.cases import case_view
from app.errors import ValidationError
from app.hall_settings import local_date, read_settings
from app.infra.numbering import document_number, next_value
from app.lifecycle import Status
from app.printing import documents, queue
from app.printing.notice_templates import NoticeMaterial
from app.uow import UnitOfWork
from app.workdays import DueDate, WorkCalendar
from db.models import Case, MaterialRequirement, Notice, new_id

MAILED = "邮寄送达（受理窗口已撤销或为网上申请）"


def days_left(cal: WorkCalendar, on: date, due: date | None) -> int | None:
    """Working days left on a clock due ``due`` as of ``on`` (0 when it is due or past); None without a date."""
    return None if due is None else max(0, cal.workdays_between(on, due))


def pause_promised(case: Case, cal: WorkCalendar, now: datetime) -> int | None:
    """退回补正: the promised clock stops with its days left; the legal clock runs on."""
    case.paused_promised = days_left(cal, local_date(now), case.promised_due)
    case.paused_legal = None
    case.clock_paused_at = now
    return case.paused_promised


def resume_promised(case: Case, cal: WorkCalendar, on: date) -> None:
    """The applicant's 补正 is in: the promised clock runs again with the days that were left, but a promise
    never reaches past the law's limit."""
    if case.paused_promised is None:
        return
    promised = cal.add_workdays(on, case.paused_promised)
    due = promised.date
    if case.legal_due is not None and due > case.legal_due:
        due = case.legal_due
    case.promised_due = due
    case.due_provisional = case.due_provisional or promised.provisional
    case.promised_from, case.promised_days_from = on, case.paused_promised
    case.paused_promised = case.paused_legal = None
    case.clock_paused_at = None


def restart_both(case: Case, cal: WorkCalendar, on: date) -> None:
    """A 特别程序 is over: both clocks run again from ``on`` with the working days they had left."""
    promised = cal.add_workdays(on, case.paused_promised or 0)
    legal = cal.add_workdays(on, case.paused_legal or 0)
    case.promised_due, case.legal_due = min(promised.date, legal.date), legal.date
    case.due_provisional = promised.provisional or legal.provisional
    case.promised_from, case.promised_days_from = on, case.paused_promised or 0
    case.legal_from, case.legal_days_from = on, case.paused_legal or 0
    case.paused_promised = case.paused_legal = None
    case.clock_paused_at = None


def extend_legal(case: Case, cal: WorkCalendar, days: int) -> None:
    """延期: the legal clock gains ``days`` working days — counted on from its due date while it runs, added to
    its days left while a 特别程序 has stopped it."""
    if case.status == Status.SUSPENDED:
        case.paused_legal = (case.paused_legal or 0) + days
    elif case.legal_due is not None:
        moved = cal.add_workdays(case.legal_due, days)
        case.legal_due = moved.date
        case.due_provisional = case.due_provisional or moved.provisional
        if case.legal_days_from is not None:
            case.legal_days_from += days
    case.extension_days = days


def due_dates(case: Case, promised_days: int, legal_days: int, cal: WorkCalendar) -> tuple[DueDate, DueDate]:
    """A running case's due dates on ``cal`` (after the calendar changed): from where each clock last restarted,
    else from the acceptance day with the item's limits and the 延期; a promise never passes the law."""
    assert case.accepted_at is not None
    start = local_date(case.accepted_at)
    if case.legal_from is not None and case.legal_days_from is not None:
        legal = cal.add_workdays(case.legal_from, case.legal_days_from)
    else:
        legal = cal.add_workdays(start, legal_days + case.extension_days)
    if case.promised_from is not None and case.promised_days_from is not None:
        promised = cal.add_workdays(case.promised_from, case.promised_days_from)
        if promised.date > legal.date:
            promised = DueDate(legal.date, promised.provisional)
    else:
        promised = cal.add_workdays(start, promised_days)
    return promised, legal


@dataclass(frozen=True)
class Served:
    """A notice issued on the case: its number, and how it reaches the applicant."""

    kind: str
    doc_no: str
    delivery: str
    print_job: str | None  # at the taking counter's A4 printer; None when mailed

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "doc_no": self.doc_no, "delivery": self.delivery, "print_job": self.print_job}


def supply_list(s: Session, case: Case, codes: Sequence[str]) -> tuple[NoticeMaterial, ...]:
    """The materials a 退回补正 asks for, with the copy counts of the item's guide; refuses unknown codes."""
    wanted = [c.strip().upper() for c in codes if c.strip()]
    own = {m.code.upper(): m for m in case.materials}
    unknown = [c for c in wanted if c not in own]
    if unknown:
        raise ValidationError("supply", f"不是本办件的材料：{'、'.join(unknown)}（材料代码见办件详情）")
    guide = {r.code.upper(): r for r in s.execute(
        select(MaterialRequirement).where(MaterialRequirement.item_id == case.item_id)).scalars()}
    out = []
    for code in dict.fromkeys(wanted):
        m = own[code]
        g = guide.get(code)
        # A material never handed in is 缺少; one handed in must be handed in again, as the reasons say.
        never = m.state in ("missing", "tolerated") and m.supplemented_at is None
        out.append(NoticeMaterial(code=m.code, name=m.name, state="missing" if never else "defective",
                                  note="" if never else "见补正要求",
                                  originals=g.originals if g else m.originals, copies=g.copies if g else m.copies))
    return tuple(out)


def serve(uow: UnitOfWork, actor: Actor, case: Case, kind: str, now: datetime, *, reason: str,
          supply: tuple[NoticeMaterial, ...] = (), procedure: str = "", approver: str = "", extension_days: int = 0,
          previous_legal_due: date | None = None, promised_left: int | None = None,
          legal_left: int | None = None) -> Served:
    """Issue a clock notice of ``kind`` on ``case`` in ``uow``'s transaction: its number (the taking counter's
    sequence), the snapshot, and a print job at that counter's A4 printer, or the mark for mailing."""
    s = uow.session
    s.flush()
    hall = read_settings(s)
    counter = case.counter
    at_counter = counter is not None and counter.active
    delivery = f"由{counter.number}号窗口（受理窗口）送达" if at_counter and counter else MAILED
    counter_no = counter.number if counter is not None else 0
    year = local_date(now).year
    doc_no = document_number(hall.doc_prefix, kind, year, counter_no,
                             next_value(s, f"doc:{kind}:{counter_no:02d}", str(year)))
    view = case_view(case)
    content = documents.clock_notice(
        view, kind, doc_no, hall, clerk_name=actor.full_name, legal_basis=case.item.legal_basis, issued_at=now,
        reason=reason, delivery=delivery, supply=supply, procedure=procedure, approver=approver,
        extension_days=extension_days, previous_legal_due=previous_legal_due, promised_left=promised_left,
        legal_left=legal_left)
    payload = json.dumps(documents.notice_to_json(content), ensure_ascii=False)
    notice = Notice(id=new_id(), case_id=case.id, kind=kind, doc_no=doc_no, issued_at=now, issued_by=actor.username,
                    payload=payload)
    case.notices.append(notice)
    s.flush()
    job_id: str | None = None
    if at_counter and counter is not None:
        job = queue.job_row(kind="notice", payload={}, notice_id=notice.id, requested_by=actor.username,
                            case_id=case.id, counter_id=counter.id, printer_uri=counter.a4_printer_uri)
        job["payload"] = payload  # the notice as issued, encoded once
        [made] = queue.enqueue(s, [job])
        job_id = str(made)
    return Served(kind, doc_no, delivery, job_id)
