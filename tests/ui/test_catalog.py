from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import audit, catalog
from app.auth import Actor
from app.context import HallDesk
from db.models import AuditEvent
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.catalog.editor import ItemEditorDialog
from ui.catalog.models import MaterialTableModel
from ui.catalog.page import CatalogPage

CHECK = Qt.ItemDataRole.CheckStateRole


@pytest.fixture
def chief_scj(hall: HallDesk) -> Actor:
    return log_in(hall, "chief_scj")


def open_page(hall: HallDesk, actor: Actor, qtbot: QtBot) -> CatalogPage:
    page = CatalogPage(hall, actor)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    settle()
    assert page.is_loaded()
    return page


def material_row(dialog: ItemEditorDialog, code: str) -> int:
    return next(i for i, m in enumerate(dialog.materials_model.rows()) if m.code == code)


def item_update_events(hall: HallDesk, code: str) -> list[AuditEvent]:
    with hall.uow() as uow:
        rows = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "item.update")).scalars().all()
        return [r for r in rows if json.loads(r.payload).get("code") == code]


@sqlite_only
def test_chief_rep_edits_own_item_with_the_keyboard(hall: HallDesk, chief_scj: Actor, qtbot: QtBot) -> None:
    page = open_page(hall, chief_scj, qtbot)
    assert page.selected_dept_code() == "SCJ"  # their own department comes first
    before = catalog.get_item(hall.uow(), "SCJ005")
    assert page.select_item("SCJ005")
    assert page.edit_button.isVisible() and page.edit_button.isEnabled()

    page.items_view.setFocus()
    qtbot.keyClick(page.items_view, Qt.Key.Key_F2)
    settle()
    dialog = page.editor
    assert isinstance(dialog, ItemEditorDialog) and dialog.isVisible()
    assert dialog.code_edit.isReadOnly() and dialog.code_edit.text() == "SCJ005"

    dialog.promised_spin.setValue(before.promised_days - 1)
    # Toggle 可容缺 of 营业执照 with the space bar, as at the counter PC.
    row = material_row(dialog, "M02")
    assert not dialog.materials_model.rows()[row].tolerable
    view = dialog.materials_view
    view.setFocus()
    view.setCurrentIndex(dialog.materials_model.index(row, MaterialTableModel.TOLERABLE))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert dialog.materials_model.rows()[row].tolerable
    assert dialog.save_button.isEnabled()

    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Enter submits the dialog
    assert not dialog.isVisible()

    after = catalog.get_item(hall.uow(), "SCJ005")
    assert saved.args[0] == after
    assert after.promised_days == before.promised_days - 1
    assert next(m for m in after.materials if m.code == "M02").tolerable
    assert after.version == before.version + 1
    events = item_update_events(hall, "SCJ005")
    assert [e.actor for e in events] == ["chief_scj"]
    payload = json.loads(events[0].payload)
    assert payload["after"]["promised_days"] == after.promised_days
    with hall.uow() as uow:
        assert audit.verify(uow.session).ok

    settle()  # the browser reloads and keeps the item selected
    shown = page.selected_item()
    assert shown is not None and shown.code == "SCJ005" and shown.version == after.version
    assert page.materials_model.rowCount() == len(after.materials)


