"""The hall's own settings: its name and codes, its time zone (``today``), and its working-day calendar.

The calendar's days off and 调休 working days are set by the admin (``set_override``, ``confirm_year``);
counting working days on it is ``app.workdays``.  Imported as ``hall_settings``, never as ``hall``: that name
belongs to the open database (``app.context.HallDesk``) everywhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import lifecycle, limits
from app.auth import Actor
from app.errors import ValidationError
from app.roles import require
from app.uow import UnitOfWork
from app.workdays import DueDate, WorkCalendar
from db.models import CalendarOverride, CalendarYear, Case, Setting

# Every date a clerk sees is a date in the hall's own time zone.
HALL_TZ = ZoneInfo("Asia/Shanghai")

# Cases whose clock is still running; their due dates are recomputed when a year's calendar is entered.
OPEN_STATUSES: tuple[str, ...] = lifecycle.DATED


def local_date(at: datetime) -> date:
    return at.astimezone(HALL_TZ).date()


def today() -> date:
    return datetime.now(HALL_TZ).date()


@dataclass(frozen=True)
class HallSettings:
    """Printed on every page: the hall's name, area code (GB/T 2260), address and phone."""

    name: str = "新建经开区政务服务大厅"
    code: str = "XJ"
    area_code: str = "360112"
    address: str = "江西省南昌市新建区新建经济技术开发区政务服务大厅"
    phone: str = "0791-83700000"
    # Prefix of document numbers (文书编号), e.g. 新经开受〔2026〕010001号.
    doc_prefix: str = "新经开"
    # Named on every denial and refusal (行政复议法 2023 第20条: an applicant not told where and how long may
    # apply for a year): where to apply for 行政复议, and the court for 行政诉讼.  A denial is refused while
    # either is empty.
    review_authority: str = "南昌市新建区人民政府"
    court: str = "南昌市新建区人民法院"

    def as_json(self) -> dict[str, str]:
        return asdict(self)


_HALL_LIMITS = {"name": limits.HALL_NAME, "code": limits.HALL_CODE, "area_code": limits.HALL_AREA_CODE,
                "address": limits.HALL_ADDRESS, "phone": limits.HALL_PHONE, "doc_prefix": limits.HALL_DOC_PREFIX,
                "review_authority": limits.HALL_REVIEW_AUTHORITY, "court": limits.HALL_COURT}


def hall_problems(settings: HallSettings) -> list[ValidationError]:
    """Everything wrong with ``settings``, in the form's order (empty: they may be stored)."""
    found: list[ValidationError] = []
    for key, value in settings.as_json().items():
        try:
            limits.check(_HALL_LIMITS[key], value, key)
        except ValidationError as exc:
            found.append(exc)
    checks = (
        ("name", bool(settings.name.strip()), "大厅名称不能为空"),
        ("code", bool(re.fullmatch(r"[A-Z]{1,4}", settings.code)), "大厅代码须为1–4位大写字母（用于办件编号）"),
        ("area_code", bool(re.fullmatch(r"\d{6}", settings.area_code)),
         "行政区划代码须为6位数字（GB/T 2260，如新建区 360112）"),
        ("phone", bool(re.fullmatch(r"[0-9\-]{7,20}", settings.phone)), "联系电话只能包含数字和连字符，7–20位"),
        ("doc_prefix", 1 <= len(settings.doc_prefix) <= 8, "文书编号前缀须为1–8个字"),
    )
    seen = {exc.field for exc in found}
    found += [ValidationError(field, message) for field, ok, message in checks if not ok and field not in seen]
    order = list(settings.as_json())
    return sorted(found, key=lambda exc: order.index(exc.field) if exc.field in order else len(order))


def _check_hall(settings: HallSettings) -> None:
    if problems := hall_problems(settings):
        raise problems[0]


def appeal_problems(settings: HallSettings) -> list[str]:
    """What a denial still needs from the hall's settings: the 复议机关 and the court it names."""
    problems = []
    if not settings.review_authority.strip():
        problems.append("复议机关")
    if not settings.court.strip():
        problems.append("诉讼法院")
    return problems


