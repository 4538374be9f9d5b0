"""The 办不成事 window: grievances from 受理 to 归档, deadlines and lights, scope, bad input, audit, the CLI."""

from __future__ import annotations

import json
import re
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from app import audit, grievance, intake
from app.auth import Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.grievance import GrievanceSettings
from app.hall_settings import load_calendar, local_date, today
from db.models import AuditEvent, Grievance, GrievanceEvent
from tests.conftest import log_in
from tests.intake_support import item_with_tolerable, request

CONTENT = "在综合窗口办理食品经营许可，三次被要求补交同一份材料，至今未办成。"


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """Make ``day`` the hall's today for the deadlines the services work out."""
    monkeypatch.setattr(grievance, "today", lambda: day)


def _counts(hall: HallDesk) -> tuple[int, ...]:
    with hall.uow() as uow:
        return tuple(uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Grievance, GrievanceEvent, AuditEvent))


def _new(hall: HallDesk, sup: Actor, **changes: str) -> str:
    args = {"complainant": "王芳", "content": CONTENT, **changes}
    return grievance.register(hall.uow(), sup, **args).grievance_no


def _assigned(hall: HallDesk, sup: Actor, dept: str, days: int | None = None) -> str:
    no = _new(hall, sup)
    grievance.classify(hall.uow(), sup, no, "unresolved")
    grievance.assign(hall.uow(), sup, no, dept, days=days)
    return no


def test_full_lifecycle_with_a_reopen_keeps_history_and_audit(hall: HallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    sup, chief = log_in(hall, "supervisor"), log_in(hall, "chief_scj")
    view = grievance.register(hall.uow(), sup, complainant=" 王芳 ", content=CONTENT, phone="138 0000 0001",
                              channel="phone")
    no = view.grievance_no
    assert no == f"BC{local_date(view.received_at):%y%m%d}-0001"
    assert (view.status, view.status_name, view.category, view.dept, view.due, view.channel_name, view.complainant) == (
        "received", "已受理", None, None, None, "电话", "王芳")
    assert view.phone == "13800000001" and view.as_json()["phone"] == "138****0001"
    other = grievance.register(hall.uow(), sup, complainant="李雷", content="建议增加周末延时服务")
    assert other.grievance_no == f"BC{local_date(other.received_at):%y%m%d}-0002" and other.as_json()["phone"] == ""

    _on(monkeypatch, date(2026, 11, 23))  # a Monday
    v = grievance.classify(hall.uow(), sup, no, "suggestion")
    v = grievance.classify(hall.uow(), sup, no.lower(), "complaint")  # corrected while not yet handed over
    assert (v.status, v.category, v.category_name) == ("classified", "complaint", "投诉")
    v = grievance.assign(hall.uow(), sup, no, "scj")
    # The default 5 working days: Tuesday to Friday and the next Monday.
    assert (v.status, v.dept, v.dept_name, v.due) == ("assigned", "SCJ", "区市场监管局", date(2026, 11, 30))
    v = grievance.urge(hall.uow(), sup, no, "请于本周内答复")
    assert (v.urge_count, v.due) == (1, date(2026, 11, 30))  # no days given: the deadline stands
    v = grievance.resolve(hall.uow(), chief, no, "已当面致歉，并一次性告知所需材料。")
    assert (v.status, v.resolved_by, v.light) == ("resolved", "chief_scj", "done") and v.resolved_at is not None

    _on(monkeypatch, date(2026, 11, 26))  # a Thursday
    v = grievance.callback(hall.uow(), sup, no, satisfied=False, note="电话回访：仍未拿到许可证")
    # Reopened for the same department, 5 new working days, the old reply only in the history.
    assert (v.status, v.dept, v.due, v.satisfied, v.reply, v.resolved_by) == (
        "assigned", "SCJ", date(2026, 12, 3), False, "", None)
    with pytest.raises(Conflict, match="不能归档"):
        grievance.archive(hall.uow(), sup, no)
    grievance.resolve(hall.uow(), chief, no, "许可证已于今日发放。")
    v = grievance.callback(hall.uow(), sup, no, satisfied=True, note="电话回访：满意")
    assert (v.status, v.satisfied, v.reply, v.callback_note) == ("called_back", True, "许可证已于今日发放。", "电话回访：满意")
    v = grievance.archive(hall.uow(), sup, no)
    assert (v.status, v.status_name, v.light) == ("archived", "已归档", "done") and v.archived_at is not None

    detail = grievance.get_grievance(hall.uow(), sup, no)
    assert [e.action for e in detail.events] == ["register", "classify", "classify", "assign", "urge", "resolve",
                                                 "callback", "reopen", "resolve", "callback", "archive"]
    assert [e.actor for e in detail.events if e.action == "resolve"] == ["chief_scj", "chief_scj"]
    assert detail.events[5].note == "已当面致歉，并一次性告知所需材料。"
    assert detail.events[6].note == "不满意：电话回访：仍未拿到许可证"
    assert "区市场监管局" in detail.events[7].note and "2026-12-03" in detail.events[7].note
    assert detail.as_json()["events"][7]["action_name"] == "重新办理"
    assert detail.as_json()["phone"] == "138****0001"
    with hall.uow() as uow:
        actions = uow.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "grievance")).scalars()
        assert sorted(actions) == sorted(["grievance.register"] * 2 + ["grievance.classify"] * 2 + [
            "grievance.assign", "grievance.urge", "grievance.resolve", "grievance.callback", "grievance.resolve",
            "grievance.callback", "grievance.archive"])
        report = audit.verify(uow.session)
    assert report.ok and report.problem is None


