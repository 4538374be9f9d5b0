"""The default catalog, YAML round trip, import checks, and the chief representative's guide editor."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app import catalog
from app.context import HallDesk
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.resources import default_catalog_path
from db.models import AuditEvent
from tests.conftest import log_in

DOMAIN_DEPARTMENTS = ["区发改委", "区应急管理局", "区生态环境局", "区资源规划分局", "区住建局", "区城管执法局", "区交通运输局", "区消防救援大队", "区人社局", "区卫健委", "区市场监管局", "区水利局", "区农业农村局", "区财政局", "区政数局", "区营商办", "区司法局", "区金融服务中心", "新建经开区管委会"]
NAMED_ITEMS = ("企业投资项目备案", "建设工程规划许可证核发", "建筑工程施工许可证核发", "食品经营许可", "排污许可证核发",
               "取水许可", "公众聚集场所投入使用、营业前消防安全检查", "道路货物运输经营许可", "人力资源服务许可")


def test_default_catalog_file_is_complete() -> None:
    parsed = catalog.parse_catalog(default_catalog_path().read_text(encoding="utf-8"))
    assert [d.name for d in parsed.departments] == DOMAIN_DEPARTMENTS
    codes = [d.code for d in parsed.departments]
    assert len(set(codes)) == len(codes) and all(c.isascii() for c in codes)
    items = [i for d in parsed.departments for i in d.items]
    assert len(items) >= 60
    names = {i.name for i in items}
    for name in NAMED_ITEMS:
        assert any(name in n for n in names), name
    assert any(m.tolerable for i in items for m in i.materials)
    covered = {m.covered_by for i in items for m in i.materials if m.covered_by}
    assert covered == {a.code for a in parsed.assessments} and len(covered) == 7
    assert all(i.promised_days <= i.legal_days or i.legal_days == 0 for i in items)


def test_export_gives_the_imported_file_back_byte_for_byte(hall: HallDesk, tmp_path: Path) -> None:
    original = default_catalog_path().read_text(encoding="utf-8")
    assert catalog.export_yaml(hall.uow()) == original
    admin = log_in(hall, "admin")
    summary = catalog.import_yaml(hall.uow(), admin, original)
    assert (summary.items_added, summary.items_updated, summary.items_withdrawn) == (0, 0, 0)
    assert catalog.export_yaml(hall.uow()) == original


def test_import_changes_withdraws_and_round_trips(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    doc = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
    scj = next(d for d in doc["departments"] if d["code"] == "SCJ")
    removed = scj["items"].pop()
    target = next(i for i in scj["items"] if not i["immediate"])
    target["promised_days"] = 1
    target["materials"][0]["name"] = "新的申请书名称"
    text = catalog.dump_catalog(catalog.parse_catalog(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)))
    summary = catalog.import_yaml(hall.uow(), admin, text)
    assert (summary.items_updated, summary.items_withdrawn) == (1, 1)
    assert catalog.export_yaml(hall.uow()) == text
    assert removed["code"] not in {i.code for i in catalog.list_items(hall.uow())}
    withdrawn = catalog.get_item(hall.uow(), removed["code"])
    assert not withdrawn.active


BAD_CATALOG = """\
version: 1
regional_assessments:
- code: DZAQ
  name: 地震安全性评价
departments:
- code: SCJ
  name: 区市场监管局
  items:
  - code: SCJ900
    name: 测试事项一
    kind: 行政许可
    legal_days: 20
    promised_days: 30
    materials:
    - code: M01
      name: 申请书
      tolerable: maybe
  - code: SCJ900
    name: 测试事项二
    kind: 许可
    legal_days: ten
    promised_days: 3
    materials:
    - code: M01
      name: 申请书
    - code: M02
      name: 报告
      covered_by: NOPE
      colour: red