def write_setting(session: Session, key: str, value: Mapping[str, Any]) -> None:
    """Store a settings row as JSON (one spelling: sorted keys, Chinese as is), adding it the first time."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=text))
    else:
        row.value = text


def read_settings(session: Session) -> HallSettings:
    row = session.get(Setting, "hall")
    if row is None:
        return HallSettings()
    known = HallSettings.__dataclass_fields__
    return HallSettings(**{k: v for k, v in json.loads(row.value).items() if k in known})


def get_hall_settings(uow: UnitOfWork) -> HallSettings:
    with uow:
        return read_settings(uow.session)


def save_hall_settings(uow: UnitOfWork, actor: Actor, settings: HallSettings) -> HallSettings:
    require(actor, "hall.settings")
    _check_hall(settings)  # app.limits first: before the strip, which would hide a stray line break
    settings = HallSettings(**{k: v.strip() for k, v in settings.as_json().items()})
    _check_hall(settings)
    with uow:
        s = uow.session
        before = read_settings(s)
        write_setting(s, "hall", settings.as_json())
        uow.audit(actor.username, "hall.settings", "setting", "hall",
                  {"before": before.as_json(), "after": settings.as_json()})
        uow.commit()
        return settings


# ---- working-day calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarOverrideView:
    day: date
    workday: bool
    note: str


@dataclass(frozen=True)
class CalendarStatus:
    """Years HallDesk must count without an official arrangement (dates are 待定 there)."""

    unknown_years: tuple[int, ...]
    confirmed_years: tuple[int, ...]

    @property
    def warning(self) -> str | None:
        if not self.unknown_years:
            return None
        years = "、".join(f"{y}年" for y in self.unknown_years)
        return (f"{years}的国务院节假日安排尚未录入：涉及这些年份的到期日期按法定节日和周末推算，标记为“待定”。"
                "请管理员在“节假日”中录入当年安排并确认。")


def load_calendar(session: Session) -> WorkCalendar:
    overrides = {o.day: o.workday for o in session.execute(select(CalendarOverride)).scalars()}
    years = set(session.execute(select(CalendarYear.year)).scalars())
    return WorkCalendar(overrides=overrides, confirmed_years=years)


def work_calendar(uow: UnitOfWork) -> WorkCalendar:
    with uow:
        return load_calendar(uow.session)


MAX_WORKDAYS = 3650  # ten years of working days: far beyond any time limit, and the count stays quick


def add_workdays(uow: UnitOfWork, start: date, n: int) -> DueDate:
    if n < 0:
        raise ValidationError("n", "工作日天数不能为负数")
    if n > MAX_WORKDAYS:
        raise ValidationError("n", f"工作日天数不能超过{MAX_WORKDAYS}")
    check_year(start.year, "date")
    return work_calendar(uow).add_workdays(start, n)


def calendar_status(uow: UnitOfWork, horizon: date | None = None) -> CalendarStatus:
    """Unknown years among this year, the next and any open case's due date."""
    with uow:
        s = uow.session
        cal = load_calendar(s)
        ref = horizon or today()
        years = {ref.year, ref.year + 1}
        for due in s.execute(select(Case.legal_due).where(Case.status.in_(OPEN_STATUSES))).scalars():
            if due is not None:
                years.add(due.year)
        unknown = tuple(sorted(y for y in years if not cal.year_is_known(y)))
        confirmed = tuple(sorted(s.execute(select(CalendarYear.year)).scalars()))
        return CalendarStatus(unknown_years=unknown, confirmed_years=confirmed)


def check_year(year: int, field: str = "year") -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError(field, "年份须在2000–2100之间")


def list_overrides(uow: UnitOfWork, year: int | None = None) -> list[CalendarOverrideView]:
    if year is not None:
        check_year(year)
    with uow:
        q = select(CalendarOverride).order_by(CalendarOverride.day)
        if year is not None:
            q = q.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        return [CalendarOverrideView(o.day, o.workday, o.note) for o in uow.session.execute(q).scalars()]
