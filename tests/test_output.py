"""The output window: slips and pickup codes, the lockout, collectors, 容缺 supplements, hand-over, EMS, ratings."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app import backoffice, catalog, claims, decisions, evaluation, intake, output
from app.backoffice import DeptSettings
from app.cases import CaseView
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, PermissionDenied, ValidationError
from app.evaluation import EvaluationSettings
from app.hall_settings import load_calendar, today
from app.intake import MaterialInput
from app.output import Collector, Mailing
from app.slips import SlipError
from app.validators import make_id_number
from db.models import AuditEvent, Case, Evaluation, Handover, Notice, PrintJob, Rectification
from tests.conftest import log_in
from tests.intake_support import AGENT, all_received, request

OTHER_ID = make_id_number("360112", date(1990, 3, 8), 77)


def _scj_item(hall: HallDesk, tolerable: bool = False) -> catalog.Item:
    return next(i for i in catalog.list_items(hall.uow(), "SCJ")
                if not i.immediate and (not tolerable or any(m.tolerable for m in i.materials)))


def _decided(hall: HallDesk, decision: str = "approve", *, tolerate: bool = False) -> CaseView:
    """A case taken at counter 1, claimed and decided by the SCJ back office."""
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall, tolerable=tolerate)
    materials = all_received(item)
    if tolerate:  # the supplement deadline is the one the service proposes (the promised limit)
        code = next(m.code for m in item.materials if m.tolerable)
        materials = {**materials, code: MaterialInput("tolerated")}
    taken = intake.take_application(hall.uow(), clerk, request(item, materials=materials))
    rev = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), rev, taken.case_no)
    decisions.decide(hall.uow(), rev, taken.case_no, decision, reason="符合条件" if decision == "approve" else "不符合条件",
        legal_basis="" if decision == "approve" else "《行政许可法》第三十八条")
    return taken


def _count(hall: HallDesk, table: type) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(table)).scalar_one())


def test_scanned_slip_finds_the_case_and_hand_over_prints_the_signing_slip(hall: HallDesk) -> None:
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    found = output.find_for_pickup(hall.uow(), clerk, slip=case.slip)
    assert found.ready and found.credential == "slip" and found.case.status == "approved"
    assert "决定书" in found.result_docs
    done = output.issue(hall.uow(), clerk, slip=case.slip)
    assert done.case.status == "issued" and done.handover.method == "window"
    assert done.handover.collector_id_number == AGENT.id_number and not done.handover.by_proxy
    assert done.print_job is not None and done.notice_doc_no.startswith("新经开出件〔")
    with hall.uow() as uow:
        s = uow.session
        job = s.execute(select(PrintJob).where(PrintJob.kind == "handover")).scalar_one()
        payload = json.loads(job.payload)
        rows = dict(map(tuple, payload["rows"]))
        assert payload["title"] == "出件签收单" and rows["办理结果"] == "准予许可"
        # On paper the collector's ID is masked (first 3 + last 4).
        assert rows["身份证号"] == AGENT.id_number[:3] + "*" * 11 + AGENT.id_number[-4:]
        assert s.execute(select(Notice).where(Notice.kind == "handover")).scalar_one().doc_no == done.notice_doc_no
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "case.issue")).scalar_one()
        assert s.execute(select(Case.issued_at).where(Case.case_no == case.case_no)).scalar_one() is not None
    # A second hand-over is refused and changes nothing.
    with pytest.raises(Conflict, match=r"已于.*出件"):
        output.issue(hall.uow(), clerk, slip=case.slip)
    assert _count(hall, Handover) == 1 and _count(hall, PrintJob) == 3  # receipt + notice at intake, 签收单


def test_every_single_character_change_of_a_slip_is_refused_and_logged(hall: HallDesk) -> None:
    """At every position of the slip: a deletion and a substitution are refused, each logged once.

    (tests/test_slips.py tries every substitution, deletion and insertion on the verifier itself.)"""
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    slip = case.slip
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567:-0189"
    variants = []
    for i, ch in enumerate(slip):
        variants.append(slip[:i] + slip[i + 1:])
        variants.append(slip[:i] + alphabet[(alphabet.find(ch) + 1 + i) % len(alphabet)] + slip[i + 1:])
    variants = [v for v in dict.fromkeys(variants) if v != slip]
    before = _count(hall, AuditEvent)
    for v in variants:
        with pytest.raises((SlipError, ValidationError)):
            output.find_for_pickup(hall.uow(), clerk, slip=v)
    assert _count(hall, AuditEvent) - before == len(variants)
    assert _count(hall, Handover) == 0
    assert output.find_for_pickup(hall.uow(), clerk, slip=slip).ready


def test_five_wrong_pickup_codes_lock_the_case_until_a_supervisor_unlocks_it(hall: HallDesk) -> None:
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    wrong = f"{(int(case.pickup_code) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError, match=f"再错{left}次"):
            output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=wrong)
    with pytest.raises(Conflict, match="已锁定"):
        output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=wrong)
    # Locked: even the right code (and the slip) are refused, and nothing is handed over.
    with pytest.raises(Conflict, match="已锁定"):
        output.issue(hall.uow(), clerk, case_no=case.case_no, pickup_code=case.pickup_code)
    with pytest.raises(Conflict, match="已锁定"):
        output.issue(hall.uow(), clerk, slip=case.slip)
    assert _count(hall, Handover) == 0
    with pytest.raises(PermissionDenied):
        output.unlock_pickup(hall.uow(), clerk, case.case_no)
    output.unlock_pickup(hall.uow(), log_in(hall, "supervisor"), case.case_no)
    done = output.issue(hall.uow(), clerk, case_no=case.case_no.lower(), pickup_code=case.pickup_code)
    assert done.case.status == "issued" and done.handover.credential == "code"


def test_a_right_code_resets_the_count(hall: HallDesk) -> None:
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    wrong = f"{(int(case.pickup_code) + 5) % 1000000:06d}"
    for _ in range(4):
        with pytest.raises(ValidationError):
            output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=wrong)
    assert output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=case.pickup_code).ready
    with pytest.raises(ValidationError, match="再错4次"):
        output.find_for_pickup(hall.uow(), clerk, case_no=case.case_no, pickup_code=wrong)


def test_an_undecided_case_cannot_be_handed_over(hall: HallDesk) -> None:
    clerk1 = log_in(hall, "clerk1")
    item = _scj_item(hall)
    taken = intake.take_application(hall.uow(), clerk1, request(item))
    clerk = log_in(hall, "clerk3")
    found = output.find_for_pickup(hall.uow(), clerk, slip=taken.slip)
    assert not found.ready and "尚未办结" in found.blockers[0]
    with pytest.raises(Conflict, match="尚未办结"):
        output.issue(hall.uow(), clerk, slip=taken.slip)
    assert _count(hall, Handover) == 0


def test_another_collector_needs_a_valid_id_and_a_power_of_attorney(hall: HallDesk) -> None:
    case = _decided(hall, "deny")
    clerk = log_in(hall, "clerk3")
    with pytest.raises(ValidationError, match="身份证"):
        output.issue(hall.uow(), clerk, slip=case.slip, collector=Collector("李娜", OTHER_ID[:-1] + ("1" if OTHER_ID[-1] == "0" else "0"), True))
    with pytest.raises(ValidationError, match="委托书"):
        output.issue(hall.uow(), clerk, slip=case.slip, collector=Collector("李娜", OTHER_ID))
    assert _count(hall, Handover) == 0
    done = output.issue(hall.uow(), clerk, slip=case.slip,
                        collector=Collector("李娜", OTHER_ID.lower(), by_proxy=True, proxy_note="委托书原件已留存"))
    assert done.handover.by_proxy and done.handover.collector_id_number == OTHER_ID
    assert done.handover.delivery == "窗口领取（委托代领）"
    # A denied case hands over the decision the same way.
    assert "不予行政许可决定书" in done.handover.result_docs


def test_outstanding_supplements_hold_the_certificate_unless_the_department_allows_it(hall: HallDesk) -> None:
    case = _decided(hall, tolerate=True)
    tolerated = next(m for m in case.materials if m.state == "tolerated")
    clerk = log_in(hall, "clerk3")
    found = output.find_for_pickup(hall.uow(), clerk, slip=case.slip)
    assert not found.ready and [m.code for m in found.outstanding] == [tolerated.code]
    with pytest.raises(Conflict, match="容缺材料尚未补齐"):
        output.issue(hall.uow(), clerk, slip=case.slip)
    # The department's rule can let the certificate go first.
    chief = log_in(hall, "chief_scj")
    backoffice.save_dept_settings(hall.uow(), chief, "SCJ", DeptSettings(issue_before_supplement=True))
    assert output.find_for_pickup(hall.uow(), clerk, slip=case.slip).ready
    backoffice.save_dept_settings(hall.uow(), chief, "SCJ", DeptSettings())
    with pytest.raises(ValidationError, match="不是容缺材料"):
        output.record_supplement(hall.uow(), clerk, case.case_no, next(
            m.code for m in case.materials if m.state == "received"))
    view = output.record_supplement(hall.uow(), clerk, case.case_no, tolerated.code)
    assert next(m for m in view.materials if m.code == tolerated.code).supplemented_at is not None
    with pytest.raises(Conflict, match="已于"):
        output.record_supplement(hall.uow(), clerk, case.case_no, tolerated.code)
    assert output.issue(hall.uow(), clerk, slip=case.slip).case.status == "issued"


def test_mailing_by_ems_records_address_and_tracking_number(hall: HallDesk) -> None:
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    good = Mailing("张伟", "13807910001", "江西省南昌市新建区长堎大道8号", "EA123456789CN")
    with pytest.raises(ValidationError, match="EMS单号"):
        output.issue(hall.uow(), clerk, slip=case.slip, mail=Mailing(good.recipient, good.phone, good.address, "123"))
    with pytest.raises(ValidationError, match="手机"):
        output.issue(hall.uow(), clerk, slip=case.slip, mail=Mailing(good.recipient, "12345", good.address,
                                                                     good.tracking_no))
    done = output.issue(hall.uow(), clerk, slip=case.slip, mail=good)
    assert done.handover.method == "mail" and done.print_job is None
    assert done.handover.as_json()["mail"]["tracking_no"] == "EA123456789CN"
    assert done.case.history[-1].action == "issue.mail"


def test_only_front_desk_roles_hand_over(hall: HallDesk) -> None:
    case = _decided(hall)
    with pytest.raises(PermissionDenied):
        output.issue(hall.uow(), log_in(hall, "rev_scj"), slip=case.slip)
    waiting = output.awaiting_pickup(hall.uow(), log_in(hall, "clerk3"))
    assert [c.case_no for c in waiting] == [case.case_no]
    output.issue(hall.uow(), log_in(hall, "clerk3"), slip=case.slip)
    assert output.awaiting_pickup(hall.uow(), log_in(hall, "clerk3")) == []
    assert [c.case_no for c in output.issued_on(hall.uow(), log_in(hall, "clerk3"), today())] == [case.case_no]


# ---- ratings and rectification --------------------------------------------------------------------------


def test_a_bad_rating_opens_a_rectification_due_in_five_working_days(hall: HallDesk) -> None:
    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    output.issue(hall.uow(), clerk, slip=case.slip)
    with pytest.raises(ValidationError, match="至少一项原因"):
        evaluation.rate(hall.uow(), clerk, case.case_no, 2)
    for bad in (0, 6, True):
        with pytest.raises(ValidationError, match="1–5"):
            evaluation.rate(hall.uow(), clerk, case.case_no, bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="不存在"):
        evaluation.rate(hall.uow(), clerk, case.case_no, 1, reasons=["rude"])
    rated = evaluation.rate(hall.uow(), clerk, case.case_no, 1, reasons=["attitude", "not_once"], comment="态度冷淡")
    with hall.uow() as uow:
        expected = load_calendar(uow.session).add_workdays(today(), 5).date
    assert rated.occasion == "issue" and rated.bad and rated.rectification_due == expected
    with pytest.raises(Conflict, match="已经评价过"):
        evaluation.rate(hall.uow(), clerk, case.case_no, 5, occasion="issue")
    assert (_count(hall, Evaluation), _count(hall, Rectification)) == (1, 1)
    # The intake occasion is a different occasion, rated at the counter that took the case (not at this one):
    # once too, and a good rating opens nothing.
    with pytest.raises(PermissionDenied, match="1号窗口"):
        evaluation.rate(hall.uow(), clerk, case.case_no, 5, occasion="intake")
    taking = log_in(hall, "clerk1")
    assert evaluation.rate(hall.uow(), taking, case.case_no, 5, occasion="intake").rectification_due is None
    with pytest.raises(PermissionDenied, match="3号窗口"):
        evaluation.rate(hall.uow(), taking, case.case_no, 5, occasion="issue")
    assert _count(hall, Rectification) == 1

    chief = log_in(hall, "chief_scj")
    [rect] = evaluation.list_rectifications(hall.uow(), chief)
    assert (rect.case_no, rect.status, rect.due, rect.light) == (case.case_no, "open", expected, "green")
    with pytest.raises(PermissionDenied):
        evaluation.list_rectifications(hall.uow(), chief, dept="ZJJ")
    with pytest.raises(PermissionDenied):
        evaluation.record_callback(hall.uow(), log_in(hall, "chief_zjj"), str(rect.id), "电话回访申请人")
    with pytest.raises(Conflict, match="先回访"):
        evaluation.close_rectification(hall.uow(), chief, str(rect.id), "已对窗口人员进行批评教育")
    called = evaluation.record_callback(hall.uow(), chief, str(rect.id), "电话回访申请人，已致歉")
    assert called.status == "called_back"
    closed = evaluation.close_rectification(hall.uow(), chief, str(rect.id), "已对相关人员批评教育并重新培训")
    assert closed.status == "closed" and closed.light == "done"
    summary = evaluation.evaluation_summary(hall.uow(), log_in(hall, "supervisor"), dept="SCJ")
    assert (summary.total, summary.bad, summary.counts) == (2, 1, {1: 1, 5: 1})


def test_rectification_days_are_configurable_and_overdue_ones_show_red(hall: HallDesk) -> None:
    sup = log_in(hall, "supervisor")
    with pytest.raises(ValidationError):
        evaluation.save_evaluation_settings(hall.uow(), sup, EvaluationSettings(rectification_days=0))
    evaluation.save_evaluation_settings(hall.uow(), sup, EvaluationSettings(rectification_days=2))
    case = _decided(hall)
    rated = evaluation.rate(hall.uow(), log_in(hall, "clerk1"), case.case_no, 2, reasons=["efficiency"])
    with hall.uow() as uow:
        assert rated.rectification_due == load_calendar(uow.session).add_workdays(today(), 2).date
        row = uow.session.execute(select(Rectification)).scalar_one()
        row.due = date(2020, 1, 2)
        uow.commit()
    [late] = evaluation.list_rectifications(hall.uow(), sup, overdue_only=True)
    assert late.light == "red" and late.overdue and late.occasion == "intake"
    assert evaluation.list_rectifications(hall.uow(), sup, dept="ZJJ") == []


def test_output_window_via_cli(hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               tmp_path: object) -> None:
    from pathlib import Path

    from cli.main import run

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--db", hall.url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    a = _decided(hall, tolerate=True)
    b = _decided(hall)
    code, _, err = cli("--user", "clerk3", "case", "issue", a.case_no, "--pickup-code", "000000" if
                       a.pickup_code != "000000" else "111111")
    assert code == 2 and "再错4次" in err
    code, _, err = cli("--user", "clerk3", "case", "issue", a.case_no, "--slip", a.slip)
    assert code == 6 and "容缺材料尚未补齐" in err
    tolerated = next(m.code for m in a.materials if m.state == "tolerated")
    code, out, _ = cli("--user", "clerk3", "case", "supplement", a.case_no, "--material", tolerated, "--json")
    assert code == 0 and json.loads(out)["commitments"][0]["supplemented_at"]
    collector = Path(str(tmp_path)) / "collector.json"
    collector.write_text(json.dumps({"name": "李娜", "id_number": OTHER_ID, "proxy": True}), encoding="utf-8")
    code, out, _ = cli("--user", "clerk3", "case", "issue", a.case_no, "--slip", a.slip, "--collector-json",
                       str(collector), "--json")
    issued = json.loads(out)
    assert code == 0 and issued["status"] == "issued" and issued["handover"]["by_proxy"] is True
    assert issued["handover"]["collector"]["id_number"].count("*") == 11
    mail = Path(str(tmp_path)) / "mail.json"
    mail.write_text(json.dumps({"recipient": "张伟", "phone": "13807910001", "address": "江西省南昌市新建区长堎大道8号",
                                "tracking_no": "1234567890123"}), encoding="utf-8")
    code, out, _ = cli("--user", "clerk3", "case", "issue", b.case_no, "--pickup-code", b.pickup_code,
                       "--mail-json", str(mail), "--json")
    assert code == 0 and json.loads(out)["handover"]["method"] == "mail"
    code, _, err = cli("--user", "clerk3", "case", "issue", b.case_no, "--pickup-code", b.pickup_code)
    assert code == 6 and "已于" in err
    code, out, _ = cli("--user", "clerk3", "case", "rate", a.case_no, "--level", "2", "--reason", "efficiency",
                       "--json")
    assert code == 0 and json.loads(out)["rectification_due"]
    code, _, err = cli("--user", "clerk3", "case", "rate", a.case_no, "--level", "4")
    assert code == 6 and "已经评价过" in err
    code, _, err = cli("--user", "clerk3", "case", "rate", b.case_no, "--level", "7")
    assert code == 2 and "1–5" in err
    code, out, _ = cli("--user", "supervisor", "rectification", "list", "--json")
    [rect] = json.loads(out)
    assert code == 0 and rect["case_no"] == a.case_no and rect["status"] == "open"
    code, out, _ = cli("--user", "chief_scj", "rectification", "list", "--dept", "SCJ", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    assert cli("--user", "chief_scj", "rectification", "callback", rect["id"], "--note", "电话回访，申请人表示理解")[0] == 0
    code, out, _ = cli("--user", "chief_scj", "rectification", "close", rect["id"], "--fix", "优化审批流程，限时办结",
                       "--json")
    assert code == 0 and json.loads(out)["status"] == "closed"


def test_two_windows_handing_over_at_once_hand_over_once(hall: HallDesk) -> None:
    import threading

    case = _decided(hall)
    clerks = [log_in(hall, "clerk3"), log_in(hall, "clerk1")]
    results: list[str] = []
    start = threading.Barrier(2)

    def window(actor: object) -> None:
        start.wait()
        try:
            output.issue(hall.uow(), actor, slip=case.slip)  # type: ignore[arg-type]
            results.append("issued")
        except Conflict as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=window, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and results.count("issued") == 1
    assert any("出件" in r for r in results if r != "issued")
    assert _count(hall, Handover) == 1


def test_the_a4_signing_slip_is_kept_as_a_notice_with_the_collector_masked(hall: HallDesk) -> None:
    from app.printing import desk
    from tests.test_pdf import flat

    case = _decided(hall)
    clerk = log_in(hall, "clerk3")
    done = output.issue(hall.uow(), clerk, slip=case.slip,
                        collector=Collector("李娜", OTHER_ID, by_proxy=True, proxy_note="委托书已留存"))
    text = flat(desk.notice_pdf(hall.uow(), clerk, case.case_no, "handover"))
    assert "出件签收单" in text and done.notice_doc_no in text and "李*" in text
    assert "窗口领取（委托代领）" in text and "准予许可" in text
    assert OTHER_ID not in text and "李娜" not in text
