"""First screens that help: every list says what will appear there while it is empty, and the supervisor opens
on 今日概览 (the hall's figures of today)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from app import overview
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.helpers import settle
from tests.ui.test_supervision import bad_rating, open_window
from ui.backoffice.page import QUEUE_EMPTY, QUEUE_NARROWED, BackOfficePage
from ui.chief.page import ChiefRepPage
from ui.counter.page import CounterPage
from ui.counter.today import SEARCH_EMPTY, TODAY_EMPTY
from ui.supervision.page import SupervisionPage
from ui.supervision.rectification import RECTIFICATIONS_EMPTY, RECTIFICATIONS_FILTERED
from ui.widgets import EmptyState, empty_state, set_empty_text, table_view


def test_an_empty_table_says_what_will_appear_and_the_note_goes_with_the_first_row(qtbot: QtBot) -> None:
    model = QStringListModel()
    view = table_view(model, empty="暂无办件。受理后会在这里出现。")
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    state = empty_state(view)
    assert state is not None and state.isVisible() and state.text() == "暂无办件。受理后会在这里出现。"
    assert view.viewport().rect().contains(state.geometry())  # over the rows, never the header
    assert state.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    model.setStringList(["SCJ-1"])
    assert not state.isVisible()
    model.setStringList([])
    assert state.isVisible()
    assert set_empty_text(view, "没有符合条件的办件。") is state and state.text() == "没有符合条件的办件。"
    view.resize(700, 400)
    settle()
    assert state.geometry() == view.viewport().rect().adjusted(24, 8, -24, -8)  # follows the resize
    # Without a text there is nothing to show.
    bare = table_view(QStringListModel())
    qtbot.addWidget(bare)
    assert empty_state(bare) is None


@sqlite_only
@pytest.mark.parametrize("username", ["clerk1", "clerk3", "rev_scj", "chief_scj", "supervisor", "admin"])
def test_every_list_of_every_page_has_an_empty_text(hall: HallDesk, qtbot: QtBot, username: str) -> None:
    window = open_window(hall, qtbot, username)
    missing: list[str] = []
    for key in window.page_keys():
        page = window.show_page(key)
        settle()
        for view in page.findChildren(QTableView):
            state = view.findChild(EmptyState)
            if state is None or len(state.text()) < 12 or "。" not in state.text():
                missing.append(f"{key}: {view.model().__class__.__name__}")
            elif view.model().rowCount() == 0 and state.isHidden():
                missing.append(f"{key}: {view.model().__class__.__name__} is empty but says nothing")
    assert not missing, missing


@sqlite_only
def test_the_counters_day_and_the_reviewers_queue_explain_themselves(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, qtbot, "clerk2")
    page = window.show_page("counter")
    assert isinstance(page, CounterPage)
    page.refresh_today()
    settle()
    state = empty_state(page.today_view)
    assert page.today_model.rowCount() == 0 and state is not None and state.text() == TODAY_EMPTY
    page.today_search.setText("查无此件")
    page.refresh_today()
    settle()
    assert state.text() == SEARCH_EMPTY and state.is_shown()

    window = open_window(hall, qtbot, "rev_zjj")
    queue = window.show_page("backoffice")
    assert isinstance(queue, BackOfficePage)
    queue.status_combo.setCurrentIndex(queue.status_combo.findData("mine"))
    queue.refresh()
    settle()
    state = empty_state(queue.view)
    assert queue.model.rowCount() == 0 and state is not None and state.is_shown()
    assert state.text() == QUEUE_EMPTY["mine"] and "Ctrl+N" in state.text()
    queue.search_edit.setText("查无此件")
    queue.refresh()
    settle()
    assert state.text() == QUEUE_NARROWED


@sqlite_only
def test_the_chiefs_seal_register_and_the_supervisors_rectifications_say_why_they_are_empty(
    hall: HallDesk, qtbot: QtBot
) -> None:
    window = open_window(hall, qtbot, "chief_zjj")
    chief = window.show_page("chiefrep")
    assert isinstance(chief, ChiefRepPage)
    settle()
    for view in (chief.seal_view, chief.rectifications.view):
        state = empty_state(view)
        assert view.model().rowCount() == 0 and state is not None and state.is_shown()
    assert empty_state(chief.rectifications.view).text() == RECTIFICATIONS_EMPTY  # type: ignore[union-attr]

    window = open_window(hall, qtbot, "supervisor")
    page = window.page("supervision")
    assert isinstance(page, SupervisionPage)
    panel = page.rectifications
    state = empty_state(panel.view)
    assert state is not None and state.text() == RECTIFICATIONS_EMPTY
    panel.overdue_check.setChecked(True)
    settle()
    assert state.text() == RECTIFICATIONS_FILTERED and state.is_shown()


@sqlite_only
def test_the_supervisor_opens_on_todays_overview(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, qtbot, "supervisor")
    page = window.page("supervision")
    assert isinstance(page, SupervisionPage) and window.current_page_key() == "supervision"
    assert page.tabs.currentWidget() is page.overview and page.tabs.tabText(0) == "今日概览"
    panel = page.overview
    assert panel.loaded
    expected = overview.hall_overview(hall.uow(), log_in(hall, "supervisor"))
    assert {k: int(label.text()) for k, label in panel.figures.items()} == {
        k: v for k, v in expected.as_json().items() if k in panel.figures}
    assert "大厅概况" in panel.caption.text()
    bad = panel.figures["bad_ratings"]
    before = int(bad.text())

    bad_rating(hall)  # a 差评 given at another desk: F5 brings it in, in red
    qtbot.keyClick(page, Qt.Key.Key_F5)
    settle()
    assert int(bad.text()) == before + 1 and "#c0392b" in bad.styleSheet()
    assert int(panel.figures["open_rectifications"].text()) == expected.open_rectifications + 1
    assert "督办" in panel.verdict.text()
    # 查看差评整改 opens the list behind the figure.
    qtbot.mouseClick(panel.rectifications_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentWidget() is page.rectifications
    # The summary lists only the departments that were rated.
    assert [name for name, _summary in page.summary_model.rows()] == ["区市场监管局"]
