"""Clocks as the law counts them (issue 14, part 4), on every engine, across the National Day holiday.

* 退回补正 stops the promised clock only; the legal one runs on (行政许可法第45条); a 补正通知书 lists what to
  supply, printed at the taking counter (or marked for mailing) and named at the output window.
* ``case suspend`` (特别程序) stops both clocks; ``case resume`` restarts them with the working days left.
* ``case extend`` (第42条) moves the legal due date once, by 1–10 working days on the hall's calendar.
* A stopped clock shows ``paused`` in the queue, never overdue.

The hall's calendar (chinese_calendar) for 2026: 9月25日 (中秋) off; 10月1日–7日 off; 10月10日 (Saturday) a
make-up working day.  The services' clock is set to dates around the holiday.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pypdf
import pytest
from sqlalchemy import func, select, update

from app import (
    backoffice,
    catalog,
    claims,
    clock_actions,
    clocks,
    decisions,
    holidays,
    intake,
    lifecycle,
    output,
)
from app.auth import Actor
from app.cases import CaseView
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, ValidationError
from app.hall_settings import HALL_TZ
from app.intake import MaterialInput
from app.lifecycle import Status
from app.printing import desk
from app.workdays import WorkCalendar
from cli.main import run
from db.models import Case, Counter, Notice, PrintJob
from tests.conftest import log_in
from tests.intake_support import all_received, request

CAL = WorkCalendar()  # no overrides in a fresh hall: the package's arrangement


SetDay = Callable[..., datetime]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> SetDay:
    """``at(day)``: the services' clock reads 10:00 hall time on ``day`` from now on."""

    def set_day(day: date, hour: int = 10) -> datetime:
        now = datetime.combine(day, time(hour), HALL_TZ).astimezone(UTC)
        for module in (intake, claims, decisions, clock_actions, lifecycle):
            monkeypatch.setattr(module, "utcnow", lambda: now)
        return now

    return set_day


def _item(hall: HallDesk, code: str) -> catalog.Item:
    return catalog.get_item(hall.uow(), code)


def _take(hall: HallDesk, code: str = "SCJ007") -> CaseView:
    item = _item(hall, code)
    return intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))


def _row(hall: HallDesk, case_no: str) -> Case:
    with hall.uow() as uow:
        case = uow.session.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        uow.session.expunge(case)
        return case


def _count(hall: HallDesk, model: type, case_no: str) -> int:
    with hall.uow() as uow:
        case_id = select(Case.id).where(Case.case_no == case_no).scalar_subquery()
        return int(uow.session.execute(select(func.count()).select_from(model)
                                       .where(model.case_id == case_id)).scalar_one())  # type: ignore[attr-defined]


def _pdf_text(hall: HallDesk, actor: Actor, case_no: str, kind: str) -> str:
    pdf = desk.notice_pdf(hall.uow(), actor, case_no, kind)
    return "".join("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def _job_counter(hall: HallDesk, case_no: str, kind: str) -> tuple[int | None, int]:
    """The counter number the notice of ``kind`` prints at (None: no print job), and how many jobs it has."""
    with hall.uow() as uow:
        s = uow.session
        notice = s.execute(select(Notice).join(Case, Notice.case_id == Case.id)
                           .where(Case.case_no == case_no, Notice.kind == kind)).scalar_one()
        jobs = list(s.execute(select(PrintJob).where(PrintJob.notice_id == notice.id)).scalars())
        counter = s.get(Counter, jobs[0].counter_id) if jobs and jobs[0].counter_id else None
        return (counter.number if counter else None), len(jobs)


# ---- 退回补正: the promised clock stops, the legal one runs on ---------------------------------------------------


def test_return_stops_the_promised_clock_only_and_serves_a_notice_at_the_counter(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 28))  # Monday before the holiday
    taken = _take(hall)  # SCJ007: promised 7, legal 20 working days
    assert (taken.promised_due, taken.legal_due) == (CAL.add_workdays(date(2026, 9, 28), 7).date,
                                                      CAL.add_workdays(date(2026, 9, 28), 20).date)
    assert taken.promised_due == date(2026, 10, 13)  # 9.29, 9.30, 10.8, 10.9, 10.10 (调休), 10.12, 10.13
    assert taken.legal_due is not None
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 29))
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    view = decisions.decide(hall.uow(), rev, taken.case_no, "return", token=claim.token,
                             reason="营业执照复印件不清晰，请提交清晰复印件", supply=("m01",))
    assert view.status == Status.RETURNED
    row = _row(hall, taken.case_no)
    assert row.paused_promised == 6 and row.paused_legal is None  # 9.30, 10.8, 10.9, 10.10, 10.12, 10.13
    assert row.legal_due == taken.legal_due  # the law's clock never stopped
    clock = view.as_json()["clock"]
    assert (clock["promised"], clock["legal"], clock["promised_days_left"]) == ("paused", "running", 6)
    assert [n.kind for n in view.notices][-1] == "return"
    assert _job_counter(hall, taken.case_no, "return") == (1, 1)  # the taking counter's A4 printer
    text = _pdf_text(hall, rev, taken.case_no, "return")
    material = next(m.name for m in view.materials if m.code == "M01")
    assert "补正通知书" in text and material in text and "补正要求：营业执照复印件不清晰" in text
    assert "剩余6个工作日" in text and f"法定办结日期仍为{taken.legal_due.year}年{taken.legal_due.month}月" in text
    assert "由1号窗口（受理窗口）送达" in text
    # The output window names the notice to a caller who asks about the case.
    found = output.find_for_pickup(hall.uow(), log_in(hall, "clerk3"), slip=taken.slip)
    doc_no = next(n.doc_no for n in view.notices if n.kind == "return")
    assert any("退回补正" in b and doc_no in b for b in found.blockers)

    # 补正 after the holiday: the promised clock resumes with its 6 days; the legal due date stays.
    at(date(2026, 10, 9))
    item = _item(hall, "SCJ007")
    back = intake.resubmit(hall.uow(), log_in(hall, "clerk1"), taken.case_no, {
        m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials})
    assert back.status == Status.ACCEPTED
    assert back.promised_due == CAL.add_workdays(date(2026, 10, 9), 6).date == date(2026, 10, 16)
    assert back.legal_due == taken.legal_due and back.accepted_at == taken.accepted_at
    assert back.as_json()["clock"]["promised"] == "running"


