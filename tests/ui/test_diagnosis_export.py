"""帮助 → 导出诊断包… in the main window and on the login window; the daily backup while the GUI runs and its
retention in 大厅设置; Qt's messages in the log."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import qInfo, qInstallMessageHandler
from pytestqt.qtbot import QtBot

from app import backup
from app.auth import Actor
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.admin.hall_settings import HallSettingsPage
from ui.diagnostics import DiagnosisExport
from ui.login import LoginWindow
from ui.qtlog import forward_qt_messages

pytestmark = sqlite_only  # the package's database part is tested on every engine (tests/test_logs.py)


def _save_through_the_dialog(export: DiagnosisExport, target: Path, qtbot: QtBot) -> dict[str, str]:
    dialog = export.file_dialog
    assert dialog is not None and dialog.isVisible() and dialog.windowTitle() == "导出诊断包"
    with qtbot.waitSignal(export.exported, timeout=20_000) as signal:
        dialog.selectFile(str(target))
        dialog.accept()
    assert signal.args[0].path == target
    settle()
    assert export.result_box is not None and export.result_box.isVisible()
    assert str(target) in export.result_box.text() and "不含密码" in export.result_box.text()
    with zipfile.ZipFile(target) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_the_help_menu_exports_the_diagnosis_package(hall: HallDesk, admin: Actor, qtbot: QtBot,
                                                      tmp_path: Path) -> None:
    window = open_window(hall, admin, qtbot)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    assert window.diagnosis_action in help_menu.actions()
    window.diagnosis_action.trigger()
    members = _save_through_the_dialog(window.diagnosis, tmp_path / "pack.zip", qtbot)
    versions = json.loads(members["versions.json"])
    assert versions["PySide6"] and versions["Qt"].startswith("6.")
    assert json.loads(members["database.json"])["kind"] == "sqlite"
    window.close()


def test_the_login_window_exports_it_before_anybody_logs_in(hall: HallDesk, qtbot: QtBot, tmp_path: Path) -> None:
    window = LoginWindow(hall)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle()
    assert window.diagnosis_button.isVisible() and window.diagnosis_button.text() == "导出诊断包(&D)…"
    window.diagnosis_button.click()
    members = _save_through_the_dialog(window.diagnosis, tmp_path / "login.zip", qtbot)
    assert "database.json" in members


def test_a_clerk_window_on_a_sqlite_file_makes_the_days_backup(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, log_in(hall, "clerk1"), qtbot)
    daily = window.daily_backup
    assert daily is not None
    qtbot.waitUntil(lambda: not daily.busy, timeout=20_000)
    source = backup.sqlite_file(hall.url)
    assert source is not None
    assert len(backup.daily_backups(source)) == 1
    daily.run()  # the hourly check: today's copy is there, nothing more
    qtbot.waitUntil(lambda: not daily.busy, timeout=20_000)
    assert len(backup.daily_backups(source)) == 1 and daily.last_error == ""
    assert not window.backup_label.isVisible()
    window.close()


def test_a_failed_daily_backup_shows_in_the_status_bar_until_one_succeeds(
        hall: HallDesk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    full = backup.BackupError("磁盘空间不足，未备份：备份约需 1.0 MB，/x 所在磁盘只剩 0.5 MB")

    def no_room(source: object, folder: object) -> None:
        raise full

    room = backup.check_space
    monkeypatch.setattr(backup, "check_space", no_room)
    window = open_window(hall, log_in(hall, "clerk1"), qtbot)
    daily = window.daily_backup
    assert daily is not None
    qtbot.waitUntil(lambda: window.backup_label.isVisible(), timeout=20_000)
    assert window.backup_label.text() == f"备份失败：{full.message}" and daily.timer.isActive()  # tried again hourly
    monkeypatch.setattr(backup, "check_space", room)  # the disk cleaned up
    with qtbot.waitSignal(daily.trouble_changed, timeout=20_000) as cleared:
        daily.run()
    assert cleared.args == [""] and not window.backup_label.isVisible()
    window.close()


def test_qt_messages_reach_the_log(caplog: pytest.LogCaptureFixture, engine_name: str) -> None:
    before = qInstallMessageHandler(None)  # pytest-qt's capture: put back below
    qInstallMessageHandler(before)
    forward_qt_messages()
    try:
        with caplog.at_level(logging.INFO, logger="ui.qt"):
            qInfo("halldesk qt message 42")
    finally:
        qInstallMessageHandler(before)
    assert [(r.name, r.levelno) for r in caplog.records if "halldesk qt message 42" in r.getMessage()] == [
        ("ui.qt", logging.INFO)]


def test_backup_retention_in_the_hall_settings(hall: HallDesk, qtbot: QtBot) -> None:
    page = HallSettingsPage(hall, log_in(hall, "admin"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.backup_page.stored is not None, timeout=10_000)
    settle()
    retention = page.backup_page
    assert retention.form_settings() == backup.BackupSettings() and page.unsaved_work() == ""
    retention.keep_spin.setValue(0)  # the rule's own message, nothing stored
    assert page.unsaved_work() == "备份设置有未保存的修改"
    assert retention.save() is None and retention.error_label.text() == "备份保留天数应为 1–365 之间的整数"
    assert backup.get_settings(hall.uow()) == backup.BackupSettings()
    retention.keep_spin.setValue(30)
    with qtbot.waitSignal(retention.saved, timeout=10_000):
        retention.save()
    assert backup.get_settings(hall.uow()).keep_days == 30 and page.unsaved_work() == ""
