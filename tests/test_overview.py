"""大厅概览: the supervisor's figures of a day, counted over the whole hall, on every engine."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app import cases, claims, clock_actions, decisions, evaluation, grievance, intake, overview
from app.context import HallDesk
from app.errors import PermissionDenied
from app.hall_settings import today
from app.overview import HallOverview
from cli.main import run
from tests.conftest import log_in
from tests.intake_support import item_with_tolerable, request


def _delta(after: HallOverview, before: HallOverview) -> dict[str, int]:
    a, b = after.as_json(), before.as_json()
    return {k: a[k] - b[k] for k in a if k != "day" and a[k] != b[k]}


def test_the_overview_counts_todays_intake_ratings_and_what_is_still_open(hall: HallDesk) -> None:
    sup, clerk = log_in(hall, "supervisor"), log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    dept = item.dept.lower()
    reviewer, chief = log_in(hall, f"rev_{dept}"), log_in(hall, f"chief_{dept}")
    before = overview.hall_overview(hall.uow(), sup)
    assert before.day == today()

    first = intake.take_application(hall.uow(), clerk, request(item))
    second = intake.take_application(hall.uow(), clerk, request(item))
    claims.claim(hall.uow(), reviewer, first.case_no)
    evaluation.rate(hall.uow(), clerk, first.case_no, 1, reasons=["attitude"])
    evaluation.rate(hall.uow(), clerk, second.case_no, 5)  # a good rating is no 差评
    no = grievance.register(hall.uow(), sup, complainant="王芳", content="营业执照变更跑了三趟").grievance_no
    grievance.classify(hall.uow(), sup, no, "complaint")
    grievance.assign(hall.uow(), sup, no, item.dept)

    now = overview.hall_overview(hall.uow(), sup)
    assert _delta(now, before) == {"received": 2, "accepted": 2, "bad_ratings": 1, "open_rectifications": 1,
                                   "open_grievances": 1}
    # Another day's intake and ratings are not today's; what is still open stays open.
    yesterday = overview.hall_overview(hall.uow(), sup, on=today() - timedelta(days=1))
    assert yesterday.received < now.received and yesterday.bad_ratings < now.bad_ratings

    # Past every deadline: both cases (one waiting, one under review), the rectification and the grievance are late.
    promised = [cases.read_case(hall.uow(), c.case_no).promised_due for c in (first, second)]
    rect = next(r for r in evaluation.list_rectifications(hall.uow(), chief) if r.case_no == first.case_no)
    dues = [d for d in (*promised, rect.due, grievance.get_grievance(hall.uow(), sup, no).grievance.due) if d]
    later = max(dues) + timedelta(days=1)
    late = overview.hall_overview(hall.uow(), sup, on=later)
    assert late.overdue >= 2 and late.overdue_rectifications >= 1 and late.overdue_grievances >= 1

    # A 特别程序 stops the clock (no longer overdue); a decided case has left the back office.
    clock_actions.suspend(hall.uow(), reviewer, first.case_no, "检验", "需送检样品")
    claims.claim(hall.uow(), reviewer, second.case_no)
    decisions.decide(hall.uow(), reviewer, second.case_no, "approve", reason="符合条件")
    # The rectification and the grievance are closed.
    evaluation.record_callback(hall.uow(), chief, str(rect.id), "电话回访，已说明进度")
    evaluation.close_rectification(hall.uow(), chief, str(rect.id), "已提醒窗口人员改进")
    grievance.resolve(hall.uow(), sup, no, "已协调市场监管局当场办结变更登记")
    done = overview.hall_overview(hall.uow(), sup, on=later)
    assert _delta(done, late) == {"overdue": -2, "open_rectifications": -1, "overdue_rectifications": -1,
                                  "open_grievances": -1, "overdue_grievances": -1}


@pytest.mark.parametrize("username", ["clerk1", "rev_scj", "chief_scj", "admin"])
def test_only_the_supervisor_sees_the_hall_overview(hall: HallDesk, username: str) -> None:
    with pytest.raises(PermissionDenied, match="无权查看大厅概览"):
        overview.hall_overview(hall.uow(), log_in(hall, username))


def test_the_cli_prints_the_overview(hall: HallDesk, capsys: pytest.CaptureFixture[str]) -> None:
    sup = log_in(hall, "supervisor")
    expected = overview.hall_overview(hall.uow(), sup).as_json()
    assert run(["--user", "supervisor", "overview", "--json"], hall=hall, actor=sup) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert run(["--user", "supervisor", "overview", "--date", "2026-01-05"], hall=hall, actor=sup) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-01-05 大厅概览") and "超期办件\t" in out
