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
import statistics
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, cast, overload

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from app import audit, clocks, lifecycle, limits
from app.auth import AccountState, Actor, account_key, actor_of, check_account, check_current, load_account
from app.cases import CHANNELS, CaseView, case_view, load_case
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import (
    HALL_TZ,
    HallSettings,
    appeal_problems,
    load_calendar,
    local_date,
    today,
    write_setting,
)
from app.hall_settings import read_settings as read_hall_settings
from app.infra import refcache
from app.infra.numbering import decision_number, decision_sequence, next_value
from app.lifecycle import Action, Status
from app.printing import documents
from app.printing.report import ReportColumn, TableReport, render_table_report
from app.roles import require
from app.uow import UnitOfWork, retry_transient
from app.workdays import WorkCalendar
from db.driver import DriverStatement
from db.models import (
    Case,
    CaseEvent,
    Department,
    Enterprise,
    Notice,
    Seal,
    SealAuthorisation,
    SealUsage,
    ServiceItem,
    Setting,
    User,
    new_id,
)
from db.types import utcnow

DECISIONS = lifecycle.DECISION_NAMES
QUEUE_STATUSES: tuple[str, ...] = lifecycle.QUEUE
# "paused": a 特别程序 stopped both clocks (app.clocks): such a case is never overdue.
LIGHTS = {"green": "正常", "yellow": "临期", "red": "超期", "paused": "暂停计时"}
BACK_OFFICE_ROLES = ("reviewer", "chief_rep")
# Plain tables for the claim's statements (Core: no ORM bookkeeping on the back office's hottest path).
_CASES, _EVENTS = cast(Table, Case.__table__), cast(Table, CaseEvent.__table__)


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

    def as_json(self) -> dict[str, Any]:
        return {
            "case_no": self.case_no, "status": self.status, "item": self.item, "item_name": self.item_name,
            "enterprise": self.enterprise, "received_at": self.received_at.astimezone(HALL_TZ).isoformat(timespec="seconds"),
            "promised_due": self.promised_due.isoformat() if self.promised_due else None,
            "legal_due": self.legal_due.isoformat() if self.legal_due else None, "provisional": self.provisional,
            "light": self.light, "step_due": self.step_due.isoformat() if self.step_due else None,
            "step_light": self.step_light, "holder": self.holder, "channel": self.channel,
            "promised_left": self.promised_left, "legal_left": self.legal_left, "procedure": self.procedure or None,
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
                   Case.special_procedure, holder.c.full_name)
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
                 holder_name=(r[17] or r[11]) if r[2] in (Status.IN_REVIEW, Status.SUSPENDED) else None)
        for r in rows
    )
    cursor = None
    dated = [r for r in out if r.status != Status.SUSPENDED]
    if len(out) == limit and dated and dated[-1].promised_due is not None:
        cursor = (dated[-1].promised_due, dated[-1].received_at, dated[-1].id)
    return QueuePage(out, cursor)


# ---- claims --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What a claim took: the case, the fencing token and the lease.  ``held`` loads the case itself."""

    case_id: uuid.UUID
    case_no: str
    dept: str
    holder: str
    token: int
    claimed_at: datetime
    lease_until: datetime
    step_due: date | None

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "dept": self.dept, "holder": self.holder, "claim_token": self.token,
                "lease_until": self.lease_until.astimezone(HALL_TZ).isoformat(timespec="seconds"),
                "step_due": self.step_due.isoformat() if self.step_due else None}


@dataclass(frozen=True)
class CaseLights:
    """The 红黄牌 of a case's two clocks as the queue shows them (``light``): ``green``, ``yellow``, ``red``,
    ``paused`` (特别程序, 补正), or ``""`` when the clock no longer runs (decided, finished)."""

    promised: str = ""
    legal: str = ""


def case_lights(cal: WorkCalendar, case: CaseView, on: date) -> CaseLights:
    def one(clock: str, due: date | None) -> str:
        state = case.clock.state(case.status, clock)
        if state == "paused":
            return "paused"
        return light(cal, due, on) if state == "running" and due is not None else ""

    return CaseLights(one("promised", case.promised_due), one("legal", case.legal_due))


