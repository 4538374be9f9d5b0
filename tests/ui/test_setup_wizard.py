"""本机设置 (issue 17): the set-up wizard driven to 完成 on its real widgets — 单机 on a fresh PC, 窗口电脑 against
PostgreSQL (with 测试连接's diagnosis and 创建数据表) — and what the next start of ``python -m app`` opens."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import pytest
import sqlalchemy as sa
from keyring.backends import fail
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import installation
from app.auth import Actor
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.infra.counter_store import CounterStore
from app.printing import discovery
from app.printing.discovery import Discovery
from db.models import Counter, CounterKey
from tests.conftest import pg_only, sqlite_only
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.helpers import replace_text, settle, type_chinese
from ui.main import create_main_window
from ui.setup import SetupWizard
from ui.setup.pages import COUNTER_PAGE, DATABASE_PAGE, DONE_PAGE, PRINTERS_PAGE, REGISTER_PAGE


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PC of its own: a fresh data folder (the run's shared counter keys stay untouched), no credential store."""
    folder = tmp_path / "fresh-pc"
    monkeypatch.setenv("HALLDESK_DATA_DIR", str(folder))
    monkeypatch.delenv("HALLDESK_DB", raising=False)
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(discovery, "discover_thermal", lambda: Discovery(()))  # this PC's USB/CUPS: none
    return folder


def _wizard(qtbot: QtBot) -> SetupWizard:
    wizard = SetupWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _next(wizard: SetupWizard) -> None:
    assert wizard.button(wizard.WizardButton.NextButton).isEnabled()
    wizard.next()
    settle()


def _register(wizard: SetupWizard, username: str, password: str, full_name: str | None = None) -> None:
    page = wizard.register_page
    page.username.setText(username)
    page.password.setText(password)
    if full_name is not None:
        assert page.full_name.isVisible() and page.repeat.isVisible()
        type_chinese(page.full_name, full_name)
        page.repeat.setText(password + "x")
        page.register_button.click()
        assert page.error.text() == "两次输入的密码不一致"
        page.repeat.setText(password)
    assert not page.isComplete()
    page.register_button.click()
    settle()
    assert page.isComplete(), page.error.text()


def _finish(wizard: SetupWizard) -> None:
    assert wizard.currentId() == DONE_PAGE
    wizard.button(wizard.WizardButton.FinishButton).click()
    settle()
    assert wizard.result() == wizard.DialogCode.Accepted.value and not wizard.isVisible()


@sqlite_only
def test_standalone_on_a_fresh_pc(server: object, data: Path, qtbot: QtBot, printer: FakePrinter) -> None:
    assert installation.needs_setup(None, None)
    wizard = _wizard(qtbot)
    assert wizard.mode_page.buttons["standalone"].isChecked()
    _next(wizard)
    assert wizard.currentId() == COUNTER_PAGE  # no database page: the embedded database
    page = wizard.counter_page
    assert page.isComplete() and "还没有窗口" in page.state.text()
    assert page.counter.currentText() == "新建窗口…" and page.new_number.value() == 1
    assert page.counter.findText("本机不是窗口（后台电脑）") >= 0
    _next(wizard)
    assert wizard.currentId() == PRINTERS_PAGE
    thermal, a4 = wizard.printers_page.thermal, wizard.printers_page.a4
    thermal.advanced_button.click()
    replace_text(thermal.uri_edit, "lpt://1")
    wizard.next()
    assert wizard.currentId() == PRINTERS_PAGE and "应为 tcp://" in wizard.printers_page.error.text()
    thermal.set_uri(printer.uri)
    with qtbot.waitSignal(thermal.test_finished, timeout=10000) as tested:
        assert thermal.print_test_page()  # 打印测试页 before anyone has logged in
    assert tested.args[0] is True and "1号窗口" in decode(printer.wait_for_jobs(1)[0]).text
    a4.set_uri("file:///dev/null")
    _next(wizard)
    assert wizard.currentId() == REGISTER_PAGE and not wizard.has_admin
    _register(wizard, "admin", "Hall2026-pw", "王管理")
    assert "已创建首个管理员 admin" in wizard.register_page.result.text()
    assert "默认事项目录" in wizard.register_page.result.text()
    _next(wizard)
    assert "工作方式：单机" in wizard.done_page.summary.text() and "1号窗口" in wizard.done_page.summary.text()
    _finish(wizard)

    station = installation.load_station()
    assert station is not None and (station.mode, station.server, station.counter) == ("standalone", None, 1)
    assert stat.S_IMODE((data / "station.json").stat().st_mode) == 0o600
    assert not installation.needs_setup(None, None) and installation.local_store(None, None) is None
    hall = HallDesk.open(None)  # what `python -m app` opens next
    try:
        assert hall.url == f"sqlite:///{data / 'halldesk.sqlite3'}"
        with hall.uow() as uow:
            counter = uow.session.execute(select(Counter).where(Counter.number == 1)).scalar_one()
            keys = uow.session.execute(select(CounterKey).where(CounterKey.counter_id == counter.id)).scalars().all()
        assert (counter.printer_uri, counter.a4_printer_uri) == (printer.uri, "file:///dev/null") and len(keys) == 1
        assert (data / "keys" / "counter-01.key").exists()
        admin = hall.login("admin", "Hall2026-pw")
        assert admin.role == "admin"
    finally:
        hall.close()


