"""后台审批's claims: who holds a case and until when.

A reviewer claims the next case of the department's queue (one statement on PostgreSQL and MariaDB, `BEGIN
IMMEDIATE` on SQLite) or a chosen one; the lease is renewed while the case is open and released, reassigned or run
out; ``held`` is the case in hand with its lights and names.  Every later step names the claim token.
"""


from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast, overload

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from app import audit, lifecycle
from app.auth import AccountState, Actor, account_key, actor_of, check_account, check_current, load_account
from app.backoffice import (
    BACK_OFFICE_ROLES,
    QUEUE_STATUSES,
    DeptSettings,
    _department_case,
    _dept_ref,
    _DeptRef,
    _require_back_office,
    light,
    read_dept_settings,
)
from app.cases import CaseView, case_view, load_case
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import (
    HALL_TZ,
    load_calendar,
    local_date,
    today,
)
from app.infra import refcache
from app.lifecycle import Action, Status
from app.roles import require
from app.uow import UnitOfWork, retry_transient
from app.workdays import WorkCalendar
from db.driver import DriverStatement
from db.models import (
    Case,
    CaseEvent,
    User,
    new_id,
)
from db.types import utcnow

_CASES, _EVENTS = cast(Table, Case.__table__), cast(Table, CaseEvent.__table__)


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
