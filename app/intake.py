"""Comprehensive intake (综合受理) at the front desk: one application in, one case out, in one transaction.

The clerk checks the applicant's materials against the item's list and picks an outcome:

* ``accept``     — every required material present (容缺受理 when only tolerable ones are missing);
* ``correction`` — 一次性告知: one notice lists every missing or defective material;
* ``refuse``     — 不予受理, with a reason and its legal basis;
* ``immediate``  — an immediate item (即办件) finished on the spot.

Everything the outcome causes — the case, its materials, its status history, the notices with their
document numbers, the print jobs and the audit row — is written in one unit of work, or nothing is.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app import keys, outbox
from app.auth import Actor, require_role
from app.cases import CaseView, case_view, load_case
from app.errors import Conflict, NotFound, ValidationError
from app.hall import HallSettings, load_calendar, local_date, read_settings
from app.numbering import case_number, document_number, next_value
from app.printing import documents, queue
from app.uow import UnitOfWork, retry_transient
from app.validators import check_id_number, check_mobile, check_uscc
from app.workdays import WorkCalendar
from db.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Counter,
    Enterprise,
    MaterialRequirement,
    Notice,
    ServiceItem,
    User,
    new_id,
)
from db.types import utcnow

OUTCOMES = {"accept": "受理", "correction": "补正", "refuse": "不予受理", "immediate": "即办"}
STATES = ("received", "missing", "defective", "tolerated", "waived")
CORRECTION_NOTICE_DAYS = 5  # 行政许可法第32条: serve the 补正 notice within 5 (working) days of receipt
REFUSAL_REASONS = (
    "申请事项依法不需要取得行政许可",
    "申请事项依法不属于本机关职权范围",
    "申请人不具备申请资格",
    "申请材料存在虚假内容",
    "申请人隐瞒有关情况或者提供虚假材料申请行政许可，一年内不得再次申请",
)


@dataclass(frozen=True)
class EnterpriseInput:
    uscc: str
    name: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class AgentInput:
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class MaterialInput:
    state: str
    originals: int | None = None
    copies: int | None = None
    electronic: bool = False
    note: str = ""


@dataclass(frozen=True)
class IntakeRequest:
    item: str
    agent: AgentInput
    materials: Mapping[str, MaterialInput]
    outcome: str
    enterprise: EnterpriseInput | None = None
    reason: str = ""
    legal_basis: str = ""
    supplement_due: date | None = None
    channel: str = "window"
    external_id: str | None = None
    received_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


# ---- parsing the CLI / import JSON -----------------------------------------------------------------


def request_from_json(doc: Any) -> IntakeRequest:
    """Build a request from ``case create``'s JSON; every shape problem is a ValidationError naming the field."""
    if not isinstance(doc, dict):
        raise ValidationError("json", "办件 JSON 应为对象")

    def text(obj: Mapping[str, Any], key: str, where: str) -> str:
        value = obj.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationError(f"{where}{key}", f"字段 {where}{key} 应为文本")
        return value

    ent = doc.get("enterprise")
    enterprise = None
    if ent is not None:
        if not isinstance(ent, dict):
            raise ValidationError("enterprise", "enterprise 应为对象")
        enterprise = EnterpriseInput(*(text(ent, k, "enterprise.") for k in ("uscc", "name", "legal_rep", "address", "phone")))
    agent = doc.get("agent")
    if not isinstance(agent, dict):
        raise ValidationError("agent", "缺少经办人信息（agent：name、id_number、phone）")
    mats = doc.get("materials", {})
    if not isinstance(mats, dict):
        raise ValidationError("materials", "materials 应为“材料编码: 状态”的对象")
    materials: dict[str, MaterialInput] = {}
    for code, value in mats.items():
        if isinstance(value, str):
            materials[str(code)] = MaterialInput(state=value)
        elif isinstance(value, dict) and isinstance(value.get("state"), str):
            try:
                materials[str(code)] = MaterialInput(
                    state=value["state"], originals=value.get("originals"), copies=value.get("copies"),
                    electronic=bool(value.get("electronic", False)), note=str(value.get("note", "")))
            except TypeError as exc:
                raise ValidationError(f"materials.{code}", f"材料 {code} 的写法不正确：{exc}") from None
        else:
            raise ValidationError(f"materials.{code}", f"材料 {code} 的状态应为 received、missing、defective、tolerated 或 waived")
    due = doc.get("supplement_due")
    supplement_due = None
    if due:
        try:
            supplement_due = date.fromisoformat(str(due))
        except ValueError:
            raise ValidationError("supplement_due", f"补交期限日期格式应为 YYYY-MM-DD：{due}") from None
    received = doc.get("received_at")
    received_at = None
    if received:
        try:
            received_at = datetime.fromisoformat(str(received))
        except ValueError:
            raise ValidationError("received_at", f"收件时间格式不正确：{received}") from None
        if received_at.tzinfo is None:
            raise ValidationError("received_at", "收件时间须带时区，如 2026-11-27T09:30:00+08:00")
    item = doc.get("item")
    if not isinstance(item, str) or not item:
        raise ValidationError("item", "缺少事项编码（item）")
    outcome = doc.get("outcome", "accept")
    return IntakeRequest(
        item=item, enterprise=enterprise,
        agent=AgentInput(text(agent, "name", "agent."), text(agent, "id_number", "agent."), text(agent, "phone", "agent.")),
        materials=materials, outcome=str(outcome), reason=text(doc, "reason", ""),
        legal_basis=text(doc, "legal_basis", ""), supplement_due=supplement_due,
        external_id=(str(doc["external_id"]) if doc.get("external_id") else None), received_at=received_at,
    )


