"""容缺 follow-through (issue 14 part 7), on every engine: the overdue list, 催补, 终止办理 and the public list of
what may be 容缺.  PDFs are checked by their extracted text."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select, update

from app import cases, claims, decisions, intake, output, tolerate
from app.cases import CaseView
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, PermissionDenied, ValidationError
from app.hall_settings import today
from app.intake import MaterialInput
from app.printing import desk
from db.models import AuditEvent, Case, CaseEvent, CaseMaterial, Notice
from tests.conftest import log_in
from tests.intake_support import all_received, request
from tests.test_output import _decided, _scj_item

REASON = "申请人逾期未补齐容缺材料"


def _accepted(hall: HallDesk) -> CaseView:
    """A 容缺 case of SCJ taken at counter 1, waiting in the queue."""
    item = _scj_item(hall, tolerable=True)
    code = next(m.code for m in item.materials if m.tolerable)
    return intake.take_application(hall.uow(), log_in(hall, "clerk1"),
                                   request(item, materials={**all_received(item), code: MaterialInput("tolerated")}))


def _late(hall: HallDesk, case_no: str, days: int) -> None:
    """Move the case's 容缺 dates ``days`` calendar days into the past (0: due today, not late)."""
    due = today() - timedelta(days=days)
    with hall.uow() as uow:
        s = uow.session
        case_id = s.execute(select(Case.id).where(Case.case_no == case_no)).scalar_one()
        s.execute(update(Case).where(Case.id == case_id).values(supplement_due=due))
        s.execute(update(CaseMaterial).where(CaseMaterial.case_id == case_id, CaseMaterial.state == "tolerated")
                  .values(supplement_due=due))
        uow.commit()


def _counts(hall: HallDesk) -> tuple[int, int, int]:
    with hall.uow() as uow:
        s = uow.session
        return tuple(int(s.execute(select(func.count()).select_from(t)).scalar_one())  # type: ignore[return-value]
                     for t in (Notice, AuditEvent, CaseEvent))


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")


def _state(hall: HallDesk, case_no: str) -> tuple[str, int]:
    with hall.uow() as uow:
        row = uow.session.execute(select(Case.status, Case.version).where(Case.case_no == case_no)).one()
        return row[0], row[1]


def test_the_overdue_list_is_most_overdue_first_in_calendar_days_and_scoped(hall: HallDesk) -> None:
    three, ten, due_today, brought = (_accepted(hall) for _ in range(4))
    _late(hall, three.case_no, 3)
    _late(hall, ten.case_no, 10)
    _late(hall, due_today.case_no, 0)
    _late(hall, brought.case_no, 5)
    material = next(m.code for m in brought.materials if m.state == "tolerated")
    output.record_supplement(hall.uow(), log_in(hall, "clerk3"), brought.case_no, material)
    decided = _decided(hall, tolerate=True)  # approved, late, not handed over: still bound by the promise
    _late(hall, decided.case_no, 1)

    rows = tolerate.overdue(hall.uow(), log_in(hall, "clerk3"))
    assert [(r.case_no, r.days_overdue) for r in rows] == [(ten.case_no, 10), (three.case_no, 3),
                                                           (decided.case_no, 1)]
    first = rows[0].as_json()
    assert first["due"] == (today() - timedelta(days=10)).isoformat() and first["reminders"] == 0
    assert first["materials"][0]["days_overdue"] == 10 and first["dept"] == "SCJ"
    assert "*" in first["agent_phone"] and first["status"] == "accepted"
    assert rows[2].status == "approved"
    # The chief representative sees the own department's only; the supervisor every department's.
    assert len(tolerate.overdue(hall.uow(), log_in(hall, "chief_scj"))) == 3
    assert tolerate.overdue(hall.uow(), log_in(hall, "chief_fgw")) == []
    assert len(tolerate.overdue(hall.uow(), log_in(hall, "supervisor"), dept="SCJ")) == 3
    assert tolerate.overdue(hall.uow(), log_in(hall, "supervisor"), dept="FGW") == []
    with pytest.raises(PermissionDenied, match="后台审批人员无权查看容缺逾期清单"):
        tolerate.overdue(hall.uow(), log_in(hall, "rev_scj"))


