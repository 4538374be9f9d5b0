"""The department back office (后台分类审批): queues, claims as leases, decisions, the seal register.

受审分离: the front desk accepts, each department's back office approves its own cases.  A reviewer claims a
case from the department queue; the claim is a *lease* with a fencing token:

* PostgreSQL and MariaDB pick the next case with ``FOR UPDATE SKIP LOCKED``, so twenty reviewers claiming
  at once each get a different case without waiting on each other; SQLite has no row locks and runs every
  transaction as ``BEGIN IMMEDIATE`` (see db.engine), which serialises claims instead.
* A claim lasts ``lease_minutes`` (a department setting); the GUI renews it while the case is open.  A case
  whose holder's PC died simply becomes claimable again when the lease runs out.
* Every claim increments ``claim_token``.  A decision names the token it was made under; if the case has been
  claimed again since (or the lease ran out), the decision is refused and nothing is written.
"""


from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from app import lifecycle, limits, transfers
from app.auth import Actor, check_current
from app.cases import CHANNELS, load_case
from app.errors import NotFound, PermissionDenied, ValidationError
from app.hall_settings import (
    HALL_TZ,
    load_calendar,
    today,
    write_setting,
)
from app.lifecycle import Status
from app.roles import require
from app.uow import UnitOfWork
from app.workdays import WorkCalendar
from db.models import (
    Case,
    Department,
    Enterprise,
    ServiceItem,
    Setting,
    User,
)

DECISIONS = lifecycle.DECISION_NAMES
QUEUE_STATUSES: tuple[str, ...] = lifecycle.QUEUE
# "paused": a 特别程序 stopped both clocks (app.clocks): such a case is never overdue.
LIGHTS = {"green": "正常", "yellow": "临期", "red": "超期", "paused": "暂停计时"}
BACK_OFFICE_ROLES = ("reviewer", "chief_rep")
# Plain tables for the claim's statements (Core: no ORM bookkeeping on the back office's hottest path).


# ---- department settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeptSettings:
    """A department's back-office settings, kept by its chief representative."""

    review_days: int = 3  # per-step limit: working days from claim to decision
    lease_minutes: int = 30  # how long a claim lasts without renewal
    paused: tuple[str, ...] = ()  # reviewers not taking cases now (leave, training)
    # The output window hands out certificates while 容缺 supplements are still outstanding (default: it waits).
    issue_before_supplement: bool = False
    # The prefix of the department's decision documents' numbers (新建市场监管局准许〔2026〕0001号); empty: derived
    # from the department's name (``decision_prefix``).
    doc_prefix: str = ""
    # 决定书须加盖审批专用章: a decision on a 行政许可 item bears the seal, so it needs the chief representative's
    # authorisation (the seal register records it).
    licence_seal: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"review_days": self.review_days, "lease_minutes": self.lease_minutes, "paused": list(self.paused),
                "issue_before_supplement": self.issue_before_supplement, "doc_prefix": self.doc_prefix,
                "licence_seal": self.licence_seal}


def decision_prefix(settings: DeptSettings, dept_name: str) -> str:
    """The department's own document-number prefix: its setting, else its name as the hall says it
    (区市场监管局 → 新建市场监管局)."""
    if settings.doc_prefix.strip():
        return settings.doc_prefix.strip()
    name = dept_name.strip()
    prefix = "新建" + name[1:] if name.startswith("区") else name
    return prefix[:limits.DEPT_DOC_PREFIX.chars]


def _dept(s: Session, code: str) -> Department:
    dept = s.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if dept is None:
        raise NotFound(f"部门代码 {code} 不存在")
    return dept


def read_dept_settings(s: Session, code: str) -> DeptSettings:
    row = s.get(Setting, f"dept:{code}")
    if row is None:
        return DeptSettings()
    data = json.loads(row.value)
    return DeptSettings(review_days=int(data.get("review_days", 3)), lease_minutes=int(data.get("lease_minutes", 30)),
                        paused=tuple(data.get("paused", ())),
                        issue_before_supplement=bool(data.get("issue_before_supplement", False)),
                        doc_prefix=str(data.get("doc_prefix", "")),
                        licence_seal=bool(data.get("licence_seal", True)))


def get_dept_settings(uow: UnitOfWork, code: str) -> DeptSettings:
    with uow:
        _dept(uow.session, code)
        return read_dept_settings(uow.session, code)


def save_dept_settings(uow: UnitOfWork, actor: Actor, code: str, settings: DeptSettings) -> DeptSettings:
    require(actor, "dept.settings")
    limits.check_each(limits.USERNAME, settings.paused, "paused")
    limits.check(limits.DEPT_DOC_PREFIX, settings.doc_prefix, "doc_prefix")
    if settings.doc_prefix.strip() and not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", settings.doc_prefix.strip()):
        raise ValidationError("doc_prefix", "决定书编号前缀只能由汉字、字母和数字组成（如 新建市监）")
    settings = replace(settings, doc_prefix=settings.doc_prefix.strip())
    if not 1 <= settings.review_days <= 60:
        raise ValidationError("review_days", "审批环节时限须为1–60个工作日")
    if not 1 <= settings.lease_minutes <= 480:
        raise ValidationError("lease_minutes", "领取后保留时间须为1–480分钟")
    with uow:
        s = uow.session
        dept = _dept(s, code)
        _require_dept(actor, dept)
        known = set(s.execute(select(User.username).where(User.dept_id == dept.id)).scalars())
        unknown = [u for u in settings.paused if u not in known]
        if unknown:
            raise ValidationError("paused", f"不是本部门人员：{'、'.join(unknown)}")
        write_setting(s, f"dept:{code}", settings.as_json())
        uow.audit(actor.username, "dept.settings", "department", str(dept.id), settings.as_json())
        uow.commit()
        return settings


