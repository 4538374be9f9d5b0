"""The customer display (评价器): it follows the counter and the output page, and asks for a voluntary rating."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import catalog, evaluation
from app.context import HallDesk
from app.hall_settings import load_calendar, today
from db.models import Evaluation, Rectification
from tests.conftest import log_in, sqlite_only
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_output import count, decided, open_output, scan
from ui.counter.page import CounterPage
from ui.display import DisplaySettingsDialog, DisplayWindow, display_enabled, display_screen
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.output.page import OutputPage

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def pc_settings(tmp_path: Path) -> Iterator[QSettings]:
    """This PC's settings in a temporary INI file, with the display switched on."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    settings = QSettings()
    settings.clear()
    settings.setValue("display/enabled", True)
    settings.sync()
    yield settings
    settings.clear()
    settings.sync()
    QSettings.setDefaultFormat(QSettings.Format.NativeFormat)


def display_of(window: MainWindow) -> DisplayWindow:
    display = window.display_window
    assert display is not None and display.isVisible()
    return display


def hand_over(qtbot: QtBot, page: OutputPage, slip: str) -> None:
    scan(qtbot, page, slip)
    qtbot.keyClick(page.issue_button, Qt.Key.Key_Return, CTRL)
    settle()
    assert page.issued_result() is not None


