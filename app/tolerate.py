"""容缺 follow-through: the list of broken 容缺 promises, the 催补 reminder, 终止办理, and the public list of
what may be 容缺.

A 容缺 case was accepted on the applicant's written promise (容缺受理承诺书) to bring the missing materials by a
date (``case_material.supplement_due``, else the case's ``supplement_due``).  ``overdue`` lists the cases whose
promise is broken — a 容缺 material not brought in and past its date — with the days overdue in **calendar
days** (what the applicant reads on the 承诺书 and understands), most overdue first.  ``remind`` serves a
容缺材料催补通知书 (the case's status stays: ``Action.REMIND``); ``terminate`` ends the case (``Action.TERMINATE``)
with a 终止办理通知书, either because the promise is broken or because the applicant withdrew — never after the
hand-over (the lifecycle refuses from ``issued``).  Scope: a chief representative acts on the own department's
cases; a clerk terminates only on the applicant's withdrawal.

``tolerable_list`` is the hall's public A4 list of the items and their materials that may be 容缺, by
department (新府办发〔2024〕3号, measure 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import lifecycle, limits
from app.auth import Actor
from app.cases import CaseView, case_query, case_view, load_case
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, local_date, read_settings
from app.infra.numbering import document_number, next_value
from app.lifecycle import Action
from app.printing import documents, queue
from app.printing.notice_templates import NoticeMaterial
from app.printing.report import ReportColumn, TableReport, render_table_report
from app.roles import require
from app.uow import UnitOfWork
from app.validators import mask_name, mask_phone
from db.models import (
    Case,
    CaseMaterial,
    Counter,
    Department,
    MaterialRequirement,
    Notice,
    ServiceItem,
    new_id,
)
from db.types import utcnow

# The statuses in which the 容缺 promise still binds: accepted and not yet handed over (nor ended).
PENDING: tuple[str, ...] = tuple(lifecycle.TRANSITIONS[Action.REMIND])
WITHDRAWAL = "申请人申请撤回"


@dataclass(frozen=True)
class OverdueMaterial:
    code: str
    name: str
    due: date
    days_overdue: int  # calendar days past ``due``; 0 or less: not late yet


@dataclass(frozen=True)
class OverdueCase:
    """A case whose 容缺 promise is broken: its outstanding materials, the worst delay, the reminders served."""

    case_no: str
    status: str
    status_name: str
    item: str
    item_name: str
    dept: str
    dept_name: str
    applicant: str  # enterprise name, or the agent's masked name
    agent_phone: str  # masked
    counter: int | None
    due: date  # the earliest missed date
    days_overdue: int  # calendar days, the worst material
    materials: tuple[OverdueMaterial, ...]  # every outstanding 容缺 material (late or not)
    reminders: int
    last_reminded_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "case_no": self.case_no, "status": self.status, "status_name": self.status_name, "item": self.item,
            "item_name": self.item_name, "dept": self.dept, "dept_name": self.dept_name,
            "applicant": self.applicant, "agent_phone": self.agent_phone, "counter": self.counter,
            "due": self.due.isoformat(), "days_overdue": self.days_overdue,
            "materials": [{"code": m.code, "name": m.name, "due": m.due.isoformat(), "days_overdue": m.days_overdue}
                          for m in self.materials],
            "reminders": self.reminders,
            "last_reminded_at": (self.last_reminded_at.astimezone(HALL_TZ).isoformat(timespec="seconds")
                                 if self.last_reminded_at else None),
        }


@dataclass(frozen=True)
class Served:
    """A reminder or termination: the case afterwards, the notice's number, and its A4 print job if any."""

    case: CaseView
    kind: str  # reminder | termination
    doc_no: str
    print_job: str | None

    def as_json(self) -> dict[str, Any]:
        data = self.case.as_json()
        data.update({"notice": {"kind": self.kind, "doc_no": self.doc_no}, "print_job": self.print_job})
        return data


# ---- what is outstanding ----------------------------------------------------------------------------------------