# ---- checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    item: ServiceItem
    states: dict[str, MaterialInput]
    tolerated: bool


def _check_request(s: Session, req: IntakeRequest, today: date) -> _Checked:
    if req.outcome not in OUTCOMES:
        raise ValidationError("outcome", f"办理结果 {req.outcome} 不正确，可选：{'、'.join(OUTCOMES)}")
    item = s.execute(
        select(ServiceItem)
        .where(ServiceItem.code == req.item.strip().upper())
        .options(selectinload(ServiceItem.materials).joinedload(MaterialRequirement.covered_by),
                 joinedload(ServiceItem.department))
    ).scalar_one_or_none()
    if item is None or not item.active:
        raise ValidationError("item", f"事项编码 {req.item} 不存在或已停用")
    if not req.agent.name.strip():
        raise ValidationError("agent.name", "经办人姓名不能为空")
    check_id_number(req.agent.id_number, "agent.id_number")
    check_mobile(req.agent.phone, "agent.phone")
    if req.enterprise is not None:
        check_uscc(req.enterprise.uscc, "enterprise.uscc")
        if req.enterprise.phone:
            check_mobile(req.enterprise.phone, "enterprise.phone")
    by_code = {m.code: m for m in item.materials}
    for code in req.materials:
        if code not in by_code:
            raise ValidationError(f"materials.{code}", f"材料编码 {code} 不属于事项“{item.name}”")
    states: dict[str, MaterialInput] = {}
    for m in item.materials:
        given = req.materials.get(m.code)
        if given is None:
            # Unlisted: a 区域评估 covers it, or it was not brought.
            given = MaterialInput(state="waived" if m.covered_by_id else "missing")
        if given.state not in STATES:
            raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”的状态 {given.state} 不正确，可选：{'、'.join(STATES)}")
        if given.state == "tolerated" and not m.tolerable:
            raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”不在可容缺清单内，不能容缺受理")
        if given.state == "waived" and m.covered_by_id is None:
            raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”没有区域评估可以免除，不能标为免提交")
        if given.state == "defective" and not given.note.strip():
            raise ValidationError(f"materials.{m.code}", f"请写明材料“{m.name}”的问题（如：复印件不清晰、缺少签章）")
        for count_name in ("originals", "copies"):
            v = getattr(given, count_name)
            if v is not None and (not isinstance(v, int) or v < 0 or v > 99):
                raise ValidationError(f"materials.{m.code}", f"材料“{m.name}”的份数应为0–99")
        states[m.code] = given
    missing = [by_code[c] for c, g in states.items() if g.state in ("missing", "defective") and by_code[c].required]
    defective_any = [by_code[c] for c, g in states.items() if g.state == "defective"]
    tolerated = any(g.state == "tolerated" for g in states.values())
    names = "、".join(f"“{m.name}”" for m in missing)
    if req.outcome in ("accept", "immediate") and missing:
        raise ValidationError("materials", f"必需材料不齐，不能受理：缺少或有误的有{names}。可选择一次性告知补正，或对可容缺材料容缺受理")
    if req.outcome == "immediate":
        if not item.immediate:
            raise ValidationError("outcome", f"“{item.name}”不是即办件，不能当场办结")
        if tolerated:
            raise ValidationError("materials", "即办件须材料齐全，不能容缺")
    if req.outcome == "correction":
        if not missing and not defective_any:
            raise ValidationError("outcome", "没有缺少或有误的材料，无需补正：请直接受理")
        if tolerated:
            raise ValidationError("materials", "补正时不能同时容缺：请把容缺材料一并列入补正或改为容缺受理")
    if req.outcome == "refuse" and not req.reason.strip():
        raise ValidationError("reason", "不予受理必须写明理由")
    if req.supplement_due is not None and not tolerated:
        raise ValidationError("supplement_due", "没有容缺材料，无需补交期限")
    return _Checked(item=item, states=states, tolerated=tolerated)


