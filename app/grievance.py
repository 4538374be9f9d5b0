"""办不成事窗口: grievances — complaints and demands the hall could not meet — from 受理 to 归档.

The supervisor (营商办/管委会) runs the window; each step is one transaction with its event (the history shown
in the detail view) and its audit row::

    register  受理  → received      the supervisor, or the clerk at a 办不成事 counter, writes it down
    classify  分类  → classified    unresolved 办不成事 / complaint 投诉 / suggestion 建议 (may be redone)
    assign    转办  → assigned      to a department, due in N working days (限时督办; may be reassigned)
    urge      督办    (assigned)    the supervisor presses the department, optionally with a new deadline
    resolve   办结  → resolved      the department's chief representative replies; the supervisor may also
                                    settle one on the spot, before it is classified or assigned
    callback  回访  → called_back   the supervisor calls the complainant back: satisfied …
                    → assigned      … or not: reopened for the same department with a new deadline
    archive   归档  → archived

Deadlines are working days on the hall's calendar (``grievance`` setting, 5 by default) and show the back
office's 红黄牌 lights.  A chief representative sees and settles only the grievances handed to their own
department; nobody else but the supervisor sees any.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor
from app.backoffice import light
from app.claims import display_names
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, load_calendar, local_date, today, write_setting
from app.infra.numbering import next_value
from app.roles import allowed, require
from app.uow import UnitOfWork, retry_transient
from app.validators import check_mobile, mask_name, mask_phone
from app.workdays import WorkCalendar
from db.models import Case, Department, Grievance, GrievanceEvent, Setting, User, new_id
from db.types import utcnow

STATUSES: dict[str, str] = {
    "received": "已受理",
    "classified": "已分类",
    "assigned": "已转办",
    "resolved": "已办结",
    "called_back": "已回访",
    "archived": "已归档",
}
# From 办结 on, the deadline no longer runs: the light is "done".
DONE_STATUSES = ("resolved", "called_back", "archived")
CATEGORIES: dict[str, str] = {"unresolved": "办不成事", "complaint": "投诉", "suggestion": "建议"}
CHANNELS: dict[str, str] = {"window": "窗口", "phone": "电话", "online": "网上", "letter": "信件"}
ACTIONS: dict[str, str] = {
    "register": "受理",
    "classify": "分类",
    "assign": "转办",
    "urge": "督办",
    "resolve": "办结",
    "callback": "回访",
    "reopen": "重新办理",
    "archive": "归档",
}
SETTINGS_KEY = "grievance"
NUMBER_SCOPE = "grievance"  # counter_sequence scope: one daily sequence for the whole hall
MIN_DAYS, MAX_DAYS = 1, 60


def grievance_number(yymmdd: str, seq: int) -> str:
    """``BC261127-0001``: 办不成事 mark, date, the day's sequence — short to read aloud, sorts by day."""
    return f"BC{yymmdd}-{seq:04d}"


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(HALL_TZ).isoformat(timespec="seconds") if value else None


def _one_of(field: str, value: str, choices: dict[str, str], what: str) -> str:
    if value not in choices:
        raise ValidationError(field, f"{what} {value} 不正确，可选：{'、'.join(f'{k}（{v}）' for k, v in choices.items())}")
    return value


def _check_days(days: int | None) -> None:
    if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError("days", f"办理期限须为{MIN_DAYS}–{MAX_DAYS}个工作日")


def _text(field: str, value: str, limit: limits.Limit, empty: str) -> str:
    limits.check(limit, value, field)
    text = value.strip()
    if not text:
        raise ValidationError(field, empty)
    return text


# ---- settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrievanceSettings:
    """How many working days a department gets for a grievance handed to it (限时督办)."""

    days: int = 5

    def as_json(self) -> dict[str, int]:
        return {"days": self.days}


def read_grievance_settings(s: Session) -> GrievanceSettings:
    row = s.get(Setting, SETTINGS_KEY)
    if row is None:
        return GrievanceSettings()
    return GrievanceSettings(days=int(json.loads(row.value).get("days", 5)))