def test_a_promise_resumed_after_a_long_return_never_passes_the_legal_due_date(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 28))
    taken = _take(hall, "SCJ005")  # promised 3, legal 10
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    decisions.decide(hall.uow(), rev, taken.case_no, "return", token=claim.token, reason="请补正申请书")
    at(date(2026, 10, 15))  # 补正 takes most of the legal limit
    item = _item(hall, "SCJ005")
    back = intake.resubmit(hall.uow(), log_in(hall, "clerk1"), taken.case_no, {
        m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials})
    assert taken.legal_due == date(2026, 10, 16)  # 9.29, 9.30, 10.8, 10.9, 10.10, 10.12–10.16
    assert back.legal_due == back.promised_due == date(2026, 10, 16)  # 3 days left would reach 10.20


def test_return_names_only_the_cases_own_materials_and_writes_nothing_else(hall: HallDesk) -> None:
    taken = _take(hall)
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    version = _row(hall, taken.case_no).version
    with pytest.raises(ValidationError, match="不是本办件的材料：M99"):
        decisions.decide(hall.uow(), rev, taken.case_no, "return", token=claim.token, reason="请补正", supply=("M99",))
    assert _row(hall, taken.case_no).version == version and _count(hall, Notice, taken.case_no) == 1


def test_a_notice_is_marked_for_mailing_when_the_taking_counter_is_gone(hall: HallDesk) -> None:
    taken = _take(hall)
    with hall.uow() as uow:
        uow.session.execute(update(Counter).where(Counter.number == 1).values(active=False))
        uow.commit()
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    decisions.decide(hall.uow(), rev, taken.case_no, "return", token=claim.token, reason="请补正申请书")
    with hall.uow() as uow:
        notice = uow.session.execute(select(Notice).where(Notice.kind == "return")).scalar_one()
        jobs = uow.session.execute(select(func.count()).select_from(PrintJob)
                                   .where(PrintJob.notice_id == notice.id)).scalar_one()
    assert jobs == 0 and json.loads(notice.payload)["delivery"] == clocks.MAILED
    assert "邮寄送达" in _pdf_text(hall, rev, taken.case_no, "return")


# ---- 特别程序: both clocks stop; 恢复: they restart with the days left ---------------------------------------------