def display_names(s: Session, usernames: Iterable[str]) -> dict[str, str]:
    """Username → the person's full name, for the users among ``usernames`` (others stay as they are)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = s.execute(select(User.username, User.full_name).where(User.username.in_(wanted))).all()
    return {username: full_name for username, full_name in rows if full_name}


def held_case(s: Session, claim: Claim, case: CaseView, seal_required: bool) -> HeldCase:
    """The claimed case with what the reviewer's panel shows beside it: the clocks' lights, who is who."""
    return HeldCase(claim, case, seal_required, case_lights(load_calendar(s), case, today()),
                    display_names(s, (e.actor for e in case.history)))


@dataclass(frozen=True)
class HeldCase:
    """A claim with the case as the reviewer's panel and ``case claim --json`` show it."""

    claim: Claim
    case: CaseView
    # The decision must bear the 审批专用章 (``lifecycle.seal_required``): the dialog ticks it and says why.
    seal_required: bool = False
    lights: CaseLights = CaseLights()
    # The history's actors (usernames) by their names: the panel says who, not which account.
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def token(self) -> int:
        return self.claim.token

    @property
    def lease_until(self) -> datetime:
        return self.claim.lease_until

    def as_json(self) -> dict[str, Any]:
        doc = self.case.as_json()
        doc.update(claim_token=self.token, lease_until=self.lease_until.astimezone(HALL_TZ).isoformat(timespec="seconds"))
        return doc


@overload
def held(uow: UnitOfWork, claim: Claim) -> HeldCase: ...
@overload
def held(uow: UnitOfWork, claim: None) -> None: ...
def held(uow: UnitOfWork, claim: Claim | None) -> HeldCase | None:
    """The claimed case in full (materials, notices, history), read after the claim's own transaction."""
    if claim is None:
        return None
    with uow:
        case = case_view(load_case(uow.session, claim.case_no))
        settings = read_dept_settings(uow.session, claim.dept)
        return held_case(uow.session, claim, case, lifecycle.seal_required(case.item_kind, settings.licence_seal))


@dataclass(frozen=True)
class _DeptRef:
    id: uuid.UUID
    code: str
    name: str


def _dept_ref(s: Session, code: str) -> _DeptRef | None:
    row = s.execute(select(Department.id, Department.code, Department.name).where(Department.code == code)).first()
    return None if row is None else _DeptRef(row.id, row.code, row.name)


def _take(uow: UnitOfWork, actor: Actor, case: Case, settings: DeptSettings, now: datetime,
          lease: timedelta | None) -> Claim:
    if actor.username in settings.paused:
        raise PermissionDenied("首席代表已暂停您的接件，请联系首席代表")
    s = uow.session
    cal = refcache.current(s).get(("calendar",), lambda: load_calendar(s))
    case.holder_id = actor.user_id
    case.claim_token += 1
    case.claimed_at = now
    case.lease_until = now + (lease or timedelta(minutes=settings.lease_minutes))
    case.step_due = cal.add_workdays(local_date(now), settings.review_days).date
    lifecycle.transition(uow, case, Action.CLAIM, actor.username, note=f"token {case.claim_token}",
                         audit={"token": case.claim_token}, at=now)
    uow.session.flush()
    dept = case.department.code if case.department else ""
    return Claim(case.id, case.case_no, dept, actor.username, case.claim_token, now, case.lease_until, case.step_due)


def _param(name: str, column: str) -> Any:
    return bindparam(name, type_=_CASES.c[column].type)


_NOW = _param("p_now", "claimed_at")
_CLAIMED = {"status": Status.IN_REVIEW.value, "holder_id": _param("p_holder", "holder_id"),
            "claim_token": _CASES.c.claim_token + 1, "claimed_at": _NOW, "lease_until": _param("p_lease", "lease_until"),
            "step_due": _param("p_step", "step_due"), "version": _CASES.c.version + 1, "updated_at": _NOW}