def _enterprise(s: Session, data: EnterpriseInput | None) -> Enterprise | None:
    if data is None:
        return None
    uscc = check_uscc(data.uscc, "enterprise.uscc")
    ent = s.execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalar_one_or_none()
    if ent is None:
        if not data.name.strip():
            raise ValidationError("enterprise.name", f"统一社会信用代码 {uscc} 的企业尚未登记：请填写企业名称")
        fresh = Enterprise(uscc=uscc, name=data.name.strip(), legal_rep=data.legal_rep.strip(),
                           address=data.address.strip(),
                           contact_phone=check_mobile(data.phone, "enterprise.phone") if data.phone else "")
        try:
            # Two counters may register the same new enterprise at once: the second one uses the first's row.
            with s.begin_nested():
                s.add(fresh)
            return fresh
        except IntegrityError:
            ent = s.execute(select(Enterprise).where(Enterprise.uscc == uscc).with_for_update()).scalar_one()
    if ent is not None:
        # A known enterprise fills itself in; what the clerk typed fills gaps only.
        ent.legal_rep = ent.legal_rep or data.legal_rep.strip()
        ent.address = ent.address or data.address.strip()
    return ent


def lookup_enterprise(uow: UnitOfWork, uscc: str) -> EnterpriseInput | None:
    """The enterprise on record for a USCC (for the counter's fill-in), or None."""
    code = check_uscc(uscc)
    with uow:
        ent = uow.session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
        if ent is None:
            return None
        return EnterpriseInput(ent.uscc, ent.name, ent.legal_rep, ent.address, ent.contact_phone)


# ---- writing -------------------------------------------------------------------------------------------


def _counter_for(s: Session, actor: Actor, channel: str) -> Counter | None:
    if channel == "online":
        return None
    if actor.counter_number is None:
        raise ValidationError("counter", "您的账户没有分配窗口，不能在窗口受理：请管理员在用户管理中设置窗口")
    counter = s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one()
    if not counter.active:
        raise ValidationError("counter", f"{counter.number}号窗口已停用")
    return counter


def _issue_notice(uow: UnitOfWork, actor: Actor, case: Case, kind: str, hall: HallSettings,
                  counter_no: int, legal_basis: str) -> Notice:
    s = uow.session
    now = utcnow()
    year = local_date(now).year
    seq = next_value(s, f"doc:{kind}:{counter_no:02d}", str(year))
    doc_no = document_number(hall.doc_prefix, kind, year, counter_no, seq)
    notice_data = documents.notice_for_case(case_view(case), kind, doc_no, hall, clerk_name=actor.full_name,
                                            legal_basis=legal_basis, issued_at=now)
    notice = Notice(id=new_id(), case_id=case.id, kind=kind, doc_no=doc_no, issued_at=now, issued_by=actor.username,
                    payload=json.dumps(documents.notice_to_json(notice_data), ensure_ascii=False))
    case.notices.append(notice)
    return notice


def _output_counter(s: Session) -> int | None:
    return s.execute(
        select(Counter.number).where(Counter.kind == "output", Counter.active.is_(True)).order_by(Counter.number)
    ).scalars().first()