def test_a_reminder_serves_a_notice_and_leaves_the_status(hall: HallDesk) -> None:
    case = _accepted(hall)
    _late(hall, case.case_no, 4)
    before = _state(hall, case.case_no)
    chief = log_in(hall, "chief_scj")
    served = tolerate.remind(hall.uow(), chief, case.case_no)
    assert served.case.status == "accepted" and _state(hall, case.case_no) == ("accepted", before[1] + 1)
    assert served.doc_no.startswith("新经开催补〔") and served.print_job is None
    assert served.case.history[-1].action == "remind" and served.doc_no in served.case.history[-1].note
    with hall.uow() as uow:
        audit = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "case.remind")).scalar_one()
        assert json.loads(audit.payload)["doc_no"] == served.doc_no
        assert json.loads(audit.payload)["days_overdue"] == 4
    text = _text(desk.notice_pdf(hall.uow(), chief, case.case_no, "reminder"))
    tolerated = next(m for m in case.materials if m.state == "tolerated")
    for words in ("容缺材料催补通知书", served.doc_no, case.case_no, tolerated.name, "已逾期4日", "最长已逾期4日",
                  "终止办理", "容缺受理承诺书"):
        assert words in text, words
    [row] = tolerate.overdue(hall.uow(), chief)
    assert row.reminders == 1 and row.last_reminded_at is not None


def test_a_reminder_before_the_date_names_the_date(hall: HallDesk) -> None:
    case = _accepted(hall)
    served = tolerate.remind(hall.uow(), log_in(hall, "clerk3"), case.case_no)
    text = _text(desk.notice_pdf(hall.uow(), log_in(hall, "clerk3"), case.case_no, "reminder"))
    assert "最迟应于" in text and "未逾期" in text and "已逾期" not in text
    assert served.case.status == "accepted"


def test_a_reminder_with_nothing_outstanding_is_refused_and_writes_nothing(hall: HallDesk) -> None:
    case = _accepted(hall)
    material = next(m.code for m in case.materials if m.state == "tolerated")
    clerk, other = log_in(hall, "clerk3"), log_in(hall, "chief_fgw")  # a login writes its own audit row
    output.record_supplement(hall.uow(), clerk, case.case_no, material)
    counts = _counts(hall)
    with pytest.raises(Conflict, match="没有待补交的容缺材料"):
        tolerate.remind(hall.uow(), clerk, case.case_no)
    with pytest.raises(PermissionDenied, match="本部门"):
        tolerate.remind(hall.uow(), other, case.case_no)
    assert _counts(hall) == counts


def test_a_broken_promise_is_terminated_with_a_notice(hall: HallDesk) -> None:
    case = _accepted(hall)
    claims.claim(hall.uow(), log_in(hall, "rev_scj"), case.case_no)
    _late(hall, case.case_no, 6)
    chief = log_in(hall, "chief_scj")
    served = tolerate.terminate(hall.uow(), chief, case.case_no, REASON)
    assert served.case.status == "terminated" and served.doc_no.startswith("新经开终止〔")
    with hall.uow() as uow:
        row = uow.session.execute(select(Case).where(Case.case_no == case.case_no)).scalar_one()
        assert row.holder_id is None and row.finished_at is not None
        audit = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "case.terminate")).scalar_one()
        assert json.loads(audit.payload)["withdrawn"] is False and json.loads(audit.payload)["reason"] == REASON
    # The reviewer who held it can no longer decide it.
    with pytest.raises(Conflict):
        decisions.decide(hall.uow(), log_in(hall, "rev_scj"), case.case_no, "approve", reason="符合条件")
    text = _text(desk.notice_pdf(hall.uow(), chief, case.case_no, "termination"))
    for words in ("终止办理通知书", served.doc_no, "逾期6日仍未补齐", REASON, "逾期未补齐的容缺材料", "行政复议",
                  "六个月", "区市场监管局（盖章）", "南昌市新建区人民政府", "南昌市新建区人民法院"):
        assert words in text, words
    assert tolerate.overdue(hall.uow(), chief) == []  # no longer bound


def test_termination_refusals_write_nothing(hall: HallDesk) -> None:
    on_time = _accepted(hall)
    chief, clerk = log_in(hall, "chief_scj"), log_in(hall, "clerk3")
    other, reviewer = log_in(hall, "chief_fgw"), log_in(hall, "rev_scj")  # a login writes its own audit row
    counts = _counts(hall)
    with pytest.raises(Conflict, match="没有逾期未补齐的容缺材料"):
        tolerate.terminate(hall.uow(), chief, on_time.case_no, REASON)
    _late(hall, on_time.case_no, 2)
    with pytest.raises(PermissionDenied, match="窗口人员只能在申请人申请撤回时终止办理"):
        tolerate.terminate(hall.uow(), clerk, on_time.case_no, REASON)
    with pytest.raises(ValidationError, match="须写明理由"):
        tolerate.terminate(hall.uow(), chief, on_time.case_no, "  ")
    with pytest.raises(PermissionDenied, match="本部门"):
        tolerate.terminate(hall.uow(), other, on_time.case_no, REASON)
    with pytest.raises(PermissionDenied):
        tolerate.terminate(hall.uow(), reviewer, on_time.case_no, REASON)
    assert _counts(hall) == counts
    # Never after the hand-over, not even on a withdrawal.
    issued = _decided(hall, tolerate=True)
    material = next(m.code for m in issued.materials if m.state == "tolerated")
    output.record_supplement(hall.uow(), clerk, issued.case_no, material)
    output.issue(hall.uow(), clerk, slip=issued.slip)
    counts = _counts(hall)
    with pytest.raises(Conflict, match=r"已出件.*不能终止办理"):
        tolerate.terminate(hall.uow(), chief, issued.case_no, "申请人撤回", withdrawn=True)
    assert _counts(hall) == counts and _state(hall, issued.case_no)[0] == "issued"
    assert _state(hall, on_time.case_no)[0] == "accepted"