def test_deadlines_across_national_day_and_lights_overdue_first(hall: HallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    sup = log_in(hall, "supervisor")
    # Tuesday before the National Day holiday (10-01 … 10-07 off; Saturday 10-10 is a make-up working day).
    _on(monkeypatch, date(2026, 9, 29))
    a = _assigned(hall, sup, "SCJ", days=1)
    b = _assigned(hall, sup, "SCJ", days=2)
    c = _assigned(hall, sup, "ZJJ")
    d = _new(hall, sup)
    grievance.classify(hall.uow(), sup, d, "suggestion")  # not handed over: no deadline
    e = _assigned(hall, sup, "SCJ", days=1)
    grievance.resolve(hall.uow(), sup, e, "窗口当场协调办结")
    dues = {v.grievance_no: v.due for v in grievance.list_grievances(hall.uow(), sup)}
    assert dues == {a: date(2026, 9, 30), b: date(2026, 10, 8), c: date(2026, 10, 12), d: None, e: date(2026, 9, 30)}
    with hall.uow() as uow:
        assert load_calendar(uow.session).add_workdays(date(2026, 9, 29), 5).date == dues[c]

    def shown(on: date, **filters: object) -> list[tuple[str, str]]:
        return [(v.grievance_no, v.light) for v in grievance.list_grievances(hall.uow(), sup, on=on, **filters)]  # type: ignore[arg-type]

    assert shown(date(2026, 9, 29)) == [(a, "yellow"), (b, "green"), (c, "green"), (d, "none"), (e, "done")]
    # On 09-30 only 10-08 is left for b: the holiday week does not count.
    assert shown(date(2026, 9, 30)) == [(a, "yellow"), (b, "yellow"), (c, "green"), (d, "none"), (e, "done")]
    assert shown(date(2026, 10, 8)) == [(a, "red"), (b, "yellow"), (c, "green"), (d, "none"), (e, "done")]
    assert shown(date(2026, 10, 9)) == [(a, "red"), (b, "red"), (c, "green"), (d, "none"), (e, "done")]
    assert shown(date(2026, 10, 13)) == [(a, "red"), (b, "red"), (c, "red"), (d, "none"), (e, "done")]
    # Overdue: red only (e's deadline passed too, but it is settled).
    assert shown(date(2026, 10, 9), overdue=True) == [(a, "red"), (b, "red")]
    assert shown(date(2026, 10, 13), overdue=True, dept="ZJJ") == [(c, "red")]
    assert shown(date(2026, 10, 13), status="resolved") == [(e, "done")]
    overdue = grievance.list_grievances(hall.uow(), sup, on=date(2026, 10, 9), overdue=True)
    assert all(v.overdue and v.as_json()["overdue"] for v in overdue)

    # 督办 on 10-09 with 3 new working days: 10-10 (worked Saturday), 10-12, 10-13.
    _on(monkeypatch, date(2026, 10, 9))
    v = grievance.urge(hall.uow(), sup, b, "超期未办，请三个工作日内办结", days=3)
    assert (v.due, v.urge_count, v.light) == (date(2026, 10, 13), 1, "green")
    assert shown(date(2026, 10, 9), overdue=True) == [(a, "red")]
    assert "新期限：2026-10-13" in grievance.get_grievance(hall.uow(), sup, b).events[-1].note


def test_chief_representatives_see_and_settle_their_own_department_only(hall: HallDesk) -> None:
    sup, scj, zjj = log_in(hall, "supervisor"), log_in(hall, "chief_scj"), log_in(hall, "chief_zjj")
    ours = _assigned(hall, sup, "SCJ")
    theirs = _assigned(hall, sup, "ZJJ")
    waiting = _new(hall, sup)  # not handed to anyone yet

    def numbers(actor: Actor, **filters: str) -> list[str]:
        return [v.grievance_no for v in grievance.list_grievances(hall.uow(), actor, **filters)]  # type: ignore[arg-type]

    assert numbers(scj) == [ours] and numbers(scj, dept="SCJ") == [ours] and numbers(zjj) == [theirs]
    assert set(numbers(sup)) == {ours, theirs, waiting} and numbers(sup, dept="ZJJ") == [theirs]
    with pytest.raises(PermissionDenied, match="本部门"):
        grievance.list_grievances(hall.uow(), scj, dept="ZJJ")
    for no in (theirs, waiting):
        with pytest.raises(PermissionDenied, match="本部门"):
            grievance.get_grievance(hall.uow(), scj, no)
    assert grievance.get_grievance(hall.uow(), scj, ours).grievance.dept == "SCJ"

    others = [log_in(hall, name) for name in ("rev_scj", "clerk1", "clerk3")]  # a login is audited too
    before = _counts(hall)
    with pytest.raises(PermissionDenied, match="本部门"):
        grievance.resolve(hall.uow(), scj, theirs, "不属于本部门也办结")
    # The supervisor's own steps are not the chief representative's.
    for step in (lambda: grievance.classify(hall.uow(), scj, waiting, "complaint"),
                 lambda: grievance.assign(hall.uow(), scj, ours, "SCJ"),
                 lambda: grievance.urge(hall.uow(), scj, ours, "自己督办"),
                 lambda: grievance.callback(hall.uow(), scj, ours, satisfied=True, note="满意"),
                 lambda: grievance.archive(hall.uow(), scj, ours),
                 lambda: grievance.save_grievance_settings(hall.uow(), scj, GrievanceSettings(days=9))):
        with pytest.raises(PermissionDenied, match="无权"):
            step()
    for someone in others:
        with pytest.raises(PermissionDenied):
            grievance.register(hall.uow(), someone, complainant="王芳", content=CONTENT)
        with pytest.raises(PermissionDenied):
            grievance.list_grievances(hall.uow(), someone)
        with pytest.raises(PermissionDenied):
            grievance.get_grievance(hall.uow(), someone, ours)
    assert _counts(hall) == before
    assert grievance.get_grievance(hall.uow(), sup, theirs).grievance.status == "assigned"

    # The clerk at the 办不成事 counter (the demo's clerk9 at counter 9) takes grievances, also about a case.
    clerk9 = log_in(hall, "clerk9")
    assert clerk9.counter_kind == "grievance"
    case = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item_with_tolerable(hall)))
    v = grievance.register(hall.uow(), clerk9, complainant="赵敏", content="办件超期未办结", case_no=case.case_no.lower())
    assert (v.status, v.case_no, v.channel) == ("received", case.case_no, "window")
    with pytest.raises(PermissionDenied):
        grievance.classify(hall.uow(), clerk9, v.grievance_no, "complaint")

    # Reassigned: the first department no longer sees it, the second one settles it.
    moved = grievance.assign(hall.uow(), sup, ours, "ZJJ", days=3)
    assert (moved.dept, moved.status) == ("ZJJ", "assigned")
    assert numbers(scj) == [] and set(numbers(zjj)) == {ours, theirs}
    assert grievance.get_grievance(hall.uow(), sup, ours).events[-1].note.startswith("改派：区市场监管局 → 区住建局")
    with pytest.raises(PermissionDenied):
        grievance.resolve(hall.uow(), scj, ours, "已办结")
    assert grievance.resolve(hall.uow(), zjj, ours, "已协调办结").resolved_by == "chief_zjj"
    with pytest.raises(Conflict, match="已办结"):
        grievance.resolve(hall.uow(), zjj, ours, "再办结一次")
    # A chief representative cannot settle one still at the window; the supervisor can, on the spot.
    with pytest.raises(PermissionDenied):
        grievance.resolve(hall.uow(), zjj, waiting, "已办结")
    assert grievance.resolve(hall.uow(), sup, waiting, "窗口当场解答").status == "resolved"