def document_jobs(s: Session, actor: Actor, case: Case, notices: list[Notice], counter: Counter | None,
                  hall: HallSettings) -> list[dict[str, Any]]:
    """Print jobs (as rows) for what the applicant takes home: the receipt and the A4 notices."""
    rows: list[dict[str, Any]] = []
    counter_id = counter.id if counter else None
    if case.status != "refused":
        receipt = documents.receipt_for_case(case_view(case), hall, output_counter=_output_counter(s),
                                             clerk_name=case.clerk.full_name if case.clerk else actor.full_name)
        rows.append(queue.job_row(kind="receipt", payload=documents.receipt_to_json(receipt),
                                  requested_by=actor.username, case_id=case.id, counter_id=counter_id,
                                  printer_uri=counter.printer_uri if counter else ""))
    for notice in notices:
        rows.append(queue.job_row(kind="notice", payload=json.loads(notice.payload), notice_id=notice.id,
                                  requested_by=actor.username, case_id=case.id, counter_id=counter_id,
                                  printer_uri=counter.a4_printer_uri if counter else ""))
    return rows


def _row(obj: Any) -> dict[str, Any]:
    """An in-memory (never added) ORM object as a row for a plain INSERT; every NOT NULL column must be set."""
    row = {}
    for column in sa_inspect(type(obj)).columns:
        value = getattr(obj, column.key)
        if value is None and not column.nullable:
            raise ValueError(f"{type(obj).__name__}.{column.key} not set")
        row[column.key] = value
    return row


def _record(actor: Actor, case: Case, action: str, before: str, note: str = "") -> None:
    case.events.append(CaseEvent(id=new_id(), case_id=case.id, at=utcnow(), actor=actor.username, action=action,
                                 from_status=before, to_status=case.status, note=note))


def _apply_materials(case: Case, checked: _Checked, supplement_due: date | None) -> None:
    by_code = {m.code: m for m in checked.item.materials}
    existing = {m.code: m for m in case.materials}
    for order, (code, given) in enumerate(checked.states.items()):
        req: MaterialRequirement = by_code[code]
        row = existing.get(code)
        if row is None:
            row = CaseMaterial(id=new_id(), case_id=case.id, code=code, supplemented_at=None)
            case.materials.append(row)
        row.name = req.name
        row.required = req.required
        row.state = given.state
        received = given.state == "received"
        row.originals = given.originals if given.originals is not None else (req.originals if received else 0)
        row.copies = given.copies if given.copies is not None else (req.copies if received else 0)
        row.electronic = given.electronic
        row.note = given.note.strip()
        row.assessment = req.covered_by.name if given.state == "waived" and req.covered_by else ""
        row.supplement_due = supplement_due if given.state == "tolerated" else None
        row.sort_order = order


def _accept(case: Case, checked: _Checked, req: IntakeRequest, on: datetime, today: date, cal: WorkCalendar) -> None:
    """Set acceptance, due dates and the 容缺 deadline; the acceptance day is ``on``."""
    start = local_date(on)
    promised = cal.add_workdays(start, checked.item.promised_days)
    legal = cal.add_workdays(start, checked.item.legal_days)
    case.accepted_at = on
    case.promised_due, case.legal_due = promised.date, legal.date
    case.due_provisional = promised.provisional or legal.provisional
    case.supplement_due = None
    if checked.tolerated:
        due = req.supplement_due or promised.date
        if due <= today:
            raise ValidationError("supplement_due", "补交期限须晚于今天")
        if due > promised.date:
            raise ValidationError("supplement_due",
                                  f"补交期限不能晚于承诺办结日 {promised.date.isoformat()}（容缺补交期限不超过承诺时限）")
        case.supplement_due = due


@retry_transient
def take_application(uow: UnitOfWork, actor: Actor, req: IntakeRequest, *, key_dir: Path | None = None) -> CaseView:
    """The whole intake as one transaction: returns the case as stored."""
    require_role(actor, "clerk", "admin")
    if req.channel not in ("window", "online"):
        raise ValidationError("channel", "渠道应为 window（窗口）或 online（网上）")
    with uow:
        s = uow.session
        # The case is built as plain objects, never added to the session, and written with plain INSERTs
        # (several rows per statement): an intake is the hall's hottest write.
        with s.no_autoflush:
            case, jobs = _build_case(uow, actor, req, key_dir)
            view = case_view(case)
        s.execute(insert(Case), [_row(case)])
        s.execute(insert(CaseMaterial), [_row(m) for m in case.materials])
        s.execute(insert(CaseEvent), [_row(e) for e in case.events])
        if case.notices:
            s.execute(insert(Notice), [_row(n) for n in case.notices])
        queue.enqueue(s, jobs)
        outbox.record(uow, case.id)  # a counter's local store queues the case for the shared database
        uow.commit()
        return view