def _outstanding(case: Case, today: date) -> list[OverdueMaterial]:
    """The case's 容缺 materials not brought in yet, with their dates (the material's, else the case's)."""
    found = []
    for m in case.materials:
        if m.state != "tolerated" or m.supplemented_at is not None:
            continue
        due = m.supplement_due or case.supplement_due
        if due is None:
            continue  # a 容缺 material without a date cannot be late
        found.append(OverdueMaterial(m.code, m.name, due, (today - due).days))
    return found


def _in_scope(actor: Actor, case: Case, what: str) -> None:
    if actor.role == "chief_rep" and case.dept_id != actor.dept_id:
        raise PermissionDenied(f"首席代表只能{what}本部门的办件")


def _overdue_case(case: Case, today: date, reminders: tuple[int, datetime | None]) -> OverdueCase:
    view = case_view(case)
    materials = _outstanding(case, today)
    late = [m for m in materials if m.days_overdue > 0]
    return OverdueCase(
        case_no=view.case_no, status=view.status, status_name=view.status_name, item=view.item,
        item_name=view.item_name, dept=view.dept, dept_name=view.dept_name,
        applicant=view.enterprise_name or mask_name(view.agent_name), agent_phone=mask_phone(view.agent_phone),
        counter=view.counter, due=min(m.due for m in late), days_overdue=max(m.days_overdue for m in late),
        materials=tuple(materials), reminders=reminders[0], last_reminded_at=reminders[1])


def overdue(uow: UnitOfWork, actor: Actor, *, dept: str | None = None, limit: int = 500) -> list[OverdueCase]:
    """Cases whose 容缺 materials are past their date, most overdue first (the chief representative's: the own
    department's only; the others' every department, or ``dept``)."""
    require(actor, "supplement.overdue")
    with uow:
        s = uow.session
        day = local_date(utcnow())
        late = (select(CaseMaterial.case_id).join(Case, CaseMaterial.case_id == Case.id)
                .where(CaseMaterial.state == "tolerated", CaseMaterial.supplemented_at.is_(None),
                       Case.status.in_(PENDING),
                       func.coalesce(CaseMaterial.supplement_due, Case.supplement_due) < day))
        if actor.role == "chief_rep":
            late = late.where(Case.dept_id == actor.dept_id)
        elif dept:
            found = s.execute(select(Department.id).where(Department.code == dept.strip().upper())).scalar_one_or_none()
            if found is None:
                raise NotFound(f"部门 {dept} 不存在")
            late = late.where(Case.dept_id == found)
        ids = set(s.execute(late).scalars())
        if not ids:
            return []
        cases = list(s.execute(case_query().where(Case.id.in_(ids))).scalars().unique())
        served = {row[0]: (int(row[1]), row[2]) for row in s.execute(
            select(Notice.case_id, func.count(), func.max(Notice.issued_at))
            .where(Notice.case_id.in_(ids), Notice.kind == "reminder").group_by(Notice.case_id))}
        rows = [_overdue_case(c, day, served.get(c.id, (0, None))) for c in cases]
    rows.sort(key=lambda r: (-r.days_overdue, r.due, r.case_no))
    return rows[:limit]


# ---- reminder and termination --------------------------------------------------------------------------------


def _locked_case(s: Session, case_no: str) -> Case:
    number = case_no.strip().upper()
    # The bare row first (FOR UPDATE with eager loads is not portable), then the whole case.
    if s.execute(select(Case.id).where(Case.case_no == number).with_for_update()).first() is None:
        raise NotFound(f"办件编号 {number} 不存在")
    return load_case(s, number)