"""


def test_bad_file_reports_every_problem_with_its_line_and_imports_nothing(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    before = catalog.export_yaml(hall.uow())
    with pytest.raises(catalog.CatalogFileError) as err:
        catalog.import_yaml(hall.uow(), admin, BAD_CATALOG, source="bad.yaml")
    lines = {p.line: p.message for p in err.value.problems}
    assert "承诺时限（30个工作日）不能超过法定时限（20个工作日）" in lines[13]
    assert "tolerable" in lines[17] and "true 或 false" in lines[17]
    assert "事项编码重复（第9行已有）" in lines[18]
    assert "事项类型“许可”不正确" in lines[20]
    assert "legal_days" in lines[21] and "整数" in lines[21]
    assert "区域评估“NOPE”不存在" in lines[26]
    assert "未知字段“colour”" in lines[29]
    assert "bad.yaml" in err.value.message and "未导入任何内容" in err.value.message
    assert catalog.export_yaml(hall.uow()) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "文件为空"), ("departments: [\n  - code: A\n", "YAML 语法错误"), ("- a\n- b\n", "应为键值映射"),
     ("version: 1\ndepartments: []\n", "没有任何部门")],
)
def test_malformed_files(text: str, expected: str) -> None:
    with pytest.raises(catalog.CatalogFileError, match=expected):
        catalog.parse_catalog(text)


def test_chief_rep_edits_own_department_and_it_is_audited(hall: HallDesk) -> None:
    chief = log_in(hall, "chief_scj")
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate and i.legal_days >= 5)
    materials = list(item.materials)
    target = next(m for m in materials if m.required and not m.covered_by)
    materials[materials.index(target)] = replace(target, tolerable=not target.tolerable)
    materials.append(catalog.Material(code="M99", name="区域评估成果共享确认函", covered_by="HJYX"))
    # Keep at least one non-tolerable required material so the guide stays valid.
    if all(m.tolerable or m.covered_by or not m.required for m in materials):
        materials[0] = replace(materials[0], tolerable=False, required=True)
    guide = replace(item.guide, promised_days=item.promised_days + 1, fee="不收费", materials=tuple(materials))
    saved = catalog.update_item(hall.uow(), chief, guide, expected_version=item.version)
    assert saved.version == item.version + 1
    again = catalog.get_item(hall.uow(), item.code)
    assert again.promised_days == item.promised_days + 1
    assert again.materials[-1].covered_by == "HJYX"
    with hall.uow() as uow:
        events = list(uow.session.execute(select(AuditEvent).where(AuditEvent.action == "item.update")).scalars())
    assert len(events) == 1 and events[0].actor == "chief_scj"
    payload = json.loads(events[0].payload)
    assert payload["before"]["promised_days"] == item.promised_days
    assert payload["after"]["promised_days"] == item.promised_days + 1
    # A second editor holding the old version is told, not silently overwritten.
    with pytest.raises(Conflict, match="已被他人修改"):
        catalog.update_item(hall.uow(), chief, item.guide, expected_version=item.version)


def test_nobody_edits_another_departments_guides(hall: HallDesk) -> None:
    item = catalog.list_items(hall.uow(), "ZJJ")[0]
    changed = replace(item.guide, promised_days=max(1, item.promised_days - 1) if not item.immediate else 0,
                      fee="改动")
    for who in ("chief_scj", "rev_zjj", "clerk1", "supervisor"):
        with pytest.raises(PermissionDenied):
            catalog.update_item(hall.uow(), log_in(hall, who), changed)
    assert catalog.get_item(hall.uow(), item.code) == item
    saved = catalog.update_item(hall.uow(), log_in(hall, "chief_zjj"), changed)
    assert saved.fee == "改动"


def test_invalid_guides_are_refused_with_the_field(hall: HallDesk) -> None:
    chief = log_in(hall, "chief_scj")
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    cases = [
        (replace(item.guide, promised_days=item.legal_days + 1), "promised_days", "不能超过法定时限"),
        (replace(item.guide, materials=(*item.materials, catalog.Material(code="M01", name="重复"))),
         "materials.M01", "编码重复"),
        (replace(item.guide, materials=(catalog.Material(code="X1", name="a", covered_by="NOPE"),
                                        catalog.Material(code="X2", name="b"))), "materials.X1", "不存在"),
        (replace(item.guide, materials=(catalog.Material(code="X1", name="a", tolerable=True),)), "materials",
         "不可容缺"),
    ]
    for guide, field, message in cases:
        with pytest.raises(ValidationError, match=message) as err:
            catalog.update_item(hall.uow(), chief, guide)
        assert err.value.field == field
    assert catalog.get_item(hall.uow(), item.code) == item


def test_create_item_in_own_department(hall: HallDesk) -> None:
    chief = log_in(hall, "chief_slj")
    guide = catalog.ItemGuide(code="SLJ901", name="河道管理范围内建设项目工程建设方案审批", kind="行政许可",
                              legal_basis="《中华人民共和国水法》第三十八条", legal_days=20, promised_days=8,
                              immediate=False, fee="不收费",
                              materials=(catalog.Material(code="M01", name="申请书"),
                                         catalog.Material(code="M02", name="防洪评价报告", tolerable=True)))
    created = catalog.create_item(hall.uow(), chief, "SLJ", guide)
    assert created.dept == "SLJ" and created.guide == guide
    with pytest.raises(Conflict, match="已存在"):
        catalog.create_item(hall.uow(), chief, "SLJ", guide)
    with pytest.raises(PermissionDenied):
        catalog.create_item(hall.uow(), chief, "SCJ", replace(guide, code="SCJ901"))
    with pytest.raises(NotFound):
        catalog.get_item(hall.uow(), "SCJ901")


def test_list_json_shape(hall: HallDesk) -> None:
    rows = [i.as_json() for i in catalog.list_items(hall.uow())]
    assert len(rows) >= 60
    assert set(rows[0]) == {"code", "name", "dept", "legal_days", "promised_days", "immediate", "materials"}
    assert set(rows[0]["materials"][0]) == {"code", "name", "required", "tolerable", "covered_by"}
