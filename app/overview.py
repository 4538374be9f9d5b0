"""大厅今日概览: the supervisor's first screen — today's intake, overdue cases, 差评 and open grievances.

A handful of counts over the whole hall, each one indexed query, so the page opens at once even on a shared
database.  "Today" is the hall's calendar day (``HALL_TZ``); overdue is as the back office's red light: a case
waiting for or under review whose promised due date has passed (a 特别程序 stops the clock, so a suspended case
is never overdue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app import lifecycle
from app.auth import Actor
from app.evaluation import BAD_LEVELS
from app.grievance import DONE_STATUSES
from app.hall_settings import HALL_TZ, today
from app.roles import require
from app.uow import UnitOfWork
from db.models import Case, Evaluation, Grievance, Rectification


@dataclass(frozen=True)
class HallOverview:
    """Today's figures for the whole hall (``day`` is the hall's date they were counted for)."""

    day: date
    received: int  # cases registered at the counters or imported today (any outcome)
    accepted: int  # cases accepted today (受理, 即办 included; a 补正 accepted today counts today)
    overdue: int  # cases waiting for or under review past their promised due date
    bad_ratings: int  # 差评 given today
    open_rectifications: int  # 差评整改 not yet closed (any day)
    overdue_rectifications: int  # of those, past their deadline
    open_grievances: int  # 投诉与办不成事 not yet 办结 (any day)
    overdue_grievances: int  # of those, past their deadline

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(), "received": self.received, "accepted": self.accepted,
            "overdue": self.overdue, "bad_ratings": self.bad_ratings,
            "open_rectifications": self.open_rectifications, "overdue_rectifications": self.overdue_rectifications,
            "open_grievances": self.open_grievances, "overdue_grievances": self.overdue_grievances,
        }


def _count(s: Session, model: type[Any], *where: ColumnElement[bool]) -> int:
    return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def hall_overview(uow: UnitOfWork, actor: Actor, *, on: date | None = None) -> HallOverview:
    """Today's (or ``on``'s) overview of the whole hall."""
    require(actor, "hall.overview")
    day = on or today()
    start = datetime.combine(day, datetime.min.time(), HALL_TZ)
    end = start + timedelta(days=1)
    with uow:
        s = uow.session
        open_rect = Rectification.status != "closed"
        open_grievance = Grievance.status.not_in(DONE_STATUSES)
        return HallOverview(
            day=day,
            received=_count(s, Case, Case.received_at >= start, Case.received_at < end),
            accepted=_count(s, Case, Case.accepted_at >= start, Case.accepted_at < end),
            overdue=_count(s, Case, Case.status.in_(lifecycle.QUEUE), Case.promised_due < day),
            bad_ratings=_count(s, Evaluation, Evaluation.level.in_(BAD_LEVELS), Evaluation.at >= start,
                               Evaluation.at < end),
            open_rectifications=_count(s, Rectification, open_rect),
            overdue_rectifications=_count(s, Rectification, open_rect, Rectification.due < day),
            open_grievances=_count(s, Grievance, open_grievance),
            overdue_grievances=_count(s, Grievance, open_grievance, Grievance.due < day),
        )