def _build_case(uow: UnitOfWork, actor: Actor, req: IntakeRequest,
                key_dir: Path | None) -> tuple[Case, list[dict[str, Any]]]:
    s = uow.session
    now = utcnow()
    today = local_date(now)
    received_at = req.received_at or now
    if received_at > now:
        raise ValidationError("received_at", "收件时间不能晚于现在")
    checked = _check_request(s, req, today)
    counter = _counter_for(s, actor, req.channel)
    counter_no = counter.number if counter else 0
    hall = read_settings(s)
    cal = load_calendar(s)
    ent = _enterprise(s, req.enterprise)
    yymmdd = local_date(received_at if req.channel == "online" else now).strftime("%y%m%d")
    seq = next_value(s, f"case:{counter_no:02d}", yymmdd)
    clerk = s.get(User, actor.user_id)
    case = Case(
        id=new_id(), case_no=case_number(hall.code, counter_no, yymmdd, seq), item=checked.item, enterprise=ent,
        item_id=checked.item.id, enterprise_id=ent.id if ent else None, counter_id=counter.id if counter else None,
        clerk_id=actor.user_id,
        agent_name=req.agent.name.strip(), agent_id_number=check_id_number(req.agent.id_number),
        agent_phone=check_mobile(req.agent.phone), channel=req.channel, counter=counter,
        clerk=clerk, status="accepted", received_at=received_at, accepted_at=None, finished_at=None,
        supplement_due=None, promised_due=None, legal_due=None,
        pickup_code=f"{secrets.randbelow(10**6):06d}", external_id=req.external_id, materials=[], events=[],
        notices=[], refusal_reason="", refusal_basis="", deemed_accepted=False, due_provisional=False,
        slip="", version=1, created_at=now, updated_at=now,
        dept_id=checked.item.dept_id, department=checked.item.department, claim_token=0, decision_reason="",
        decision_basis="", result_docs="",
    )
    supplement_due = None
    if checked.tolerated:
        supplement_due = req.supplement_due or cal.add_workdays(today, checked.item.promised_days).date
    _apply_materials(case, checked, supplement_due)
    case.correction_deadline = cal.add_workdays(local_date(received_at), CORRECTION_NOTICE_DAYS).date
    notices_kinds: list[str] = []
    if req.outcome == "accept":
        _accept(case, checked, req, now, today, cal)
        case.status = "accepted"
        notices_kinds = ["acceptance", "tolerated"] if checked.tolerated else ["acceptance"]
    elif req.outcome == "immediate":
        _accept(case, checked, req, now, today, cal)
        case.status = "completed_immediately"
        case.finished_at = now
    elif req.outcome == "correction":
        if today > case.correction_deadline:
            # 行政许可法第32条: too late to ask for corrections — the application counts as accepted
            # on the day it was received.
            _accept(case, checked, req, received_at, today, cal)
            case.status = "accepted"
            case.deemed_accepted = True
            notices_kinds = ["acceptance"]
        else:
            case.status = "correction_requested"
            case.refusal_reason = req.reason.strip()
            notices_kinds = ["correction"]
    else:
        case.status = "refused"
        case.refusal_reason = req.reason.strip()
        case.refusal_basis = req.legal_basis.strip() or documents.DEFAULT_REFUSAL_BASIS
        case.finished_at = now
        notices_kinds = ["refusal"]
    if counter is not None:
        case.slip = keys.signer_for(s, counter_no, key_dir).sign(case.case_no, case.pickup_code)
    _record(actor, case, f"intake.{req.outcome}", "", "网上申请导入" if req.channel == "online" else "")
    notices = [_issue_notice(uow, actor, case, k, hall, counter_no, checked.item.legal_basis) for k in notices_kinds]
    jobs = document_jobs(s, actor, case, notices, counter, hall) if req.channel == "window" else []
    uow.audit(actor.username, "case.create", "case", str(case.id), {
        "case_no": case.case_no, "item": checked.item.code, "outcome": req.outcome, "status": case.status,
        "channel": req.channel, "tolerated": checked.tolerated, "notices": [n.doc_no for n in notices],
    })
    return case, jobs