def _serve(uow: UnitOfWork, actor: Actor, case: Case, kind: str, now: datetime, *, materials: list[OverdueMaterial],
           reason: str = "", withdrawn: bool = False) -> tuple[str, str | None]:
    """The notice of ``kind`` (numbered per counter and year, as the counter's other notices), and its A4 job
    when the actor's counter has an A4 printer (else it is printed from the preview or ``print notice``)."""
    s = uow.session
    hall = read_settings(s)
    counter_no = actor.counter_number or 0
    year = local_date(now).year
    doc_no = document_number(hall.doc_prefix, kind, year, counter_no,
                             next_value(s, f"doc:{kind}:{counter_no:02d}", str(year)))
    view = case_view(case)
    base = documents.notice_for_case(view, kind, doc_no, hall, clerk_name=actor.full_name, legal_basis="",
                                     issued_at=now)
    by_code = {m.code: m for m in view.materials}
    rows = tuple(NoticeMaterial(code=m.code, name=m.name, state="tolerated", due=m.due.isoformat(),
                                note=f"已逾期{m.days_overdue}日" if m.days_overdue > 0 else "未逾期",
                                originals=by_code[m.code].originals, copies=by_code[m.code].copies)
                 for m in materials)
    late = max((m.days_overdue for m in materials), default=0)
    appeal = kind == "termination" and not withdrawn
    notice = replace(base, materials=rows, reason=reason, overdue_days=str(late) if late > 0 else "",
                     supplement_due=documents.cn_date(min((m.due for m in materials), default=None)),
                     withdrawal=WITHDRAWAL if withdrawn else "",
                     # A termination for a broken promise is a decision against the applicant: say where to appeal.
                     review_authority=hall.review_authority if appeal else "", court=hall.court if appeal else "")
    payload = json.dumps(documents.notice_to_json(notice), ensure_ascii=False)
    row = Notice(id=new_id(), case_id=case.id, kind=kind, doc_no=doc_no, issued_at=now, issued_by=actor.username,
                 payload=payload)
    s.add(row)
    counter = (s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one_or_none()
               if actor.counter_number else None)
    job: str | None = None
    if counter is not None and counter.a4_printer_uri:
        s.flush()  # the job refers to the notice
        job_row = queue.job_row(kind="notice", payload={}, notice_id=row.id, requested_by=actor.username,
                                printer_uri=counter.a4_printer_uri, case_id=case.id, counter_id=counter.id)
        job_row["payload"] = payload
        [job_id] = queue.enqueue(s, [job_row])
        job = str(job_id)
    return doc_no, job


def remind(uow: UnitOfWork, actor: Actor, case_no: str) -> Served:
    """催补: a 容缺材料催补通知书 naming every outstanding 容缺 material; the case stays where it is."""
    require(actor, "case.remind")
    limits.check(limits.CASE_NO, case_no, "case_no")
    with uow:
        s = uow.session
        case = _locked_case(s, case_no)
        _in_scope(actor, case, "催补")
        lifecycle.require(Action.REMIND, case.status, case.case_no)
        now = utcnow()
        materials = _outstanding(case, local_date(now))
        if not materials:
            raise Conflict(f"办件 {case.case_no} 没有待补交的容缺材料，无需催补")
        doc_no, job = _serve(uow, actor, case, "reminder", now, materials=materials)
        late = max(m.days_overdue for m in materials)
        lifecycle.transition(uow, case, Action.REMIND, actor.username, at=now,
                             note=f"催补容缺材料（{doc_no}）" + (f"，已逾期{late}日" if late > 0 else ""),
                             audit={"doc_no": doc_no, "materials": [m.code for m in materials],
                                    "days_overdue": max(late, 0), "job": job})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return Served(view, "reminder", doc_no, job)


WITHDRAWAL_ONLY_MESSAGE = "窗口人员只能在申请人申请撤回时终止办理；容缺逾期的终止办理由承办部门首席代表决定"


def withdrawal_only(actor: Actor) -> bool:
    """Whether ``actor`` may terminate only on the applicant's withdrawal: a clerk does not decide that a 容缺
    promise is broken (the department's chief representative does)."""
    return actor.role == "clerk"


