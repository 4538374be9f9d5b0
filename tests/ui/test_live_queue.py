"""The reviewer's queue page updates live on PostgreSQL and polls elsewhere.

Another session here is the test itself calling the services on its own connections, as a colleague's PC
would.  The live page polls only every 60 s, so a change that shows within qtbot's wait came by push.
"""

from __future__ import annotations

import sqlalchemy as sa
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app import backoffice, catalog, intake
from app.cases import read_case
from app.context import HallDesk
from tests.conftest import log_in, pg_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.backoffice.page import POLL_LIVE_MS, POLL_MS, BackOfficePage

WAIT_MS = 5000  # far below the 60-second poll




def _accept(hall: HallDesk, dept: str = "SCJ") -> str:
    clerk = log_in(hall, "clerk1")
    code = next(i.code for i in catalog.list_items(hall.uow(), dept) if not i.immediate)
    item = catalog.get_item(hall.uow(), code)
    return intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item))).case_no


def _live_page(hall: HallDesk, qtbot: QtBot, username: str = "rev_scj") -> BackOfficePage:
    """A shown queue page whose listener is connected and whose catch-up refresh is done."""
    page = BackOfficePage(hall, log_in(hall, username))
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.live, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page.push_timer.isActive(), timeout=WAIT_MS)
    settle()
    return page


def _holder(page: BackOfficePage, case_no: str) -> str | None:
    row = page.model.row_at(page.model.row_of(case_no))
    return row.holder if row is not None else None


def test_mode_follows_the_engine(hall: HallDesk, engine_name: str, qtbot: QtBot) -> None:
    page = BackOfficePage(hall, log_in(hall, "rev_scj"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle()
    if engine_name == "postgresql":
        assert page.push and page.listener is not None
        qtbot.waitUntil(lambda: page.live, timeout=WAIT_MS)
        assert page.mode_label.text() == "实时更新" and page.poll_timer.interval() == POLL_LIVE_MS
    else:
        assert not page.push and page.listener is None and not page.live
        assert page.mode_label.text() == "每10秒刷新" and page.poll_timer.interval() == POLL_MS
    assert page.poll_timer.isActive()
    settle()


@pg_only
def test_queue_refreshes_when_another_session_changes_it(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    page = _live_page(hall, qtbot)
    assert page.model.rowCount() == 0
    loads = page.loads
    no = _accept(hall)
    qtbot.waitUntil(lambda: page.model.row_of(no) >= 0, timeout=WAIT_MS)
    assert page.loads == loads + 1  # one refresh for one change
    # A colleague claims it: the page shows who holds it.
    backoffice.claim(hall.uow(), log_in(hall, "chief_scj"), no)
    qtbot.waitUntil(lambda: _holder(page, no) == "chief_scj", timeout=WAIT_MS)
    backoffice.release(hall.uow(), log_in(hall, "chief_scj"), no)
    qtbot.waitUntil(lambda: page.model.row_of(no) >= 0 and _holder(page, no) is None, timeout=WAIT_MS)
    settle()
    assert message_boxes.shown == []


@pg_only
def test_only_the_own_department_refreshes(hall: HallDesk, qtbot: QtBot) -> None:
    page = _live_page(hall, qtbot)
    page.watch.queue_changed("ZJJ")
    assert not page.push_timer.isActive()
    loads = page.loads
    page.watch.queue_changed("SCJ")
    page.watch.queue_changed("SCJ")  # a burst makes one refresh
    assert page.push_timer.isActive()
    qtbot.waitUntil(lambda: page.loads == loads + 1 and not page.push_timer.isActive(), timeout=WAIT_MS)
    settle()
    assert page.loads == loads + 1


@pg_only
def test_news_waits_while_the_decision_dialog_is_open(hall: HallDesk, qtbot: QtBot) -> None:
    first = _accept(hall)
    page = _live_page(hall, qtbot)
    page.claim_next_button.click()
    settle()
    assert page.claim is not None and read_case(hall.uow(), first).status == "in_review"
    qtbot.waitUntil(lambda: not page.push_timer.isActive(), timeout=WAIT_MS)  # our own claim's echo
    settle()
    dialog = page.open_decision()
    assert dialog is not None
    second = _accept(hall)
    # The notification arrives and is kept: the table does not change under the dialog.
    qtbot.waitUntil(lambda: page._push_since is not None and not page.push_timer.isActive(), timeout=WAIT_MS)
    assert page.model.row_of(second) == -1
    dialog.done(QDialog.DialogCode.Rejected)
    qtbot.waitUntil(lambda: page.model.row_of(second) >= 0, timeout=WAIT_MS)
    settle()


@pg_only
def test_page_catches_up_after_the_listener_reconnects(hall: HallDesk, qtbot: QtBot) -> None:
    page = _live_page(hall, qtbot)
    listener = page.listener
    assert listener is not None and listener.backend_pid is not None
    loads = page.loads
    with hall.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
    # Reconnected, and refreshed once for whatever happened while nobody listened.
    qtbot.waitUntil(lambda: listener.connects == 2 and page.live and page.loads > loads, timeout=WAIT_MS)
    no = _accept(hall)
    qtbot.waitUntil(lambda: page.model.row_of(no) >= 0, timeout=WAIT_MS)
    settle()


@pg_only
def test_listener_runs_only_while_the_page_is_on_screen(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, log_in(hall, "chief_scj"), qtbot)
    page = window.page("backoffice")
    assert isinstance(page, BackOfficePage) and window.current_page_key() == "backoffice"
    first = page.listener
    assert first is not None
    qtbot.waitUntil(lambda: page.live, timeout=WAIT_MS)
    # Another page in front: no connection; the queue page is live again when it comes back, caught up.
    window.show_page("chiefrep")
    assert page.listener is None and not first.is_alive() and not page.live
    assert page.mode_label.text() == "每10秒刷新" and page.poll_timer.interval() == POLL_MS
    settle()
    no = _accept(hall)
    window.show_page("backoffice")
    second = page.listener
    assert second is not None and second is not first
    qtbot.waitUntil(lambda: page.live and page.model.row_of(no) >= 0, timeout=WAIT_MS)
    settle()
    # Closing the window stops it.
    window.close()
    assert page.listener is None and not second.is_alive()
    settle()


@pg_only
def test_the_chief_representatives_page_follows_claims_made_elsewhere(hall: HallDesk, qtbot: QtBot) -> None:
    from ui.chief.page import ChiefRepPage

    case_no = _accept(hall)
    page = ChiefRepPage(hall, log_in(hall, "chief_scj"))
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.cases_model.row_of(case_no) >= 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.watch.listener is not None and page.watch.listener.connected, timeout=WAIT_MS)
    settle()
    backoffice.claim(hall.uow(), log_in(hall, "rev_scj"), case_no)  # a reviewer at another PC
    qtbot.waitUntil(lambda: (row := page.cases_model.row_at(page.cases_model.row_of(case_no))) is not None
                    and row.holder == "rev_scj", timeout=WAIT_MS)
    page.hide()
    assert page.watch.listener is None
    settle()