def _claim_probes() -> tuple[tuple[str, Any], ...]:
    """Where a claim looks, in order: a case whose holder's lease ran out (the PC died; the longest-expired
    first), then the queue by due date.  Each is one index range scan that stops at its first free row."""
    c = _CASES
    dept = c.c.dept_id == _param("p_dept", "dept_id")
    return ((Status.IN_REVIEW.value, select(c.c.id, c.c.case_no, c.c.claim_token)
             .where(dept, c.c.status == Status.IN_REVIEW.value, c.c.lease_until < _NOW)
             .order_by(c.c.lease_until, c.c.id).limit(1).with_for_update(skip_locked=True)),
            (Status.ACCEPTED.value, select(c.c.id, c.c.case_no, c.c.claim_token)
             .where(dept, c.c.status == Status.ACCEPTED.value)
             .order_by(c.c.promised_due, c.c.received_at, c.c.id).limit(1).with_for_update(skip_locked=True)))


def _claim_in_one_statement() -> Select[Any]:
    """PostgreSQL: the whole claim as one statement that commits itself: one round trip.

    It picks the case (COALESCE reads the queue only when no lease ran out), takes it, writes its status event,
    and appends the reviewer's audit row with the hash computed by the server (``audit.append_in_statement``),
    under the chain head it locks.  It takes nothing when the reference-data stamp is not ``p_stamp`` (the
    cached settings are stale) or the reviewer's chain has no head yet; it returns one row saying which.
    """
    c, e = _CASES, _EVENTS
    stamp = func.coalesce(refcache.stamp_query().scalar_subquery(), 0)  # no stamp row yet reads as 0
    head = audit.head_query().cte("head")
    pick = func.coalesce(*(probe.with_only_columns(c.c.id).scalar_subquery() for _, probe in _CLAIM_PROBES))
    old = c.alias("before_claim")
    # A subquery sees the rows as they were when the statement began: the case's status before this claim.
    before = select(old.c.status).where(old.c.id == c.c.id).scalar_subquery()
    took = (update(c).where(c.c.id == pick, stamp == bindparam("p_stamp", type_=Integer), select(head).exists())
            .values(_CLAIMED)
            .returning(c.c.id, c.c.case_no, c.c.claim_token, before.label("before"),
                       select(head.c.seq).scalar_subquery().label("seq"),
                       select(head.c.hash).scalar_subquery().label("hash"))
            .cte("took"))
    event = insert(e).from_select(
        ["id", "case_id", "at", "actor", "action", "from_status", "to_status", "note"],
        select(bindparam("p_event", type_=e.c.id.type), took.c.id, _NOW, bindparam("p_actor", type_=e.c.actor.type),
               literal(Action.CLAIM.value), took.c.before, literal(Status.IN_REVIEW.value),
               literal("token ") + sql_cast(took.c.claim_token, String)),
    ).cte("claim_event")
    payload = audit.canonical_json_sql({"case_no": took.c.case_no, "token": took.c.claim_token},
                                       numbers=frozenset({"token"}))
    audit_row, audit_head = audit.append_in_statement(
        took, seq=took.c.seq, prev=took.c.hash, action="case.claim", entity="case",
        entity_id=sql_cast(took.c.id, String), payload=payload)
    return (select(select(took.c.id).scalar_subquery().label("id"),
                   select(took.c.case_no).scalar_subquery().label("case_no"),
                   select(took.c.claim_token).scalar_subquery().label("claim_token"),
                   stamp.label("stamp"), select(head).exists().label("has_head"))
            .add_cte(event, audit_row, audit_head))


_CLAIM_PROBES = _claim_probes()
_CLAIM_BY_ID = update(_CASES).where(_CASES.c.id == _param("p_case", "id")).values(_CLAIMED)
_CLAIM_PARAMS = ("p_dept", "p_now", "p_holder", "p_lease", "p_step", "p_stamp", "p_event", "p_actor", "p_chain",
                 "p_audit_id", "p_at", "p_at_text")