def get_grievance_settings(uow: UnitOfWork) -> GrievanceSettings:
    with uow:
        return read_grievance_settings(uow.session)


def save_grievance_settings(uow: UnitOfWork, actor: Actor, settings: GrievanceSettings) -> GrievanceSettings:
    require(actor, "grievance.supervise")
    _check_days(settings.days)
    with uow:
        s = uow.session
        write_setting(s, SETTINGS_KEY, settings.as_json())
        uow.audit(actor.username, "grievance.settings", "setting", SETTINGS_KEY, settings.as_json())
        uow.commit()
        return settings


# ---- views ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrievanceView:
    id: uuid.UUID
    grievance_no: str
    received_at: datetime
    channel: str
    category: str | None
    complainant: str
    phone: str  # in full for the callback; masked in as_json
    content: str
    case_no: str | None
    dept: str | None
    dept_name: str | None
    status: str
    due: date | None
    urge_count: int
    reply: str
    resolved_by: str | None
    resolved_at: datetime | None
    callback_note: str
    satisfied: bool | None
    archived_at: datetime | None
    light: str  # green | yellow | red as the back office's time limits; none before 转办; done once resolved
    resolved_by_name: str | None = None  # who replied, by name, as screens show it

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    @property
    def channel_name(self) -> str:
        return CHANNELS[self.channel]

    @property
    def category_name(self) -> str | None:
        return CATEGORIES[self.category] if self.category else None

    @property
    def overdue(self) -> bool:
        return self.light == "red"

    @property
    def complainant_masked(self) -> str:
        """As lists show it (张*): the full name is for the one grievance being handled, not for every row."""
        return mask_name(self.complainant)

    def as_json(self, *, full_name: bool = False) -> dict[str, Any]:
        return {"id": str(self.id), "grievance_no": self.grievance_no, "received_at": _ts(self.received_at),
                "channel": self.channel, "channel_name": self.channel_name, "category": self.category,
                "category_name": self.category_name,
                "complainant": self.complainant if full_name else self.complainant_masked,
                "phone": mask_phone(self.phone) if self.phone else "", "content": self.content,
                "case_no": self.case_no, "dept": self.dept, "dept_name": self.dept_name, "status": self.status,
                "status_name": self.status_name, "due": self.due.isoformat() if self.due else None,
                "light": self.light, "overdue": self.overdue, "urge_count": self.urge_count, "reply": self.reply,
                "resolved_by": self.resolved_by, "resolved_at": _ts(self.resolved_at),
                "callback_note": self.callback_note, "satisfied": self.satisfied,
                "archived_at": _ts(self.archived_at)}


@dataclass(frozen=True)
class GrievanceEventView:
    at: datetime
    actor: str
    action: str
    note: str

    @property
    def action_name(self) -> str:
        return ACTIONS[self.action]

    def as_json(self) -> dict[str, Any]:
        return {"at": _ts(self.at), "actor": self.actor, "action": self.action, "action_name": self.action_name,
                "note": self.note}


@dataclass(frozen=True)
class GrievanceDetail:
    """One grievance with its history, oldest step first."""

    grievance: GrievanceView
    events: tuple[GrievanceEventView, ...]
    names: Mapping[str, str] = field(default_factory=dict)  # the events' actors (usernames) by name

    def as_json(self) -> dict[str, Any]:
        return {**self.grievance.as_json(full_name=True), "events": [e.as_json() for e in self.events]}


def _query() -> Select[Grievance, str | None, str | None, str | None, str | None, str | None]:
    return (select(Grievance, Department.code, Department.name, Case.case_no, User.username, User.full_name)
            .outerjoin(Department, Grievance.dept_id == Department.id)
            .outerjoin(Case, Grievance.case_id == Case.id)
            .outerjoin(User, Grievance.resolved_by_id == User.id))