@sqlite_only
def test_chief_rep_cannot_edit_another_department(
    hall: HallDesk, chief_scj: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = open_page(hall, chief_scj, qtbot)
    page.select_department("FGW", "FGW002")
    item = page.selected_item()
    assert item is not None and item.dept == "FGW"
    assert not page.edit_button.isEnabled()
    assert not page.new_button.isEnabled()
    assert page.edit_selected() is None and page.editor is None

    # The service is the real guard: force the editor open and save.
    page.open_editor(item)
    settle()
    dialog = page.editor
    assert dialog is not None
    dialog.promised_spin.setValue(item.promised_days + 1)
    dialog.save()
    settle()
    assert message_boxes.texts("warning") == ["无权操作区发改委的数据：只能操作本部门（区市场监管局）的事项"]
    assert dialog.isVisible()  # the edit is kept for the user to see
    assert catalog.get_item(hall.uow(), "FGW002") == item
    assert item_update_events(hall, "FGW002") == []


@sqlite_only
def test_invalid_edit_disables_save(hall: HallDesk, chief_scj: Actor, qtbot: QtBot) -> None:
    page = open_page(hall, chief_scj, qtbot)
    page.select_item("SCJ005")
    assert page.edit_selected() is not None
    settle()
    dialog = page.editor
    assert dialog is not None
    assert dialog.save_button.isEnabled() and not dialog.problems_label.isVisible()

    dialog.promised_spin.setValue(15)  # legal limit is 10 working days
    assert not dialog.save_button.isEnabled()
    assert dialog.problems_label.isVisible()
    assert "承诺时限（15个工作日）不能超过法定时限（10个工作日）" in dialog.problems_label.text()
    assert dialog.save() is None

    dialog.promised_spin.setValue(3)
    dialog.name_edit.clear()
    assert "事项名称不能为空" in dialog.problems_label.text()
    type_chinese(dialog.name_edit, "食品经营许可")
    assert dialog.save_button.isEnabled() and not dialog.problems_label.isVisible()


def test_concurrent_edit_is_refused_and_dialog_stays(
    hall: HallDesk, chief_scj: Actor, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = open_page(hall, chief_scj, qtbot)
    page.select_item("SCJ006")
    assert page.edit_selected() is not None
    settle()
    dialog = page.editor
    assert dialog is not None
    # Meanwhile the admin saves the same item at another PC.
    current = catalog.get_item(hall.uow(), "SCJ006")
    catalog.update_item(hall.uow(), admin, catalog.ItemGuide(**{**current.guide.__dict__, "fee": "按规定收费"}),
                        expected_version=current.version)
    dialog.promised_spin.setValue(current.promised_days - 1)
    dialog.save()
    settle()
    assert message_boxes.texts("warning") == ["该事项已被他人修改，请重新打开后再编辑"]
    assert dialog.isVisible()
    assert catalog.get_item(hall.uow(), "SCJ006").promised_days == current.promised_days


@sqlite_only
def test_search_and_read_only_browsing(hall: HallDesk, qtbot: QtBot) -> None:
    clerk = log_in(hall, "clerk1")
    page = open_page(hall, clerk, qtbot)
    assert not page.edit_button.isVisible() and not page.new_button.isVisible()
    page.search_edit.setFocus()
    type_chinese(page.search_edit, "食品")
    codes = [i.code for i in page.items_model.rows()]
    assert {"SCJ005", "SCJ006"} <= set(codes)
    assert all("食品" in i.name for i in page.items_model.rows())
    assert "搜索“食品”" in page.items_caption.text()
    page.search_edit.clear()
    qtbot.keyClicks(page.search_edit, "fgw00")  # codes match case-insensitively
    assert {i.code for i in page.items_model.rows()} == {i.code for i in page.items() if i.code.startswith("FGW00")}
    # Enter on an item opens nothing for a clerk.
    page.items_view.setFocus()
    qtbot.keyClick(page.items_view, Qt.Key.Key_Return)
    assert page.editor is None
    first = page.selected_item()
    assert first is not None and page.detail_title.text() == first.name  # a clerk reads names, not catalog codes
    assert page.items_view.isColumnHidden(0) and page.materials_view.isColumnHidden(0)


@sqlite_only
def test_admin_adds_an_item_with_materials(hall: HallDesk, admin: Actor, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page = open_page(hall, admin, qtbot)
    page.select_department("SCJ")
    assert page.new_button.isEnabled()
    dialog = page.new_item()
    assert dialog is not None and not dialog.code_edit.isReadOnly()
    code = dialog.code_edit.text()
    assert code.startswith("SCJ") and code not in {i.code for i in page.items()}
    type_chinese(dialog.name_edit, "食品小作坊登记")
    dialog.legal_spin.setValue(15)
    dialog.promised_spin.setValue(5)

    model = dialog.materials_model
    view = dialog.materials_view
    view.setCurrentIndex(model.index(0, MaterialTableModel.NAME))
    row = dialog.add_material()  # opens the name cell's editor on the new row
    assert row == 1 and model.rows()[1].code == "M02"
    editor = view.indexWidget(model.index(1, MaterialTableModel.NAME))
    assert isinstance(editor, QLineEdit)
    type_chinese(editor, "场所使用证明")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # commits the cell (queued); the dialog stays open
    qtbot.waitUntil(lambda: model.rows()[1].name == "场所使用证明")
    assert dialog.isVisible()
    assert model.setData(model.index(1, MaterialTableModel.TOLERABLE), Qt.CheckState.Checked.value, CHECK)

    # An unknown assessment is a problem the dialog reports at once.
    assert model.setData(model.index(1, MaterialTableModel.COVERED_BY), "NOSUCH")
    assert not dialog.save_button.isEnabled()
    assert "区域评估“NOSUCH”不存在" in dialog.problems_label.text()
    assert model.setData(model.index(1, MaterialTableModel.COVERED_BY), "")
    assert model.data(model.index(0, MaterialTableModel.COVERED_BY)) == ""

    view.setCurrentIndex(model.index(1, MaterialTableModel.NAME))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert [m.code for m in model.rows()] == ["M02", "M01"]
    assert dialog.save_button.isEnabled(), dialog.problems_label.text()

    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    item = catalog.get_item(hall.uow(), code)
    assert (item.dept, item.name, item.legal_days, item.promised_days) == ("SCJ", "食品小作坊登记", 15, 5)
    assert [(m.code, m.name, m.tolerable) for m in item.materials] == [("M02", "场所使用证明", True), ("M01", "申请书", False)]
    assert message_boxes.shown == []
    settle()
    shown = page.selected_item()
    assert shown is not None and shown.code == code


@sqlite_only
def test_escape_asks_before_discarding_edits(
    hall: HallDesk, chief_scj: Actor, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = open_page(hall, chief_scj, qtbot)
    page.select_item("SCJ007")
    assert page.edit_selected() is not None
    settle()
    dialog = page.editor
    assert dialog is not None
    qtbot.keyClick(dialog.fee_edit, Qt.Key.Key_Escape)  # nothing changed: closes at once
    assert not dialog.isVisible() and message_boxes.shown == []

    assert page.edit_selected() is not None
    settle()
    dialog = page.editor
    assert dialog is not None
    type_chinese(dialog.fee_edit, "（另收工本费）")
    message_boxes.answer = message_boxes.answer.No
    qtbot.keyClick(dialog.fee_edit, Qt.Key.Key_Escape)
    assert dialog.isVisible() and message_boxes.texts("question") == ["放弃对本事项所做的修改？"]
    message_boxes.answer = message_boxes.answer.Yes
    qtbot.keyClick(dialog.fee_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert catalog.get_item(hall.uow(), "SCJ007").fee == "不收费"
