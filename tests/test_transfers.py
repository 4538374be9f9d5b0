"""材料流转 (issue 16 part 5): paper folders from the counter to a department, on SQLite, PostgreSQL and MariaDB.

The counter batches the folders of a department's window cases it accepted (not online ones, not those sent
back for 补正), prints the 交接单 (its QR codes decode), the department signs for it by the scanned QR text
with a folder missing, later signs for that one too; the queue shows 纸质材料未到 until then, and each case's
history says where its paper is.  Nothing pending, a wrong role or another department: refused, nothing
written.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from sqlalchemy import func, select

from app import backoffice, cases, intake, transfers
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.intake import MaterialInput
from cli.main import run
from db.models import AuditEvent, CaseEvent, TransferBatch, TransferCase
from tests.conftest import log_in
from tests.intake_support import AGENT, all_received, request
from tests.test_output import _scj_item
from tests.test_pdf import rasterise

BATCH_NO = re.compile(r"^XJJJ\d{6}-01-\d{2}$")


def _take(hall: HallDesk, username: str = "clerk1", n: int = 1, **changes: object) -> list[str]:
    clerk = log_in(hall, username)
    item = _scj_item(hall)
    return [intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item), **changes)).case_no
            for _ in range(n)]


def _paper(hall: HallDesk, dept: str = "SCJ") -> dict[str, bool | None]:
    page = backoffice.queue_page(hall.uow(), log_in(hall, f"rev_{dept.lower()}"), dept)
    return {r.case_no: r.paper_arrived for r in page.rows}


def _counts(hall: HallDesk) -> tuple[int, ...]:
    with hall.uow() as uow:
        return tuple(int(uow.session.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (TransferBatch, TransferCase, CaseEvent, AuditEvent))


def test_folders_go_in_a_batch_and_are_signed_for_with_one_missing(hall: HallDesk) -> None:
    mine = _take(hall, n=3)
    other_counter = _take(hall, "clerk2")
    online = _take(hall, channel="online", external_id="W-1")
    item = _scj_item(hall)
    required = next(m for m in item.materials if m.required and not m.covered_by)
    correction = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(
        item, "correction", materials={**all_received(item), required.code: MaterialInput("missing")})).case_no
    clerk, rev = log_in(hall, "clerk1"), log_in(hall, "rev_scj")

    pending = transfers.pending_folders(hall.uow(), clerk, "SCJ")
    assert [f.case_no for f in pending.folders] == mine  # not counter 2's, not online, not 补正
    assert correction not in {f.case_no for f in pending.folders}
    folder = pending.folders[0]
    assert folder.agent_masked == "张*" and folder.materials > 0 and folder.originals + folder.copies > 0
    assert [(d.dept, d.count) for d in transfers.pending_by_department(hall.uow(), clerk)] == [("SCJ", 3)]
    queue = _paper(hall)
    assert [queue[c] for c in mine] == [False] * 3 and queue[other_counter[0]] is False
    assert queue[online[0]] is None  # an online application brings no paper
    assert cases.get_case(hall.uow(), clerk, mine[0]).paper == cases.PaperState("counter")
    version = cases.get_case(hall.uow(), clerk, mine[0])

    batch = transfers.create_batch(hall.uow(), clerk, "SCJ")
    assert BATCH_NO.match(batch.batch_no) and batch.state == "sent" and batch.created_by_name == "综合窗口一"
    assert [c.case_no for c in batch.cases] == mine and {c.state for c in batch.cases} == {"sent"}
    assert transfers.pending_folders(hall.uow(), clerk, "SCJ").folders == ()
    shown = cases.get_case(hall.uow(), clerk, mine[0])
    assert shown.paper == cases.PaperState("sent", batch.batch_no)
    assert shown.as_json()["paper"] == {"state": "sent", "name": "流转中", "batch_no": batch.batch_no}
    assert shown.history[-1].action == "paper.sent" and batch.batch_no in shown.history[-1].note
    assert shown.status == version.status and shown.history[-1].to_status == version.status

    signed = transfers.receive_batch(hall.uow(), rev, f"  {transfers.QR_PREFIX}{batch.batch_no}\n",
                                     missing=[mine[2].lower()])
    assert signed.state == "partial" and signed.missing == (mine[2],) and signed.received_by == "rev_scj"
    queue = _paper(hall)
    assert [queue[c] for c in mine] == [True, True, False]
    assert cases.get_case(hall.uow(), rev, mine[1]).paper == cases.PaperState("received", batch.batch_no)
    late = cases.get_case(hall.uow(), rev, mine[2])
    assert late.paper == cases.PaperState("missing", batch.batch_no) and late.history[-1].action == "paper.missing"

    again = transfers.receive_batch(hall.uow(), log_in(hall, "chief_scj"), batch.batch_no)  # the folder turned up
    assert again.state == "received" and again.received_by == "rev_scj"  # the first signature stays
    assert _paper(hall)[mine[2]] is True
    assert "后到" in cases.get_case(hall.uow(), rev, mine[2]).history[-1].note
    with pytest.raises(Conflict, match=r"已于.*签收，材料已全部送达"):
        transfers.receive_batch(hall.uow(), rev, batch.batch_no)
    with hall.uow() as uow:
        actions = sorted(uow.session.execute(select(AuditEvent.action)
                                             .where(AuditEvent.action.like("transfer.%"))).scalars())
    assert actions == ["transfer.create", "transfer.receive", "transfer.receive"]
    listed = transfers.list_batches(hall.uow(), log_in(hall, "supervisor"))
    assert [b.batch_no for b in listed] == [batch.batch_no]


def test_nothing_pending_or_a_case_not_ours_writes_nothing(hall: HallDesk) -> None:
    theirs = _take(hall, "clerk2")
    clerk = log_in(hall, "clerk1")
    before = _counts(hall)
    with pytest.raises(ValidationError, match="本窗口没有待移交区市场监管局的纸质材料"):
        transfers.create_batch(hall.uow(), clerk, "SCJ")
    mine = _take(hall)
    before = _counts(hall)
    with pytest.raises(ValidationError, match=rf"没有待移交.*{theirs[0]}"):
        transfers.create_batch(hall.uow(), clerk, "SCJ", [mine[0], theirs[0]])
    with pytest.raises(NotFound, match="部门代码 NOPE 不存在"):
        transfers.create_batch(hall.uow(), clerk, "NOPE")
    assert _counts(hall) == before
    only = transfers.create_batch(hall.uow(), clerk, "SCJ", [mine[0]])
    assert [c.case_no for c in only.cases] == mine


def test_wrong_role_counter_or_department_is_refused(hall: HallDesk) -> None:
    _take(hall)
    who = {u: log_in(hall, u) for u in ("clerk1", "clerk2", "clerk3", "rev_scj", "rev_zjj")}  # a login is audited
    batch = transfers.create_batch(hall.uow(), who["clerk1"], "SCJ")
    before = _counts(hall)
    with pytest.raises(PermissionDenied):
        transfers.create_batch(hall.uow(), who["rev_scj"], "SCJ")
    with pytest.raises(PermissionDenied, match="综合受理窗口"):
        transfers.create_batch(hall.uow(), who["clerk3"], "SCJ")  # the output window
    with pytest.raises(PermissionDenied):
        transfers.receive_batch(hall.uow(), who["clerk1"], batch.batch_no)
    with pytest.raises(PermissionDenied, match="只能由该部门"):
        transfers.receive_batch(hall.uow(), who["rev_zjj"], batch.batch_no)
    with pytest.raises(PermissionDenied):
        transfers.get_batch(hall.uow(), who["rev_zjj"], batch.batch_no)
    with pytest.raises(PermissionDenied):
        transfers.get_batch(hall.uow(), who["clerk2"], batch.batch_no)
    with pytest.raises(ValidationError, match="没有这些办件"):
        transfers.receive_batch(hall.uow(), who["rev_scj"], batch.batch_no, missing=["XJ000000-01-0001"])
    with pytest.raises(ValidationError):
        transfers.receive_batch(hall.uow(), who["rev_scj"], "HDTB:" + "X" * 40)
    assert _counts(hall) == before
    assert transfers.list_batches(hall.uow(), who["rev_zjj"]) == []
    assert [b.batch_no for b in transfers.list_batches(hall.uow(), who["clerk1"])] == [batch.batch_no]
    assert transfers.list_batches(hall.uow(), who["clerk2"]) == []


def test_cli_round_trip(hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    numbers = _take(hall, n=2)
    clerk, rev = log_in(hall, "clerk1"), log_in(hall, "rev_scj")
    out = tmp_path / "jjd.pdf"
    assert run(["--user", "clerk1", "transfer", "create", "--dept", "SCJ", "--out", str(out), "--json"],
               hall=hall, actor=clerk) == 0
    made = json.loads(capsys.readouterr().out)
    assert [c["case_no"] for c in made["cases"]] == numbers and out.read_bytes().startswith(b"%PDF")
    assert run(["--user", "clerk1", "transfer", "create", "--dept", "SCJ", "--out", str(out)],
               hall=hall, actor=clerk) == 2
    assert "没有待移交" in capsys.readouterr().err
    assert run(["--user", "rev_scj", "queue", "--dept", "SCJ", "--json"], hall=hall, actor=rev) == 0
    rows = {r["case_no"]: r for r in json.loads(capsys.readouterr().out)}
    assert [rows[n]["paper_arrived"] for n in numbers] == [False, False]
    assert run(["--user", "rev_scj", "transfer", "receive", made["qr"], "--missing", numbers[1], "--json"],
               hall=hall, actor=rev) == 0
    signed = json.loads(capsys.readouterr().out)
    assert signed["state"] == "partial" and signed["missing"] == [numbers[1]]
    assert run(["--user", "rev_scj", "transfer", "list", "--json"], hall=hall, actor=rev) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["batch_no"] == made["batch_no"] and [c["state"] for c in listed["cases"]] == ["received", "missing"]
    assert run(["--user", "rev_scj", "case", "show", numbers[1], "--json"], hall=hall, actor=rev) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["paper"]["state"] == "missing" and shown["history"][-1]["action"] == "paper.missing"


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_sheet_lists_the_cases_masked_with_decodable_qr_codes(hall: HallDesk, tmp_path: Path) -> None:
    numbers = _take(hall, n=2)
    clerk = log_in(hall, "clerk1")
    batch = transfers.create_batch(hall.uow(), clerk, "SCJ")
    view, pdf = transfers.batch_sheet(hall.uow(), clerk, batch.batch_no)
    assert view == batch
    text = "".join("".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("材料流转交接单", batch.batch_no, *numbers, "区市场监管局", "移交人", "接收人", "接收时间",
                     "综合窗口一", "共2件", "1号窗口"):
        assert expected in text, expected
    assert AGENT.name not in text and AGENT.id_number not in text  # the agent's name masked, no ID number
    codes = {c.text for c in zxingcpp.read_barcodes(rasterise(pdf, tmp_path))}
    assert codes == {f"HDTB:{batch.batch_no}", *numbers}
