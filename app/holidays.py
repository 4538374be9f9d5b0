"""节假日调整: the admin's changes to the hall's working-day calendar, and the due dates they move.

A day made a working day or a day off, an override removed, a year's State Council arrangement confirmed:
each is audited, and every case whose clocks are running gets its dates recomputed from where each clock last
restarted (``app.clocks.due_dates``), each change audited too.  Apart from ``app.hall_settings`` (which holds the
calendar as it is) because the recompute needs the clocks, which need the hall's settings.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app import limits
from app.auth import Actor
from app.clocks import due_dates
from app.errors import ValidationError
from app.hall_settings import OPEN_STATUSES, check_year, load_calendar
from app.lifecycle import Status
from app.roles import require
from app.uow import UnitOfWork
from app.workdays import DueDate
from db.models import CalendarOverride, CalendarYear, Case, ServiceItem


def _recompute_open_cases(uow: UnitOfWork, actor: Actor, reason: str) -> int:
    """Due dates of cases still running follow the calendar as it now is; returns how many changed."""

    s = uow.session
    cal = load_calendar(s)
    changed = 0
    rows = s.execute(
        select(Case, ServiceItem).join(ServiceItem, Case.item_id == ServiceItem.id).where(
            Case.status.in_(OPEN_STATUSES), Case.accepted_at.is_not(None)
        )
    ).all()
    for case, item in rows:
        assert case.accepted_at is not None
        # From where each clock last restarted (补正, 特别程序), a 延期 included (app.clocks).
        promised, legal = due_dates(case, item.promised_days, item.legal_days, cal)
        if case.status == Status.RETURNED and case.promised_due is not None:
            # 退回补正 stopped the promise (its days left are kept); the law's clock runs on and moves.
            promised = DueDate(case.promised_due, False)
        provisional = promised.provisional or legal.provisional
        if (case.promised_due, case.legal_due, case.due_provisional) != (promised.date, legal.date, provisional):
            uow.audit(actor.username, "case.due_recomputed", "case", str(case.id), {
                "case_no": case.case_no, "reason": reason,
                "before": [str(case.promised_due), str(case.legal_due), case.due_provisional],
                "after": [str(promised.date), str(legal.date), provisional],
            })
            case.promised_due, case.legal_due, case.due_provisional = promised.date, legal.date, provisional
            changed += 1
    return changed


def set_override(uow: UnitOfWork, actor: Actor, day: date, workday: bool, note: str = "") -> int:
    """Make ``day`` a working day or a day off; returns the number of open cases whose dates moved."""
    require(actor, "holiday.manage")
    limits.check(limits.HOLIDAY_NOTE, note, "note")
    check_year(day.year, "date")
    with uow:
        s = uow.session
        row = s.get(CalendarOverride, day)
        if row is None:
            s.add(CalendarOverride(day=day, workday=workday, note=note.strip()))
        else:
            row.workday, row.note = workday, note.strip()
        s.flush()
        uow.audit(actor.username, "calendar.override", "calendar", day.isoformat(),
                  {"workday": workday, "note": note.strip()})
        changed = _recompute_open_cases(uow, actor, f"calendar override {day.isoformat()}")
        uow.commit()
        return changed


def remove_override(uow: UnitOfWork, actor: Actor, day: date) -> int:
    require(actor, "holiday.manage")
    with uow:
        s = uow.session
        row = s.get(CalendarOverride, day)
        if row is None:
            raise ValidationError("day", f"{day.isoformat()} 没有调整记录")
        s.delete(row)
        s.flush()
        uow.audit(actor.username, "calendar.override_removed", "calendar", day.isoformat(), {})
        changed = _recompute_open_cases(uow, actor, f"calendar override removed {day.isoformat()}")
        uow.commit()
        return changed


def confirm_year(uow: UnitOfWork, actor: Actor, year: int) -> int:
    """The admin has entered ``year``'s State Council arrangement: its dates stop being 待定."""
    require(actor, "holiday.manage")
    check_year(year)
    with uow:
        s = uow.session
        if s.get(CalendarYear, year) is None:
            s.add(CalendarYear(year=year, confirmed_by=actor.username))
            s.flush()
        uow.audit(actor.username, "calendar.confirm_year", "calendar", str(year), {})
        changed = _recompute_open_cases(uow, actor, f"calendar year {year} confirmed")
        uow.commit()
        return changed