def _require_dept(actor: Actor, dept: Department) -> None:
    if actor.role == "admin":
        return
    if actor.role not in BACK_OFFICE_ROLES or actor.dept_id != dept.id:
        raise PermissionDenied(f"无权操作{dept.name}的后台：只有该部门的审批人员和首席代表可以办理")


def _require_back_office(actor: Actor, dept: Department | _DeptRef) -> None:
    """Claims and decisions: the department's own reviewers and chief representative, nobody else."""
    require(actor, "case.review")
    if actor.dept_id != dept.id:
        raise PermissionDenied(f"无权办理{dept.name}的办件：只能办理本部门（{actor.dept_name}）的办件")


def _department_case(s: Session, actor: Actor, case_no: str, *, lock: bool) -> tuple[Case, Department]:
    """The case and its handling department, refused unless ``actor`` works in that department's back office."""
    require(actor, "case.review")
    check_current(s, actor)
    case = load_case(s, case_no.strip().upper(), lock=lock)
    department = case.department or s.get(Department, case.dept_id)
    if department is None:
        raise NotFound(f"办件 {case.case_no} 没有承办部门")
    _require_back_office(actor, department)
    return case, department


# ---- lights ------------------------------------------------------------------------------------------


def light(cal: WorkCalendar, due: date | None, on: date) -> str:
    """红黄牌: red when overdue, yellow with one working day or less left, else green."""
    if due is None:
        return "green"
    if on > due:
        return "red"
    return "yellow" if cal.workdays_between(on, due) <= 1 else "green"


def yellow_until(cal: WorkCalendar, on: date) -> date:
    """The last due date that is yellow on ``on``: one working day or less left (holidays count as off)."""
    day = on
    while cal.workdays_between(on, day + timedelta(days=1)) <= 1:
        day += timedelta(days=1)
    return day


def _light_range(cal: WorkCalendar, light_name: str, on: date) -> ColumnElement[bool]:
    """The promised due dates that show ``light_name`` on ``on``, as a condition (a range of the queue index)."""
    last_yellow = yellow_until(cal, on)
    if light_name == "red":
        return Case.promised_due < on
    if light_name == "yellow":
        return Case.promised_due.between(on, last_yellow)
    return or_(Case.promised_due > last_yellow, Case.promised_due.is_(None))


# ---- the queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    id: uuid.UUID
    case_no: str
    status: str
    item: str
    item_name: str
    enterprise: str
    received_at: datetime
    promised_due: date | None
    legal_due: date | None
    provisional: bool
    light: str
    step_due: date | None
    step_light: str
    holder: str | None
    lease_until: datetime | None
    channel: str
    # A stopped clock's working days left (特别程序中), and the procedure.
    promised_left: int | None = None
    legal_left: int | None = None
    procedure: str = ""
    holder_name: str | None = None  # the holder's full name, as screens show who holds it
    # 纸质材料: whether the case's paper folder was signed for by the department (材料流转); None for an online
    # case, which brings no paper.
    paper_arrived: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "case_no": self.case_no, "status": self.status, "item": self.item, "item_name": self.item_name,
            "enterprise": self.enterprise, "received_at": self.received_at.astimezone(HALL_TZ).isoformat(timespec="seconds"),
            "promised_due": self.promised_due.isoformat() if self.promised_due else None,
            "legal_due": self.legal_due.isoformat() if self.legal_due else None, "provisional": self.provisional,
            "light": self.light, "step_due": self.step_due.isoformat() if self.step_due else None,
            "step_light": self.step_light, "holder": self.holder, "channel": self.channel,
            "promised_left": self.promised_left, "legal_left": self.legal_left, "procedure": self.procedure or None,
            "paper_arrived": self.paper_arrived,
        }


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    next_cursor: tuple[date, datetime, uuid.UUID] | None