@pg_only
def test_a_counter_pc_against_postgresql(hall: HallDesk, empty_db_url: str, data: Path, qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    wizard.mode_page.buttons["counter"].setChecked(True)
    _next(wizard)
    assert wizard.currentId() == DATABASE_PAGE
    db = wizard.database_page
    assert not db.isComplete() and db.port.value() == 5432
    url = sa.make_url(hall.url)
    db.host.setText(url.host or "127.0.0.1")
    db.user.setText(url.username or "postgres")
    db.password.setText("any-password")  # this machine's PostgreSQL trusts 127.0.0.1: it is not checked

    db.database.setText("hd_no_such_database")
    db.test_button.click()
    settle()
    assert "没有名为 hd_no_such_database 的数据库" in db.result.text() and not db.isComplete()

    db.database.setText(sa.make_url(empty_db_url).database or "")  # a new database: its tables made here
    db.test_button.click()
    settle()
    assert "还没有 HallDesk 的数据表" in db.result.text() and db.create_button.isVisible()
    db.create_button.click()
    settle()
    assert "连接成功" in db.result.text() and db.isComplete()

    db.database.setText(url.database or "")  # the hall's database (with its demo counters and accounts)
    assert not db.isComplete()  # tested for another database
    db.test_button.click()
    settle()
    assert "连接成功" in db.result.text() and db.isComplete()
    _next(wizard)
    assert wizard.currentId() == COUNTER_PAGE
    page = wizard.counter_page
    page.counter.setCurrentIndex(page.counter.findData(2))
    assert page.counter.findText("本机不是窗口（后台电脑）") < 0  # a 窗口电脑 is a counter
    _next(wizard)
    wizard.printers_page.thermal.set_uri("tcp://127.0.0.1:9")
    _next(wizard)
    assert wizard.has_admin and not wizard.register_page.full_name.isVisible()
    wizard.register_page.username.setText("admin")
    wizard.register_page.password.setText("wrong-password-1")
    wizard.register_page.register_button.click()
    settle()
    assert wizard.register_page.error.isVisible() and not wizard.register_page.isComplete()
    _register(wizard, "admin", DEMO_PASSWORD)
    _next(wizard)
    assert "工作方式：窗口电脑" in wizard.done_page.summary.text()
    settle()  # where the password will be kept: no Secret Service here, so said plainly
    assert "明文保存在文件" in wizard.done_page.kept.text() and "未加密" in wizard.done_page.kept.text()
    _finish(wizard)
    assert stat.S_IMODE((data / "db-password.json").stat().st_mode) == 0o600
    assert "any-password" not in (data / "station.json").read_text(encoding="utf-8")

    again = SetupWizard(station=installation.load_station())  # 本机设置 later: the kept password is filled in
    qtbot.addWidget(again)
    again.show()
    _next(again)
    assert again.currentId() == DATABASE_PAGE and again.database_page.password.text() == "any-password"
    assert again.database_page.database.text() == url.database
    again.reject()
    settings = json.loads((data / "station.json").read_text(encoding="utf-8"))
    assert settings == {"mode": "counter", "counter": 2, "server": {
        "kind": "postgresql", "host": url.host, "port": 5432, "database": url.database, "user": url.username}}
    with hall.uow() as uow:
        counter = uow.session.execute(select(Counter).where(Counter.number == 2)).scalar_one()
        current = uow.session.execute(select(CounterKey).where(
            CounterKey.counter_id == counter.id, CounterKey.retired_at.is_(None))).scalar_one()
    assert counter.printer_uri == "tcp://127.0.0.1:9"
    assert wizard.registration is not None and current.fingerprint == wizard.registration.fingerprint
    # The next `python -m app`: no --db, no --local, yet the counter's own store synced with this server.
    assert installation.local_store(None, None) == ""
    store = CounterStore.open(None)
    try:
        assert store.online and sa.make_url(store.shared_url or "").database == url.database
        assert store.login("clerk2", DEMO_PASSWORD).counter_number == 2
    finally:
        store.close()


@sqlite_only
def test_the_admin_reaches_the_pages_from_the_main_window(hall: HallDesk, admin: Actor, qtbot: QtBot) -> None:
    window = create_main_window(hall, admin, calendar_notice=False)
    qtbot.addWidget(window)
    window.station_action.trigger()
    wizard = window.dialog
    assert isinstance(wizard, SetupWizard) and wizard.isVisible()
    assert wizard.windowTitle() == "HallDesk 本机设置"
    wizard.reject()
    settle()


@sqlite_only
def test_a_clerk_has_no_station_settings(hall: HallDesk, qtbot: QtBot) -> None:
    from tests.conftest import log_in

    window = create_main_window(hall, log_in(hall, "clerk1"), calendar_notice=False)
    qtbot.addWidget(window)
    assert not hasattr(window, "station_action")


def test_python_m_app_opens_the_wizard_only_on_a_fresh_pc_or_with_setup(
        data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry point's choice (the GUIs themselves replaced by recorders)."""
    import app.__main__ as entry
    import ui.main

    calls: list[tuple[str, object]] = []
    answer = [False]

    def wizard() -> bool:
        calls.append(("wizard", None))
        return answer[0]

    monkeypatch.setattr(ui.main, "run_setup_wizard", wizard)
    monkeypatch.setattr(ui.main, "run_gui", lambda db_url, username: calls.append(("gui", db_url)) or 0)
    monkeypatch.setattr(ui.main, "run_counter_gui",
                        lambda shared_url, local_path, username: calls.append(("counter", local_path)) or 0)
    assert entry.main([]) == 0 and calls == [("wizard", None)]  # fresh PC, cancelled: nothing starts
    calls.clear()
    assert entry.main(["--db", "sqlite:///x.sqlite3"]) == 0 and calls == [("gui", "sqlite:///x.sqlite3")]
    calls.clear()
    installation.save_station(installation.Station("counter", installation.Server(
        "postgresql", "10.0.0.5", 5432, "halldesk", "halldesk_app"), 2))
    assert entry.main([]) == 0 and calls == [("counter", None)]  # a 窗口电脑: its store, no --local typed
    calls.clear()
    answer[0] = True
    assert entry.main(["--setup"]) == 0 and calls == [("wizard", None), ("counter", None)]


@sqlite_only
def test_a_wizard_cancelled_on_a_fresh_pc_leaves_no_database_behind(server: object, data: Path, qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    _next(wizard)  # 单机: the embedded database is made for the counter page
    assert wizard.currentId() == COUNTER_PAGE and installation.embedded_path().exists()
    wizard.reject()
    settle()
    assert not installation.embedded_path().exists() and installation.needs_setup(None, None)
