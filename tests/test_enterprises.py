"""园区企业名录 (issue 18 part 1): schema, show/search, the national scale criteria, the Excel round trip, the
all-or-nothing import with every problem named by sheet, row and column, permissions and the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import enterprise_tiers, enterprises
from app.context import HallDesk
from app.demo import DEMO_ENTERPRISES, DEMO_TIER_DAY
from app.enterprise_excel import MAX_PROBLEMS, RegistryFileError
from app.enterprise_scale import classify, criteria
from app.errors import NotFound, PermissionDenied, ValidationError
from cli.main import run
from db.models import AuditEvent, Enterprise, EnterpriseCertification, EnterpriseTier, EnterpriseYear
from tests.conftest import log_in

NAMED = DEMO_ENTERPRISES[0][0]


def _snapshot(hall: HallDesk) -> tuple[list[tuple[object, ...]], ...]:
    with hall.uow() as uow:
        s = uow.session
        ents = sorted(tuple(getattr(e, c) for c in ("uscc", "name", "legal_rep", "address", "contact_phone",
                                                      "industry_code", "scale", "registered_capital", "founded_on",
                                                      "liaison_dept_id", "updated_at"))
                      for e in s.execute(select(Enterprise)).scalars())
        certs = sorted((str(c.enterprise_id), c.kind, c.level, c.number, c.valid_from, c.valid_to)
                       for c in s.execute(select(EnterpriseCertification)).scalars())
        years = sorted((str(y.enterprise_id), y.year, y.output_value, y.revenue, y.tax, y.rd_spend, y.assets,
                        y.employees) for y in s.execute(select(EnterpriseYear)).scalars())
        return ents, certs, years  # type: ignore[return-value]


def _audits(hall: HallDesk, action: str) -> list[dict[str, object]]:
    with hall.uow() as uow:
        rows = uow.session.execute(select(AuditEvent.payload).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.at, AuditEvent.seq)).scalars().all()
        return [json.loads(r) for r in rows]


# ---- scale by the national criteria (pure) -------------------------------------------------------------


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), [
    # 工业: 大型 X≥1000 and Y≥40000; 中型 X≥300, Y≥2000; 小型 X≥20, Y≥300; else 微型.
    ("C3831", 1000, "40000", None, "大型"),
    ("C3831", 999, "40000", None, "中型"),  # one indicator short drops one size
    ("C3831", 1000, "39999.9999", None, "中型"),
    ("C3831", 300, "2000", None, "中型"),
    ("C3831", 299, "50000", None, "小型"),
    ("C3831", 20, "300", None, "小型"),
    ("C3831", 19, "50000", None, "微型"),  # 微型 needs only one below
    ("C3831", 5000, "299.9999", None, "微型"),
    ("D4411", 20, "300", None, "小型"),
    # 批发业 (F51) and 零售业 (F52) differ.
    ("F5137", 200, "40000", None, "大型"),
    ("F5212", 200, "40000", None, "中型"),
    ("F5212", 300, "20000", None, "大型"),
    ("F5137", 4, "40000", None, "微型"),
    # 建筑业: revenue and assets.
    ("E4710", None, "80000", "80000", "大型"),
    ("E4710", None, "80000", "79999", "中型"),
    # 交通运输业 takes 591 装卸搬运; the rest of 59 is 仓储业.
    ("G5910", 300, "3000", None, "中型"),
    ("G5920", 300, "3000", None, "中型"),
    ("G5920", 200, "30000", None, "大型"),
    ("G5910", 200, "30000", None, "小型"),
    ("G6010", 1000, "30000", None, "大型"),  # 邮政业
    ("H6110", 300, "10000", None, "大型"),  # 住宿业
    ("H6210", 99, "10000", None, "小型"),  # 餐饮业
    ("I6311", 2000, "100000", None, "大型"),  # 信息传输业
    ("I6510", 300, "10000", None, "大型"),  # 软件和信息技术服务业
    ("I6510", 10, "49.99", None, "微型"),
    ("K7010", None, "200000", "10000", "大型"),  # 房地产开发经营
    ("K7010", None, "1000", "4999", "小型"),
    ("K7020", 1000, "5000", None, "大型"),  # 物业管理
    ("K7020", 99, "5000", None, "微型"),
    ("L7212", 300, None, "120000", "大型"),  # 租赁和商务服务业
    ("L7212", 300, None, "99", "微型"),
    ("M7320", 300, None, None, "大型"),  # 其他未列明行业: employees only
    ("M7320", 100, None, None, "中型"),
    ("M7320", 9, None, None, "微型"),
    ("A0111", None, "20000", None, "大型"),  # 农、林、牧、渔业: revenue only
])
def test_scale_by_the_national_criteria(code: str, employees: int | None, revenue: str | None, assets: str | None,
                                        expected: str) -> None:
    got = classify(code, employees=employees, revenue=None if revenue is None else Decimal(revenue),
                   assets=None if assets is None else Decimal(assets))
    assert got.scale == expected, got


def test_scale_cannot_be_told_without_figures_or_for_finance() -> None:
    assert classify("C3831", employees=500, revenue=None, assets=None).as_json() == {
        "scale": "", "sector": "工业", "reason": "缺少营业收入"}
    assert classify("J6620", employees=5000, revenue=Decimal(1), assets=None).scale == ""
    assert "金融业" in classify("J6620", employees=5000, revenue=Decimal(1), assets=None).reason
    assert classify("", employees=5, revenue=None, assets=None).reason == "未填行业代码"
    assert "国家统计局" in criteria().source and len(criteria().sectors) == 16


# ---- the database --------------------------------------------------------------------------------------


def test_show_and_search(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    view = enterprises.get_enterprise(hall.uow(), clerk, NAMED.lower())  # normalised by the USCC validator
    assert view.uscc == NAMED and view.name == DEMO_ENTERPRISES[0][1]
    assert [y.year for y in view.years] == [2023, 2024, 2025]
    assert view.scale == view.computed_scale.scale != ""  # the demo's scales follow the criteria
    assert view.industry_code and view.liaison_dept
    doc = view.as_json()
    assert isinstance(doc["years"][0]["revenue"], str) and Decimal(doc["years"][0]["revenue"]) > 0

    with pytest.raises(ValidationError, match="校验码"):
        enterprises.get_enterprise(hall.uow(), clerk, NAMED[:-1] + ("0" if NAMED[-1] != "0" else "1"))
    from app.validators import make_uscc
    with pytest.raises(NotFound):
        enterprises.get_enterprise(hall.uow(), clerk, make_uscc(999_999))

    found = enterprises.search(hall.uow(), clerk, "赣新")
    assert [e.uscc for e in found] == [DEMO_ENTERPRISES[1][0]]
    assert [e.uscc for e in enterprises.search(hall.uow(), clerk, NAMED[:12].lower())][:1] == [NAMED]
    assert len(enterprises.search(hall.uow(), clerk, "")) == 200
    assert enterprises.search(hall.uow(), clerk, "100%_") == []  # LIKE's wildcards are text


def test_export_then_import_changes_nothing(hall: HallDesk, tmp_path: Path) -> None:
    sup = log_in(hall, "supervisor")
    before = _snapshot(hall)
    out = tmp_path / "名录.xlsx"
    summary = enterprises.export_xlsx(hall.uow(), sup, out)
    assert (summary.enterprises, summary.years) == (200, 600) and summary.certifications > 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["企业", "资质", "年度数据"]
    ws = wb["年度数据"]
    assert ws.freeze_panes == "A2" and ws["A1"].value == "统一社会信用代码" and ws["D1"].value == "营业收入（万元）"
    assert ws["D2"].number_format == "#,##0.0000" and ws.column_dimensions["D"].width == 18
    result = enterprises.import_xlsx(hall.uow(), sup, out)
    assert result.as_json() == {"added": 0, "updated": 0, "unchanged": 200, "certifications": 0, "years": 0,
                                "scales_computed": 0}
    assert _snapshot(hall) == before
    assert _audits(hall, "enterprise.import")[-1]["unchanged"] == 200
    assert _audits(hall, "enterprise.export")[-1]["enterprises"] == 200


def test_import_updates_adds_and_computes_the_scale(hall: HallDesk, tmp_path: Path) -> None:
    sup = log_in(hall, "supervisor")
    path = tmp_path / "r.xlsx"
    enterprises.export_xlsx(hall.uow(), sup, path)
    wb = load_workbook(path)
    ws = wb["企业"]
    ws["B2"] = "改名后的企业有限公司"
    from app.validators import make_uscc
    new = make_uscc(777_777)
    ws.append([new, "南昌新来的软件有限公司", "赵六", "", "13900000000", "I6510", "", 100.5, "2024-03-01", "SCJ"])
    wb["年度数据"].append([new, 2025, None, 12000.1234, 100, 500, 3000, 320])
    wb["资质"].append([new, "高新技术企业", "", "GR202536999999", "2025-11-20", "2028-11-19"])
    wb.save(path)
    done = enterprises.import_xlsx(hall.uow(), sup, path)
    assert (done.added, done.updated, done.unchanged, done.certifications, done.years, done.scales_computed) == (
        1, 1, 199, 1, 1, 1)
    view = enterprises.get_enterprise(hall.uow(), sup, new)
    assert view.scale == "大型"  # 软件: ≥300 people and ≥10000 万元
    assert view.registered_capital == Decimal("100.5000") and view.liaison_dept == "区市场监管局"
    assert view.years[0].revenue == Decimal("12000.1234")
    assert view.certifications[0].valid_to is not None


def test_a_wrong_row_is_refused_by_sheet_row_and_column_and_nothing_is_written(hall: HallDesk,
                                                                              tmp_path: Path) -> None:
    sup = log_in(hall, "supervisor")
    path = tmp_path / "r.xlsx"
    enterprises.export_xlsx(hall.uow(), sup, path)
    before = _snapshot(hall)
    wb = load_workbook(path)
    ws = wb["企业"]
    ws["B3"] = "这一行本来是对的，但文件里还有错误"
    good = str(ws["A7"].value)
    ws["A7"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    ws["F9"] = "C99"
    ws["J10"] = "不存在的部门"
    wb["年度数据"]["D4"] = -5
    wb["年度数据"]["H5"] = 2.5
    wb["资质"]["B2"] = "优秀企业"
    wb.save(path)
    with pytest.raises(RegistryFileError) as caught:
        enterprises.import_xlsx(hall.uow(), sup, path)
    messages = [m for _, m in caught.value.problems]
    assert messages[0].startswith("企业 第 7 行 A 列（统一社会信用代码）：") and "校验码" in messages[0]
    assert any(m.startswith("企业 第 9 行 F 列（行业代码）：") and "大类 99 不属于门类 C" in m for m in messages)
    assert any(m.startswith("企业 第 10 行 J 列（挂点部门）：") for m in messages)
    assert "年度数据 第 4 行 D 列（营业收入（万元））：不能为负数" in messages
    assert "年度数据 第 5 行 H 列（从业人员（人））：应为整数" in messages
    assert any(m.startswith("资质 第 2 行 B 列（资质类型）：") for m in messages)
    assert _snapshot(hall) == before
    assert _audits(hall, "enterprise.import") == []


def test_at_most_200_problems_are_listed(hall: HallDesk, tmp_path: Path) -> None:
    sup = log_in(hall, "supervisor")
    path = tmp_path / "r.xlsx"
    enterprises.export_xlsx(hall.uow(), sup, path)
    wb = load_workbook(path)
    for row in range(2, 202):
        wb["企业"].cell(row, 7).value = "巨型"
        wb["企业"].cell(row, 8).value = "很多"
    wb.save(path)
    with pytest.raises(RegistryFileError) as caught:
        enterprises.import_xlsx(hall.uow(), sup, path)
    assert caught.value.total == 400
    assert len(caught.value.problems) == MAX_PROBLEMS + 1
    assert caught.value.problems[-1][1] == "另有 200 处问题未列出（只列前 200 处）"


def test_malformed_files_are_refused_in_chinese(hall: HallDesk, tmp_path: Path) -> None:
    sup = log_in(hall, "supervisor")
    text = tmp_path / "r.xlsx"
    text.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="不是 Excel 工作簿"):
        enterprises.import_xlsx(hall.uow(), sup, text)
    path = tmp_path / "ok.xlsx"
    enterprises.export_xlsx(hall.uow(), sup, path)
    wb = load_workbook(path)
    del wb["资质"]
    wb.save(path)
    with pytest.raises(ValidationError, match="工作簿缺少工作表：资质"):
        enterprises.import_xlsx(hall.uow(), sup, path)
    enterprises.export_xlsx(hall.uow(), sup, path)
    wb = load_workbook(path)
    wb["企业"]["B1"] = "名称"
    wb.save(path)
    with pytest.raises(ValidationError, match="工作表“企业”的表头应为"):
        enterprises.import_xlsx(hall.uow(), sup, path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ValidationError, match="不是有效的 Excel 工作簿"):
        enterprises.import_xlsx(hall.uow(), sup, broken)


def test_permissions(hall: HallDesk, tmp_path: Path) -> None:
    clerk, admin = log_in(hall, "clerk1"), log_in(hall, "admin")
    with pytest.raises(PermissionDenied, match="综合窗口人员无权从 Excel 导入园区企业名录"):
        enterprises.import_xlsx(hall.uow(), clerk, tmp_path / "none.xlsx")
    with pytest.raises(PermissionDenied):
        enterprises.export_xlsx(hall.uow(), log_in(hall, "rev_scj"), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    assert enterprises.export_xlsx(hall.uow(), admin, tmp_path / "a.xlsx").enterprises == 200


def test_cli_json(hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sup = log_in(hall, "supervisor")
    assert run(["--user", "supervisor", "enterprise", "show", NAMED, "--json"], hall=hall, actor=sup) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["uscc"] == NAMED and [y["year"] for y in doc["years"]] == [2023, 2024, 2025]
    assert run(["--user", "supervisor", "enterprise", "list", "--query", "赣新", "--json"], hall=hall, actor=sup) == 0
    assert [e["uscc"] for e in json.loads(capsys.readouterr().out)] == [DEMO_ENTERPRISES[1][0]]
    out = tmp_path / "e.xlsx"
    assert run(["--user", "supervisor", "enterprise", "export", str(out), "--json"], hall=hall, actor=sup) == 0
    assert json.loads(capsys.readouterr().out)["enterprises"] == 200
    assert run(["--user", "supervisor", "enterprise", "import", str(out), "--json"], hall=hall, actor=sup) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 200
    wb = load_workbook(out)
    wb["企业"]["A3"] = "91360112MA35XJ0170"
    wb.save(out)
    assert run(["--user", "supervisor", "enterprise", "import", str(out)], hall=hall, actor=sup) == 2
    err = capsys.readouterr().err
    assert "错误：企业 第 3 行 A 列（统一社会信用代码）：" in err
    assert run(["--user", "supervisor", "enterprise", "show", "123"], hall=hall, actor=sup) == 2
    assert "统一社会信用代码应为18位" in capsys.readouterr().err
    with hall.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Enterprise)).scalar_one() == 200


# ---- 梯度培育 -------------------------------------------------------------------------------------------


def test_the_demo_places_every_enterprise_by_its_scheme(hall: HallDesk) -> None:
    sup = log_in(hall, "supervisor")
    version, counts = enterprise_tiers.current_scheme(hall.uow(), sup)
    assert version is not None and version.version == 1 and version.created_by == "system"
    assert sum(counts.values()) == 200 and {"雏鹰", "瞪羚", "潜在独角兽", "龙头"} <= set(counts)
    # Nothing changed since: recomputing on the same day adds no history.
    again = enterprise_tiers.recompute(hall.uow(), sup, today=DEMO_TIER_DAY)
    assert (again.evaluated, again.changed, again.tiers) == (200, 0, counts)


def test_a_new_scheme_keeps_history_only_where_the_tier_changes(hall: HallDesk) -> None:
    sup = log_in(hall, "supervisor")
    with hall.uow() as uow:
        rows_before = uow.session.execute(select(func.count()).select_from(EnterpriseTier)).scalar_one()
    saved = enterprise_tiers.save_scheme(hall.uow(), sup, {
        "indicators": {"revenue": {"weight": 100, "full": 10000}},
        "tiers": [{"name": "龙头", "min": 100}, {"name": "成长型", "min": 10}]})
    assert saved.version == 2
    result = enterprise_tiers.recompute(hall.uow(), sup, today=DEMO_TIER_DAY)
    with hall.uow() as uow:
        s = uow.session
        ents = s.execute(select(Enterprise)).scalars().all()
        latest = {e.id: next(y for y in sorted(s.execute(select(EnterpriseYear).where(
            EnterpriseYear.enterprise_id == e.id)).scalars(), key=lambda y: -y.year)) for e in ents}
        rows_after = s.execute(select(func.count()).select_from(EnterpriseTier)).scalar_one()
    for e in ents:
        revenue = latest[e.id].revenue or Decimal(0)
        assert e.tier == ("龙头" if revenue >= 10000 else "成长型" if revenue >= 1000 else ""), (e.uscc, revenue)
    assert rows_after - rows_before == result.changed > 0
    view = enterprises.get_enterprise(hall.uow(), sup, NAMED)
    assert view.tiers and view.tiers[-1].tier == view.tier
    assert {t.scheme_version for t in view.tiers} <= {1, 2}
    assert _audits(hall, "enterprise.tier_recompute")[-1]["changed"] == result.changed


@pytest.mark.parametrize(("doc", "message"), [
    ({"indicators": {"profit": {"weight": 1, "full": 1}}, "tiers": [{"name": "瞪羚", "min": 1}]}, "指标“profit”不存在"),
    ({"indicators": {"revenue": {"weight": 1, "full": 0}}, "tiers": [{"name": "瞪羚", "min": 1}]}, "满分值应为正数"),
    ({"certifications": {"高新技术企业": 5}, "tiers": [{"name": "雏鹰", "min": 1}, {"name": "瞪羚", "min": 2}]},
     "梯度应从高到低排列"),
    ({"certifications": {"优秀企业": 5}, "tiers": [{"name": "瞪羚", "min": 1}]}, "资质类型“优秀企业”不存在"),
    ({"certifications": {"高新技术企业": 5}, "tiers": []}, "tiers 应列出"),
])
def test_a_wrong_scheme_is_refused(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        enterprise_tiers.parse_scheme(doc)


def test_only_the_supervisor_sets_tiers(hall: HallDesk) -> None:
    with pytest.raises(PermissionDenied, match="仅限营商办"):
        enterprise_tiers.recompute(hall.uow(), log_in(hall, "admin"))
    with pytest.raises(PermissionDenied):
        enterprise_tiers.save_scheme(hall.uow(), log_in(hall, "clerk1"), enterprise_tiers.default_scheme_doc())


# ---- offline counters ------------------------------------------------------------------------------------


def test_counters_pull_the_registry_when_it_changed(hall: HallDesk, tmp_path: Path) -> None:
    from app.infra.counter_store import CounterStore
    from app.infra.local_rows import read_state
    from app.infra.registry_pull import STATE_REGISTRY, fetch_registry
    from app.intake import lookup_enterprise

    store = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        local = store.local
        # A known company fills itself in at the counter from its own store (the shared database out of reach).
        found = lookup_enterprise(local.uow(), DEMO_ENTERPRISES[2][0])
        assert found is not None and found.name == DEMO_ENTERPRISES[2][1]
        with local.uow() as uow:
            s = uow.session
            assert s.execute(select(func.count()).select_from(Enterprise)).scalar_one() == 200
            assert s.execute(select(func.count()).select_from(EnterpriseYear)).scalar_one() == 600
        # Unchanged: the next pull fetches nothing of it.
        with hall.engine.connect() as sconn, local.engine.connect() as lconn:
            known = read_state(lconn)[STATE_REGISTRY]
            assert fetch_registry(sconn, known) is None
        # An import on the shared database changes a figure: the next pull brings it.
        sup = log_in(hall, "supervisor")
        path = tmp_path / "r.xlsx"
        enterprises.export_xlsx(hall.uow(), sup, path)
        wb = load_workbook(path)
        ws = wb["年度数据"]
        uscc = ws["A2"].value
        ws["D2"] = 4321.5
        wb.save(path)
        assert enterprises.import_xlsx(hall.uow(), sup, path).years == 1
        assert store.pull_now()
        with local.uow() as uow:
            s = uow.session
            ent = s.execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalar_one()
            revenue = s.execute(select(EnterpriseYear.revenue).where(
                EnterpriseYear.enterprise_id == ent.id, EnterpriseYear.year == ws["B2"].value)).scalar_one()
        assert revenue == Decimal("4321.5000")
    finally:
        store.close()