@sqlite_only
def test_a_bad_rating_after_a_hand_over_opens_a_rectification(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    case = decided(hall)
    window, page = open_output(hall, qtbot)
    display = display_of(window)
    assert display.state() == "idle" and "3号窗口" in display.counter_label.text()
    assert "出件窗口" in display.counter_label.text()  # the clerk's name
    assert display.hall_label.text() == "新建经开区政务服务大厅"

    scan(qtbot, page, case.slip)
    assert display.state() == "serving" and case.item_name in display.text.text()
    qtbot.keyClick(page.issue_button, Qt.Key.Key_Return, CTRL)
    settle()
    assert display.state() == "rating" and display.prompt_timer.isActive()
    assert display.prompt_timer.interval() == 45_000  # EvaluationSettings.prompt_seconds
    assert case.case_no in display.text.text() and not display.submit_button.isVisible()
    assert "准予许可" in display.text.text() and display.headline.text() == "办理完成，请收好您的材料"

    qtbot.mouseClick(display.level_buttons[2], Qt.MouseButton.LeftButton)  # 不满意
    assert display.state() == "reasons" and display.reasons_box.isVisible()
    assert not display.submit_button.isEnabled()  # at least one reason
    assert count(hall, Evaluation) == 0
    reason = display.reason_checks["efficiency"]
    qtbot.mouseClick(reason, Qt.MouseButton.LeftButton, pos=QPoint(8, reason.height() // 2))  # the box
    assert display.submit_button.isEnabled()
    qtbot.mouseClick(display.submit_button, Qt.MouseButton.LeftButton)
    settle()
    assert display.state() == "thanks" and "感谢您的评价" in display.headline.text()
    assert not display.prompt_timer.isActive() and display.back_timer.isActive()
    with hall.uow() as uow:
        s = uow.session
        rating = s.execute(select(Evaluation)).scalar_one()
        rect = s.execute(select(Rectification)).scalar_one()
        expected = load_calendar(s).add_workdays(today(), 5).date
    assert (rating.occasion, rating.level, rating.reasons) == ("issue", 2, '["efficiency"]')
    assert rect.due == expected and rect.status == "open"

    # One rating per case and occasion: asked again, the display does not prompt.
    window.display.handed_over(case.case_no, "再次")
    settle()
    assert display.state() == "serving" and display.back_timer.isActive()
    assert count(hall, Evaluation) == 1 and message_boxes.shown == []
    display.back_timer.setInterval(10)
    qtbot.waitUntil(lambda: display.state() == "idle", timeout=2000)


@sqlite_only
def test_the_prompt_times_out_politely_and_skipping_records_nothing(hall: HallDesk, qtbot: QtBot) -> None:
    first, second = decided(hall), decided(hall)
    window, page = open_output(hall, qtbot)
    display = display_of(window)
    hand_over(qtbot, page, first.slip)
    assert display.state() == "rating"
    display.prompt_timer.setInterval(30)  # restarts the running wait, shorter
    qtbot.waitUntil(lambda: display.state() == "thanks", timeout=3000)
    assert display.headline.text() == "感谢您的耐心"
    assert count(hall, Evaluation) == 0

    hand_over(qtbot, page, second.slip)
    assert display.state() == "rating"
    qtbot.mouseClick(display.level_buttons[1], Qt.MouseButton.LeftButton)  # 非常不满意, then 跳过 after all
    qtbot.mouseClick(display.skip_button, Qt.MouseButton.LeftButton)
    assert display.state() == "thanks" and count(hall, Evaluation) == 0
    settle()
    # A good rating is one press; a rating already made elsewhere is refused politely.
    display.after_handover(second.case_no, "")
    settle()
    assert display.state() == "rating"
    evaluation.rate(hall.uow(), log_in(hall, "clerk3"), second.case_no, 4, occasion="issue")  # e.g. the CLI
    qtbot.mouseClick(display.level_buttons[5], Qt.MouseButton.LeftButton)
    settle()
    assert display.state() == "thanks" and "已经评价过" in display.text.text()
    assert count(hall, Evaluation) == 1


@sqlite_only
def test_the_counter_reports_serving_materials_and_the_receipt(hall: HallDesk, qtbot: QtBot) -> None:
    window = create_main_window(hall, log_in(hall, "clerk1"), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    assert window.print_worker is not None
    window.print_worker.stop()
    display = display_of(window)
    page = window.page("counter")
    assert isinstance(page, CounterPage)
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    page.pick_item(item)
    assert display.state() == "serving" and item.name in display.text.text()
    assert all(m.name in display.text.text() for m in item.materials)
    page.checklist.model.set_state(0, "missing")
    assert "缺少" in display.text.text()
    page.checklist.model.set_state(0, "received")
    window.display.intake_done("NXJK-TEST", item.name)
    assert display.headline.text() == "请核对回执"
    settle()  # the case is unknown: no rating without the database's answer, only the headline
    assert display.state() == "serving"
    page.clear_form()
    assert display.state() == "idle"


def test_display_settings_are_this_pcs_own(pc_settings: QSettings, qtbot: QtBot) -> None:
    dialog = DisplaySettingsDialog(pc_settings)
    qtbot.addWidget(dialog)
    assert dialog.enabled_check.isChecked() and dialog.screen_combo.count() >= 1
    dialog.enabled_check.setChecked(False)
    assert not dialog.screen_combo.isEnabled()
    assert dialog.save()
    assert (
        not display_enabled(pc_settings) and display_screen(pc_settings) == dialog.screen_combo.currentData()
    )
    again = DisplaySettingsDialog(pc_settings)
    qtbot.addWidget(again)
    assert not again.enabled_check.isChecked()
    assert again.screen_combo.currentData() == dialog.screen_combo.currentData()


@sqlite_only
def test_the_settings_menu_switches_the_display_on_and_off(
    hall: HallDesk, qtbot: QtBot, pc_settings: QSettings
) -> None:
    pc_settings.setValue("display/enabled", False)
    pc_settings.sync()
    window, _page = open_output(hall, qtbot)
    assert window.display_window is None
    window.display_action.trigger()  # 设置 → 客户评价器…
    dialog = window.dialog
    assert isinstance(dialog, DisplaySettingsDialog) and not dialog.enabled_check.isChecked()
    dialog.enabled_check.setChecked(True)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    display = display_of(window)
    assert display_enabled() and window.dialog is None
    window.display_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, DisplaySettingsDialog) and dialog.enabled_check.isChecked()
    dialog.enabled_check.setChecked(False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.display_window is None and not display.isVisible()
    settle()
