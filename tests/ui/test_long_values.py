"""Long values at 1366×768: a 128-character company name is elided in the reviewer's queue (its tooltip has all
of it) and 收件时间 / 承诺办结 / 环节时限 / 办理人 stay in view; the chief's workload shows whole names; the
supervisor's number boxes do not stretch.  On SQLite only: the engine does not change the layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from app import catalog, intake
from app.context import HallDesk
from app.intake import EnterpriseInput
from app.validators import make_uscc
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.backoffice.models import QueueTableModel
from ui.backoffice.page import BackOfficePage
from ui.chief.models import WorkloadTableModel
from ui.chief.page import ChiefRepPage
from ui.supervision.page import SupervisionPage

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

LONG_NAME = ("南昌新建经开区" + "高新技术产业园区智能制造与数字经济创新" * 7)[:128]


def _visible_columns(view: QTableView, columns: range) -> bool:
    """Every column in ``columns`` lies wholly inside the table's viewport."""
    width = view.viewport().width()
    return all(view.columnViewportPosition(c) >= 0
               and view.columnViewportPosition(c) + view.columnWidth(c) <= width for c in columns)


def test_a_long_company_name_keeps_the_dates_and_holder_in_view(hall: HallDesk, qtbot: QtBot) -> None:
    assert len(LONG_NAME) == 128
    clerk = log_in(hall, "clerk1")
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    enterprise = EnterpriseInput(uscc=make_uscc(8128), name=LONG_NAME, legal_rep="刘洋", address="长堎大道8号")
    case_no = intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item),
                                                                 enterprise=enterprise)).case_no
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    window.resize(1366, 768)
    page = window.show_page("backoffice")
    assert isinstance(page, BackOfficePage)
    page.refresh()
    settle()
    row = page.model.row_of(case_no)
    assert row >= 0
    applicant = page.model.index(row, 3)
    assert page.model.data(applicant, Qt.ItemDataRole.ToolTipRole) == LONG_NAME  # the whole name
    assert page.view.columnWidth(3) < page.view.fontMetrics().horizontalAdvance(LONG_NAME)  # elided
    assert _visible_columns(page.view, range(4, len(QueueTableModel.headers)))  # 收件时间…办理人
    assert page.view.horizontalScrollBar().maximum() == 0


def test_the_chief_sees_whole_names_in_the_workload(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, log_in(hall, "chief_zjj"), qtbot)
    window.resize(1366, 768)
    page = window.show_page("chiefrep")
    assert isinstance(page, ChiefRepPage)
    page.refresh()
    settle()
    view = page.workload_view
    assert page.workload_model.rowCount() > 0
    for row in range(page.workload_model.rowCount()):
        text = page.workload_model.data(page.workload_model.index(row, 0))
        assert view.columnWidth(0) >= view.fontMetrics().horizontalAdvance(text), text  # never “住建…”
    assert _visible_columns(view, range(len(WorkloadTableModel.headers)))
    assert view.horizontalScrollBar().maximum() == 0


def test_the_supervisors_number_boxes_do_not_stretch(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, log_in(hall, "supervisor"), qtbot)
    window.resize(1366, 768)
    page = window.show_page("supervision")
    assert isinstance(page, SupervisionPage)
    page.tabs.setCurrentWidget(page.tools)
    settle()
    for spin in (page.days_spin, page.prompt_spin):
        assert spin.width() <= 2 * spin.sizeHint().width() < 400