def test_bad_input_and_wrong_steps_are_refused_and_change_nothing(hall: HallDesk) -> None:
    sup = log_in(hall, "supervisor")
    received = _new(hall, sup)
    assigned = _assigned(hall, sup, "SCJ")
    settled = _assigned(hall, sup, "SCJ")
    grievance.resolve(hall.uow(), sup, settled, "已办结")
    due = grievance.get_grievance(hall.uow(), sup, assigned).grievance.due
    before = _counts(hall)

    bad_registrations = [
        ({"content": ""}, "content", "请填写诉求内容"),
        ({"content": " \n "}, "content", "请填写诉求内容"),
        ({"content": "办" * 2001}, "content", "诉求内容不能超过2000个字（现为2001个字）"),
        ({"complainant": "  "}, "complainant", "请填写诉求人姓名"),
        ({"complainant": "名" * 65}, "complainant", "诉求人姓名不能超过64个字"),
        ({"phone": "1380000"}, "phone", "手机号码应为11位"),
        ({"phone": "12800000001"}, "phone", "号段"),
        ({"channel": "fax"}, "channel", "受理渠道 fax 不正确"),
        ({"case_no": "xj991231-01-9999"}, "case_no", "办件编号 XJ991231-01-9999 不存在"),
    ]
    for changes, field, message in bad_registrations:
        args = {"complainant": "王芳", "content": CONTENT, **changes}
        with pytest.raises(ValidationError, match=re.escape(message)) as refused:
            grievance.register(hall.uow(), sup, **args)
        assert refused.value.field == field

    u = hall.uow
    refusals: list[tuple[type[Exception], str, object]] = [
        (ValidationError, "诉求类别 praise 不正确", lambda: grievance.classify(u(), sup, received, "praise")),
        (Conflict, "尚未分类", lambda: grievance.assign(u(), sup, received, "SCJ")),
        (Conflict, "不能分类", lambda: grievance.classify(u(), sup, assigned, "complaint")),
        (ValidationError, "部门代码 NOPE 不存在", lambda: grievance.assign(u(), sup, assigned, "NOPE")),
        (ValidationError, "1–60个工作日", lambda: grievance.assign(u(), sup, assigned, "SCJ", days=0)),
        (ValidationError, "1–60个工作日", lambda: grievance.urge(u(), sup, assigned, "快", days=61)),
        (Conflict, "不能督办", lambda: grievance.urge(u(), sup, received, "请加快")),
        (Conflict, "不能督办", lambda: grievance.urge(u(), sup, settled, "请加快")),
        (ValidationError, "请写明督办意见", lambda: grievance.urge(u(), sup, assigned, "  ")),
        (ValidationError, "请填写办理结果", lambda: grievance.resolve(u(), sup, assigned, "")),
        (Conflict, "不能办结", lambda: grievance.resolve(u(), sup, settled, "再办一次")),
        (Conflict, "不能回访", lambda: grievance.callback(u(), sup, assigned, satisfied=True, note="满意")),
        (ValidationError, "请写明回访情况", lambda: grievance.callback(u(), sup, settled, satisfied=True, note="")),
        (Conflict, "不能归档", lambda: grievance.archive(u(), sup, settled)),
        (Conflict, "不能转办", lambda: grievance.assign(u(), sup, settled, "ZJJ")),
        (NotFound, "诉求编号 BC000000-0000 不存在", lambda: grievance.archive(u(), sup, "bc000000-0000")),
        (NotFound, "诉求编号 BC000000-0000 不存在", lambda: grievance.get_grievance(u(), sup, "BC000000-0000")),
        (ValidationError, "诉求状态 open 不正确", lambda: grievance.list_grievances(u(), sup, status="open")),
        (ValidationError, "部门代码 NOPE 不存在", lambda: grievance.list_grievances(u(), sup, dept="NOPE")),
        (ValidationError, "1–60个工作日",
         lambda: grievance.save_grievance_settings(u(), sup, GrievanceSettings(days=61))),
    ]
    for error, message, step in refusals:
        with pytest.raises(error, match=message):
            step()  # type: ignore[operator]

    assert _counts(hall) == before
    now = grievance.get_grievance(hall.uow(), sup, assigned).grievance
    assert (now.status, now.due, now.urge_count, now.category) == ("assigned", due, 0, "unresolved")
    assert grievance.get_grievance(hall.uow(), sup, received).grievance.status == "received"
    assert grievance.get_grievance_settings(hall.uow()) == GrievanceSettings(days=5)