def test_suspend_stops_both_clocks_shows_paused_and_resume_restarts_them(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 24))
    taken = _take(hall)  # promised 7: 9.28, 9.29, 9.30, 10.8, 10.9, 10.10, 10.12 (中秋 9.25 off)
    assert taken.promised_due == date(2026, 10, 12) and taken.legal_due is not None
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 29))
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    done = clock_actions.suspend(hall.uow(), rev, taken.case_no, "检验", "需对样品进行检验", token=claim.token)
    assert done.case.status == Status.SUSPENDED
    promised_left = CAL.workdays_between(date(2026, 9, 29), taken.promised_due)
    legal_left = CAL.workdays_between(date(2026, 9, 29), taken.legal_due)
    assert (promised_left, done.case.clock.paused_promised, done.case.clock.paused_legal) == (
        5, 5, legal_left)
    assert done.notice.kind == "suspension" and _job_counter(hall, taken.case_no, "suspension") == (1, 1)
    text = _pdf_text(hall, rev, taken.case_no, "suspension")
    assert "特别程序告知书" in text and "依法需要进行检验，理由如下：需对样品进行检验" in text
    assert f"承诺办结时限剩余5个工作日，法定办理期限剩余{legal_left}个工作日" in text and "第四十五条" in text

    # Long past the frozen promised date the case is paused, not overdue, and listed last in 我的在办.
    other = _take(hall)
    claims.claim(hall.uow(), rev, other.case_no)
    page = backoffice.queue_page(hall.uow(), rev, "SCJ", mine=True, on=date(2026, 10, 20))
    assert [(r.case_no, r.light) for r in page.rows] == [(other.case_no, "red"), (taken.case_no, "paused")]
    assert page.rows[1].promised_left == 5 and page.rows[1].procedure == "检验"
    red = backoffice.queue_page(hall.uow(), rev, "SCJ", mine=True, with_light="red", on=date(2026, 10, 20))
    assert taken.case_no not in [r.case_no for r in red.rows]
    paused = backoffice.queue_page(hall.uow(), rev, "SCJ", with_light="paused", on=date(2026, 10, 20))
    assert [r.case_no for r in paused.rows] == [taken.case_no]

    # The procedure ends after the holiday: the clocks restart from today with the days that were left.
    at(date(2026, 10, 9))
    chief = log_in(hall, "chief_scj")
    held = clock_actions.resume(hall.uow(), chief, taken.case_no)
    assert held.case.status == Status.IN_REVIEW and held.claim.holder == "chief_scj"
    assert held.case.promised_due == CAL.add_workdays(date(2026, 10, 9), 5).date == date(2026, 10, 15)
    assert held.case.legal_due == CAL.add_workdays(date(2026, 10, 9), legal_left).date
    assert held.case.as_json()["clock"]["promised"] == "running"
    # The resumer holds it under a new token: the old holder's token no longer decides.
    with pytest.raises(Conflict):
        decisions.decide(hall.uow(), rev, taken.case_no, "approve", token=claim.token, reason="符合条件")
    decisions.decide(hall.uow(), chief, taken.case_no, "approve", token=held.token, reason="符合条件")


@pytest.mark.parametrize(("procedure", "reason", "message"), [
    ("现场核查", "需核查", "特别程序只能是：听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审"),
    ("听证", "  ", "特别程序须写明理由"),
])
def test_suspend_refuses_what_the_law_does_not_allow(hall: HallDesk, procedure: str, reason: str,
                                                     message: str) -> None:
    taken = _take(hall)
    rev = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), rev, taken.case_no)
    before = _row(hall, taken.case_no).version
    with pytest.raises(ValidationError, match=message):
        clock_actions.suspend(hall.uow(), rev, taken.case_no, procedure, reason)
    assert _row(hall, taken.case_no).version == before and _count(hall, Notice, taken.case_no) == 1


def test_only_the_holder_suspends_and_only_a_suspended_case_resumes(hall: HallDesk) -> None:
    taken = _take(hall)
    rev = log_in(hall, "rev_scj")
    with pytest.raises(Conflict, match=r"已受理（待审批）.*不能特别程序"):
        clock_actions.suspend(hall.uow(), rev, taken.case_no, "鉴定", "需鉴定")
    with pytest.raises(Conflict, match="不能恢复办理"):
        clock_actions.resume(hall.uow(), rev, taken.case_no)
    claims.claim(hall.uow(), log_in(hall, "chief_scj"), taken.case_no)
    with pytest.raises(Conflict, match="您没有领取"):
        clock_actions.suspend(hall.uow(), rev, taken.case_no, "鉴定", "需鉴定")
    assert _row(hall, taken.case_no).status == Status.IN_REVIEW


# ---- 延期 (第42条) -----------------------------------------------------------------------------------------


