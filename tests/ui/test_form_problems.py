"""Forms that tell everything at once (issue 15, item 3), on the real counter window at 1366×768: four mistakes
show four messages after one submit, nothing moves while typing, messages vanish when fixed, the buttons and the
hint follow the fields.  On SQLite only: the engine does not change what the form shows."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from pytestqt.qtbot import QtBot

from app.context import HallDesk
from app.validators import make_uscc
from tests.conftest import sqlite_only
from tests.intake_support import row_counts
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle, type_chinese
from tests.ui.test_counter import CTRL, CTRL_SHIFT, ID_NUMBER, PHONE, open_counter, start_applicant
from ui.counter.models import IntakeMaterialModel
from ui.counter.page import CounterPage

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

NEW_USCC = make_uscc(31337)  # valid; no enterprise on record has it
BAD_USCC = NEW_USCC[:-1] + ("0" if NEW_USCC[-1] != "0" else "1")
BAD_ID = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
BAD_PHONE = "12807910001"  # no such number range


def _geometry(page: CounterPage) -> list[QRect | int]:
    """Where the left column, the checklist, its name column and the buttons are."""
    view = page.checklist.view
    return [page.left_scroll.geometry(), page.left_panel.geometry(), page.checklist.geometry(), view.geometry(),
            view.columnWidth(IntakeMaterialModel.NAME), page.accept_button.geometry(),
            page.uscc_field.geometry(), page.phone_field.geometry(), page.outcome_hint.geometry()]


def _messages(page: CounterPage) -> list[str]:
    return [page.uscc_field.message_text(), page.ent_name_message.full_text(), page.agent_name_field.message_text(),
            page.id_field.message_text(), page.phone_field.message_text()]


def test_four_mistakes_four_messages_in_one_submit(hall: HallDesk, qtbot: QtBot,
                                                   message_boxes: MessageBoxes) -> None:
    window, page = open_counter(hall, qtbot)
    window.resize(1366, 768)
    settle()
    start_applicant(qtbot, page)
    qtbot.keyClick(page.uscc_edit, Qt.Key.Key_A, CTRL_SHIFT)  # every material 已收: only the fields are wrong
    settle()
    assert page.outcome_hint_text().startswith("申请人信息尚未填好")  # never 材料齐全 while a field is wrong
    before = _geometry(page)
    stored = row_counts(hall)

    qtbot.keyClicks(page.uscc_edit, BAD_USCC)
    type_chinese(page.agent_name_edit, "张伟")
    qtbot.keyClicks(page.id_edit, BAD_ID)
    qtbot.keyClicks(page.phone_edit, BAD_PHONE)
    settle()
    assert not page.accept_button.isEnabled() and not page.correction_button.isEnabled()
    assert "材料齐全" not in page.outcome_hint_text() and "共4处" in page.outcome_hint_text()

    qtbot.keyClick(page.phone_edit, Qt.Key.Key_Return, CTRL)  # one submit
    settle()
    uscc, name, agent, id_number, phone = _messages(page)
    assert "校验码" in uscc and name == "请填写企业名称" and agent == "" and "校验码" in id_number
    assert "号段" in phone
    summary = page.problem_summary_text()
    assert "以下4处" in summary
    positions = [summary.index(m) for m in (uscc, name, id_number, phone)]
    assert positions == sorted(positions)  # form order: the USCC (the first field) first
    assert page.uscc_edit.hasFocus()  # the first bad field
    assert message_boxes.shown == []  # not one dialog per mistake
    assert page.current_case() is None and row_counts(hall) == stored
    assert _geometry(page) == before  # the messages took no room from anything

    # Fixed one by one: each message goes at once, the summary shrinks, and at the end the buttons come back.
    replace_text(page.uscc_edit, NEW_USCC)
    settle()
    assert "第18位" not in page.uscc_field.message_text() and "以下3处" in page.problem_summary_text()
    assert page.ent_name_message.full_text() == "该企业尚未登记：请填写企业名称"
    type_chinese(page.ent_name_edit, "南昌新建经开一次告知有限公司")
    assert page.ent_name_message.full_text() == ""
    assert "请填写企业名称" not in page.enterprise_status.full_text()  # not stale once the name is typed
    replace_text(page.id_edit, ID_NUMBER)
    replace_text(page.phone_edit, PHONE)
    settle()
    assert page.problem_summary_text() == "" and page.accept_button.isEnabled()
    assert page.outcome_hint_text().startswith("材料齐全")
    assert _geometry(page) == before

    qtbot.keyClick(page.phone_edit, Qt.Key.Key_Return, CTRL)
    settle()
    assert page.current_case() is not None
    assert page.enterprise_status.full_text() == "企业已按所填信息登记" and page.problem_summary_text() == ""
    assert [m for m in _messages(page) if "请填写" in m] == []  # nothing stale on the result screen


def test_the_hint_and_buttons_follow_the_fields_live(hall: HallDesk, qtbot: QtBot) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    qtbot.keyClick(page.uscc_edit, Qt.Key.Key_A, CTRL_SHIFT)
    type_chinese(page.agent_name_edit, "张伟")
    qtbot.keyClicks(page.id_edit, ID_NUMBER)
    qtbot.keyClicks(page.phone_edit, PHONE)
    settle()
    assert page.accept_button.isEnabled() and page.outcome_hint_text().startswith("材料齐全")
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_Backspace)  # one digit short
    assert not page.accept_button.isEnabled() and "手机号码应为11位" in page.accept_button.toolTip()
    assert page.outcome_hint_text().startswith("申请人信息尚未填好") and "手机号码" in page.outcome_hint_text()
    assert page.problem_summary_text() == ""  # the summary speaks after a submit, not while typing
    qtbot.keyClicks(page.phone_edit, PHONE[-1])
    assert page.accept_button.isEnabled() and page.outcome_hint_text().startswith("材料齐全")
    # 不予受理 asks for the applicant's details first, too.
    page.agent_name_edit.clear()
    assert page.refuse() is None and page.agent_name_field.message_text() == "请填写经办人姓名"
    assert page.agent_name_edit.hasFocus() and "请填写经办人姓名" in page.problem_summary_text()


def test_the_item_list_shows_six_rows_without_a_horizontal_scrollbar(hall: HallDesk, qtbot: QtBot) -> None:
    window, page = open_counter(hall, qtbot)
    window.resize(1366, 768)
    settle()
    page.item_search.clear()
    assert page.hits_model.rowCount() > 7
    viewport = page.item_list.viewport().rect()
    shown = [r for r in range(page.hits_model.rowCount())
             if viewport.contains(page.item_list.visualRect(page.hits_model.index(r, 0)))]
    assert len(shown) > 5
    assert not page.item_list.horizontalScrollBar().isVisible()
    assert page.item_list.horizontalScrollBar().maximum() == 0
    # The whole left column fits at 1366×768: nothing squeezed over anything, nothing to scroll.
    start_applicant(qtbot, page)
    settle()
    assert page.item_list.geometry().bottom() < page.item_info.geometry().top()
    assert page.item_list.height() == page.item_list.maximumHeight()
    assert page.left_scroll.verticalScrollBar().maximum() == 0
