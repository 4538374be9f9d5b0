"""Every model, checked by Qt's QAbstractItemModelTester on real service data (one engine is enough)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester

from app import accounts, cases, catalog, hall_settings, holidays, intake, search
from app.auth import Actor
from app.catalog import Material
from app.context import HallDesk
from app.intake import MaterialInput
from app.printing import queue
from tests.conftest import log_in
from tests.intake_support import all_received, item_with_tolerable, request
from ui.admin.models import CounterTableModel, OverrideTableModel, UserTableModel
from ui.catalog.models import DepartmentListModel, ItemTableModel, MaterialTableModel
from ui.counter.models import CaseTableModel, IntakeMaterialModel, ItemHitListModel
from ui.printing.models import JobTableModel

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

DISPLAY = Qt.ItemDataRole.DisplayRole
CHECK = Qt.ItemDataRole.CheckStateRole


def test_catalog_models(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    departments = catalog.list_departments(hall.uow())
    items = catalog.list_items(hall.uow())
    assessments = catalog.list_assessments(hall.uow())

    depts = DepartmentListModel(departments)
    qtmodeltester.check(depts)
    scj = depts.row_of("SCJ")
    assert depts.index(scj, 0).data() == "区市场监管局（8）"
    depts.set_rows(departments[:3])
    assert depts.rowCount() == 3 and depts.row_of("SCJ") == -1

    item_model = ItemTableModel(items)
    qtmodeltester.check(item_model)
    row = item_model.row_of("SCJ005")
    assert [item_model.index(row, c).data() for c in range(6)] == [
        "SCJ005", "食品经营许可", "行政许可", "10个工作日", "3个工作日", ""
    ]
    assert item_model.headerData(0, Qt.Orientation.Horizontal) == "编码"
    assert item_model.index(item_model.row_of("SCJ001"), 5).data() == "即办"
    item_model.set_rows([])
    assert item_model.rowCount() == 0 and item_model.row_at(0) is None

    covered = next(i for i in items if any(m.covered_by for m in i.materials))
    browser = MaterialTableModel(covered.materials, assessments)
    qtmodeltester.check(browser)
    m_row = next(r for r, m in enumerate(covered.materials) if m.covered_by)
    name = {a.code: a.name for a in assessments}[covered.materials[m_row].covered_by or ""]
    assert browser.index(m_row, MaterialTableModel.COVERED_BY).data() == name
    assert browser.index(m_row, MaterialTableModel.REQUIRED).data() == "是"
    assert not browser.flags(browser.index(0, 1)) & Qt.ItemFlag.ItemIsEditable
    assert not browser.setData(browser.index(0, 1), "x")


def test_editable_material_model(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    item = catalog.get_item(hall.uow(), "SCJ005")
    model = MaterialTableModel(item.materials, catalog.list_assessments(hall.uow()), editable=True)
    qtmodeltester.check(model)  # stays attached: the edits below are checked too
    count = model.rowCount()
    tolerable = model.index(0, MaterialTableModel.TOLERABLE)
    assert model.flags(tolerable) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.data(tolerable, CHECK) == Qt.CheckState.Unchecked
    assert model.setData(tolerable, Qt.CheckState.Checked.value, CHECK)
    assert model.rows()[0].tolerable
    assert not model.setData(tolerable, True)  # check boxes only take CheckStateRole
    assert model.setData(model.index(0, MaterialTableModel.COPIES), 2)
    assert not model.setData(model.index(0, MaterialTableModel.COPIES), "two")
    assert model.setData(model.index(0, MaterialTableModel.CODE), " m99 ")
    assert model.rows()[0].code == "M99"

    new_row = model.add_row(at=1)
    assert model.rowCount() == count + 1
    assert model.rows()[1] == Material(code="M100", name="")  # after the highest Mnn, M99
    assert model.move_row(new_row, 1) == 2
    assert model.move_row(2, -2) == 0
    assert model.move_row(0, -1) == 0  # already at the top
    assert model.remove_row(0)
    assert not model.remove_row(99)
    assert model.rowCount() == count
    model.set_rows(item.materials)
    assert model.materials() == item.materials


def test_admin_models(hall: HallDesk, admin: Actor, qtmodeltester: ModelTester) -> None:
    departments = {d.code: d.name for d in catalog.list_departments(hall.uow())}
    users = UserTableModel(accounts.list_users(hall.uow(), admin), departments)
    qtmodeltester.check(users)
    row = users.row_of("chief_scj")
    assert [users.index(row, c).data() for c in range(6)] == [
        "chief_scj", "市场监管局首席代表", "首席代表", "区市场监管局", "", "正常"
    ]
    assert users.index(users.row_of("clerk1"), 4).data() == "1号"
    users.set_departments({})
    assert users.index(row, 3).data() == "SCJ"

    counters = CounterTableModel(accounts.list_counters(hall.uow()))
    qtmodeltester.check(counters)
    assert [counters.index(counters.row_of(9), c).data() for c in range(6)] == [
        "9号", "办不成事窗口", "办不成事", "（未设置）", "（未设置）", "是"
    ]

    holidays.set_override(hall.uow(), admin, date(2031, 1, 26), True, "春节调休上班")
    holidays.set_override(hall.uow(), admin, date(2031, 1, 27), False, "")
    overrides = OverrideTableModel(hall_settings.list_overrides(hall.uow(), 2031))
    qtmodeltester.check(overrides)
    assert [overrides.index(0, c).data() for c in range(3)] == ["2031-01-26（星期日）", "上班", "春节调休上班"]
    assert overrides.index(1, 1).data() == "放假"
    assert overrides.data(QModelIndex()) is None
    assert overrides.headerData(0, Qt.Orientation.Vertical) is None


def test_counter_models(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    accepted = intake.take_application(hall.uow(), clerk, request(item))
    materials = {**all_received(item), item.materials[0].code: MaterialInput("missing")}
    corrected = intake.take_application(hall.uow(), clerk, request(item, "correction", materials=materials))

    hits = ItemHitListModel(search.search_items(hall.uow(), clerk, ""))
    qtmodeltester.check(hits)
    assert hits.index(0, 0).data().startswith(f"［最近］{item.name}")  # the clerk's recent item first
    assert hits.row_of(item.code) == 0 and hits.row_of("NOPE") == -1
    hits.set_rows([])
    assert hits.rowCount() == 0 and hits.data(hits.index(0, 0)) is None

    case_model = CaseTableModel(cases.my_cases_today(hall.uow(), clerk))
    qtmodeltester.check(case_model)
    row = case_model.row_of(corrected.case_no)
    assert case_model.index(row, 5).data() == "待补正"
    assert case_model.index(row, 6).data() == f"补正告知期限 {corrected.correction_deadline}"
    assert case_model.index(case_model.row_of(accepted.case_no), 6).data().startswith("承诺办结 ")

    jobs = JobTableModel(queue.list_jobs(hall.uow(), case_no=accepted.case_no))
    qtmodeltester.check(jobs)
    kinds = {jobs.index(r, 2).data() for r in range(jobs.rowCount())}
    assert kinds == {"受理回执", "受理通知书"}
    errors = {jobs.index(r, 2).data(): jobs.index(r, 6).data() for r in range(jobs.rowCount())}
    assert errors["受理回执"].startswith("未配置打印机") and jobs.index(0, 3).data() == "（未配置）"
    assert errors["受理通知书"] == "未配置A4打印机：请在预览中打印"  # not printer trouble


def test_intake_material_model(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    assessments = catalog.list_assessments(hall.uow())
    covered_item = next(i for i in catalog.list_items(hall.uow()) if any(m.covered_by for m in i.materials))
    model = IntakeMaterialModel(IntakeMaterialModel.default_rows(covered_item.materials, assessments))
    qtmodeltester.check(model)  # stays attached: the changes below are checked too
    covered = next(r for r, m in enumerate(covered_item.materials) if m.covered_by)
    plain = next(r for r, m in enumerate(covered_item.materials) if not m.covered_by and not m.tolerable and m.required)
    code = covered_item.materials[plain].code
    name = {a.code: a.name for a in assessments}[covered_item.materials[covered].covered_by or ""]
    assert model.index(covered, IntakeMaterialModel.STATE).data() == f"免提交（{name}）"
    # Every material a 区域评估 does not cover starts 待核验, and is left out of the request until checked.
    assert model.rows()[plain].state == "pending" and model.index(plain, IntakeMaterialModel.STATE).data() == "待核验"
    assert code not in model.materials_input()
    first = next(r.material for r in model.rows() if r.pending and r.material.required)
    assert model.problems("accept", covered_item)[0].field == f"materials.{first.code}"
    assert model.mark_all_received() == sum(1 for m in covered_item.materials if not m.covered_by)
    assert not model.pending() and model.problems("accept", covered_item) == []
    assert not model.set_state(plain, "waived") and not model.set_state(plain, "tolerated")
    assert not model.set_state(plain, "not_submitted") and not model.set_state(plain, "pending")  # required
    assert model.cycle_state(plain) == "missing"
    assert model.problems("accept", covered_item)[0].message.startswith("必需材料不齐")
    assert model.index(plain, IntakeMaterialModel.ORIGINALS).data() == ""
    assert model.set_state_by_number(plain, 3)  # 有误: a note is wanted
    assert model.notes_missing() and model.index(plain, IntakeMaterialModel.NOTE).data() == "请写明问题"
    assert model.setData(model.index(plain, IntakeMaterialModel.NOTE), "缺少签章")
    assert model.setData(model.index(plain, IntakeMaterialModel.COPIES), 3)
    assert not model.setData(model.index(plain, IntakeMaterialModel.COPIES), 100)
    assert model.setData(model.index(plain, IntakeMaterialModel.STATE), "received")
    # 电子件 counts the pages captured for the material: no toggle of its own.
    electronic = model.index(plain, IntakeMaterialModel.ELECTRONIC)
    assert not model.setData(electronic, Qt.CheckState.Checked.value, CHECK) and electronic.data() == ""
    model.set_pages({covered_item.materials[plain].code: 3})
    assert electronic.data() == "3页" and model.rows()[plain].as_input().electronic
    model.set_pages({})
    assert not model.setData(model.index(plain, IntakeMaterialModel.NAME), "x")
    given = model.materials_input()
    assert given[covered_item.materials[plain].code] == MaterialInput("received", covered_item.materials[plain].originals,
                                                                      3, False, "缺少签章")
    assert given[covered_item.materials[covered].code].state == "waived"
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
