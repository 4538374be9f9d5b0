"""The 离线 banner of a counter working on its own store, and the background sync behind it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import grievance
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.infra.counter_store import CounterStore
from app.infra.sync import SyncStatus
from db.models import Case, Grievance
from tests.conftest import log_in, servers_only
from tests.intake_support import item_with_tolerable, request
from tests.test_sync import closed_port_url
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.grievance.page import GrievancePage
from ui.main import GuiSession, create_main_window, run_counter_gui
from ui.offline import OfflineBanner, banner_text


def shared_cases(hall: HallDesk) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Case)).scalar_one())


def test_banner_while_offline_and_gone_after_sync(hall: HallDesk, tmp_path: Path, qtbot: QtBot) -> None:
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()  # cached catalog and accounts from an earlier day online
    store = CounterStore.open(closed_port_url(), path)
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        for _ in range(2):
            _view, synced = store.take_application(clerk, request(item_with_tolerable(hall)))
            assert not synced
        window = create_main_window(store.local, clerk, calendar_notice=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        settle()
        assert window.sync_worker is not None
        banner = window.offline_banner
        assert banner.isVisible() and banner.offline
        assert "离线：共享数据库无法连接，已在本机保存 2 件待同步" in banner.text()
        assert "c0392b" in banner.styleSheet()  # red while offline
        assert shared_cases(hall) == 0

        # The shared database is back: the next round pushes both cases and the banner goes away.
        store.reconnect(hall.url)
        window.sync_worker.sync_soon()
        settle()
        assert not banner.isVisible()
        assert shared_cases(hall) == 2
        assert store.status().pending == 0
        window.close()
        settle()
    finally:
        store.close()


def test_a_case_taken_online_is_pushed_at_once(hall: HallDesk, tmp_path: Path, qtbot: QtBot) -> None:
    store = CounterStore.open(hall.url, tmp_path / "counter1.sqlite3")
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        window = create_main_window(store.local, clerk, calendar_notice=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        settle()
        assert not window.offline_banner.isVisible()
        assert window.sync_worker is not None
        window.sync_worker.stop()  # from here on, only the case itself may trigger a push
        store.take_application(clerk, request(item_with_tolerable(hall)), push=False)
        page = window.page("counter")
        page.case_saved.emit()  # what the counter page says after every intake
        settle()
        assert shared_cases(hall) == 1 and not window.offline_banner.isVisible()
        window.close()
        settle()
    finally:
        store.close()


def test_a_grievance_counter_on_its_own_store_registers_on_the_shared_database(
        hall: HallDesk, tmp_path: Path, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    store = CounterStore.open(hall.url, tmp_path / "counter9.sqlite3")
    try:
        clerk = store.login("clerk9", DEMO_PASSWORD)
        window = create_main_window(store.local, clerk, calendar_notice=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        settle()
        assert window.current_page_key() == "grievance" and window.sync_worker is not None
        window.sync_worker.stop()
        page = window.page("grievance")
        assert isinstance(page, GrievancePage)
        dialog = page.panel.register()
        assert dialog is not None
        type_chinese(dialog.name_edit, "赵敏")
        type_chinese(dialog.content_edit, "营业执照变更材料被多次退回")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        settle()
        assert page.panel.dialog is None and message_boxes.shown == []
        # A counter's store never sends grievances: it must be on the shared database, and only there.
        assert [g.content for g in grievance.list_grievances(hall.uow(), log_in(hall, "supervisor"))] == [
            "营业执照变更材料被多次退回"]
        with store.local.uow() as uow:
            assert uow.session.execute(select(func.count()).select_from(Grievance)).scalar_one() == 0
        window.close()
        settle()
    finally:
        store.close()


def test_amber_while_uploading(qtbot: QtBot) -> None:
    banner = OfflineBanner()
    qtbot.addWidget(banner)
    status = SyncStatus(
        pending=3,
        counter=1,
        last_success=datetime.now(UTC),
        last_pull=None,
        last_error="",
        last_error_at=None,
        oldest_pending_at=None,
    )
    banner.show_status(status, True)
    assert not banner.isHidden()
    assert banner.text() == "正在同步：还有 3 件待上传到共享数据库" and not banner.offline
    assert "f5b041" in banner.styleSheet()
    banner.show_status(
        SyncStatus(1, 1, datetime.now(UTC), None, "办件编号 X 已被另一办件使用", None, None), True
    )
    assert banner.text().startswith("同步受阻：1 件未能上传") and "已被另一办件使用" in banner.text()
    banner.show_status(SyncStatus(0, 1, datetime.now(UTC), None, "", None, None), True)
    assert banner.text() == "" and banner.isHidden()
    banner.show_status(SyncStatus(0, 1, None, None, "connection refused", None, None), False)
    assert banner.offline and "0 件待同步" in banner.text() and "从未同步" in banner.text()
    assert banner.toolTip() == "connection refused"


def test_files_waiting_and_the_store_budget_in_the_banner(qtbot: QtBot) -> None:
    banner = OfflineBanner()
    qtbot.addWidget(banner)
    mb = 1024 * 1024
    offline = SyncStatus(2, 1, None, None, "refused", None, None, files_pending=3, files_pending_bytes=12 * mb,
                         store_bytes=50 * mb, store_budget_mb=2048)
    banner.show_status(offline, False)
    assert "2 件待同步，电子件 3 个（12.0 MB）" in banner.text() and "预算" not in banner.text()
    # Cases first, files after: every case is up, the scans still going.
    files_only = SyncStatus(0, 1, datetime.now(UTC), None, "", None, None, files_pending=1,
                            files_pending_bytes=5 * mb, store_bytes=50 * mb, store_budget_mb=2048)
    banner.show_status(files_only, True)
    assert banner.text().startswith("正在上传电子件：还有 1 个（5.0 MB）") and not banner.offline
    # Past the budget: a warning, even with nothing waiting (the case is still taken).
    banner.show_status(SyncStatus(0, 1, datetime.now(UTC), None, "", None, None, store_bytes=150 * mb,
                                  store_budget_mb=100), True)
    assert not banner.isHidden()
    assert banner.text().startswith("本机窗口库已用 150 MB，超过预算 100 MB") and "受理照常进行" in banner.text()


def test_a_clerk_logs_in_offline_at_a_counter_store(hall: HallDesk, tmp_path: Path, qtbot: QtBot) -> None:
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()  # accounts cached while online
    store = CounterStore.open(closed_port_url(), path)
    try:
        session = GuiSession(store.local, "clerk1")
        qtbot.addWidget(session.login_window)
        session.start()
        qtbot.waitExposed(session.login_window)
        settle()
        qtbot.keyClicks(session.login_window.password_edit, DEMO_PASSWORD)
        qtbot.keyClick(session.login_window.password_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: session.main_window is not None, timeout=10_000)
        window = session.main_window
        assert window is not None
        qtbot.addWidget(window)
        settle()
        assert window.actor.counter_number == 1 and store.counter == 1
        assert window.offline_banner.isVisible() and "离线" in window.offline_banner.text()
        window.close()
        settle()
    finally:
        store.close()


def test_run_counter_gui_reports_an_unusable_address(message_boxes: MessageBoxes, tmp_path: Path) -> None:
    assert run_counter_gui("oracle://nobody@127.0.0.1/nothing", str(tmp_path / "c.sqlite3"), None) == 1
    assert message_boxes.shown and message_boxes.shown[0][:2] == ("critical", "无法打开本机窗口库")


@servers_only
def test_a_shared_database_that_refuses_this_pc_says_so_and_who_mends_it(
        hall: HallDesk, tmp_path: Path, engine_name: str) -> None:
    """A 窗口电脑 whose stored user or password the server refuses is not merely "offline": waiting will not mend
    it, so the banner and ``sync status`` say what the server said and who must act."""
    path = tmp_path / "counter1.sqlite3"
    CounterStore.open(hall.url, path).close()  # the accounts and catalog cached on an earlier day
    url = make_url(hall.url)
    # PostgreSQL here trusts every password of a known role: an unknown role is its refusal.
    refused = url.set(username="no_such_role") if engine_name == "postgresql" else url.set(password="Wrong-pw-2026")
    store = CounterStore.open(refused.render_as_string(hide_password=False), path)
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        _view, synced = store.take_application(clerk, request(item_with_tolerable(hall)))
        assert not synced  # the case is kept on the PC as for any outage
        status = store.sync()
        assert status.last_error_kind == "auth" and "拒绝了用户" in status.last_error
        assert "HallDesk --setup" in status.last_error and status.pending == 1
        text = banner_text(status, online=False)
        assert text.startswith("离线：共享数据库拒绝了本机的连接，已在本机保存 1 件待同步") and "拒绝了用户" in text

        # Mended by the admin: the next round goes through and the kind is gone with the error.
        store.reconnect(hall.url)
        status = store.sync()
        assert status.pending == 0 and status.last_error == "" and status.last_error_kind == ""
    finally:
        store.close()


def test_an_unreachable_server_is_still_plain_offline() -> None:
    status = SyncStatus(pending=2, counter=1, last_success=None, last_pull=None, last_error="共享数据库无法连接或写入失败：x",
                        last_error_at=None, oldest_pending_at=None)
    assert banner_text(status, online=False).startswith("离线：共享数据库无法连接，已在本机保存 2 件待同步")
