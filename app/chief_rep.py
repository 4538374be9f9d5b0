"""首席代表: the department's seal register (授权用章, the 用章登记簿 as a list and an A4 PDF) and the week's
workload of its back office.
"""


from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from app.auth import Actor
from app.backoffice import (
    BACK_OFFICE_ROLES,
    DECISIONS,
    QUEUE_STATUSES,
    _department_case,
    _dept,
    _require_dept,
)
from app.errors import Conflict, NotFound, ValidationError
from app.hall_settings import (
    HALL_TZ,
    local_date,
    today,
)
from app.hall_settings import read_settings as read_hall_settings
from app.lifecycle import Status
from app.printing.report import ReportColumn, TableReport, render_table_report
from app.roles import require
from app.uow import UnitOfWork
from db.models import (
    Case,
    CaseEvent,
    Department,
    Seal,
    SealAuthorisation,
    SealUsage,
    ServiceItem,
    User,
    new_id,
)
from db.types import utcnow

# ---- the seal register ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealUse:
    at: datetime
    case_no: str
    item_name: str
    decision: str
    seal: str
    applied_by: str
    authorised_by: str

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.astimezone(HALL_TZ).isoformat(timespec="seconds"), "case_no": self.case_no,
                "item": self.item_name, "decision": self.decision, "seal": self.seal, "applied_by": self.applied_by,
                "authorised_by": self.authorised_by}


def authorise_seal(uow: UnitOfWork, actor: Actor, case_no: str) -> None:
    """The chief representative authorises the seal for one case's decision (bound to the department and its
    seal: a 转办 voids it)."""
    require(actor, "seal.authorise")
    with uow:
        s = uow.session
        case, department = _department_case(s, actor, case_no, lock=False)
        if case.status not in QUEUE_STATUSES:
            raise Conflict(f"办件 {case.case_no} 已办结，无需授权用章")
        seal = s.execute(select(Seal).where(Seal.dept_id == department.id, Seal.active.is_(True))).scalars().first()
        if seal is None:
            raise NotFound("本部门没有登记审批专用章")
        s.add(SealAuthorisation(id=new_id(), case_id=case.id, seal_id=seal.id, dept_id=department.id,
                                authorised_by=actor.username, at=utcnow()))
        uow.audit(actor.username, "seal.authorise", "case", str(case.id), {"case_no": case.case_no})
        uow.commit()


def _seal_uses(s: Session, actor: Actor, dept: str, since: date | None, until: date | None
               ) -> tuple[Department, list[SealUse]]:
    """The department's seal uses, oldest first; ``since``/``until``: days in the hall's time, both included."""
    require(actor, "seal.register")
    if since is not None and until is not None and since > until:
        raise ValidationError("since", "开始日期不能晚于结束日期")
    department = _dept(s, dept)
    if actor.role != "supervisor":
        _require_dept(actor, department)
    query = (select(SealUsage, Case.case_no, ServiceItem.name, Seal.name)
             .join(Case, SealUsage.case_id == Case.id).join(ServiceItem, Case.item_id == ServiceItem.id)
             .join(Seal, SealUsage.seal_id == Seal.id)
             .where(Seal.dept_id == department.id).order_by(SealUsage.at))
    if since is not None:
        query = query.where(SealUsage.at >= datetime.combine(since, datetime.min.time(), HALL_TZ))
    if until is not None:
        query = query.where(SealUsage.at < datetime.combine(until + timedelta(days=1), datetime.min.time(), HALL_TZ))
    uses = [SealUse(u.at, no, item, u.decision, seal, u.applied_by, u.authorised_by)
            for u, no, item, seal in s.execute(query).all()]
    return department, uses


def seal_log(uow: UnitOfWork, actor: Actor, dept: str, *, since: date | None = None,
             until: date | None = None) -> list[SealUse]:
    """The 用章登记簿: every use of the department's 审批专用章 (within ``since``–``until``, days included)."""
    with uow:
        return _seal_uses(uow.session, actor, dept, since, until)[1]


# The register's columns on A4 landscape (267 mm between the margins).
_REGISTER_COLUMNS = (ReportColumn("序号", 12, centre=True), ReportColumn("用章时间", 36, centre=True),
                     ReportColumn("办件编号", 38), ReportColumn("事项", 39), ReportColumn("决定", 22, centre=True),
                     ReportColumn("印章", 44), ReportColumn("用章人", 38), ReportColumn("授权人", 38))


