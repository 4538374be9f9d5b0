"""Hall settings and the working-day calendar with admin overrides, 待定 years and recomputation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app import hall_settings, holidays
from app.context import HallDesk
from app.errors import PermissionDenied, ValidationError
from app.hall_settings import HallSettings
from db.models import Case, ServiceItem
from tests.conftest import log_in


def test_hall_settings_round_trip_and_validation(hall: HallDesk) -> None:
    assert hall_settings.get_hall_settings(hall.uow()).name == "新建经开区政务服务大厅"
    admin = log_in(hall, "admin")
    wanted = HallSettings(name="新建经开区政务服务大厅（南区）", code="XJN", area_code="360112",
                          address="新建区长堎大道1号", phone="0791-83701234")
    assert hall_settings.save_hall_settings(hall.uow(), admin, wanted) == wanted
    assert hall_settings.get_hall_settings(hall.uow()) == wanted
    for bad, field in [(HallSettings(area_code="36011"), "area_code"), (HallSettings(code="xj"), "code"),
                       (HallSettings(name="  "), "name"), (HallSettings(phone="电话"), "phone")]:
        with pytest.raises(ValidationError) as err:
            hall_settings.save_hall_settings(hall.uow(), admin, bad)
        assert err.value.field == field
    with pytest.raises(PermissionDenied):
        hall_settings.save_hall_settings(hall.uow(), log_in(hall, "clerk1"), HallSettings())
    assert hall_settings.get_hall_settings(hall.uow()) == wanted


def test_workdays_over_national_day_and_overrides(hall: HallDesk) -> None:
    assert hall_settings.add_workdays(hall.uow(), date(2026, 9, 30), 1).date == date(2026, 10, 8)
    admin = log_in(hall, "admin")
    holidays.set_override(hall.uow(), admin, date(2026, 10, 8), False, "停电")
    assert hall_settings.add_workdays(hall.uow(), date(2026, 9, 30), 1).date == date(2026, 10, 9)
    holidays.set_override(hall.uow(), admin, date(2026, 10, 3), True, "临时上班")
    assert hall_settings.add_workdays(hall.uow(), date(2026, 9, 30), 1).date == date(2026, 10, 3)
    assert [o.day for o in hall_settings.list_overrides(hall.uow(), 2026)] == [date(2026, 10, 3), date(2026, 10, 8)]
    holidays.remove_override(hall.uow(), admin, date(2026, 10, 3))
    assert hall_settings.add_workdays(hall.uow(), date(2026, 9, 30), 1).date == date(2026, 10, 9)
    with pytest.raises(ValidationError):
        holidays.remove_override(hall.uow(), admin, date(2026, 10, 3))
    with pytest.raises(PermissionDenied):
        holidays.set_override(hall.uow(), log_in(hall, "supervisor"), date(2026, 10, 3), True)


def _open_case(hall: HallDesk, accepted: datetime, item_code: str) -> None:
    with hall.uow() as uow:
        s = uow.session
        item = s.execute(select(ServiceItem).where(ServiceItem.code == item_code)).scalar_one()
        cal = hall_settings.load_calendar(s)
        start = hall_settings.local_date(accepted)
        promised = cal.add_workdays(start, item.promised_days)
        legal = cal.add_workdays(start, item.legal_days)
        s.add(Case(case_no="XJ01-20261225-0001", item_id=item.id, status="accepted", received_at=accepted,
                   accepted_at=accepted, promised_due=promised.date, legal_due=legal.date,
                   due_provisional=promised.provisional or legal.provisional))
        uow.commit()


def _case(hall: HallDesk) -> Case:
    with hall.uow() as uow:
        return uow.session.execute(select(Case)).scalar_one()


def test_unknown_year_is_provisional_until_the_admin_enters_it(hall: HallDesk) -> None:
    status = hall_settings.calendar_status(hall.uow(), horizon=date(2026, 12, 1))
    assert 2027 in status.unknown_years and status.warning and "2027年" in status.warning
    due = hall_settings.add_workdays(hall.uow(), date(2026, 12, 25), 10)
    assert due.provisional
    # Weekends plus 元旦 (Jan 1, a Friday) are skipped: 12-28..31 (4), 1-4..1-8 (5), 1-11 (1).
    assert due.date == date(2027, 1, 11)
    item = "ZJJ001"
    _open_case(hall, datetime(2026, 12, 25, 2, 0, tzinfo=UTC), item)
    before = _case(hall)
    assert before.due_provisional
    admin = log_in(hall, "admin")
    # The State Council's 2027 arrangement (entered by the admin): say Jan 4 is also a day off.
    holidays.set_override(hall.uow(), admin, date(2027, 1, 4), False, "元旦调休（示例）")
    moved = _case(hall)
    assert moved.due_provisional
    assert changed_later(before.legal_due, moved.legal_due)
    changed = holidays.confirm_year(hall.uow(), admin, 2027)
    assert changed == 1
    confirmed = _case(hall)
    assert not confirmed.due_provisional
    assert not hall_settings.add_workdays(hall.uow(), date(2026, 12, 25), 10).provisional
    assert 2027 not in hall_settings.calendar_status(hall.uow(), horizon=date(2026, 12, 1)).unknown_years


def changed_later(before: date | None, after: date | None) -> bool:
    assert before is not None and after is not None
    return after > before


def test_negative_days_refused(hall: HallDesk) -> None:
    with pytest.raises(ValidationError):
        hall_settings.add_workdays(hall.uow(), date(2026, 1, 5), -1)
