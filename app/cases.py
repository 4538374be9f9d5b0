"""Reading cases: the case as the CLI's JSON and the GUI's tables show it, search and lists."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from app import lifecycle, limits
from app.auth import Actor
from app.errors import NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, local_date, today
from app.roles import require
from app.uow import UnitOfWork
from app.validators import mask_id_number, mask_name, mask_phone
from db.models import Case, Counter, Department, Enterprise, ServiceItem, User

STATUSES: dict[str, str] = lifecycle.STATUS_NAMES
MATERIAL_STATES: dict[str, str] = {
    "received": "已收",
    "missing": "缺少",
    "defective": "有误",
    "tolerated": "容缺",
    "waived": "免提交",
    "not_submitted": "未提交",
    "pending": "待核验",  # the counter's checklist only: never stored
}
CHANNELS = {"window": "窗口", "online": "网上"}
# The material states in which nothing was handed in at the counter.
NOTHING_HANDED_IN = frozenset({"missing", "tolerated", "waived", "not_submitted", "pending"})


@dataclass(frozen=True)
class CaseMaterialView:
    code: str
    name: str
    required: bool
    state: str
    originals: int
    copies: int
    electronic: bool
    note: str
    assessment: str
    supplement_due: date | None
    supplemented_at: datetime | None
    # What the item's guide asks for (原件 n 份, 复印件 m 份): the notices list it for what is still to come.
    need_originals: int = 0
    need_copies: int = 0

    @property
    def state_name(self) -> str:
        return MATERIAL_STATES[self.state]

    @property
    def handed_in(self) -> bool:
        """Whether paper changed hands: its 原件/复印件 counts mean something (not for 缺少, 容缺 not yet
        补交, 免提交, 未提交)."""
        return self.state not in NOTHING_HANDED_IN or self.supplemented_at is not None


@dataclass(frozen=True)
class NoticeRef:
    kind: str
    doc_no: str
    issued_at: datetime


@dataclass(frozen=True)
class ClockView:
    """The case's two clocks as the law counts them (app.clocks): what is paused, why, and the one 延期."""

    paused_promised: int | None = None  # working days left on the stopped promised clock
    paused_legal: int | None = None  # … on the stopped legal clock
    paused_at: datetime | None = None
    procedure: str = ""  # the 特别程序 in progress (行政许可法第45条)
    procedure_reason: str = ""
    extension_days: int = 0  # the 延期 (第42条), 0 when none
    extension_approver: str = ""
    extension_reason: str = ""

    def state(self, status: str, clock: str) -> str:
        """``running``, ``paused`` or ``stopped`` (decided, finished, not accepted) for ``clock``."""
        if status == lifecycle.Status.SUSPENDED or (clock == "promised" and status == lifecycle.Status.RETURNED):
            return "paused"
        if status in lifecycle.CLOCK_RUNNING or (clock == "legal" and status == lifecycle.Status.RETURNED):
            return "running"
        return "stopped"

    def as_json(self, status: str) -> dict[str, Any]:
        return {
            "promised": self.state(status, "promised"), "legal": self.state(status, "legal"),
            "promised_days_left": self.paused_promised if self.state(status, "promised") == "paused" else None,
            "legal_days_left": self.paused_legal if self.state(status, "legal") == "paused" else None,
            "paused_at": self.paused_at.astimezone(HALL_TZ).isoformat(timespec="seconds") if self.paused_at else None,
            "special_procedure": ({"procedure": self.procedure, "reason": self.procedure_reason}
                                  if self.procedure else None),
            "extension": ({"days": self.extension_days, "approver": self.extension_approver,
                           "reason": self.extension_reason} if self.extension_days else None),
        }


def clock_view(case: Case) -> ClockView:
    return ClockView(case.paused_promised, case.paused_legal, case.clock_paused_at, case.special_procedure,
                     case.special_reason, case.extension_days, case.extension_approver, case.extension_reason)


@dataclass(frozen=True)
class CaseEventView:
    """One step of a case's history: who moved it, from what to what, and why (opinions included)."""

    at: datetime
    actor: str
    action: str
    from_status: str
    to_status: str
    note: str


