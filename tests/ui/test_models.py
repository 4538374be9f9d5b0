"""Every model, checked by Qt's QAbstractItemModelTester on real service data (one engine is enough)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester

from app import accounts, catalog
from app import hall as hall_service
from app.auth import Actor
from app.catalog import Material
from app.context import HallDesk
from ui.models import (
    CounterTableModel,
    DepartmentListModel,
    ItemTableModel,
    MaterialTableModel,
    OverrideTableModel,
    UserTableModel,
)

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
    assert [counters.index(counters.row_of(9), c).data() for c in range(5)] == [
        "9号", "办不成事窗口", "办不成事", "（未设置）", "是"
    ]

    hall_service.set_override(hall.uow(), admin, date(2031, 1, 26), True, "春节调休上班")
    hall_service.set_override(hall.uow(), admin, date(2031, 1, 27), False, "")
    overrides = OverrideTableModel(hall_service.list_overrides(hall.uow(), 2031))
    qtmodeltester.check(overrides)
    assert [overrides.index(0, c).data() for c in range(3)] == ["2031-01-26（星期日）", "上班", "春节调休上班"]
    assert overrides.index(1, 1).data() == "放假"
    assert overrides.data(QModelIndex()) is None
    assert overrides.headerData(0, Qt.Orientation.Vertical) is None
