"""The GUI's inputs carry app.limits: a line edit takes no more than its field stores, a multi-line editor cuts
what is typed or pasted past its limit and says so, and what the dialogs send is stored whole."""

from __future__ import annotations

from PySide6.QtGui import QStandardItem, QStandardItemModel, QTextCursor
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QStyleOptionViewItem, QTableView
from pytestqt.qtbot import QtBot

from app import grievance, limits
from app.context import HallDesk
from app.intake import REFUSAL_REASONS
from app.limits import Limit
from tests.conftest import log_in
from tests.ui.helpers import type_chinese
from tests.ui.test_counter import open_counter
from tests.ui.test_grievance import grievance_page, ok
from ui.counter.dialogs import RefusalDialog
from ui.grievance.dialogs import RegisterGrievanceDialog
from ui.widgets import LimitedTextDelegate, TextLimit, limit_text

TEN = Limit("说明", 10, "test", multiline=True)


def editor(qtbot: QtBot, limit: Limit = TEN) -> tuple[QPlainTextEdit, TextLimit]:
    edit = QPlainTextEdit()
    counter = limit_text(edit, limit)
    qtbot.addWidget(edit)
    qtbot.addWidget(counter)
    return edit, counter


def test_typing_past_the_limit_is_cut_and_said(qtbot: QtBot) -> None:
    edit, counter = editor(qtbot)
    type_chinese(edit, "一二三四五")
    assert edit.toPlainText() == "一二三四五" and counter.text() == "5/10字"
    type_chinese(edit, "六七八九十十一十二")
    assert edit.toPlainText() == "一二三四五六七八九十"
    assert counter.text() == "说明最多10个字，超出的部分没有输入"
    edit.textCursor().deletePreviousChar()
    assert counter.text() == "9/10字"


def test_a_paste_in_the_middle_keeps_what_fits_and_the_rest(qtbot: QtBot) -> None:
    edit, _ = editor(qtbot)
    type_chinese(edit, "甲乙丙丁")
    cursor = edit.textCursor()
    cursor.setPosition(2)
    edit.setTextCursor(cursor)
    edit.insertPlainText("ABCDEFGHIJ")  # a paste of ten at the third place: six fit
    assert edit.toPlainText() == "甲乙ABCDEF丙丁"
    assert edit.textCursor().position() == 8  # the cursor stays after what was kept


def test_rare_characters_and_emoji_count_one_each_and_are_not_split(qtbot: QtBot) -> None:
    edit, counter = editor(qtbot)
    type_chinese(edit, "\U00020000😀" * 6)
    assert edit.toPlainText() == "\U00020000😀" * 5 and "最多10个字" in counter.text()


def test_text_set_wholesale_keeps_its_beginning(qtbot: QtBot) -> None:
    edit, counter = editor(qtbot)
    edit.setPlainText("第一行\n" + "长" * 20)
    assert edit.toPlainText() == "第一行\n" + "长" * 6 and "最多10个字" in counter.text()
    edit.moveCursor(QTextCursor.MoveOperation.End)
    type_chinese(edit, "再")
    assert edit.toPlainText() == "第一行\n" + "长" * 6


def test_table_cells_edit_within_their_limit(qtbot: QtBot) -> None:
    model = QStandardItemModel(1, 1)
    model.setItem(0, 0, QStandardItem("申请书"))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = LimitedTextDelegate(limits.MATERIAL_NAME, view)
    cell = delegate.createEditor(view.viewport(), QStyleOptionViewItem(), model.index(0, 0))
    assert isinstance(cell, QLineEdit) and cell.maxLength() == limits.MATERIAL_NAME.chars == 255


def test_refusal_detail_leaves_room_for_the_standard_reason(qtbot: QtBot) -> None:
    dialog = RefusalDialog("食品经营许可")
    qtbot.addWidget(dialog)
    dialog.reason_combo.setCurrentIndex(len(REFUSAL_REASONS))  # the longest standard reason is the last
    type_chinese(dialog.detail_edit, "详" * 1200)
    assert len(dialog.reason()) <= limits.INTAKE_REASON.chars
    assert "最多" in dialog.detail_limit.text()
    type_chinese(dialog.basis_edit, "依" * 1200)
    assert len(dialog.legal_basis()) == limits.REFUSAL_BASIS.chars


def test_the_counter_page_takes_no_more_than_the_case_stores(hall: HallDesk, qtbot: QtBot) -> None:
    _window, page = open_counter(hall, qtbot)
    expected = {page.ent_name_edit: limits.ENTERPRISE_NAME, page.ent_rep_edit: limits.LEGAL_REP,
                page.ent_address_edit: limits.ENTERPRISE_ADDRESS, page.agent_name_edit: limits.AGENT_NAME,
                page.id_edit: limits.AGENT_ID_NUMBER, page.phone_edit: limits.AGENT_PHONE, page.uscc_edit: limits.USCC}
    for edit, limit in expected.items():
        assert edit.maxLength() == limit.chars, limit.label
    type_chinese(page.agent_name_edit, "名" * 80)
    assert page.agent_name_edit.text() == "名" * 64
    page.ent_name_edit.setText("企" * 300)  # a paste or a scanner: cut to the field as well
    assert len(page.ent_name_edit.text()) == limits.ENTERPRISE_NAME.chars


def test_a_grievance_typed_to_the_limit_is_stored_whole(hall: HallDesk, qtbot: QtBot) -> None:
    _window, page = grievance_page(hall, qtbot)
    dialog = page.panel.register()
    assert isinstance(dialog, RegisterGrievanceDialog)
    assert dialog.name_edit.maxLength() == limits.COMPLAINANT.chars == 64
    assert dialog.case_edit.maxLength() == limits.CASE_NO.chars
    type_chinese(dialog.name_edit, "王" * 70)
    type_chinese(dialog.content_edit, "诉" * 2100)
    assert dialog.content_edit.toPlainText() == "诉" * 2000
    assert dialog.content_limit.text() == "诉求内容最多2000个字，超出的部分没有输入"
    ok(qtbot, dialog)
    assert page.panel.dialog is None  # saved and closed
    stored = grievance.list_grievances(hall.uow(), log_in(hall, "supervisor"))
    assert [(g.complainant, g.content) for g in stored] == [("王" * 64, "诉" * 2000)]
