"""The counter certifies only what it saw: 待核验, 未提交 and 其余全部已收 in the intake service and `case create`.

A required material nobody checked stops 受理, 即办 and 补正 with a message naming it, and nothing is written; an
optional one not handed in is stored and printed as 未提交 (receipt and notice), never as 已收; the audit row
says whether the clerk marked everything 已收 with one key.  Every test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import select

from app import catalog, intake, lifecycle
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import ValidationError
from app.intake import MaterialInput
from app.printing import desk, documents
from app.printing.escpos import render_receipt
from app.printing.model import PrinterProfile
from cli.main import run
from db.models import AuditEvent, Case, PrintJob
from tests.conftest import log_in
from tests.intake_support import AGENT, ENTERPRISE, all_received, request, row_counts
from tests.support.escpos_decode import decode
from tests.test_escpos import material_blocks

PERMIT = "ZJJ001"  # 建筑工程施工许可证核发: M01–M07 required, M08 optional


def _permit(hall: HallDesk) -> tuple[catalog.Item, catalog.Material]:
    item = catalog.get_item(hall.uow(), PERMIT)
    optional = next(m for m in item.materials if not m.required and not m.covered_by)
    return item, optional


def _audit(hall: HallDesk, case_no: str) -> dict[str, object]:
    return next(p for p in map(json.loads, _case_audits(hall)) if p["case_no"] == case_no)


def _case_audits(hall: HallDesk) -> list[str]:
    with hall.uow() as uow:
        return list(uow.session.execute(select(AuditEvent.payload).where(AuditEvent.action == "case.create")).scalars())


def _receipt_blocks(hall: HallDesk, case_no: str) -> dict[str, str]:
    """The receipt as the thermal printer would print it: material name → its state line(s)."""
    with hall.uow() as uow:
        payload = uow.session.execute(
            select(PrintJob.payload).join(Case, PrintJob.case_id == Case.id)
            .where(Case.case_no == case_no, PrintJob.kind == "receipt")).scalar_one()
    receipt = documents.receipt_from_json(json.loads(payload))
    printed = decode(render_receipt(receipt, PrinterProfile()), "GB18030")
    names = [name for name, _ in receipt.materials]
    out: dict[str, str] = {}
    for name, block in zip(names, material_blocks(printed, indent=len(str(len(names))) + 2), strict=True):
        text = "".join(block)
        assert text.startswith(name)
        out[name] = text[len(name):]
    return out


def _notice_text(hall: HallDesk, case_no: str, kind: str = "acceptance") -> str:
    pdf = desk.notice_pdf(hall.uow(), log_in(hall, "clerk1"), case_no, kind)
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_an_optional_material_not_handed_in_is_printed_as_not_submitted(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item, optional = _permit(hall)
    materials = {code: given for code, given in all_received(item).items() if code != optional.code}
    view = intake.take_application(hall.uow(), clerk, request(item, materials=materials))
    states = {m.code: m.state for m in view.materials}
    assert states[optional.code] == "not_submitted"
    assert {s for code, s in states.items() if code != optional.code} == {"received"}
    assert next(m for m in view.materials if m.code == optional.code).state_name == "未提交"
    assert _audit(hall, view.case_no)["marked_all"] is False

    printed = _receipt_blocks(hall, view.case_no)
    assert printed[optional.name] == "未提交"
    assert all(state.startswith("已收") for name, state in printed.items() if name != optional.name)

    # The 受理通知书's table: one cell a line (name, 原件, 复印件, 收取情况).
    text = _notice_text(hall, view.case_no)
    assert "申请材料收取情况" in text
    lines = [line.strip() for line in text.splitlines()]
    shown = {m.name: lines[lines.index(m.name) + 3] for m in item.materials}
    assert shown == {m.name: "未提交" if m.code == optional.code else "已收取" for m in item.materials}


def test_an_optional_material_marked_missing_is_stored_as_not_submitted(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item, optional = _permit(hall)
    view = intake.take_application(hall.uow(), clerk, request(
        item, materials={**all_received(item), optional.code: MaterialInput("missing")}))
    assert {m.code: m.state for m in view.materials}[optional.code] == "not_submitted"


@pytest.mark.parametrize("outcome", ["accept", "correction", "immediate"])
def test_a_required_material_not_checked_is_refused_by_name(hall: HallDesk, outcome: str) -> None:
    clerk = log_in(hall, "clerk1")
    item, _ = _permit(hall)
    required = [m for m in item.materials if m.required and not m.covered_by]
    materials = {code: given for code, given in all_received(item).items()
                 if code not in (required[1].code, required[2].code)}
    if outcome == "correction":
        materials[required[0].code] = MaterialInput("missing")
    before = row_counts(hall)
    with pytest.raises(ValidationError) as err:
        intake.take_application(hall.uow(), clerk, request(item, outcome, materials=materials))
    assert err.value.field == f"materials.{required[1].code}"
    assert f"必需材料“{required[1].name}”、“{required[2].name}”尚未核验" in err.value.message
    assert row_counts(hall) == before


def test_a_refusal_certifies_no_material(hall: HallDesk) -> None:
    # 不予受理 (e.g. not this authority's business) does not need the materials checked: none is 已收.
    clerk = log_in(hall, "clerk1")
    item, _ = _permit(hall)
    req = replace(request(item, "refuse", reason=intake.REFUSAL_REASONS[1]), materials={})
    view = intake.take_application(hall.uow(), clerk, req)
    assert view.status == "refused"
    assert {m.state for m in view.materials} == {"not_submitted"}


def test_not_submitted_is_for_optional_materials_only(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item, _ = _permit(hall)
    first = item.materials[0]
    before = row_counts(hall)
    with pytest.raises(ValidationError, match="必需材料，不能标为未提交") as err:
        intake.take_application(hall.uow(), clerk, request(
            item, materials={**all_received(item), first.code: MaterialInput("not_submitted")}))
    assert err.value.field == f"materials.{first.code}" and row_counts(hall) == before


def test_the_audit_row_records_marking_everything_received(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item, _ = _permit(hall)
    view = intake.take_application(hall.uow(), clerk, request(item, marked_all=True))
    assert _audit(hall, view.case_no)["marked_all"] is True


def test_intake_problems_is_the_one_rule() -> None:
    def check(code: str, state: str, *, required: bool = True) -> lifecycle.MaterialCheck:
        return lifecycle.MaterialCheck(code, f"材料{code}", required, False, False, state)

    pending = [check("M01", "received"), check("M02", lifecycle.PENDING), check("M03", lifecycle.PENDING, required=False)]
    for outcome in ("accept", "correction", "immediate"):
        problems = lifecycle.intake_problems(outcome, pending, immediate_item=True)
        assert problems[0].field == "materials.M02" and "“材料M02”尚未核验" in problems[0].message
        assert "材料M03" not in problems[0].message  # an optional one is simply 未提交
    assert lifecycle.intake_problems("refuse", pending, immediate_item=True) == []
    checked = [check("M01", "received"), check("M02", "received"), check("M03", lifecycle.PENDING, required=False)]
    assert lifecycle.intake_problems("accept", checked, immediate_item=False) == []
    assert [lifecycle.settled_state(m) for m in checked] == ["received", "received", "not_submitted"]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_case_create_json(hall: HallDesk, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    item, optional = _permit(hall)
    required = next(m for m in item.materials if m.required and not m.covered_by)
    doc = {"item": item.code, "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
           "agent": {"name": AGENT.name, "id_number": AGENT.id_number, "phone": AGENT.phone},
           "materials": {m.code: "received" for m in item.materials if m.code not in (optional.code, required.code)},
           "outcome": "accept"}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = row_counts(hall)
    code, out, err = _cli(capsys, "--db", hall.url, "--user", "clerk1", "case", "create", "--json", str(path))
    assert code == 2 and out == ""
    assert f"必需材料“{required.name}”尚未核验" in err
    after = row_counts(hall)  # (cases, materials, notices, jobs, audit rows, enterprises): the login is audited
    assert after[:4] == before[:4] and after[5] == before[5] and not _case_audits(hall)

    doc["materials"][required.code] = "received"  # type: ignore[index]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, err = _cli(capsys, "--db", hall.url, "--user", "clerk1", "case", "create", "--json", str(path))
    assert code == 0, err
    created = json.loads(out)
    states = {m["code"]: m["state"] for m in created["materials"]}
    assert states[optional.code] == "not_submitted" and states[required.code] == "received"