# Run on the driver's connection: SQLAlchemy's execution path would cost the client more than the claim costs
# the server (db.driver, and the claims benchmark).
_CLAIM_AT_ONCE = DriverStatement(_claim_in_one_statement(), dict.fromkeys(_CLAIM_PARAMS))
_ADD_EVENT = insert(_EVENTS)


@dataclass(frozen=True)
class _ClaimRefs:
    """What a claim needs of the reference data: the department, its settings, the calendar."""

    dept: _DeptRef
    settings: DeptSettings
    calendar: WorkCalendar
    account: AccountState  # the claimer's account as it is now (moved, stopped: no claim)


def _claim_refs(ref: refcache.RefData, s: Session | None, dept: str, user_id: uuid.UUID) -> _ClaimRefs | None:
    """From ``ref``; what it lacks is read in ``s`` (None: an unchecked cache, which never reads)."""

    def session() -> Session:
        assert s is not None, "an unchecked cache raises NotRemembered instead of loading"
        return s

    department = ref.get(("backoffice.dept", dept), lambda: _dept_ref(session(), dept))
    if department is None:
        return None
    return _ClaimRefs(department, ref.get(("backoffice.settings", dept), lambda: read_dept_settings(session(), dept)),
                      ref.get(("calendar",), lambda: load_calendar(session())),
                      ref.get(account_key(user_id), lambda: load_account(session(), user_id)))


def _account_refused(actor: Actor, state: AccountState) -> bool:
    try:
        check_account(actor, state)
    except PermissionDenied:
        return True
    return False


def _fresh_claim_refs(uow: UnitOfWork, dept: str, user_id: uuid.UUID) -> tuple[refcache.RefData, _ClaimRefs | None]:
    """The reference data read under the stamp, in a unit of work of its own."""
    with uow:
        ref = refcache.current(uow.session)
        return ref, _claim_refs(ref, uow.session, dept, user_id)


def _ensure_chain(uow: UnitOfWork, chain: str) -> None:
    with uow:
        audit.ensure_head(uow.session, chain)
        uow.commit()


@retry_transient
def claim_next(uow: UnitOfWork, actor: Actor, dept: str, *, lease: timedelta | None = None) -> Claim | None:
    """Claim the case that falls due first in ``dept``'s queue; None when the queue is empty.

    The hot path of the back office, kept to the minimum.  The case itself is not loaded: ``held`` does that
    where a screen needs it.  On PostgreSQL a claim is one statement (``_claim_in_one_statement``), with the
    department's settings and calendar from this process's cache: the statement takes nothing if the
    reference-data stamp moved since, and the claim is made again with fresh ones.  MariaDB and SQLite read
    the stamp first and take the case in a transaction of a few statements.
    """
    engine = uow.engine
    if engine.dialect.name != "postgresql":
        with uow:
            return _claim_in_transaction(uow, actor, dept, lease)
    ref = refcache.remembered(engine)
    refs: _ClaimRefs | None = None
    if ref is not None:
        try:
            refs = _claim_refs(ref, None, dept, actor.user_id)
        except refcache.NotRemembered:
            ref = None
    if ref is None or refs is None:
        ref, refs = _fresh_claim_refs(uow, dept, actor.user_id)
    chain = audit.writer_chain(actor.username)
    for _attempt in range(5):
        if refs is None:
            raise NotFound(f"部门代码 {dept} 不存在")
        _require_back_office(actor, refs.dept)
        if not ref.checked and _account_refused(actor, refs.account):
            ref, refs = _fresh_claim_refs(uow, dept, actor.user_id)  # maybe stale: look again before refusing
            continue
        check_account(actor, refs.account)
        if actor.username in refs.settings.paused:
            if not ref.checked:  # maybe resumed since this was cached: look again
                ref, refs = _fresh_claim_refs(uow, dept, actor.user_id)
                continue
            raise PermissionDenied("首席代表已暂停您的接件，请联系首席代表")
        now = utcnow()
        lease_until = now + (lease or timedelta(minutes=refs.settings.lease_minutes))
        step_due = refs.calendar.add_workdays(local_date(now), refs.settings.review_days).date
        row = _CLAIM_AT_ONCE.one(engine, {
            "p_dept": refs.dept.id, "p_now": now, "p_holder": actor.user_id, "p_lease": lease_until,
            "p_step": step_due, "p_stamp": ref.stamp, "p_event": new_id(), "p_actor": actor.username,
            "p_chain": chain, "p_audit_id": new_id(), "p_at": now, "p_at_text": audit.iso_time(now)})
        assert row is not None  # the statement always answers with one row
        if row["id"] is not None:
            return Claim(row["id"], row["case_no"], refs.dept.code, actor.username, row["claim_token"], now,
                         lease_until, step_due)
        if int(row["stamp"] or 0) != ref.stamp:
            ref, refs = _fresh_claim_refs(uow, dept, actor.user_id)  # the settings changed: claim again
        elif not row["has_head"]:
            _ensure_chain(uow, chain)  # the reviewer's first audited action on this database
        else:
            return None
    raise Conflict("部门设置正在频繁变更，请稍后再领取办件")