def _view(g: Grievance, dept: str | None, dept_name: str | None, case_no: str | None, resolved_by: str | None,
          lit: str, resolved_by_name: str | None = None) -> GrievanceView:
    return GrievanceView(
        id=g.id, grievance_no=g.grievance_no, received_at=g.received_at, channel=g.channel, category=g.category,
        complainant=g.complainant, phone=g.phone, content=g.content, case_no=case_no, dept=dept, dept_name=dept_name,
        status=g.status, due=g.due, urge_count=g.urge_count, reply=g.reply, resolved_by=resolved_by,
        resolved_at=g.resolved_at, callback_note=g.callback_note, satisfied=g.satisfied, archived_at=g.archived_at,
        light=lit, resolved_by_name=resolved_by_name or resolved_by)


def _light_of(g: Grievance, cal: WorkCalendar, on: date) -> str:
    if g.status in DONE_STATUSES:
        return "done"
    return "none" if g.due is None else light(cal, g.due, on)  # not handed over yet: no deadline runs


def _current(s: Session, g: Grievance) -> GrievanceView:
    """The view of a grievance just changed in this session (its rows are in the identity map)."""
    s.flush()
    row = s.execute(_query().where(Grievance.id == g.id)).one()
    return _view(g, row[1], row[2], row[3], row[4], _light_of(g, load_calendar(s), today()), row[5])


# ---- scope and state ------------------------------------------------------------------------------------


def _load(s: Session, no: str) -> Grievance:
    """The grievance by number, locked until commit: two supervisors' steps on one grievance queue up."""
    limits.check(limits.GRIEVANCE_NO, no, "no")
    key = no.strip().upper()
    g = s.execute(select(Grievance).where(Grievance.grievance_no == key).with_for_update()).scalar_one_or_none()
    if g is None:
        raise NotFound(f"诉求编号 {key} 不存在")
    return g


def _require_own(actor: Actor, g: Grievance) -> None:
    """A chief representative works only on what was handed to their department."""
    if actor.role == "chief_rep" and (g.dept_id is None or g.dept_id != actor.dept_id):
        raise PermissionDenied(f"只能查看和办理转办给本部门（{actor.dept_name}）的诉求")


def _require_status(g: Grievance, allowed: tuple[str, ...], doing: str) -> None:
    if g.status not in allowed:
        wanted = "、".join(f"“{STATUSES[a]}”" for a in allowed)
        raise Conflict(f"诉求 {g.grievance_no} 当前为“{STATUSES[g.status]}”，不能{doing}（须为{wanted}）")


def _department(s: Session, code: str) -> Department:
    limits.check(limits.DEPT_CODE, code, "dept")
    key = code.strip().upper()
    dept = s.execute(select(Department).where(Department.code == key)).scalar_one_or_none()
    if dept is None:
        raise ValidationError("dept", f"部门代码 {key or '（空）'} 不存在，请核对（如 SCJ 区市场监管局）")
    return dept


def _record(g: Grievance, actor: Actor, action: str, note: str, at: datetime) -> None:
    g.events.append(GrievanceEvent(id=new_id(), grievance_id=g.id, seq=len(g.events) + 1, at=at,
                                   actor=actor.username, action=action, note=note))


def _deadline(s: Session, days: int | None) -> tuple[date, int]:
    """The 限时督办 deadline from today: ``days`` working days, else the hall's setting."""
    n = days or read_grievance_settings(s).days
    return load_calendar(s).add_workdays(today(), n).date, n


# ---- the steps ------------------------------------------------------------------------------------------


# The statuses each step starts from: the services check them, and the GUI enables its buttons by them.
STEP_STATUSES: dict[str, tuple[str, ...]] = {
    "classify": ("received", "classified"),
    "assign": ("classified", "assigned"),
    "urge": ("assigned",),
    # The supervisor may settle one at the window on the spot, before any department is involved.
    "resolve": ("received", "classified", "assigned"),
    "callback": ("resolved",),
    "archive": ("called_back",),
}
# A chief representative replies to what was handed to the department, nothing else.
DEPT_STEP_STATUSES: dict[str, tuple[str, ...]] = {"resolve": ("assigned",)}