def queue_page(
    uow: UnitOfWork,
    actor: Actor,
    dept: str,
    *,
    statuses: tuple[str, ...] = QUEUE_STATUSES,
    after: tuple[date, datetime, uuid.UUID] | None = None,
    limit: int = 100,
    search: str | None = None,
    on: date | None = None,
    with_light: str | None = None,
    channel: str | None = None,
    mine: bool = False,
) -> QueuePage:
    """One page of the department queue, by promised due date; ``after`` is the previous page's cursor.

    Keyset pagination over the (dept_id, status, promised_due, received_at, id) index: the first page and
    the thousandth cost the same, whatever the size of the table.  Filters: ``with_light`` (红黄牌 ``red``,
    ``yellow`` or ``green``, as the rows show it on ``on``), ``channel`` (``window`` or ``online``), and
    ``mine`` (the cases ``actor`` holds, those waiting in a 特别程序 included: listed last, on the first page).
    A case in a 特别程序 shows the light ``paused``, whatever its frozen due dates say.
    """
    require(actor, "queue.view")
    if with_light is not None and with_light not in LIGHTS:
        raise ValidationError("light", f"时限筛选只能是 {'、'.join(LIGHTS)}（{'、'.join(LIGHTS.values())}）")
    if channel is not None and channel not in CHANNELS:
        raise ValidationError("channel", f"来源筛选只能是 {'、'.join(CHANNELS)}（{'、'.join(CHANNELS.values())}）")
    ref = on or today()
    with uow:
        s = uow.session
        department = _dept(s, dept)
        if actor.role != "supervisor":
            _require_dept(actor, department)
        cal = load_calendar(s)
        holder = User.__table__.alias("holder")
        base = (
            select(Case.id, Case.case_no, Case.status, ServiceItem.code, ServiceItem.name, Enterprise.name,
                   Case.received_at, Case.promised_due, Case.legal_due, Case.due_provisional, Case.step_due,
                   holder.c.username, Case.lease_until, Case.channel, Case.paused_promised, Case.paused_legal,
                   Case.special_procedure, holder.c.full_name, transfers.paper_arrived_column())
            .join(ServiceItem, Case.item_id == ServiceItem.id)
            .outerjoin(Enterprise, Case.enterprise_id == Enterprise.id)
            .outerjoin(holder, Case.holder_id == holder.c.id)
            .where(Case.dept_id == department.id)
        )
        if search and search.strip():
            t = search.strip()
            base = base.where(or_(Case.case_no.like(f"%{t.upper()}%"), Enterprise.name.like(f"%{t}%"),
                                  ServiceItem.name.like(f"%{t}%")))
        if mine:
            # 我的在办: the cases under review, then those waiting in a 特别程序 (first page only: no due date runs).
            statuses = tuple(dict.fromkeys(st for st in (*statuses, Status.SUSPENDED)
                                           if st in (Status.IN_REVIEW, Status.SUSPENDED)))
        if with_light == "paused":  # the cases waiting in a 特别程序, whatever the status filter said
            statuses = (Status.SUSPENDED,)
        elif with_light is not None:
            statuses = tuple(st for st in statuses if st != Status.SUSPENDED)
            base = base.where(_light_range(cal, with_light, ref))
        if after is not None:
            statuses = tuple(st for st in statuses if st != Status.SUSPENDED)
        if channel is not None:
            base = base.where(Case.channel == channel)
        if mine:
            base = base.where(Case.holder_id == actor.user_id)
        if after is not None:
            base = base.where(tuple_(Case.promised_due, Case.received_at, Case.id) > tuple_(*after))
        order = (Case.promised_due, Case.received_at, Case.id)
        # One ordered index range per status, merged here: an IN over statuses would make the database read
        # and sort every open case of the department before it could return the first hundred.
        rows: list[Any] = []
        for status in statuses:
            rows += s.execute(base.where(Case.status == status).order_by(*order).limit(limit)).all()
        rows.sort(key=lambda r: (r[2] == Status.SUSPENDED, r[7] or date.max, r[6], r[0]))
        rows = rows[:limit]
    out = tuple(
        QueueRow(id=r[0], case_no=r[1], status=r[2], item=r[3], item_name=r[4], enterprise=r[5] or "",
                 received_at=r[6], promised_due=r[7], legal_due=r[8], provisional=r[9],
                 light="paused" if r[2] == Status.SUSPENDED else light(cal, r[7], ref),
                 step_due=r[10], step_light=light(cal, r[10], ref) if r[2] == Status.IN_REVIEW else "green",
                 holder=r[11] if r[2] in (Status.IN_REVIEW, Status.SUSPENDED) else None, lease_until=r[12],
                 channel=r[13], promised_left=r[14] if r[2] == Status.SUSPENDED else None,
                 legal_left=r[15] if r[2] == Status.SUSPENDED else None, procedure=r[16],
                 holder_name=(r[17] or r[11]) if r[2] in (Status.IN_REVIEW, Status.SUSPENDED) else None,
                 paper_arrived=None if r[18] is None else bool(r[18]))
        for r in rows
    )
    cursor = None
    dated = [r for r in out if r.status != Status.SUSPENDED]
    if len(out) == limit and dated and dated[-1].promised_due is not None:
        cursor = (dated[-1].promised_due, dated[-1].received_at, dated[-1].id)
    return QueuePage(out, cursor)


@dataclass(frozen=True)
class _DeptRef:
    id: uuid.UUID
    code: str
    name: str


def _dept_ref(s: Session, code: str) -> _DeptRef | None:
    row = s.execute(select(Department.id, Department.code, Department.name).where(Department.code == code)).first()
    return None if row is None else _DeptRef(row.id, row.code, row.name)