def _claim_in_transaction(uow: UnitOfWork, actor: Actor, dept: str, lease: timedelta | None) -> Claim | None:
    """MariaDB and SQLite: the stamp, the probes, the event and the audit row in one transaction."""
    s = uow.session
    refs = _claim_refs(refcache.current(s), s, dept, actor.user_id)
    if refs is None:
        raise NotFound(f"部门代码 {dept} 不存在")
    _require_back_office(actor, refs.dept)
    check_account(actor, refs.account)
    settings = refs.settings
    if actor.username in settings.paused:
        raise PermissionDenied("首席代表已暂停您的接件，请联系首席代表")
    now = utcnow()
    lease_until = now + (lease or timedelta(minutes=settings.lease_minutes))
    step_due = refs.calendar.add_workdays(local_date(now), settings.review_days).date
    found = _probe_and_take(s, {"p_dept": refs.dept.id, "p_now": now, "p_holder": actor.user_id,
                                "p_lease": lease_until, "p_step": step_due})
    if found is None:
        return None
    before, case_id, case_no, token = found
    s.connection().execute(_ADD_EVENT, {
        "id": new_id(), "case_id": case_id, "at": now, "actor": actor.username, "action": "claim",
        "from_status": before, "to_status": Status.IN_REVIEW.value, "note": f"token {token}"})
    uow.audit(actor.username, "case.claim", "case", str(case_id), {"case_no": case_no, "token": token})
    uow.commit()
    return Claim(case_id, case_no, refs.dept.code, actor.username, token, now, lease_until, step_due)


def _probe_and_take(s: Session, params: dict[str, Any]) -> tuple[str, uuid.UUID, str, int] | None:
    """MariaDB and SQLite: look where ``_CLAIM_PROBES`` say, in turn, and take the first case found.

    Two index-ordered probes, not one OR: InnoDB locks every row it reads, so each scan must stop at its
    first free row.  SQLite needs no locks (its transaction holds the write lock from BEGIN IMMEDIATE).
    """
    conn = s.connection()
    for before, probe in _CLAIM_PROBES:
        row = conn.execute(probe, params).first()
        if row is not None:
            conn.execute(_CLAIM_BY_ID, {**params, "p_case": row.id})
            return before, row.id, row.case_no, row.claim_token + 1
    return None


@retry_transient
def claim(uow: UnitOfWork, actor: Actor, case_no: str, *, lease: timedelta | None = None) -> Claim:
    """Claim a chosen case; refused while someone else's lease on it runs."""
    with uow:
        s = uow.session
        case, department = _department_case(s, actor, case_no, lock=True)
        now = utcnow()
        if case.status == Status.IN_REVIEW and case.lease_until is not None and case.lease_until >= now:
            if case.holder_id == actor.user_id:
                raise Conflict("您已领取该办件")
            holder = s.get(User, case.holder_id)
            raise Conflict(f"该办件已由{holder.full_name if holder else '他人'}领取办理中")
        if case.status not in QUEUE_STATUSES:
            raise Conflict(f"办件 {case.case_no} 当前状态为“{case_view(case).status_name}”，不在待审批队列中")
        result = _take(uow, actor, case, read_dept_settings(s, department.code), now, lease)
        uow.commit()
        return result