@dataclass(frozen=True)
class DecisionView:
    """The back office's decision as made: 准予 or 不予, its reasons, its legal basis, and its written document."""

    result: str  # approve | deny
    reason: str
    legal_basis: str
    decided_at: datetime
    decided_by: str  # user name
    doc_no: str | None  # the 决定书 / 办理结果通知书; None for a decision made before they existed

    def as_json(self) -> dict[str, Any]:
        return {"result": self.result, "reason": self.reason, "legal_basis": self.legal_basis,
                "decided_at": self.decided_at.astimezone(HALL_TZ).isoformat(timespec="seconds"),
                "decided_by": self.decided_by, "doc_no": self.doc_no}


@dataclass(frozen=True)
class PaperState:
    """Where a window case's paper folder is (材料流转), read from its history: ``counter`` (在窗口), ``sent``
    (流转中, with the 交接单's number), ``received`` (已送达部门) or ``missing`` (未到)."""

    state: str
    batch_no: str | None = None

    @property
    def name(self) -> str:
        text = PAPER_STATES[self.state]
        return f"{text}（交接单 {self.batch_no}）" if self.state == "sent" and self.batch_no else text

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "name": PAPER_STATES[self.state], "batch_no": self.batch_no}


PAPER_STATES = {"counter": "在窗口", "sent": "流转中", "received": "已送达部门", "missing": "未到"}
_PAPER_STATE_OF = {lifecycle.PAPER_SENT: "sent", lifecycle.PAPER_RECEIVED: "received",
                   lifecycle.PAPER_MISSING: "missing"}
_BATCH_IN_NOTE = re.compile(r"交接单 ([0-9A-Z-]+)")