def seal_register_pdf(uow: UnitOfWork, actor: Actor, dept: str, *, since: date | None = None,
                      until: date | None = None) -> bytes:
    """The 审批专用章使用登记簿 as an A4 report to print, sign and file: the uses of the period, with the names of
    who applied the seal and who authorised it, the count, and lines for the chief representative's signature."""
    with uow:
        s = uow.session
        department, uses = _seal_uses(s, actor, dept, since, until)
        people = {u.username: u.full_name for u in s.execute(
            select(User).where(User.username.in_({x.applied_by for x in uses} | {x.authorised_by for x in uses}))
        ).scalars()}
        hall = read_hall_settings(s)

    def who(username: str) -> str:
        return f"{people[username]}（{username}）" if username in people else username

    def day(d: date | None, otherwise: str) -> str:
        return f"{d.year}年{d.month}月{d.day}日" if d is not None else otherwise

    now = datetime.now(HALL_TZ)
    rows = tuple(
        (str(i), u.at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M"), u.case_no, u.item_name,
         DECISIONS.get(u.decision, u.decision), u.seal, who(u.applied_by), who(u.authorised_by))
        for i, u in enumerate(uses, start=1))
    period = "全部记录" if since is None and until is None else f"{day(since, '最早记录')}至{day(until, '今日')}"
    return render_table_report(TableReport(
        title="审批专用章使用登记簿", header=hall.name, printed=f"打印：{now:%Y-%m-%d %H:%M}　{actor.full_name}",
        lines=(f"部门：{department.name}　　用章期间：{period}",), columns=_REGISTER_COLUMNS, rows=rows,
        empty="本期间没有用章记录", closing=f"本期间共用章 {len(rows)} 次。",
        signatures=("首席代表（签字）：", "核对日期：")))


# ---- the chief representative's overview -------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    username: str
    full_name: str
    claimed: int
    decided: int
    avg_hours: float | None
    p90_hours: float | None
    overdue: int
    in_hand: int

    def as_json(self) -> dict[str, Any]:
        return {"username": self.username, "name": self.full_name, "claimed": self.claimed, "decided": self.decided,
                "avg_hours": self.avg_hours, "p90_hours": self.p90_hours, "overdue": self.overdue,
                "in_hand": self.in_hand}


def workload(uow: UnitOfWork, actor: Actor, dept: str, week_of: date | None = None) -> list[Workload]:
    """Each back-office member's week: claimed, decided, average and p90 claim-to-decision hours, overdue."""
    require(actor, "workload.view")
    ref = week_of or today()
    monday = ref - timedelta(days=ref.weekday())
    start = datetime.combine(monday, datetime.min.time(), HALL_TZ)
    end = start + timedelta(days=7)
    with uow:
        s = uow.session
        department = _dept(s, dept)
        if actor.role != "supervisor":
            _require_dept(actor, department)
        members = list(s.execute(select(User).where(User.dept_id == department.id,
                                                    User.role.in_(BACK_OFFICE_ROLES)).order_by(User.username)).scalars())
        claims = dict(s.execute(
            select(CaseEvent.actor, func.count()).join(Case, CaseEvent.case_id == Case.id)
            .where(CaseEvent.action == "claim", CaseEvent.at >= start, CaseEvent.at < end, Case.dept_id == department.id)
            .group_by(CaseEvent.actor)
        ).all())
        decided = s.execute(
            select(Case.decided_by_id, Case.claimed_at, Case.decided_at, Case.promised_due)
            .where(Case.decided_at >= start, Case.decided_at < end, Case.decided_by_id.is_not(None))
        ).all()
        now = utcnow()
        in_hand = s.execute(
            select(Case.holder_id, Case.step_due).where(Case.status == Status.IN_REVIEW, Case.dept_id == department.id,
                                                        Case.lease_until >= now)
        ).all()
    on = local_date(now)
    out = []
    for m in members:
        hours = [(d - c).total_seconds() / 3600 for uid, c, d, _ in decided if uid == m.id and c and d]
        late = sum(1 for uid, _, d, due in decided if uid == m.id and due and d and local_date(d) > due)
        late += sum(1 for uid, step in in_hand if uid == m.id and step and on > step)
        p90 = statistics.quantiles(hours, n=10)[-1] if len(hours) >= 2 else (hours[0] if hours else None)
        out.append(Workload(m.username, m.full_name, int(claims.get(m.username, 0)),
                            sum(1 for uid, *_ in decided if uid == m.id),
                            round(statistics.fmean(hours), 2) if hours else None,
                            round(p90, 2) if p90 is not None else None, late,
                            sum(1 for uid, _ in in_hand if uid == m.id)))
    return out
