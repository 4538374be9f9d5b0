"""特别程序, 恢复计时 and 延期: the back office's actions on a case's clocks (rules in ``app.clocks``).

* ``suspend``: the reviewer holding the case starts a 特别程序 of 行政许可法第45条; both clocks stop with their
  working days left, the case waits (特别程序中) with its reviewer, and a 特别程序告知书 is issued.
* ``resume``: the procedure is over; the clocks restart with the days that were left, counted from today on
  the hall's calendar, and the resuming member of the department holds the case again under a new lease.
* ``extend``: 第42条 — once per case, 行政许可 items only, at most ten working days with the head's approval;
  the legal due date moves on the hall's calendar and a 延期告知书 tells the applicant why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app import clocks, lifecycle, limits
from app.auth import Actor
from app.backoffice import _department_case, read_dept_settings
from app.cases import CaseView, case_view, load_case
from app.claims import Claim, HeldCase, _held, held_case
from app.errors import Conflict, PermissionDenied, ValidationError
from app.hall_settings import load_calendar, local_date
from app.lifecycle import Action, Problem, Status
from app.roles import require
from app.uow import UnitOfWork, retry_transient
from db.types import utcnow


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems[0].field, "；".join(p.message for p in problems))


@dataclass(frozen=True)
class ClockChange:
    """A case after 特别程序 or 延期, with the notice that tells the applicant."""

    case: CaseView
    notice: clocks.Served

    def as_json(self) -> dict[str, Any]:
        data = self.case.as_json()
        data["notice"] = self.notice.as_json()
        return data


@retry_transient
def suspend(uow: UnitOfWork, actor: Actor, case_no: str, procedure: str, reason: str, *,
            token: int | None = None) -> ClockChange:
    """Start a 特别程序 on a case the actor holds: both clocks stop, a 特别程序告知书 is issued."""
    require(actor, "case.clock")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.SPECIAL_REASON, reason, "reason"))
    _refuse(lifecycle.suspend_problems(procedure, reason))
    with uow:
        s = uow.session
        now = utcnow()
        case = load_case(s, case_no.strip().upper(), lock=True)
        lifecycle.require(Action.SUSPEND, case.status, case.case_no)
        case = _held(s, actor, case_no, token, now)
        cal = load_calendar(s)
        on = local_date(now)
        case.paused_promised = clocks.days_left(cal, on, case.promised_due)
        case.paused_legal = clocks.days_left(cal, on, case.legal_due)
        case.clock_paused_at = now
        case.special_procedure, case.special_reason = procedure, reason.strip()
        # The reviewer keeps the case (it waits in 我的在办); no lease runs while nothing can be decided.
        case.lease_until = None
        case.step_due = None
        lifecycle.transition(uow, case, Action.SUSPEND, actor.username, at=now,
                             note=f"{procedure}：{reason.strip()}", audit={
                                 "procedure": procedure, "reason": reason.strip(),
                                 "promised_left": case.paused_promised, "legal_left": case.paused_legal})
        served = clocks.serve(uow, actor, case, "suspension", now, reason=reason.strip(), procedure=procedure,
                              promised_left=case.paused_promised or 0, legal_left=case.paused_legal or 0)
        uow.audit(actor.username, "notice.issue", "case", str(case.id),
                  {"case_no": case.case_no, **served.as_json()})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return ClockChange(view, served)


@retry_transient
def resume(uow: UnitOfWork, actor: Actor, case_no: str) -> HeldCase:
    """The 特别程序 is over: the clocks restart with the working days that were left, and the actor (a member
    of the department's back office) holds the case again."""
    require(actor, "case.clock")
    limits.check(limits.CASE_NO, case_no, "case_no")
    with uow:
        s = uow.session
        now = utcnow()
        case, department = _department_case(s, actor, case_no, lock=True)
        lifecycle.require(Action.RESUME, case.status, case.case_no)
        settings = read_dept_settings(s, department.code)
        if actor.username in settings.paused:
            raise PermissionDenied("首席代表已暂停您的接件，请联系首席代表")
        cal = load_calendar(s)
        on = local_date(now)
        procedure = case.special_procedure
        paused_on = local_date(case.clock_paused_at) if case.clock_paused_at else None
        clocks.restart_both(case, cal, on)
        case.special_procedure = case.special_reason = ""
        case.holder_id = actor.user_id
        case.claim_token += 1
        case.claimed_at = now
        case.lease_until = now + timedelta(minutes=settings.lease_minutes)
        case.step_due = cal.add_workdays(on, settings.review_days).date
        note = f"{procedure}结束，恢复计时（{paused_on.isoformat() if paused_on else ''}起中止）"
        lifecycle.transition(uow, case, Action.RESUME, actor.username, at=now, note=note, audit={
            "procedure": procedure, "token": case.claim_token, "promised_due": str(case.promised_due),
            "legal_due": str(case.legal_due)})
        s.flush()
        held = held_case(s, Claim(case.id, case.case_no, department.code, actor.username, case.claim_token, now,
                                  case.lease_until, case.step_due), case_view(load_case(s, case.case_no)),
                         lifecycle.seal_required(case.item.kind, settings.licence_seal))
        uow.commit()
        return held


@retry_transient
def extend(uow: UnitOfWork, actor: Actor, case_no: str, days: int, approver: str, reason: str) -> ClockChange:
    """延期 (行政许可法第42条): the legal due date moves by ``days`` working days; a 延期告知书 is issued."""
    require(actor, "case.clock")
    limits.check_all((limits.CASE_NO, case_no, "case_no"), (limits.EXTENSION_APPROVER, approver, "approver"),
                     (limits.EXTENSION_REASON, reason, "reason"))
    _refuse(lifecycle.extension_problems(days, approver, reason))
    with uow:
        s = uow.session
        now = utcnow()
        case, _ = _department_case(s, actor, case_no, lock=True)
        lifecycle.require(Action.EXTEND, case.status, case.case_no)
        _refuse(lifecycle.extension_problems(days, approver, reason, item_kind=case.item.kind,
                                             extended_days=case.extension_days))
        cal = load_calendar(s)
        on = local_date(now)
        before = case.legal_due
        if case.status != Status.SUSPENDED and before is not None and on > before:
            raise Conflict(f"办件 {case.case_no} 的法定办理期限已于{before.isoformat()}届满，不能再延期"
                           "（延期须在法定期限内决定）")
        clocks.extend_legal(case, cal, days)
        # A stopped legal clock has no date: the notice says the days it will have when it restarts.
        legal_left = case.paused_legal if case.status == Status.SUSPENDED else None
        case.extension_approver = approver.strip()
        case.extension_reason = reason.strip()
        lifecycle.transition(uow, case, Action.EXTEND, actor.username, at=now,
                             note=f"延期{days}个工作日（{approver.strip()}批准）：{reason.strip()}", audit={
                                 "days": days, "approver": approver.strip(), "reason": reason.strip(),
                                 "legal_due_before": before.isoformat() if before else None,
                                 "legal_due": case.legal_due.isoformat() if case.legal_due else None})
        served = clocks.serve(uow, actor, case, "extension", now, reason=reason.strip(), approver=approver.strip(),
                              extension_days=days, previous_legal_due=before if legal_left is None else None,
                              legal_left=legal_left,
                              promised_left=case.paused_promised if case.status == Status.SUSPENDED else None)
        uow.audit(actor.username, "notice.issue", "case", str(case.id),
                  {"case_no": case.case_no, **served.as_json()})
        s.flush()
        view = case_view(load_case(s, case.case_no))
        uow.commit()
        return ClockChange(view, served)