@dataclass(frozen=True)
class CaseView:
    id: uuid.UUID
    case_no: str
    status: str
    channel: str
    item: str
    item_name: str
    dept: str
    dept_name: str
    counter: int | None
    clerk: str | None
    enterprise_uscc: str | None
    enterprise_name: str | None
    agent_name: str
    agent_id_number: str
    agent_phone: str
    received_at: datetime
    accepted_at: datetime | None
    promised_due: date | None
    legal_due: date | None
    due_provisional: bool
    # Empty unless the caller may read them (``credentials=True``: the taking counter's intake, a receipt):
    # whoever holds the pickup code and the slip can collect the result.
    pickup_code: str
    slip: str
    supplement_due: date | None
    correction_deadline: date | None
    deemed_accepted: bool
    refusal_reason: str
    refusal_basis: str
    finished_at: datetime | None
    external_id: str | None
    materials: tuple[CaseMaterialView, ...]
    notices: tuple[NoticeRef, ...]
    history: tuple[CaseEventView, ...] = ()
    clock: ClockView = ClockView()
    item_kind: str = ""  # 行政许可, 公共服务, …: which law and which documents apply
    decision: DecisionView | None = None

    @property
    def status_name(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def paper(self) -> PaperState | None:
        """Where the paper folder is, from the history's 材料流转 events (no query); None when the case keeps
        none: an online application, or one not accepted at the window (refused, 补正, 即办)."""
        if self.channel != "window":
            return None
        last = next((e for e in reversed(self.history) if e.action in _PAPER_STATE_OF), None)
        if last is not None:
            found = _BATCH_IN_NOTE.search(last.note)
            return PaperState(_PAPER_STATE_OF[last.action], found.group(1) if found else None)
        if self.accepted_at is not None and self.status in lifecycle.FOLDER_STATUSES:
            return PaperState("counter")
        return None

    @property
    def tolerated(self) -> bool:
        return any(m.state == "tolerated" for m in self.materials)

    def as_json(self) -> dict[str, Any]:
        """The case as ``case create|show|list --json`` print it (personal data masked)."""

        def ts(v: datetime | None) -> str | None:
            return v.astimezone(HALL_TZ).isoformat(timespec="seconds") if v else None

        def d(v: date | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "case_no": self.case_no,
            "id": str(self.id),
            "status": self.status,
            "channel": self.channel,
            "item": self.item,
            "item_name": self.item_name,
            "dept": self.dept,
            "counter": self.counter,
            "clerk": self.clerk,
            "enterprise": {"uscc": self.enterprise_uscc, "name": self.enterprise_name},
            "agent": {"name": mask_name(self.agent_name), "id_number": mask_id_number(self.agent_id_number),
                      "phone": mask_phone(self.agent_phone)},
            "received_at": ts(self.received_at),
            "accepted_at": ts(self.accepted_at),
            "promised_due": d(self.promised_due),
            "legal_due": d(self.legal_due),
            "due_provisional": self.due_provisional,
            "correction_deadline": d(self.correction_deadline),
            "deemed_accepted": self.deemed_accepted,
            "supplement_due": d(self.supplement_due),
            "reason": self.refusal_reason,
            "legal_basis": self.refusal_basis,
            "finished_at": ts(self.finished_at),
            "external_id": self.external_id,
            **({"pickup_code": self.pickup_code, "slip": self.slip} if self.pickup_code else {}),
            "materials": [
                {"code": m.code, "name": m.name, "required": m.required, "state": m.state, "originals": m.originals, "copies": m.copies,
                 "electronic": m.electronic, "note": m.note, "assessment": m.assessment or None,
                 "supplement_due": d(m.supplement_due)}
                for m in self.materials
            ],
            "commitments": [
                {"material": m.code, "name": m.name, "due": d(m.supplement_due),
                 "supplemented_at": ts(m.supplemented_at)}
                for m in self.materials if m.state == "tolerated"
            ],
            "decision": self.decision.as_json() if self.decision else None,
            "notices": [{"kind": n.kind, "doc_no": n.doc_no} for n in self.notices],
            "history": [
                {"at": ts(e.at), "actor": e.actor, "action": e.action, "from": e.from_status, "to": e.to_status,
                 "note": e.note}
                for e in self.history
            ],
            "clock": self.clock.as_json(self.status),
            "paper": paper.as_json() if (paper := self.paper) else None,
        }


# The columns of hd_case, hd_case_material, hd_notice and hd_case_event that a CaseView shows.
CASE_VIEW_COLUMNS = ("id", "case_no", "status", "channel", "agent_name", "agent_id_number", "agent_phone",
                     "received_at", "accepted_at", "promised_due", "legal_due", "due_provisional", "pickup_code",
                     "slip", "supplement_due", "correction_deadline", "deemed_accepted", "refusal_reason",
                     "refusal_basis", "finished_at", "external_id")
_MATERIAL_COLUMNS = ("code", "name", "required", "state", "originals", "copies", "electronic", "note", "assessment",
                     "supplement_due", "supplemented_at")
_NOTICE_COLUMNS = ("kind", "doc_no", "issued_at")
_EVENT_COLUMNS = ("at", "actor", "action", "from_status", "to_status", "note")


@dataclass(frozen=True)
class ItemHeading:
    """What a CaseView shows of the service item and the handling department."""

    code: str
    name: str
    kind: str
    dept_code: str
    dept_name: str


def build_case_view(c: Mapping[str, Any], item: ItemHeading, *, counter: int | None, clerk: str | None,
                    enterprise: tuple[str, str] | None, materials: Iterable[Mapping[str, Any]],
                    guide: Mapping[str, tuple[int, int]], notices: Iterable[Mapping[str, Any]],
                    events: Iterable[Mapping[str, Any]], credentials: bool, clock: ClockView = ClockView(),
                    decision: DecisionView | None = None) -> CaseView:
    """The one builder of ``CaseView``: from a case's column values and those of its rows.

    ``case_view`` feeds it a loaded case; an intake feeds it the rows it is about to write (no reload).
    ``guide``: material code -> (原件, 复印件) the item asks for; ``enterprise``: (USCC, name).  The pickup code
    and slip only with ``credentials`` (the caller has checked ``may_read_credentials``)."""
    return CaseView(
        id=c["id"], case_no=c["case_no"], status=c["status"], channel=c["channel"], item=item.code,
        item_name=item.name, dept=item.dept_code, dept_name=item.dept_name, counter=counter, clerk=clerk,
        enterprise_uscc=enterprise[0] if enterprise else None, enterprise_name=enterprise[1] if enterprise else None,
        agent_name=c["agent_name"], agent_id_number=c["agent_id_number"], agent_phone=c["agent_phone"],
        received_at=c["received_at"], accepted_at=c["accepted_at"], promised_due=c["promised_due"],
        legal_due=c["legal_due"], due_provisional=c["due_provisional"],
        pickup_code=c["pickup_code"] if credentials else "", slip=c["slip"] if credentials else "",
        supplement_due=c["supplement_due"], correction_deadline=c["correction_deadline"],
        deemed_accepted=c["deemed_accepted"], refusal_reason=c["refusal_reason"], refusal_basis=c["refusal_basis"],
        finished_at=c["finished_at"], external_id=c["external_id"],
        materials=tuple(
            CaseMaterialView(m["code"], m["name"], m["required"], m["state"], m["originals"], m["copies"],
                             m["electronic"], m["note"], m["assessment"], m["supplement_due"], m["supplemented_at"],
                             *guide.get(m["code"], (0, 0)))
            for m in materials
        ),
        notices=tuple(NoticeRef(n["kind"], n["doc_no"], n["issued_at"]) for n in notices),
        history=tuple(CaseEventView(e["at"], e["actor"], e["action"], e["from_status"], e["to_status"], e["note"])
                      for e in sorted(events, key=lambda e: e["at"])),
        clock=clock, item_kind=item.kind, decision=decision,
    )


def _columns(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def case_view(case: Case, *, credentials: bool = False) -> CaseView:
    """The case as screens and JSON show it; the pickup code and slip only with ``credentials`` (the caller has
    checked ``may_read_credentials``)."""
    item = case.item
    # The handling department: the item's, unless a 转办 moved the case.
    dept = case.department or item.department
    return build_case_view(
        _columns(case, CASE_VIEW_COLUMNS), ItemHeading(item.code, item.name, item.kind, dept.code, dept.name),
        counter=case.counter.number if case.counter else None,
        clerk=case.clerk.full_name if case.clerk else None,
        enterprise=(case.enterprise.uscc, case.enterprise.name) if case.enterprise else None,
        materials=[_columns(m, _MATERIAL_COLUMNS) for m in case.materials],
        guide={m.code: (m.originals, m.copies) for m in item.materials},
        notices=[_columns(n, _NOTICE_COLUMNS) for n in case.notices],
        events=[_columns(e, _EVENT_COLUMNS) for e in case.events],
        credentials=credentials, clock=clock_view(case), decision=_decision(case),
    )


_DECIDED = {lifecycle.Action.APPROVE.value: "approve", lifecycle.Action.DENY.value: "deny"}


def _decision(case: Case) -> DecisionView | None:
    """The approval or denial, from the case and its history's decision event (who made it)."""
    if case.decided_at is None:
        return None
    event = next((e for e in sorted(case.events, key=lambda e: e.at, reverse=True) if e.action in _DECIDED), None)
    if event is None:
        return None
    return DecisionView(_DECIDED[event.action], case.decision_reason, case.decision_basis, case.decided_at,
                        event.actor, case.decision_doc_no)


def _case_query() -> Select[Case]:
    return select(Case).options(
        selectinload(Case.item).selectinload(ServiceItem.department),
        selectinload(Case.item).selectinload(ServiceItem.materials),
        selectinload(Case.enterprise), selectinload(Case.counter), selectinload(Case.clerk), selectinload(Case.department),
        selectinload(Case.materials), selectinload(Case.notices), selectinload(Case.events),
    )


def case_query() -> Select[Case]:
    """Cases with everything a ``CaseView`` reads, loaded eagerly (add your own filters and order)."""
    return _case_query()


def load_case(session: Session, case_no: str, *, lock: bool = False) -> Case:
    q = _case_query().where(Case.case_no == case_no)
    if lock:
        q = q.with_for_update()
    case = session.execute(q).scalar_one_or_none()
    if case is None:
        raise NotFound(f"办件编号 {case_no} 不存在")
    return case


def get_case(uow: UnitOfWork, actor: Actor, case_no: str) -> CaseView:
    require(actor, "case.view")
    limits.check(limits.CASE_NO, case_no, "case_no")
    return read_case(uow, case_no)


def read_case(uow: UnitOfWork, case_no: str) -> CaseView:
    """The case without a permission check: for services that have made their own (a claim's holder)."""
    with uow:
        return case_view(load_case(uow.session, case_no.strip().upper()))


# ---- the pickup code and the slip: who may read them ---------------------------------------------------------


@dataclass(frozen=True)
class PickupCredentials:
    """What lets an applicant collect a result: the 6-digit pickup code and the signed QR slip."""

    case_no: str
    pickup_code: str
    slip: str

    def as_json(self) -> dict[str, str]:
        return {"case_no": self.case_no, "pickup_code": self.pickup_code, "slip": self.slip}


def may_read_credentials(actor: Actor, case_counter: int | None) -> bool:
    """The clerk of the counter that took the case (it printed them on the receipt), or of an output window
    (the applicant shows them there); nobody else, whatever their role."""
    if actor.role != "clerk" or actor.counter_number is None:
        return False
    return actor.counter_kind == "output" or actor.counter_number == case_counter


def pickup_credentials(uow: UnitOfWork, actor: Actor, case_no: str) -> PickupCredentials:
    """The case's pickup code and slip for an allowed clerk (``may_read_credentials``); every reading is audited."""
    require(actor, "case.credentials")
    limits.check(limits.CASE_NO, case_no, "case_no")
    with uow:
        s = uow.session
        number = case_no.strip().upper()
        row = s.execute(select(Case.id, Case.case_no, Case.pickup_code, Case.slip, Counter.number)
                        .outerjoin(Counter, Case.counter_id == Counter.id).where(Case.case_no == number)).first()
        if row is None:
            raise NotFound(f"办件编号 {number} 不存在")
        if not may_read_credentials(actor, row.number):
            raise PermissionDenied("取件码和取件凭条只能由受理该办件的窗口或出件窗口查看")
        uow.audit(actor.username, "case.credentials", "case", str(row.id), {"case_no": row.case_no})
        uow.commit()
        return PickupCredentials(row.case_no, row.pickup_code, row.slip)


def list_cases(
    uow: UnitOfWork,
    actor: Actor,
    *,
    dept: str | None = None,
    status: str | None = None,
    counter: int | None = None,
    received_on: date | None = None,
    clerk: str | None = None,
    text: str | None = None,
    limit: int = 500,
) -> list[CaseView]:
    """Cases newest first, filtered; ``text`` matches a case number, a USCC, an enterprise or agent name."""
    require(actor, "case.view")
    if status is not None and status not in STATUSES:
        raise ValidationError("status", f"状态 {status} 不存在，可选：{'、'.join(STATUSES)}")
    q = _case_query().join(Department, Case.dept_id == Department.id)
    if dept:
        q = q.where(Department.code == dept)
    if status:
        q = q.where(Case.status == status)
    if counter is not None:
        q = q.join(Counter, Case.counter_id == Counter.id).where(Counter.number == counter)
    if received_on is not None:
        start = datetime.combine(received_on, datetime.min.time(), HALL_TZ)
        q = q.where(Case.received_at >= start, Case.received_at < start + timedelta(days=1))
    if clerk:
        q = q.join(User, Case.clerk_id == User.id).where(User.username == clerk)
    if text and text.strip():
        t = text.strip()
        like = f"%{t}%"
        q = q.outerjoin(Enterprise, Case.enterprise_id == Enterprise.id).where(
            or_(Case.case_no == t.upper(), Case.case_no.like(f"%{t.upper()}%"), Enterprise.uscc == t.upper(),
                Enterprise.name.like(like), Case.agent_name == t)
        )
    q = q.order_by(Case.received_at.desc()).limit(limit)
    with uow:
        return [case_view(c) for c in uow.session.execute(q).scalars().unique()]


def my_cases_today(uow: UnitOfWork, actor: Actor) -> list[CaseView]:
    return list_cases(uow, actor, clerk=actor.username, received_on=today())


def received_local_date(view: CaseView) -> date:
    return local_date(view.received_at)