def _held(s: Session, actor: Actor, case_no: str, token: int | None, now: datetime) -> Case:
    """The case, locked, if ``actor`` still holds it under ``token`` with a running lease, and still works in the
    case's department (a reviewer moved to another department keeps no power over the old one's cases); else
    refuse."""
    require(actor, "case.review")
    check_current(s, actor)
    case = load_case(s, case_no.strip().upper(), lock=True)
    if case.status != Status.IN_REVIEW or case.holder_id != actor.user_id:
        raise Conflict(f"您没有领取办件 {case.case_no}（或已被收回、转办），不能办理")
    if case.dept_id != actor.dept_id:
        raise PermissionDenied(f"办件 {case.case_no} 不属于您现在的部门（{actor.dept_name or '无部门'}），不能办理")
    if token is not None and token != case.claim_token:
        raise Conflict(f"办件 {case.case_no} 已被重新领取，您手中的领取已失效，决定未保存")
    if case.lease_until is None or case.lease_until < now:
        raise Conflict(f"办件 {case.case_no} 的领取已超时，请重新领取后再办理，决定未保存")
    return case


@retry_transient
def renew(uow: UnitOfWork, actor: Actor, case_no: str, token: int | None = None) -> HeldCase:
    """Extend the lease while the reviewer works on the case (the GUI calls this periodically)."""
    with uow:
        s = uow.session
        now = utcnow()
        case = _held(s, actor, case_no, token, now)
        dept = case.department.code if case.department else ""
        settings = read_dept_settings(s, dept)
        case.lease_until = now + timedelta(minutes=settings.lease_minutes)
        claimed_at = case.claimed_at or now
        result = held_case(s, Claim(case.id, case.case_no, dept, actor.username, case.claim_token, claimed_at,
                                    case.lease_until, case.step_due), case_view(case),
                           lifecycle.seal_required(case.item.kind, settings.licence_seal))
        uow.commit()
        return result


@retry_transient
def release(uow: UnitOfWork, actor: Actor, case_no: str) -> CaseView:
    """Put a claimed case back in the queue: its holder, or the department's chief representative."""
    with uow:
        s = uow.session
        case, _ = _department_case(s, actor, case_no, lock=True)
        if case.status != Status.IN_REVIEW:
            raise Conflict(f"办件 {case.case_no} 未被领取")
        if case.holder_id != actor.user_id and actor.role != "chief_rep":
            raise PermissionDenied("只能释放自己领取的办件（首席代表可释放本部门任何办件）")
        back_to_queue(uow, actor, case, Action.RELEASE, "释放回队列")
        view = case_view(case)
        uow.commit()
        return view


def back_to_queue(uow: UnitOfWork, actor: Actor, case: Case, action: Action, note: str) -> None:
    """Release or recall a case under review: no holder, no lease, back in its department's queue."""
    case.holder_id = None
    case.lease_until = None
    case.step_due = None
    lifecycle.transition(uow, case, action, actor.username, note=note, audit={"note": note})


@retry_transient
def reassign(uow: UnitOfWork, actor: Actor, case_no: str, username: str) -> Claim:
    """The chief representative hands a case to one of the department's reviewers."""
    require(actor, "case.reassign")
    with uow:
        s = uow.session
        case, department = _department_case(s, actor, case_no, lock=True)
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or user.dept_id != department.id or user.role not in BACK_OFFICE_ROLES or not user.active:
            raise ValidationError("username", f"{username} 不是本部门的在岗审批人员")
        if case.status not in QUEUE_STATUSES:
            raise Conflict(f"办件 {case.case_no} 不在待审批队列中")
        result = _take(uow, actor_of(user), case, read_dept_settings(s, department.code), utcnow(), None)
        uow.audit(actor.username, "case.reassign", "case", str(case.id), {"case_no": case.case_no, "to": username})
        uow.commit()
        return result