def terminate(uow: UnitOfWork, actor: Actor, case_no: str, reason: str, *, withdrawn: bool = False) -> Served:
    """终止办理 with a 终止办理通知书: on the applicant's withdrawal, or because the 容缺 promise is broken (a 容缺
    material past its date); never after the hand-over.  A clerk terminates only on a withdrawal."""
    require(actor, "case.terminate")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.TERMINATION_REASON, reason, "reason"))
    text = reason.strip()
    if not text:
        raise ValidationError("reason", "终止办理须写明理由")
    if withdrawal_only(actor) and not withdrawn:
        raise PermissionDenied(WITHDRAWAL_ONLY_MESSAGE)
    with uow:
        s = uow.session
        case = _locked_case(s, case_no)
        _in_scope(actor, case, "终止办理")
        lifecycle.require(Action.TERMINATE, case.status, case.case_no)
        now = utcnow()
        outstanding = _outstanding(case, local_date(now))
        late = [m for m in outstanding if m.days_overdue > 0]
        if not withdrawn and not late:
            raise Conflict(f"办件 {case.case_no} 没有逾期未补齐的容缺材料，不能以未履行容缺承诺为由终止办理；"
                           "申请人申请撤回的，请注明“申请人撤回”")
        doc_no, job = _serve(uow, actor, case, "termination", now, materials=[] if withdrawn else late,
                             reason=text, withdrawn=withdrawn)
        # A case under review leaves its holder: nobody decides a terminated case.
        case.holder_id = None
        case.lease_until = None
        case.finished_at = now
        lifecycle.transition(uow, case, Action.TERMINATE, actor.username, at=now,
                             note=f"终止办理（{WITHDRAWAL if withdrawn else '容缺材料逾期未补齐'}）：{text}",
                             audit={"reason": text, "withdrawn": withdrawn, "doc_no": doc_no,
                                    "overdue": [m.code for m in late], "job": job})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return Served(view, "termination", doc_no, job)


# ---- the public list ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TolerableItem:
    dept: str
    dept_name: str
    code: str
    name: str
    materials: tuple[tuple[str, str], ...]  # (code, name) of each material that may be 容缺

    def as_json(self) -> dict[str, Any]:
        return {"dept": self.dept, "dept_name": self.dept_name, "code": self.code, "name": self.name,
                "materials": [{"code": c, "name": n} for c, n in self.materials]}


def tolerable_items(uow: UnitOfWork) -> list[TolerableItem]:
    """Every offered item with at least one material that may be 容缺, by department and the catalog's order."""
    with uow:
        q = (select(Department.code, Department.name, ServiceItem.code, ServiceItem.name, MaterialRequirement.code,
                    MaterialRequirement.name)
             .join(ServiceItem, ServiceItem.dept_id == Department.id)
             .join(MaterialRequirement, MaterialRequirement.item_id == ServiceItem.id)
             .where(ServiceItem.active.is_(True), MaterialRequirement.tolerable.is_(True))
             .order_by(Department.sort_order, Department.code, ServiceItem.sort_order, ServiceItem.code,
                       MaterialRequirement.sort_order))
        items: dict[str, TolerableItem] = {}
        for dept, dept_name, code, name, m_code, m_name in uow.session.execute(q):
            item = items.get(code) or TolerableItem(dept, dept_name, code, name, ())
            items[code] = replace(item, materials=(*item.materials, (m_code, m_name)))
        return list(items.values())


def tolerable_list_pdf(uow: UnitOfWork) -> tuple[bytes, list[TolerableItem]]:
    """The public A4 list (可容缺受理事项及材料清单) as PDF, and its rows."""
    items = tolerable_items(uow)
    with uow:
        hall = read_settings(uow.session)
    now = utcnow()
    rows = tuple((str(i), it.dept_name, it.code, it.name, "；".join(n for _, n in it.materials))
                 for i, it in enumerate(items, 1))
    departments = len({it.dept for it in items})
    count = sum(len(it.materials) for it in items)
    report = TableReport(
        title="可容缺受理事项及容缺材料清单",
        header=hall.name,
        printed=f"公布日期：{documents.cn_date(local_date(now))}",
        lines=("下列事项的所列材料暂缺或者存在瑕疵的，申请人书面承诺在规定期限内补齐后，可以先予受理（新府办发〔2024〕3号）。",
               "逾期未补齐的，终止办理；已作出审批决定的，依法予以撤销。"),
        columns=(ReportColumn("序号", 14, centre=True), ReportColumn("承办部门", 40),
                 ReportColumn("事项编码", 30, centre=True), ReportColumn("事项名称", 82),
                 ReportColumn("可容缺的材料", 101)),
        rows=rows,
        empty="目前没有可容缺受理的事项。",
        closing=f"共{departments}个部门、{len(items)}项事项、{count}项可容缺材料。咨询电话：{hall.phone}",
        signatures=(),
    )
    return render_table_report(report), items