def test_settings_give_the_default_deadline(hall: HallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    sup = log_in(hall, "supervisor")
    assert grievance.get_grievance_settings(hall.uow()) == GrievanceSettings(days=5)
    assert grievance.save_grievance_settings(hall.uow(), sup, GrievanceSettings(days=10)).days == 10
    assert grievance.get_grievance_settings(hall.uow()).as_json() == {"days": 10}
    _on(monkeypatch, date(2026, 11, 23))
    no = _assigned(hall, sup, "SCJ")
    assert grievance.get_grievance(hall.uow(), sup, no).grievance.due == date(2026, 12, 7)  # 10 working days
    assert grievance.assign(hall.uow(), sup, no, "SCJ", days=2).due == date(2026, 11, 25)  # given days win
    with hall.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "grievance.settings")).scalar_one() == 1


def test_registrations_at_the_same_instant_get_one_sequence(hall: HallDesk) -> None:
    sup = log_in(hall, "supervisor")
    n = 4
    barrier = threading.Barrier(n)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def window() -> None:
        try:
            barrier.wait()
            numbers.append(_new(hall, sup))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=window) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({no[:9] for no in numbers}) == 1  # BCyymmdd-, barring midnight
    assert sorted(int(no[-4:]) for no in numbers) == list(range(1, n + 1))