def steps_for(actor: Actor) -> dict[str, tuple[str, ...]]:
    """The steps ``actor`` may take on a grievance, each with the statuses it starts from."""
    if allowed(actor, "grievance.supervise"):
        return STEP_STATUSES
    return DEPT_STEP_STATUSES if allowed(actor, "grievance.resolve") else {}


def may_register(actor: Actor) -> bool:
    """受理: the role table's ``grievance.register``; a clerk only at the 办不成事 counter."""
    return allowed(actor, "grievance.register") and (actor.role != "clerk" or actor.counter_kind == "grievance")


@retry_transient
def register(uow: UnitOfWork, actor: Actor, *, complainant: str, content: str, phone: str = "",
             channel: str = "window", case_no: str | None = None) -> GrievanceView:
    """受理: write down a complaint or a demand; it gets the day's next ``BC`` number."""
    require(actor, "grievance.register")
    if not may_register(actor):
        raise PermissionDenied("只有办不成事窗口的工作人员和营商办可以登记诉求")
    name = _text("complainant", complainant, limits.COMPLAINANT, "请填写诉求人姓名")
    text = _text("content", content, limits.GRIEVANCE_CONTENT, "请填写诉求内容（办不成的事或投诉的具体情况）")
    limits.check_all((limits.GRIEVANCE_PHONE, phone, "phone"), (limits.CASE_NO, case_no, "case_no"))
    mobile = check_mobile(phone) if phone.strip() else ""
    _one_of("channel", channel, CHANNELS, "受理渠道")
    with uow:
        s = uow.session
        case_id: uuid.UUID | None = None
        ref = (case_no or "").strip().upper() or None
        if ref:
            case_id = s.execute(select(Case.id).where(Case.case_no == ref)).scalar_one_or_none()
            if case_id is None:
                raise ValidationError("case_no", f"办件编号 {ref} 不存在，请核对（与办件无关时可不填）")
        now = utcnow()
        day = local_date(now).strftime("%y%m%d")
        # Taken last of the reads: the sequence row stays locked until commit.
        number = grievance_number(day, next_value(s, NUMBER_SCOPE, day))
        g = Grievance(id=new_id(), grievance_no=number, received_at=now, channel=channel, complainant=name,
                      phone=mobile, content=text, case_id=case_id, status="received", urge_count=0, reply="",
                      callback_note="", created_at=now)
        s.add(g)
        _record(g, actor, "register", f"{CHANNELS[channel]}受理", now)
        # No name, phone or content in the audit trail: it is permanent and hashed.
        uow.audit(actor.username, "grievance.register", "grievance", str(g.id),
                  {"grievance_no": number, "channel": channel, "case_no": ref})
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def classify(uow: UnitOfWork, actor: Actor, no: str, category: str) -> GrievanceView:
    """分类: 办不成事, 投诉 or 建议; may be corrected until the grievance is handed to a department."""
    require(actor, "grievance.supervise")
    _one_of("category", category, CATEGORIES, "诉求类别")
    with uow:
        s = uow.session
        g = _load(s, no)
        _require_status(g, STEP_STATUSES["classify"], "分类")
        before = g.category
        if before == category:
            return _current(s, g)  # already so: nothing to record
        g.category = category
        g.status = "classified"
        note = CATEGORIES[category] if before is None else f"{CATEGORIES[before]} → {CATEGORIES[category]}"
        _record(g, actor, "classify", note, utcnow())
        uow.audit(actor.username, "grievance.classify", "grievance", str(g.id),
                  {"grievance_no": g.grievance_no, "category": category, "before": before})
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def assign(uow: UnitOfWork, actor: Actor, no: str, dept: str, *, days: int | None = None) -> GrievanceView:
    """转办: hand it to a department with a working-day deadline; reassigning sets a new one."""
    require(actor, "grievance.supervise")
    _check_days(days)
    with uow:
        s = uow.session
        g = _load(s, no)
        if g.status == "received":
            raise Conflict(f"诉求 {g.grievance_no} 尚未分类：请先分类（办不成事、投诉或建议），再转办")
        _require_status(g, STEP_STATUSES["assign"], "转办")
        department = _department(s, dept)
        before = s.get(Department, g.dept_id) if g.dept_id else None
        due, n = _deadline(s, days)
        g.dept_id = department.id
        g.status = "assigned"
        g.due = due
        handed = f"改派：{before.name} → {department.name}" if before else f"转办{department.name}"
        _record(g, actor, "assign", f"{handed}，{n}个工作日内办结（{due.isoformat()}前）", utcnow())
        uow.audit(actor.username, "grievance.assign", "grievance", str(g.id),
                  {"grievance_no": g.grievance_no, "dept": department.code, "due": due.isoformat(),
                   "before": before.code if before else None})
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def urge(uow: UnitOfWork, actor: Actor, no: str, note: str, *, days: int | None = None) -> GrievanceView:
    """督办: press the department; with ``days`` the deadline becomes that many working days from today."""
    require(actor, "grievance.supervise")
    text = _text("note", note, limits.URGE_NOTE, "请写明督办意见")
    _check_days(days)
    with uow:
        s = uow.session
        g = _load(s, no)
        _require_status(g, STEP_STATUSES["urge"], "督办")
        g.urge_count += 1
        if days is not None:
            g.due, _ = _deadline(s, days)
            text = f"{text}（新期限：{g.due.isoformat()}）"
        _record(g, actor, "urge", text, utcnow())
        uow.audit(actor.username, "grievance.urge", "grievance", str(g.id),
                  {"grievance_no": g.grievance_no, "note": text, "due": g.due.isoformat() if g.due else None,
                   "urge_count": g.urge_count})
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def resolve(uow: UnitOfWork, actor: Actor, no: str, reply: str) -> GrievanceView:
    """办结: the reply to the complainant, by the department's chief representative (or the supervisor)."""
    require(actor, "grievance.resolve")
    text = _text("reply", reply, limits.GRIEVANCE_REPLY, "请填写办理结果（答复诉求人的内容）")
    with uow:
        s = uow.session
        g = _load(s, no)
        _require_own(actor, g)
        steps = DEPT_STEP_STATUSES if actor.role == "chief_rep" else STEP_STATUSES
        _require_status(g, steps["resolve"], "办结")
        now = utcnow()
        g.status = "resolved"
        g.reply = text
        g.resolved_by_id = actor.user_id
        g.resolved_at = now
        _record(g, actor, "resolve", text, now)
        uow.audit(actor.username, "grievance.resolve", "grievance", str(g.id),
                  {"grievance_no": g.grievance_no, "reply": text})
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def callback(uow: UnitOfWork, actor: Actor, no: str, *, satisfied: bool, note: str) -> GrievanceView:
    """回访: satisfied closes the handling; not satisfied reopens it for the same department, with a new deadline."""
    require(actor, "grievance.supervise")
    text = _text("note", note, limits.GRIEVANCE_CALLBACK, "请写明回访情况（回访方式和诉求人的意见）")
    with uow:
        s = uow.session
        g = _load(s, no)
        _require_status(g, STEP_STATUSES["callback"], "回访")
        now = utcnow()
        g.callback_note = text
        g.satisfied = satisfied
        _record(g, actor, "callback", f"{'满意' if satisfied else '不满意'}：{text}", now)
        payload: dict[str, Any] = {"grievance_no": g.grievance_no, "satisfied": satisfied, "note": text}
        if satisfied:
            g.status = "called_back"
        else:
            # The old reply stays in the history (the resolve event); the grievance is open again.
            g.reply = ""
            g.resolved_by_id = None
            g.resolved_at = None
            dept = s.get(Department, g.dept_id) if g.dept_id else None
            if dept is not None:
                g.status = "assigned"
                g.due, n = _deadline(s, None)
                again = f"诉求人不满意，重新交{dept.name}办理，{n}个工作日内办结（{g.due.isoformat()}前）"
            else:
                # Settled on the spot, never handed over: back to the window, to settle again or hand over.
                g.status = "classified" if g.category else "received"
                g.due = None
                again = "诉求人不满意，重新办理"
            _record(g, actor, "reopen", again, now)
            payload.update(reopened=g.status, due=g.due.isoformat() if g.due else None)
        uow.audit(actor.username, "grievance.callback", "grievance", str(g.id), payload)
        view = _current(s, g)
        uow.commit()
        return view