def test_extend_moves_the_legal_due_date_over_the_holiday_once(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 24))
    taken = _take(hall, "SCJ005")  # legal 10: 9.28, 9.29, 9.30, 10.8, 10.9, 10.10, 10.12, 10.13, 10.14, 10.15
    assert taken.legal_due == date(2026, 10, 15)
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 30))
    done = clock_actions.extend(hall.uow(), rev, taken.case_no, 10, "王局长", "需现场核查经营场所")
    assert done.case.legal_due == CAL.add_workdays(date(2026, 10, 15), 10).date == date(2026, 10, 29)
    assert done.case.promised_due == taken.promised_due  # the promise is the hall's, the law moves
    assert done.case.status == Status.ACCEPTED
    assert done.case.as_json()["clock"]["extension"] == {"days": 10, "approver": "王局长",
                                                         "reason": "需现场核查经营场所"}
    text = _pdf_text(hall, rev, taken.case_no, "extension")
    assert "延期告知书" in text and "延长10个工作日" in text and "法定办结日期为2026年10月15日" in text
    assert "延长后的法定办结日期为2026年10月29日" in text and "王局长" in text and "第四十二条" in text
    assert _job_counter(hall, taken.case_no, "extension") == (1, 1)
    # Once per case: the second is refused and nothing is written.
    version, notices = _row(hall, taken.case_no).version, _count(hall, Notice, taken.case_no)
    with pytest.raises(ValidationError, match="依法只能延期一次"):
        clock_actions.extend(hall.uow(), rev, taken.case_no, 1, "王局长", "再核查")
    assert (_row(hall, taken.case_no).version, _count(hall, Notice, taken.case_no)) == (version, notices)


@pytest.mark.parametrize(("days", "approver", "reason", "message"), [
    (11, "王局长", "需核查", "延期天数须为1至10个工作日"),
    (0, "王局长", "需核查", "延期天数须为1至10个工作日"),
    (5, " ", "需核查", "延期须经本行政机关负责人批准"),
    (5, "王局长", "", "延期须写明理由"),
])
def test_extend_refuses_each_broken_rule_in_chinese(hall: HallDesk, days: int, approver: str, reason: str,
                                                    message: str) -> None:
    taken = _take(hall)
    rev = log_in(hall, "rev_scj")
    with pytest.raises(ValidationError, match=message):
        clock_actions.extend(hall.uow(), rev, taken.case_no, days, approver, reason)
    assert _row(hall, taken.case_no).extension_days == 0 and _count(hall, Notice, taken.case_no) == 1


def test_extend_only_licences_within_the_legal_limit(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 24))
    filing = _take(hall, "ZJJ005")  # 行政备案
    with pytest.raises(ValidationError, match=r"只有行政许可事项可以延期.*本事项为行政备案"):
        clock_actions.extend(hall.uow(), log_in(hall, "rev_zjj"), filing.case_no, 5, "李局长", "需核查")
    late = _take(hall, "SCJ005")  # legal due 10.15
    at(date(2026, 10, 16))
    with pytest.raises(Conflict, match="法定办理期限已于2026-10-15届满，不能再延期"):
        clock_actions.extend(hall.uow(), log_in(hall, "rev_scj"), late.case_no, 5, "李局长", "需核查")
    assert _row(hall, late.case_no).legal_due == date(2026, 10, 15)


def test_extend_during_a_special_procedure_adds_to_the_stopped_legal_clock(hall: HallDesk, at: SetDay) -> None:
    at(date(2026, 9, 28))
    taken = _take(hall, "SCJ005")  # legal 10
    assert taken.legal_due is not None
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 29))
    claims.claim(hall.uow(), rev, taken.case_no)
    suspended = clock_actions.suspend(hall.uow(), rev, taken.case_no, "专家评审", "需组织专家评审")
    legal_left = suspended.case.clock.paused_legal
    assert legal_left == CAL.workdays_between(date(2026, 9, 29), taken.legal_due)
    done = clock_actions.extend(hall.uow(), rev, taken.case_no, 3, "王局长", "专家意见分歧需复核")
    assert done.case.status == Status.SUSPENDED and done.case.clock.paused_legal == legal_left + 3
    assert "恢复计算后法定办理期限剩余" in _pdf_text(hall, rev, taken.case_no, "extension")
    at(date(2026, 10, 8))
    held = clock_actions.resume(hall.uow(), rev, taken.case_no)
    assert held.case.legal_due == CAL.add_workdays(date(2026, 10, 8), legal_left + 3).date


# ---- the CLI -----------------------------------------------------------------------------------------------