@retry_transient
def resubmit(uow: UnitOfWork, actor: Actor, case_no: str, materials: Mapping[str, MaterialInput],
             supplement_due: date | None = None, *, key_dir: Path | None = None) -> CaseView:
    """The applicant is back with the corrections: the case is accepted today (acceptance date = today)."""
    require_role(actor, "clerk", "admin")
    with uow:
        s = uow.session
        case = load_case(s, case_no.strip().upper(), lock=True)
        if case.status not in ("correction_requested", "returned"):
            raise Conflict(f"办件 {case.case_no} 当前状态为“{case_view(case).status_name}”，不是待补正，不能补正受理")
        now = utcnow()
        today = local_date(now)
        merged = {m.code: MaterialInput(m.state, m.originals, m.copies, m.electronic, m.note) for m in case.materials}
        merged.update(materials)
        req = IntakeRequest(item=case.item.code, agent=AgentInput(case.agent_name, case.agent_id_number, case.agent_phone),
                            materials=merged, outcome="accept", supplement_due=supplement_due)
        checked = _check_request(s, req, today)
        counter = _counter_for(s, actor, "window")
        counter_no = counter.number if counter else 0
        hall = read_settings(s)
        before = case.status
        supplement = None
        if checked.tolerated:
            supplement = supplement_due or load_calendar(s).add_workdays(today, checked.item.promised_days).date
        _apply_materials(case, checked, supplement)
        cal = load_calendar(s)
        paused = (case.paused_promised, case.paused_legal) if before == "returned" else (None, None)
        first_accepted = case.accepted_at
        _accept(case, checked, req, now, today, cal)
        if paused[0] is not None and paused[1] is not None:
            # Back from a 退回补正: the clock resumes with the working days that were left, it does not restart,
            # and the case keeps its original acceptance date.
            case.accepted_at = first_accepted or case.accepted_at
            promised, legal = cal.add_workdays(today, paused[0]), cal.add_workdays(today, paused[1])
            case.promised_due, case.legal_due = promised.date, legal.date
            case.due_provisional = promised.provisional or legal.provisional
            case.paused_promised = case.paused_legal = None
        case.status = "accepted"
        case.version += 1
        _record(actor, case, "intake.resubmit", before, "申请人补正后受理")
        kinds = ["acceptance", "tolerated"] if checked.tolerated else ["acceptance"]
        notices = [_issue_notice(uow, actor, case, k, hall, counter_no, checked.item.legal_basis) for k in kinds]
        s.flush()
        queue.enqueue(s, document_jobs(s, actor, case, notices, counter, hall))
        outbox.record(uow, case.id)
        uow.audit(actor.username, "case.resubmit", "case", str(case.id),
                  {"case_no": case.case_no, "notices": [n.doc_no for n in notices]})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return view


def import_online(uow_factory: Any, actor: Actor, lines: list[str]) -> list[tuple[int, str, str]]:
    """Online applications (JSON lines) into the same queues, idempotent by ``external_id``.

    Returns (line number, external id, result) per line: a case number, ``exists:<case_no>`` or an error.
    Each line is its own transaction: one bad line does not stop the others.
    """
    require_role(actor, "clerk", "admin")
    results: list[tuple[int, str, str]] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            results.append((lineno, "", f"error:第{lineno}行不是有效的 JSON：{exc.msg}"))
            continue
        ext = str(doc.get("external_id") or "") if isinstance(doc, dict) else ""
        if not ext:
            results.append((lineno, "", f"error:第{lineno}行缺少 external_id"))
            continue
        with uow_factory() as uow:
            found = uow.session.execute(select(Case.case_no).where(Case.external_id == ext)).scalar_one_or_none()
        if found:
            results.append((lineno, ext, f"exists:{found}"))
            continue
        try:
            req = request_from_json(doc)
            req = IntakeRequest(**{**req.__dict__, "channel": "online"})
            view = take_application(uow_factory(), actor, req)
            results.append((lineno, ext, view.case_no))
        except (ValidationError, NotFound, Conflict) as exc:
            results.append((lineno, ext, f"error:{exc.message}"))
    return results
