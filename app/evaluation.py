"""好差评 (GB/T 39734): the applicant's rating after an intake or a hand-over, and 差评整改 (rectification).

Ratings are voluntary and one per case per occasion (``intake`` at the comprehensive window, ``issue`` at the
output window); the unique key makes a second rating impossible.  A 差评 (levels 1–2) must name at least one
reason, and opens a rectification for the case's department: a callback to the applicant and a fix, within
``rectification_days`` working days (5 by default, set by the supervisor).  The chief representative records
the callback and the fix; supervisors see every department's, overdue ones first.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor
from app.backoffice import light
from app.cases import load_case
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.hall_settings import HALL_TZ, load_calendar, today, write_setting
from app.infra import outbox
from app.lifecycle import Status
from app.roles import require
from app.uow import UnitOfWork
from app.workdays import WorkCalendar
from db.models import Case, Counter, Department, Evaluation, Handover, Rectification, Setting, new_id
from db.types import utcnow

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVELS = (1, 2)  # 差评
REASONS: dict[str, str] = {
    "attitude": "服务态度差",
    "efficiency": "办事效率低",
    "guide": "办事指南不清",
    "not_once": "未一次性告知",
    "repeat": "多次跑动、重复提交材料",
    "overdue": "超时办理",
    "environment": "大厅环境设施差",
    "other": "其他",
}
OCCASIONS: dict[str, str] = {"intake": "受理后评价", "issue": "出件后评价"}
RECTIFICATION_STATUSES: dict[str, str] = {"open": "待回访", "called_back": "已回访待整改", "closed": "已整改"}
SETTINGS_KEY = "evaluation"


@dataclass(frozen=True)
class EvaluationSettings:
    """How long a department has to fix a 差评, and how long the display waits for a rating."""

    rectification_days: int = 5
    prompt_seconds: int = 45

    def as_json(self) -> dict[str, int]:
        return {"rectification_days": self.rectification_days, "prompt_seconds": self.prompt_seconds}


def read_evaluation_settings(s: Session) -> EvaluationSettings:
    row = s.get(Setting, SETTINGS_KEY)
    if row is None:
        return EvaluationSettings()
    data = json.loads(row.value)
    return EvaluationSettings(rectification_days=int(data.get("rectification_days", 5)),
                              prompt_seconds=int(data.get("prompt_seconds", 45)))


def get_evaluation_settings(uow: UnitOfWork) -> EvaluationSettings:
    with uow:
        return read_evaluation_settings(uow.session)


def save_evaluation_settings(uow: UnitOfWork, actor: Actor, settings: EvaluationSettings) -> EvaluationSettings:
    require(actor, "rating.settings")
    if not 1 <= settings.rectification_days <= 30:
        raise ValidationError("rectification_days", "整改期限须为1–30个工作日")
    if not 10 <= settings.prompt_seconds <= 300:
        raise ValidationError("prompt_seconds", "评价器等待时间须为10–300秒")
    with uow:
        s = uow.session
        write_setting(s, SETTINGS_KEY, settings.as_json())
        uow.audit(actor.username, "evaluation.settings", "setting", SETTINGS_KEY, settings.as_json())
        uow.commit()
        return settings


# ---- rating ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationView:
    id: uuid.UUID
    case_no: str
    occasion: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    dept: str
    counter: int | None
    at: datetime
    rectification_due: date | None  # set when the rating opened a rectification

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]

    @property
    def bad(self) -> bool:
        return self.level in BAD_LEVELS

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "case_no": self.case_no, "occasion": self.occasion, "level": self.level,
                "level_name": self.level_name, "reasons": list(self.reasons),
                "reason_names": [REASONS[r] for r in self.reasons], "comment": self.comment, "dept": self.dept,
                "counter": self.counter, "at": self.at.astimezone(HALL_TZ).isoformat(timespec="seconds"),
                "rectification_due": self.rectification_due.isoformat() if self.rectification_due else None}


def check_level(level: object) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise ValidationError("level", "评价等级须为1–5（5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意）")
    return level


def rate(
    uow: UnitOfWork,
    actor: Actor,
    case_no: str,
    level: int,
    *,
    reasons: tuple[str, ...] | list[str] = (),
    comment: str = "",
    occasion: str | None = None,
) -> EvaluationView:
    """Record the applicant's rating; a 差评 also opens the department's rectification."""
    require(actor, "case.rate")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.RATING_COMMENT, comment, "comment"))
    level = check_level(level)
    picked = tuple(dict.fromkeys(r.strip() for r in reasons if r.strip()))
    unknown = [r for r in picked if r not in REASONS]
    if unknown:
        raise ValidationError("reason", f"评价原因 {'、'.join(unknown)} 不存在，可选：{'、'.join(REASONS)}")
    if level in BAD_LEVELS and not picked:
        raise ValidationError("reason", f"“{LEVELS[level]}”须选择至少一项原因，以便部门整改")
    if level not in BAD_LEVELS and picked:
        raise ValidationError("reason", "只有“不满意”和“非常不满意”需要选择原因")
    if occasion is not None and occasion not in OCCASIONS:
        raise ValidationError("occasion", f"评价环节 {occasion} 不正确，可选：{'、'.join(OCCASIONS)}")
    with uow:
        s = uow.session
        case = load_case(s, case_no.strip().upper())
        when = occasion or ("issue" if case.status == Status.ISSUED else "intake")
        if when == "issue" and case.status != Status.ISSUED:
            raise Conflict(f"办件 {case.case_no} 尚未出件，不能进行出件评价")
        _check_rating_counter(s, actor, case, when)
        number = case.case_no
        if s.execute(select(Evaluation.id).where(Evaluation.case_id == case.id, Evaluation.occasion == when)).first():
            raise Conflict(f"办件 {number} 的{OCCASIONS[when]}已经评价过，每个环节只能评价一次")
        dept = case.department or case.item.department
        counter = (s.execute(select(Counter).where(Counter.number == actor.counter_number)).scalar_one_or_none()
                   if actor.counter_number else None)
        now = utcnow()
        row = Evaluation(id=new_id(), case_id=case.id, occasion=when, level=level, reasons=json.dumps(list(picked)),
                         comment=comment.strip(), dept_id=dept.id, counter_id=counter.id if counter else None,
                         clerk_id=actor.user_id if actor.role == "clerk" else None, at=now)
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            # Rated from another window in the same instant: the unique key decided.
            raise Conflict(f"办件 {number} 的{OCCASIONS[when]}已经评价过，每个环节只能评价一次") from None
        due: date | None = None
        if level in BAD_LEVELS:
            settings = read_evaluation_settings(s)
            due = load_calendar(s).add_workdays(today(), settings.rectification_days).date
            s.add(Rectification(id=new_id(), evaluation_id=row.id, case_id=case.id, dept_id=dept.id, opened_at=now,
                                due=due, status="open"))
        outbox.record(uow, case.id)  # at a counter's local store: the rating goes up with its case
        uow.audit(actor.username, "case.rate", "case", str(case.id),
                  {"case_no": case.case_no, "occasion": when, "level": level, "reasons": list(picked)})
        uow.commit()
        return EvaluationView(id=row.id, case_no=case.case_no, occasion=when, level=level, reasons=picked,
                              comment=row.comment, dept=dept.code, counter=counter.number if counter else None,
                              at=now, rectification_due=due)


def rated_occasions(uow: UnitOfWork, case_no: str) -> frozenset[str]:
    """The occasions already rated for a case (the display does not ask twice)."""
    with uow:
        case = load_case(uow.session, case_no.strip().upper())
        return frozenset(uow.session.execute(select(Evaluation.occasion).where(Evaluation.case_id == case.id))
                         .scalars())


@dataclass(frozen=True)
class EvaluationSummary:
    """Ratings of one department (or the hall) over a period: counts per level and the 差评 rate."""

    dept: str | None
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def bad(self) -> int:
        return sum(self.counts.get(level, 0) for level in BAD_LEVELS)

    @property
    def satisfaction(self) -> float:
        """Share of 满意 and 非常满意 (levels 4–5), 0 when nothing was rated."""
        return (self.counts.get(4, 0) + self.counts.get(5, 0)) / self.total if self.total else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"dept": self.dept, "total": self.total, "bad": self.bad, "satisfaction": round(self.satisfaction, 4),
                "levels": {str(k): self.counts.get(k, 0) for k in sorted(LEVELS)}}


def evaluation_summary(uow: UnitOfWork, actor: Actor, *, dept: str | None = None, since: date | None = None,
                       until: date | None = None) -> EvaluationSummary:
    require(actor, "rating.view")
    dept = _dept_scope(actor, dept)
    with uow:
        q = select(Evaluation.level)
        if dept:
            q = q.join(Department, Evaluation.dept_id == Department.id).where(Department.code == dept)
        if since:
            q = q.where(Evaluation.at >= datetime.combine(since, datetime.min.time(), HALL_TZ))
        if until:
            q = q.where(Evaluation.at < datetime.combine(until, datetime.max.time(), HALL_TZ))
        return EvaluationSummary(dept=dept, counts=dict(Tally(uow.session.execute(q).scalars())))


# ---- rectification ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationView:
    id: uuid.UUID
    case_no: str
    dept: str
    dept_name: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    occasion: str
    opened_at: datetime
    due: date
    status: str
    light: str  # green | yellow | red, as the back office's time limits
    callback_at: datetime | None
    callback_by: str
    callback_note: str
    fix_note: str
    closed_at: datetime | None
    closed_by: str

    @property
    def status_name(self) -> str:
        return RECTIFICATION_STATUSES[self.status]

    @property
    def overdue(self) -> bool:
        return self.light == "red"

    def as_json(self) -> dict[str, Any]:
        def ts(v: datetime | None) -> str | None:
            return v.astimezone(HALL_TZ).isoformat(timespec="seconds") if v else None

        return {"id": str(self.id), "case_no": self.case_no, "dept": self.dept, "dept_name": self.dept_name,
                "level": self.level, "level_name": LEVELS[self.level], "reasons": list(self.reasons),
                "comment": self.comment, "occasion": self.occasion, "opened_at": ts(self.opened_at),
                "due": self.due.isoformat(), "status": self.status, "status_name": self.status_name,
                "light": self.light, "overdue": self.overdue, "callback_at": ts(self.callback_at),
                "callback_by": self.callback_by, "callback_note": self.callback_note, "fix_note": self.fix_note,
                "closed_at": ts(self.closed_at), "closed_by": self.closed_by}


def _check_rating_counter(s: Session, actor: Actor, case: Case, when: str) -> None:
    """The applicant rates at the window that served them: the taking counter after an intake, the output
    window that handed the result over after a hand-over."""
    if when == "intake":
        counter_id = case.counter_id
    else:
        counter_id = s.execute(select(Handover.counter_id).where(Handover.case_id == case.id)).scalar_one_or_none()
    counter = s.get(Counter, counter_id) if counter_id else None
    if counter is None or counter.number != actor.counter_number:
        where = f"{counter.number}号窗口" if counter else "办理该件的窗口"
        raise PermissionDenied(f"评价只能在为申请人办理的窗口（{where}）记录")


def _dept_scope(actor: Actor, dept: str | None) -> str | None:
    """Chief representatives see their own department only; supervisors and admins any (or all)."""
    if actor.role == "chief_rep":
        if dept and dept != actor.dept_code:
            raise PermissionDenied(f"只能查看本部门（{actor.dept_name}）的评价和整改")
        return actor.dept_code
    return dept


def list_rectifications(uow: UnitOfWork, actor: Actor, *, dept: str | None = None, status: str | None = None,
                        overdue_only: bool = False) -> list[RectificationView]:
    """Rectifications, overdue first, then by deadline."""
    require(actor, "rating.view")
    if status is not None and status not in RECTIFICATION_STATUSES:
        raise ValidationError("status", f"整改状态 {status} 不存在，可选：{'、'.join(RECTIFICATION_STATUSES)}")
    dept = _dept_scope(actor, dept)
    with uow:
        s = uow.session
        q = (select(Rectification, Evaluation, Case.case_no, Department)
             .join(Evaluation, Rectification.evaluation_id == Evaluation.id)
             .join(Case, Rectification.case_id == Case.id)
             .join(Department, Rectification.dept_id == Department.id))
        if dept:
            q = q.where(Department.code == dept)
        if status:
            q = q.where(Rectification.status == status)
        cal = load_calendar(s)
        on = today()
        views = [_rect_view(r, e, case_no, d, cal, on) for r, e, case_no, d in s.execute(q.order_by(Rectification.due))]
    if overdue_only:
        views = [v for v in views if v.overdue]
    order = {"red": 0, "yellow": 1, "green": 2, "done": 3}
    return sorted(views, key=lambda v: (order[v.light], v.due, v.case_no))


def _rect_view(r: Rectification, e: Evaluation, case_no: str, d: Department, cal: WorkCalendar, on: date) -> RectificationView:
    return RectificationView(
        id=r.id, case_no=case_no, dept=d.code, dept_name=d.name, level=e.level,
        reasons=tuple(json.loads(e.reasons or "[]")), comment=e.comment, occasion=e.occasion, opened_at=r.opened_at,
        due=r.due, status=r.status, light="done" if r.status == "closed" else light(cal, r.due, on),
        callback_at=r.callback_at, callback_by=r.callback_by, callback_note=r.callback_note, fix_note=r.fix_note,
        closed_at=r.closed_at, closed_by=r.closed_by)


def _rectification(s: Session, actor: Actor, rect_id: str) -> tuple[Rectification, Department]:
    try:
        key = uuid.UUID(rect_id.strip())
    except ValueError:
        raise ValidationError("id", f"整改编号 {rect_id} 格式不正确") from None
    row = s.execute(select(Rectification).where(Rectification.id == key).with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"整改 {rect_id} 不存在")
    dept = s.get(Department, row.dept_id)
    assert dept is not None
    if actor.role == "chief_rep" and actor.dept_id != row.dept_id:
        raise PermissionDenied(f"只能处理本部门（{actor.dept_name}）的整改")
    return row, dept


def _one(s: Session, row: Rectification, dept: Department) -> RectificationView:
    e = s.get(Evaluation, row.evaluation_id)
    case = s.get(Case, row.case_id)
    assert e is not None and case is not None
    return _rect_view(row, e, case.case_no, dept, load_calendar(s), today())


def record_callback(uow: UnitOfWork, actor: Actor, rect_id: str, note: str) -> RectificationView:
    """The chief representative has called the applicant back: what was said."""
    require(actor, "rectification.handle")
    limits.check(limits.RECTIFICATION_CALLBACK, note, "note")
    if len(note.strip()) < 4:
        raise ValidationError("note", "请写明回访情况（回访对象、方式和申请人意见）")
    with uow:
        s = uow.session
        row, dept = _rectification(s, actor, rect_id)
        if row.status != "open":
            raise Conflict(f"该整改已回访（{RECTIFICATION_STATUSES[row.status]}）")
        row.status = "called_back"
        row.callback_at = utcnow()
        row.callback_by = actor.username
        row.callback_note = note.strip()
        uow.audit(actor.username, "rectification.callback", "rectification", str(row.id), {"note": row.callback_note})
        view = _one(s, row, dept)
        uow.commit()
        return view


def close_rectification(uow: UnitOfWork, actor: Actor, rect_id: str, fix: str) -> RectificationView:
    """The fix is done and recorded; a rectification closes only after its callback."""
    require(actor, "rectification.handle")
    limits.check(limits.RECTIFICATION_FIX, fix, "fix")
    if len(fix.strip()) < 4:
        raise ValidationError("fix", "请写明整改措施和结果")
    with uow:
        s = uow.session
        row, dept = _rectification(s, actor, rect_id)
        if row.status == "open":
            raise Conflict("请先回访申请人并登记回访情况，再办结整改")
        if row.status == "closed":
            raise Conflict("该整改已办结")
        row.status = "closed"
        row.fix_note = fix.strip()
        row.closed_at = utcnow()
        row.closed_by = actor.username
        uow.audit(actor.username, "rectification.close", "rectification", str(row.id), {"fix": row.fix_note})
        view = _one(s, row, dept)
        uow.commit()
        return view