def test_cli_suspend_resume_extend_and_their_refusals(hall: HallDesk, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    taken = _take(hall)
    rev = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), rev, taken.case_no)

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--user", "rev_scj", *argv], hall=hall, actor=rev)
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = cli("case", "suspend", taken.case_no, "--procedure", "勘察", "--reason", "需勘察")
    assert code == ValidationError.exit_code and "特别程序只能是" in err
    code, out, _ = cli("case", "suspend", taken.case_no, "--procedure", "检测", "--reason", "需检测", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "suspended" and data["notice"]["kind"] == "suspension"
    assert data["clock"]["promised"] == data["clock"]["legal"] == "paused"
    assert data["clock"]["special_procedure"] == {"procedure": "检测", "reason": "需检测"}
    code, _, err = cli("case", "extend", taken.case_no, "--days", "12", "--approver", "王局长", "--reason", "需核查")
    assert code == ValidationError.exit_code and "1至10个工作日" in err
    code, out, _ = cli("case", "resume", taken.case_no, "--json")
    assert code == 0 and json.loads(out)["status"] == "in_review" and json.loads(out)["claim_token"] >= 2
    code, out, _ = cli("case", "extend", taken.case_no, "--days", "2", "--approver", "王局长", "--reason", "需核查",
                       "--json")
    assert code == 0 and json.loads(out)["clock"]["extension"]["days"] == 2
    code, _, err = cli("case", "extend", taken.case_no, "--days", "2", "--approver", "王局长", "--reason", "需核查")
    assert code == ValidationError.exit_code and "只能延期一次" in err
    code, out, _ = cli("queue", "--dept", "SCJ", "--light", "paused", "--json")
    assert code == 0 and json.loads(out) == []


def test_the_clock_checks_name_every_broken_rule_in_chinese() -> None:
    for problems in (lifecycle.suspend_problems("x", ""), lifecycle.extension_problems(0, "", "", item_kind="公共服务",
                                                                                        extended_days=3)):
        assert problems and all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in problems)
    assert len(lifecycle.extension_problems(0, "", "", item_kind="公共服务", extended_days=3)) == 5
    assert lifecycle.extension_problems(10, "王局长", "需核查", item_kind="行政许可") == []


def test_a_calendar_change_recomputes_from_where_the_clocks_restarted(hall: HallDesk, at: SetDay) -> None:
    """A day off entered later moves the dates of a resumed, extended case from its restart, not from the
    acceptance day: the 特别程序 stays excluded and the 延期 stays granted."""
    at(date(2026, 9, 24))
    taken = _take(hall)
    assert taken.legal_due is not None
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 29))
    claims.claim(hall.uow(), rev, taken.case_no)
    legal_left = CAL.workdays_between(date(2026, 9, 29), taken.legal_due)
    clock_actions.suspend(hall.uow(), rev, taken.case_no, "检测", "需检测")
    at(date(2026, 10, 9))
    clock_actions.resume(hall.uow(), rev, taken.case_no)
    clock_actions.extend(hall.uow(), rev, taken.case_no, 3, "王局长", "需复核")
    assert _row(hall, taken.case_no).legal_due == CAL.add_workdays(date(2026, 10, 9), legal_left + 3).date
    holidays.set_override(hall.uow(), log_in(hall, "admin"), date(2026, 10, 13), False, "停电")
    changed = WorkCalendar({date(2026, 10, 13): False})
    row = _row(hall, taken.case_no)
    assert row.promised_due == changed.add_workdays(date(2026, 10, 9), 5).date == date(2026, 10, 16)
    assert row.legal_due == changed.add_workdays(date(2026, 10, 9), legal_left + 3).date


def test_a_calendar_change_moves_the_legal_date_of_a_returned_case_not_its_stopped_promise(
        hall: HallDesk, at: SetDay) -> None:
    """退回补正 stops the promise only: a day off entered while the applicant corrects moves the legal due date
    (its clock runs on), and leaves the promise with the working days it had left."""
    at(date(2026, 9, 24))
    taken = _take(hall)
    assert taken.legal_due is not None
    rev = log_in(hall, "rev_scj")
    at(date(2026, 9, 29))
    claims.claim(hall.uow(), rev, taken.case_no)
    decisions.decide(hall.uow(), rev, taken.case_no, "return", reason="营业执照复印件不清晰")
    before = _row(hall, taken.case_no)
    assert before.status == Status.RETURNED and before.paused_promised is not None
    day_off = CAL.add_workdays(date(2026, 10, 9), 2).date  # a working day before the legal due date
    assert day_off < taken.legal_due
    holidays.set_override(hall.uow(), log_in(hall, "admin"), day_off, False, "停电")
    after = _row(hall, taken.case_no)
    changed = WorkCalendar({day_off: False})
    assert after.legal_due == changed.add_workdays(date(2026, 9, 24), 20).date != taken.legal_due
    assert (after.promised_due, after.paused_promised) == (before.promised_due, before.paused_promised)
