"""Issue 14: the written decision (准予／不予行政许可决定书, 办理结果通知书) made in the decision's transaction, the
hall's 复议机关 and 诉讼法院, the department's document-number prefix and 审批专用章 rule, ``case show``'s decision,
and notices right first time (copy counts from the guide, the basis by item kind, the 承办部门 deciding)."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pypdf
import pytest
from sqlalchemy import delete, func, select

from app import backoffice, catalog, chief_rep, claims, decisions, hall_settings, intake, output
from app.auth import Actor
from app.cases import CaseView, get_case
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import Conflict, PermissionDenied, ValidationError
from app.hall_settings import local_date
from app.intake import MaterialInput
from app.printing import desk
from cli.main import run
from db.models import AuditEvent, Case, Notice, SealUsage, Setting
from tests.conftest import log_in
from tests.intake_support import all_received, request

LICENCE = "SCJ005"  # 食品经营许可 (行政许可)
SERVICE = "RSJ007"  # 创业补贴申领 (公共服务)
REASON = "经营场所与经营项目相适应，符合法定条件"
DENIAL = "经营场所距离污染源不足二十五米"
BASIS = "《中华人民共和国行政许可法》第三十八条第二款"


def flat(pdf: bytes) -> str:
    return "".join("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def _held(hall: HallDesk, code: str, reviewer: str) -> tuple[str, int]:
    """A case of item ``code`` taken at counter 1 with every material, claimed by ``reviewer``."""
    item = catalog.get_item(hall.uow(), code)
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    claim = claims.claim(hall.uow(), log_in(hall, reviewer), taken.case_no)
    assert claim is not None
    return taken.case_no, claim.token


def _set_dept(hall: HallDesk, chief: str, dept: str, **changes: object) -> None:
    actor = log_in(hall, chief)
    current = backoffice.get_dept_settings(hall.uow(), dept)
    backoffice.save_dept_settings(hall.uow(), actor, dept, replace(current, **changes))  # type: ignore[arg-type]


def _counts(hall: HallDesk, case_no: str) -> tuple[str, int, int, int]:
    """What a refused decision must leave alone: status, notices, seal uses, audit rows."""
    with hall.uow() as uow:
        s = uow.session
        case = s.execute(select(Case).where(Case.case_no == case_no)).scalar_one()
        return (case.status, s.scalar(select(func.count()).select_from(Notice).where(Notice.case_id == case.id)) or 0,
                s.scalar(select(func.count()).select_from(SealUsage)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _decision_doc(hall: HallDesk, actor: Actor, case_no: str) -> str:
    return flat(desk.notice_pdf(hall.uow(), actor, case_no, "decision"))


def test_approval_makes_the_licence_decision_in_the_same_transaction(hall: HallDesk) -> None:
    _set_dept(hall, "chief_scj", "SCJ", licence_seal=True)
    chief = log_in(hall, "chief_scj")
    no, token = _held(hall, LICENCE, "chief_scj")
    view = decisions.decide(hall.uow(), chief, no, "approve", token=token, reason=REASON, seal=True)
    assert view.status == "approved" and view.decision is not None
    doc_no = view.decision.doc_no
    assert doc_no is not None and doc_no.startswith("新建市场监管局准许〔") and doc_no.endswith("0001号")
    shown = get_case(hall.uow(), chief, no).as_json()["decision"]
    assert set(shown) == {"result", "reason", "legal_basis", "decided_at", "decided_by", "doc_no"}
    assert (shown["result"], shown["reason"], shown["decided_by"], shown["doc_no"]) == (
        "approve", REASON, "chief_scj", doc_no)
    with hall.uow() as uow:
        s = uow.session
        row = s.execute(select(Notice).where(Notice.doc_no == doc_no)).scalar_one()
        assert row.kind == "licence_grant" and row.issued_by == "chief_scj"
        case = s.execute(select(Case).where(Case.case_no == no)).scalar_one()
        assert case.decision_doc_no == doc_no and doc_no in case.result_docs
        # The decision's audit row carries result, reasons, basis and the document.
        audit = s.execute(select(AuditEvent).where(AuditEvent.action == "case.approve")).scalar_one()
        payload = json.loads(audit.payload)
        assert (payload["result"], payload["reason"], payload["legal_basis"], payload["doc_no"]) == (
            "approve", REASON, "", doc_no)
    text = _decision_doc(hall, chief, no)
    item = catalog.get_item(hall.uow(), LICENCE)
    for expected in ("准予行政许可决定书", doc_no, "区市场监管局（审批专用章）", item.name, REASON, "决定准予行政许可"):
        assert expected in text, expected
    assert "".join(item.legal_basis.split()) in text  # no basis given: the item's own 设定依据
    assert "行政复议" not in text


def test_denial_names_the_review_authority_the_court_and_the_time_limits(hall: HallDesk) -> None:
    rev = log_in(hall, "rev_scj")
    no, token = _held(hall, LICENCE, "rev_scj")
    view = decisions.decide(hall.uow(), rev, no, "deny", token=token, reason=DENIAL, legal_basis=BASIS)
    assert view.decision is not None and view.decision.result == "deny" and view.decision.legal_basis == BASIS
    assert view.decision.doc_no is not None
    with hall.uow() as uow:
        payload = json.loads(uow.session.execute(
            select(AuditEvent.payload).where(AuditEvent.action == "case.deny")).scalar_one())
    assert (payload["result"], payload["reason"], payload["legal_basis"]) == ("deny", DENIAL, BASIS)
    text = _decision_doc(hall, rev, no)
    assert "不予行政许可决定书" in text and view.decision.doc_no in text and "不许〔" in text
    assert DENIAL in text and BASIS in text and "决定不予行政许可" in text
    assert "六十日内" in text and "向南昌市新建区人民政府申请行政复议" in text
    assert "六个月内" in text and "第四十六条" in text and "向南昌市新建区人民法院提起行政诉讼" in text
    assert "区市场监管局（盖章）" in text  # not sealed (the rule is off in the test template)


@pytest.mark.parametrize("empty", ["review_authority", "court"])
def test_denial_is_refused_while_the_hall_names_no_appeal_body(hall: HallDesk, admin: Actor, empty: str) -> None:
    current = hall_settings.get_hall_settings(hall.uow())
    hall_settings.save_hall_settings(hall.uow(), admin, replace(current, **{empty: ""}))
    rev = log_in(hall, "rev_scj")
    no, token = _held(hall, LICENCE, "rev_scj")
    before = _counts(hall, no)
    name = {"review_authority": "复议机关", "court": "诉讼法院"}[empty]
    with pytest.raises(Conflict, match=f"大厅设置中的{name}为空"):
        decisions.decide(hall.uow(), rev, no, "deny", token=token, reason=DENIAL, legal_basis=BASIS)
    assert _counts(hall, no) == before
    # An approval names no appeal body: it goes through.
    assert decisions.decide(hall.uow(), rev, no, "approve", token=token, reason=REASON).status == "approved"


def test_licence_seal_rule_needs_the_chief_representatives_authorisation(hall: HallDesk) -> None:
    with hall.uow() as uow:  # the demo's own default: no settings row for the department
        uow.session.execute(delete(Setting).where(Setting.key == "dept:SCJ"))
        uow.commit()
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").licence_seal
    rev = log_in(hall, "rev_scj")
    no, token = _held(hall, LICENCE, "rev_scj")
    before = _counts(hall, no)
    with pytest.raises(ValidationError, match="须加盖审批专用章") as refused:
        decisions.decide(hall.uow(), rev, no, "approve", token=token, reason=REASON)
    assert refused.value.field == "seal"
    with pytest.raises(PermissionDenied, match="首席代表授权"):
        decisions.decide(hall.uow(), rev, no, "deny", token=token, reason=DENIAL, legal_basis=BASIS, seal=True)
    assert _counts(hall, no) == before
    chief_rep.authorise_seal(hall.uow(), log_in(hall, "chief_scj"), no)
    view = decisions.decide(hall.uow(), rev, no, "deny", token=token, reason=DENIAL, legal_basis=BASIS, seal=True)
    assert view.status == "denied"
    assert "区市场监管局（审批专用章）" in _decision_doc(hall, rev, no)
    uses = chief_rep.seal_log(hall.uow(), log_in(hall, "chief_scj"), "SCJ")
    assert [(u.case_no, u.decision, u.authorised_by) for u in uses] == [(no, "deny", "chief_scj")]
    # Switched off: a reviewer decides a licence without the seal.
    _set_dept(hall, "chief_scj", "SCJ", licence_seal=False)
    other, token = _held(hall, LICENCE, "rev_scj")
    assert decisions.decide(hall.uow(), rev, other, "approve", token=token, reason=REASON).status == "approved"


def test_other_item_kinds_get_a_result_notice_in_their_own_words(hall: HallDesk) -> None:
    _set_dept(hall, "chief_rsj", "RSJ", licence_seal=True, doc_prefix="新建人社")  # the seal rule is for licences
    rev = log_in(hall, "rev_rsj")
    no, token = _held(hall, SERVICE, "rev_rsj")
    view = decisions.decide(hall.uow(), rev, no, "approve", token=token, reason="符合申领条件")
    assert view.decision is not None
    assert view.decision.doc_no == f"新建人社办结〔{local_date(view.decision.decided_at).year}〕0001号"
    text = _decision_doc(hall, rev, no)
    assert "办理结果通知书" in text and "决定予以办理" in text and "区人社局（盖章）" in text
    assert "行政许可" not in text
    other, token = _held(hall, SERVICE, "rev_rsj")
    denied = decisions.decide(hall.uow(), rev, other, "deny", token=token, reason="不符合申领条件",
                               legal_basis="《江西省创业担保贷款实施办法》")
    assert denied.decision is not None and denied.decision.doc_no is not None
    assert denied.decision.doc_no.endswith("0002号")  # one sequence per prefix and kind
    text = _decision_doc(hall, rev, other)
    assert "决定不予办理" in text and "向南昌市新建区人民政府申请行政复议" in text and "六个月内" in text


def test_dept_prefix_is_checked(hall: HallDesk) -> None:
    with pytest.raises(ValidationError, match="决定书编号前缀") as bad:
        _set_dept(hall, "chief_scj", "SCJ", doc_prefix="新建〔市监〕")
    assert bad.value.field == "doc_prefix"
    with pytest.raises(ValidationError, match="决定书编号前缀"):
        _set_dept(hall, "chief_scj", "SCJ", doc_prefix="新" * 13)
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").doc_prefix == ""


def test_output_window_hands_over_the_decision_by_its_number(hall: HallDesk) -> None:
    rev = log_in(hall, "rev_scj")
    item = catalog.get_item(hall.uow(), LICENCE)
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    assert claim is not None
    decided = decisions.decide(hall.uow(), rev, taken.case_no, "approve", token=claim.token, reason=REASON)
    assert decided.decision is not None and decided.decision.doc_no
    clerk = log_in(hall, "clerk3")
    found = output.find_for_pickup(hall.uow(), clerk, slip=taken.slip)
    assert found.result_docs == f"准予行政许可决定书（{decided.decision.doc_no}）"
    assert "许可证照" not in found.result_docs  # nothing the hall did not make
    done = output.issue(hall.uow(), clerk, slip=taken.slip)
    handover = flat(desk.notice_pdf(hall.uow(), clerk, taken.case_no, "handover"))
    assert decided.decision.doc_no in handover
    # The output window prints the decision too (its clerk may, as anyone who may print notices).
    assert decided.decision.doc_no in _decision_doc(hall, clerk, done.case.case_no)


def test_no_decision_document_before_the_decision(hall: HallDesk) -> None:
    no, _ = _held(hall, LICENCE, "rev_scj")
    from app.errors import NotFound

    with pytest.raises(NotFound, match="尚未作出"):
        desk.notice_pdf(hall.uow(), log_in(hall, "rev_scj"), no, "decision")
    assert get_case(hall.uow(), log_in(hall, "rev_scj"), no).as_json()["decision"] is None


# ---- notices right first time -----------------------------------------------------------------------------


def _intake(hall: HallDesk, code: str, outcome: str, **changes: object) -> CaseView:
    item = catalog.get_item(hall.uow(), code)
    return intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, outcome, **changes))


def test_correction_notice_asks_for_the_guides_copy_counts(hall: HallDesk) -> None:
    item = catalog.get_item(hall.uow(), "RSJ001")  # M04: 原件 1 份, 复印件 1 份
    m04 = next(m for m in item.materials if m.code == "M04")
    assert (m04.originals, m04.copies) == (1, 1)
    materials = {**all_received(item), "M04": MaterialInput("missing")}
    case = _intake(hall, "RSJ001", "correction", materials=materials)
    pdf = desk.notice_pdf(hall.uow(), log_in(hall, "clerk1"), case.case_no, "correction")
    text = flat(pdf)
    # 序号, 材料名称, 存在问题, 补正要求, 原件, 复印件: the counts the guide asks for, never "—".
    assert f"1{''.join(m04.name.split())}缺少请按所列份数补充提交11" in text
    assert "经区人社局审查" in text and "区人社局（盖章）" in text and "收件窗口：" in text
    assert "第三十二条" in text  # a licence: 行政许可法's 一次性告知


def test_refusal_basis_and_wording_follow_the_item_kind(hall: HallDesk) -> None:
    licence = _intake(hall, LICENCE, "refuse", reason="申请事项依法不属于本机关职权范围")
    service = _intake(hall, SERVICE, "refuse", reason="申请人不具备申请资格")
    assert licence.refusal_basis == "《中华人民共和国行政许可法》第三十二条第一款"
    rsj007 = catalog.get_item(hall.uow(), SERVICE)
    assert service.refusal_basis == rsj007.legal_basis.strip() and "行政许可法" not in service.refusal_basis
    clerk = log_in(hall, "clerk1")
    text = flat(desk.notice_pdf(hall.uow(), clerk, licence.case_no, "refusal"))
    assert "区市场监管局决定不予受理" in text and "综合受理窗口" in text
    assert "向南昌市新建区人民政府申请行政复议" in text and "向南昌市新建区人民法院提起行政诉讼" in text
    text = flat(desk.notice_pdf(hall.uow(), clerk, service.case_no, "refusal"))
    assert "区人社局决定不予受理" in text and "行政许可法" not in text
    # A correction of a 公共服务 item does not cite 行政许可法 either.
    item = catalog.get_item(hall.uow(), SERVICE)
    corrected = _intake(hall, SERVICE, "correction", materials={**all_received(item), "M02": MaterialInput("missing")})
    text = flat(desk.notice_pdf(hall.uow(), clerk, corrected.case_no, "correction"))
    assert "行政许可法" not in text and "一次性告知" in text


# ---- the command line -------------------------------------------------------------------------------------


def test_cli_settings_decision_and_print_notice(hall: HallDesk, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    out_dir = Path(str(tmp_path))

    def cli(*argv: str) -> tuple[int, str, str]:
        code = run(["--db", hall.url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    code, out, _ = cli("hall", "show", "--json")
    assert code == 0 and json.loads(out)["review_authority"] == "南昌市新建区人民政府"
    assert json.loads(out)["court"] == "南昌市新建区人民法院"
    code, out, _ = cli("--user", "admin", "hall", "set", "--review-authority", "", "--json")
    assert code == 0 and json.loads(out)["review_authority"] == ""
    code, out, _ = cli("--user", "chief_scj", "dept", "settings", "--dept", "SCJ", "--doc-prefix", "新建市监",
                       "--licence-seal", "yes")
    assert code == 0 and (json.loads(out)["doc_prefix"], json.loads(out)["licence_seal"]) == ("新建市监", True)
    code, _, err = cli("--user", "rev_scj", "dept", "settings", "--dept", "SCJ", "--licence-seal", "no")
    assert code == 4
    no, _ = _held(hall, LICENCE, "chief_scj")
    code, _, err = cli("--user", "chief_scj", "case", "decide", no, "--deny", "--reason", DENIAL, "--legal-basis", BASIS,
                       "--seal")
    assert code == 6 and "复议机关为空" in err and "决定未保存" in err
    code, _, err = cli("--user", "chief_scj", "case", "decide", no, "--approve", "--reason", REASON)
    assert code == 2 and "须加盖审批专用章" in err
    assert cli("--user", "admin", "hall", "set", "--review-authority", "南昌市新建区人民政府")[0] == 0
    code, out, err = cli("--user", "chief_scj", "case", "decide", no, "--deny", "--reason", DENIAL, "--legal-basis",
                         BASIS, "--seal", "--json")
    assert code == 0, err
    code, out, _ = cli("--user", "rev_scj", "case", "show", no, "--json")
    decision = json.loads(out)["decision"]
    assert code == 0 and decision["result"] == "deny" and decision["reason"] == DENIAL
    assert decision["legal_basis"] == BASIS and decision["decided_by"] == "chief_scj"
    assert decision["doc_no"].startswith("新建市监不许〔") and decision["decided_at"]
    target = out_dir / "决定书.pdf"
    code, _, err = cli("--user", "rev_scj", "print", "notice", no, "--kind", "decision", "--out", str(target))
    assert code == 0 and "已保存" in err
    text = flat(target.read_bytes())
    assert decision["doc_no"] in text and "不予行政许可决定书" in text and "区市场监管局（审批专用章）" in text
    assert "六十日" in text and "六个月" in text
    code, _, err = cli("--user", "rev_zjj", "print", "notice", no, "--kind", "decision", "--out",
                       str(out_dir / "other.pdf"))
    assert code == 4 and not (out_dir / "other.pdf").exists()


# ---- the migration ----------------------------------------------------------------------------------------


def test_migration_clears_the_fixed_text_of_documents_never_made(empty_db_url: str) -> None:
    """0012_decision_docs: cases decided before it named a 决定书 that never existed; that text goes, others stay."""
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from db import migrate
    from db.engine import make_engine
    from db.types import UtcDateTime

    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0010_trust")
        dept, item = uuid.uuid4(), uuid.uuid4()
        now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        department = sa.table("department", sa.column("id", sa.Uuid()), sa.column("code", sa.String),
                              sa.column("name", sa.String), sa.column("sort_order", sa.Integer))
        service_item = sa.table(
            "service_item", *(sa.column(c) for c in ("code", "name", "kind", "legal_basis", "fee")),
            sa.column("id", sa.Uuid()), sa.column("dept_id", sa.Uuid()), sa.column("legal_days", sa.Integer),
            sa.column("promised_days", sa.Integer), sa.column("immediate", sa.Boolean),
            sa.column("sort_order", sa.Integer), sa.column("active", sa.Boolean), sa.column("version", sa.Integer))
        hd_case = sa.table(
            "hd_case", sa.column("id", sa.Uuid()), sa.column("item_id", sa.Uuid()),
            *(sa.column(c) for c in ("case_no", "agent_name", "agent_id_number", "agent_phone", "channel", "status",
                                     "pickup_code", "result_docs")),
            sa.column("received_at", UtcDateTime()), sa.column("created_at", UtcDateTime()),
            sa.column("updated_at", UtcDateTime()), sa.column("due_provisional", sa.Boolean))
        texts = {"XJ261102-01-0001": "准予行政许可决定书；许可证照（如有）", "XJ261102-01-0002": "不予行政许可决定书",
                 "XJ261102-01-0003": "《食品经营许可证》正本1份"}
        with engine.begin() as conn:
            conn.execute(sa.insert(department).values(id=dept, code="SCJ", name="区市场监管局", sort_order=0))
            conn.execute(sa.insert(service_item).values(
                id=item, dept_id=dept, code="SCJ001", name="食品经营许可", kind="行政许可", legal_basis="", fee="不收费",
                legal_days=20, promised_days=5, immediate=False, sort_order=0, active=True, version=1))
            for number, text in texts.items():
                conn.execute(sa.insert(hd_case).values(
                    id=uuid.uuid4(), item_id=item, case_no=number, agent_name="张伟", agent_id_number="",
                    agent_phone="", channel="window", status="approved", pickup_code="123456", result_docs=text,
                    received_at=now, created_at=now, updated_at=now, due_provisional=False))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows: dict[str, str] = dict(conn.execute(sa.text("SELECT case_no, result_docs FROM hd_case")).all())
            docs = conn.execute(sa.text("SELECT decision_doc_no FROM hd_case")).scalars().all()
        assert rows == {"XJ261102-01-0001": "", "XJ261102-01-0002": "", "XJ261102-01-0003": "《食品经营许可证》正本1份"}
        assert docs == [None, None, None]
    finally:
        engine.dispose()