@retry_transient
def archive(uow: UnitOfWork, actor: Actor, no: str) -> GrievanceView:
    """归档: the complainant was called back and satisfied; nothing more to do."""
    require(actor, "grievance.supervise")
    with uow:
        s = uow.session
        g = _load(s, no)
        _require_status(g, STEP_STATUSES["archive"], "归档")
        now = utcnow()
        g.status = "archived"
        g.archived_at = now
        _record(g, actor, "archive", "", now)
        uow.audit(actor.username, "grievance.archive", "grievance", str(g.id), {"grievance_no": g.grievance_no})
        view = _current(s, g)
        uow.commit()
        return view


# ---- reading --------------------------------------------------------------------------------------------


_LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, "none": 3, "done": 4}


def list_grievances(uow: UnitOfWork, actor: Actor, *, dept: str | None = None, status: str | None = None,
                    overdue: bool = False, on: date | None = None) -> list[GrievanceView]:
    """Grievances overdue first, then by deadline (none last), then by receipt; settled ones at the end.

    The supervisor sees all (or one department's); a chief representative only their own department's.
    ``on`` is the day the lights are worked out for (today by default).
    """
    require(actor, "grievance.view")
    if status is not None:
        _one_of("status", status, STATUSES, "诉求状态")
    if actor.role == "chief_rep" and dept and dept.strip().upper() != actor.dept_code:
        raise PermissionDenied(f"只能查看本部门（{actor.dept_name}）的诉求")
    day = on or today()
    with uow:
        s = uow.session
        q = _query()
        if actor.role == "chief_rep":
            q = q.where(Grievance.dept_id == actor.dept_id)
        elif dept:
            q = q.where(Grievance.dept_id == _department(s, dept).id)
        if status:
            q = q.where(Grievance.status == status)
        if overdue:
            # Exactly the red light: past the deadline and not yet settled.
            q = q.where(Grievance.due < day, Grievance.status.not_in(DONE_STATUSES))
        cal = load_calendar(s)
        views = [_view(g, code, name, case_no, by, _light_of(g, cal, day), by_name)
                 for g, code, name, case_no, by, by_name in s.execute(q)]
    return sorted(views, key=lambda v: (_LIGHT_ORDER[v.light], v.due or date.max, v.received_at, v.grievance_no))


def get_grievance(uow: UnitOfWork, actor: Actor, no: str, *, on: date | None = None) -> GrievanceDetail:
    """One grievance with its history; the same scope as the list."""
    require(actor, "grievance.view")
    key = no.strip().upper()
    with uow:
        s = uow.session
        row = s.execute(_query().where(Grievance.grievance_no == key)).one_or_none()
        if row is None:
            raise NotFound(f"诉求编号 {key} 不存在")
        g = row[0]
        _require_own(actor, g)
        view = _view(g, row[1], row[2], row[3], row[4], _light_of(g, load_calendar(s), on or today()), row[5])
        events = tuple(GrievanceEventView(at=e.at, actor=e.actor, action=e.action, note=e.note) for e in g.events)
        return GrievanceDetail(grievance=view, events=events, names=display_names(s, (e.actor for e in events)))