def test_the_applicant_withdraws_at_the_window(hall: HallDesk) -> None:
    case = _accepted(hall)  # not late: a withdrawal needs no broken promise
    clerk = log_in(hall, "clerk3")
    served = tolerate.terminate(hall.uow(), clerk, case.case_no, "申请人书面申请撤回", withdrawn=True)
    assert served.case.status == "terminated" and "申请人申请撤回" in served.case.history[-1].note
    text = _text(desk.notice_pdf(hall.uow(), clerk, case.case_no, "termination"))
    assert "已向本机关申请撤回" in text and "申请人书面申请撤回" in text
    assert "行政复议" not in text and "逾期" not in text
    with pytest.raises(Conflict, match="终止办理"):
        tolerate.terminate(hall.uow(), clerk, case.case_no, "再次撤回", withdrawn=True)


def test_the_public_list_of_what_may_be_tolerated(hall: HallDesk) -> None:
    pdf, items = tolerate.tolerable_list_pdf(hall.uow())
    assert items and all(i.materials for i in items)
    text = _text(pdf)
    assert "可容缺受理事项及容缺材料清单" in text and "新府办发〔2024〕3号" in text
    for item in items[:3] + items[-2:]:
        assert item.name.replace(" ", "") in text and item.materials[0][1].replace(" ", "") in text
    scj = _scj_item(hall, tolerable=True)
    assert any(i.code == scj.code for i in items)
    from app import catalog

    never = [i for i in catalog.list_items(hall.uow()) if not any(m.tolerable for m in i.materials)]
    assert never and not {i.code for i in never} & {i.code for i in items}
    # By department, in the catalog's order: each department's items stand together.
    depts = [i.dept for i in items]
    assert depts == sorted(depts, key=depts.index)


def test_the_commands(hall: HallDesk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                      tmp_path: Path) -> None:
    from cli.main import run

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--db", hall.url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    late, withdrawn = _accepted(hall), _accepted(hall)
    _late(hall, late.case_no, 8)
    code, out, _ = cli("--user", "clerk3", "supplement", "overdue", "--json")
    assert code == 0 and [r["case_no"] for r in json.loads(out)] == [late.case_no]
    assert json.loads(out)[0]["days_overdue"] == 8
    code, out, _ = cli("--user", "chief_scj", "case", "remind", late.case_no, "--json")
    assert code == 0 and json.loads(out)["notice"]["kind"] == "reminder" and json.loads(out)["status"] == "accepted"
    code, _, err = cli("--user", "clerk3", "case", "terminate", late.case_no, "--reason", REASON)
    assert code == 4 and "申请人申请撤回" in err
    code, out, _ = cli("--user", "chief_scj", "case", "terminate", late.case_no, "--reason", REASON, "--json")
    assert code == 0 and json.loads(out)["status"] == "terminated"
    code, out, _ = cli("--user", "clerk3", "case", "terminate", withdrawn.case_no, "--reason", "申请人撤回",
                       "--withdrawn", "--json")
    assert code == 0 and json.loads(out)["notice"]["doc_no"].startswith("新经开终止〔")
    out_pdf = tmp_path / "t.pdf"
    code, _, _ = cli("--user", "chief_scj", "print", "notice", late.case_no, "--kind", "termination", "--out",
                     str(out_pdf))
    assert code == 0 and "终止办理通知书" in _text(out_pdf.read_bytes())
    code, _, err = cli("--user", "chief_scj", "case", "terminate", late.case_no, "--reason", REASON)
    assert code == 6 and "终止办理" in err
    listing = tmp_path / "list.pdf"
    code, out, err = cli("catalog", "tolerable-list", "--out", str(listing), "--json")
    assert code == 0 and "已保存" in err and json.loads(out)[0]["materials"]
    assert "可容缺受理事项及容缺材料清单" in _text(listing.read_bytes())
    assert cases.read_case(hall.uow(), withdrawn.case_no).status == "terminated"