# ---- opinions and decisions ------------------------------------------------------------------------------


@retry_transient
def add_opinion(uow: UnitOfWork, actor: Actor, case_no: str, text: str, token: int | None = None) -> None:
    """A review opinion (审查意见) on a case the reviewer holds."""
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.OPINION, text, "opinion"))
    if not text.strip():
        raise ValidationError("opinion", "审查意见不能为空")
    with uow:
        s = uow.session
        case = _held(s, actor, case_no, token, utcnow())
        lifecycle.transition(uow, case, Action.OPINION, actor.username, note=text.strip())
        uow.commit()


def _check_decision_document(case: Case, decision: str, settings: DeptSettings, hall: HallSettings,
                             seal: bool) -> None:
    """What the written decision needs before anything is written: a denial names the 复议机关 and the court (hall
    settings); a 行政许可 decision bears the 审批专用章 when the department says so."""
    if decision == "deny" and (missing := appeal_problems(hall)):
        raise Conflict(f"大厅设置中的{'和'.join(missing)}为空：不予许可决定须告知申请人申请行政复议和提起行政诉讼的"
                       "机关，请系统管理员在“大厅设置”中填写后再作决定（决定未保存）")
    if lifecycle.seal_required(case.item.kind, settings.licence_seal) and not seal:
        raise ValidationError("seal", lifecycle.SEAL_REQUIRED_MESSAGE)


def _decision_document(s: Session, actor: Actor, case: Case, decision: str, department: Department,
                       settings: DeptSettings, hall: HallSettings, *, sealed: bool, now: datetime) -> Notice:
    """The 准予／不予行政许可决定书 (or 办理结果通知书) of this decision, numbered under the department's prefix in the
    decision's own transaction."""
    kind = documents.decision_kind(case.item.kind, decision)
    prefix = decision_prefix(settings, department.name)
    year = local_date(now).year
    doc_no = decision_number(prefix, kind, year, next_value(s, *decision_sequence(prefix, kind, year)))
    licensing = case.item.kind == documents.LICENSING
    basis = (case.decision_basis or case.item.legal_basis.strip()
             or (documents.DEFAULT_DECISION_BASIS if licensing else "有关法律、法规"))
    content = documents.decision_notice(case_view(case), kind, doc_no, hall, decision=decision, issuer=department.name,
                                        reason=case.decision_reason, legal_basis=basis, sealed=sealed, decided_at=now)
    return Notice(id=new_id(), case_id=case.id, kind=kind, doc_no=doc_no, issued_at=now, issued_by=actor.username,
                  payload=json.dumps(documents.notice_to_json(content), ensure_ascii=False))


def _seal(uow: UnitOfWork, actor: Actor, case: Case, decision: str) -> None:
    s = uow.session
    seal = s.execute(select(Seal).where(Seal.dept_id == case.dept_id, Seal.active.is_(True))).scalars().first()
    if seal is None:
        raise NotFound("本部门没有登记审批专用章")
    if actor.role == "chief_rep":
        authorised_by = actor.username
    else:
        # The grant must be for this case, by this department, for this very seal, and not voided by a 转办.
        grant = s.execute(
            select(SealAuthorisation).where(
                SealAuthorisation.case_id == case.id, SealAuthorisation.used_at.is_(None),
                SealAuthorisation.revoked_at.is_(None), SealAuthorisation.dept_id == case.dept_id,
                SealAuthorisation.seal_id == seal.id)
            .with_for_update()
        ).scalars().first()
        if grant is None:
            raise PermissionDenied("审批专用章须经本部门首席代表授权后方可使用：请先请首席代表授权本办件用章")
        grant.used_at = utcnow()
        authorised_by = grant.authorised_by
    s.add(SealUsage(id=new_id(), seal_id=seal.id, case_id=case.id, decision=decision, applied_by=actor.username,
                    authorised_by=authorised_by, at=utcnow()))
    uow.audit(actor.username, "seal.use", "seal", str(seal.id),
              {"case_no": case.case_no, "decision": decision, "authorised_by": authorised_by})