def test_grievances_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import run

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--db", hall.url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    def ok_json(*argv: str) -> dict[str, object]:
        code, out, err = cli(*argv, "--json")
        assert code == 0, err
        doc = json.loads(out)
        assert isinstance(doc, dict)
        return doc

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    sup = ("--user", "supervisor")
    doc = ok_json(*sup, "grievance", "add", "--name", "李雷", "--content", CONTENT, "--phone", "13900000002",
                  "--channel", "letter")
    no = str(doc["grievance_no"])
    assert re.fullmatch(r"BC\d{6}-0001", no)
    assert (doc["status"], doc["channel_name"], doc["phone"], doc["light"]) == ("received", "信件", "139****0002", "none")
    assert ok_json(*sup, "grievance", "classify", no, "--category", "unresolved")["category_name"] == "办不成事"
    doc = ok_json(*sup, "grievance", "assign", no, "--dept", "SCJ", "--days", "3")
    with hall.uow() as uow:
        expected = load_calendar(uow.session).add_workdays(today(), 3).date
    assert (doc["status"], doc["dept"], doc["due"]) == ("assigned", "SCJ", expected.isoformat())
    assert ok_json(*sup, "grievance", "urge", no, "--note", "请尽快答复")["urge_count"] == 1

    code, out, _ = cli("--user", "chief_scj", "grievance", "list", "--json")
    assert code == 0 and [g["grievance_no"] for g in json.loads(out)] == [no]
    code, out, _ = cli("--user", "chief_scj", "grievance", "list")
    assert code == 0 and out.startswith(f"{no}\t已转办\t办不成事\t区市场监管局\t{expected.isoformat()}")
    code, _, err = cli("--user", "chief_scj", "grievance", "list", "--dept", "ZJJ")
    assert code == 4 and "本部门" in err
    code, _, err = cli("--user", "clerk1", "grievance", "add", "--name", "王芳", "--content", CONTENT)
    assert code == 4 and "办不成事窗口" in err
    code, _, err = cli(*sup, "grievance", "add", "--name", "王芳", "--content", "  ")
    assert code == 2 and "请填写诉求内容" in err
    code, _, err = cli(*sup, "grievance", "add", "--name", "王芳", "--content", CONTENT, "--phone", "12345")
    assert code == 2 and "手机号码" in err
    code, _, err = cli(*sup, "grievance", "archive", no)
    assert code == 6 and "不能归档" in err
    code, _, err = cli(*sup, "grievance", "show", "BC000000-0000")
    assert code == 5 and "不存在" in err

    assert ok_json("--user", "chief_scj", "grievance", "resolve", no, "--reply", "已答复")["status"] == "resolved"
    doc = ok_json(*sup, "grievance", "callback", no, "--satisfied", "no", "--note", "不满意")
    assert (doc["status"], doc["satisfied"], doc["reply"]) == ("assigned", False, "")
    code, out, _ = cli("--user", "chief_scj", "grievance", "resolve", no, "--reply", "已重新办理")
    assert code == 0 and out.startswith(f"{no}\t已办结\t区市场监管局")
    assert ok_json(*sup, "grievance", "callback", no, "--satisfied", "yes", "--note", "满意")["status"] == "called_back"
    assert ok_json(*sup, "grievance", "archive", no)["status"] == "archived"

    doc = ok_json(*sup, "grievance", "show", no)
    assert [e["action"] for e in doc["events"]] == [  # type: ignore[union-attr]
        "register", "classify", "assign", "urge", "resolve", "callback", "reopen", "resolve", "callback", "archive"]
    code, out, _ = cli(*sup, "grievance", "show", no)
    assert code == 0 and "139****0002" in out and "13900000002" not in out and "归档" in out
    code, out, _ = cli(*sup, "grievance", "list", "--status", "archived", "--json")
    assert code == 0 and [g["grievance_no"] for g in json.loads(out)] == [no]

    assert ok_json("grievance", "settings") == {"days": 5}
    assert ok_json(*sup, "grievance", "settings", "--days", "7") == {"days": 7}
    code, _, err = cli(*sup, "grievance", "settings", "--days", "0")
    assert code == 2 and "1–60" in err
    code, _, err = cli("--user", "chief_scj", "grievance", "settings", "--days", "9")
    assert code == 4
    assert ok_json("grievance", "settings") == {"days": 7}
    assert cli("audit", "verify")[0] == 0