@retry_transient
def decide(
    uow: UnitOfWork,
    actor: Actor,
    case_no: str,
    decision: str,
    *,
    token: int | None = None,
    reason: str = "",
    legal_basis: str = "",
    transfer_to: str | None = None,
    seal: bool = False,
    supply: tuple[str, ...] = (),
) -> CaseView:
    """准予 / 不予许可 / 退回补正 / 转办 a case the actor holds under a running lease (and ``token``); a 退回补正
    names the materials to ``supply`` (codes of the case's materials) on its 补正通知书."""
    limits.check_each(limits.MATERIAL_CODE, supply, "supply")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.DECISION_REASON, reason, "reason"),
                     (limits.DECISION_BASIS, legal_basis, "legal_basis"), (limits.DEPT_CODE, transfer_to, "transfer_to"))
    require(actor, "case.review")
    if problems := lifecycle.decision_problems(decision, reason=reason, legal_basis=legal_basis,
                                               transfer_to=transfer_to, seal=seal):
        raise ValidationError(problems[0].field, "；".join(p.message for p in problems))
    with uow:
        s = uow.session
        now = utcnow()
        case = _held(s, actor, case_no, token, now)
        action = lifecycle.DECISIONS[decision]
        lifecycle.require(action, case.status, case.case_no)
        supplies = clocks.supply_list(s, case, supply) if decision == "return" else ()
        doc: Notice | None = None
        if decision in ("approve", "deny"):
            department = case.department or case.item.department
            settings = read_dept_settings(s, department.code)
            hall = read_hall_settings(s)
            _check_decision_document(case, decision, settings, hall, seal)
            case.decided_at = case.finished_at = now
            case.decided_by_id = actor.user_id
            case.decision_reason = reason.strip()
            case.decision_basis = legal_basis.strip()
            if seal:
                _seal(uow, actor, case, decision)
            doc = _decision_document(s, actor, case, decision, department, settings, hall, sealed=seal, now=now)
            case.decision_doc_no = doc.doc_no
            case.result_docs = f"{documents.NOTICE_TITLES[doc.kind]}（{doc.doc_no}）"
        elif decision == "return":
            # 退回补正 stops the promised clock only: the law's keeps running (行政许可法第45条).
            clocks.pause_promised(case, load_calendar(s), now)
            case.decision_reason = reason.strip()
        else:
            target = _dept(s, transfer_to or "")
            if target.id == case.dept_id:
                raise ValidationError("transfer_to", "不能转办给本部门")
            # A seal grant belongs to the department that gave it: it does not travel with the case.
            s.execute(update(SealAuthorisation).where(
                SealAuthorisation.case_id == case.id, SealAuthorisation.used_at.is_(None),
                SealAuthorisation.revoked_at.is_(None)).values(revoked_at=now))
            case.dept_id = target.id
            case.department = target
        case.holder_id = None
        case.lease_until = None
        note = reason.strip() + (f"（转至{transfer_to}）" if decision == "transfer" else "")
        # The audit row carries the decision as made: result, reasons and legal basis.
        lifecycle.transition(uow, case, action, actor.username, note=note, at=now, audit={
            "token": case.claim_token, "result": decision, "reason": reason.strip(),
            "legal_basis": legal_basis.strip(), "seal": seal, "transfer_to": transfer_to,
            **({"doc_no": doc.doc_no} if doc is not None else {})})
        if doc is not None:
            case.notices.append(doc)
        if decision == "return":  # the 补正通知书 that tells the applicant what to supply
            served = clocks.serve(uow, actor, case, "return", now, reason=reason.strip(), supply=supplies,
                                  promised_left=case.paused_promised)
            uow.audit(actor.username, "notice.issue", "case", str(case.id), {"case_no": case.case_no,
                                                                             **served.as_json()})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return view


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

