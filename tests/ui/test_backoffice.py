"""The back-office pages: the department queue, claiming, deciding, the chief representative's desk."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app import backoffice, catalog, chief_rep, claims, decisions, intake
from app.cases import read_case
from app.context import HallDesk
from app.hall_settings import today
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_mainwindow import open_window
from ui.backoffice.decision import DecisionDialog
from ui.backoffice.models import QueueTableModel
from ui.backoffice.page import BackOfficePage
from ui.chief.models import SealUseTableModel, WorkloadTableModel
from ui.chief.page import ChiefRepPage


def _accept_cases(hall: HallDesk, n: int) -> list[str]:
    clerk = log_in(hall, "clerk1")
    code = next(i.code for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    item = catalog.get_item(hall.uow(), code)
    return [intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item))).case_no
            for _ in range(n)]


def _page(hall: HallDesk, qtbot: QtBot, username: str = "rev_scj") -> BackOfficePage:
    page = BackOfficePage(hall, log_in(hall, username))
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    page.refresh()
    settle()
    return page


def _claim_next(page: BackOfficePage) -> str:
    page.claim_next_button.click()
    settle()
    assert page.claim is not None
    return page.claim.case.case_no


def test_reviewer_claims_next_and_approves(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    numbers = _accept_cases(hall, 2)
    page = _page(hall, qtbot)
    assert page.is_loaded() and page.model.rowCount() == 2
    assert {page.model.index(r, 1).data() for r in range(2)} == set(numbers)
    assert page.model.index(0, 0).data() in ("● 正常", "● 临期", "● 超期")
    assert not page.decide_button.isEnabled()

    case_no = _claim_next(page)
    assert case_no == numbers[0]
    view = read_case(hall.uow(), case_no)
    assert view.status == "in_review"
    row = page.model.row_at(page.model.row_of(case_no))
    assert row is not None and row.holder == "rev_scj"
    assert case_no in page.case_label.text() and page.details.material_model.rowCount() > 0
    assert not page.claim_next_button.isEnabled()

    type_chinese(page.opinion_edit, "材料齐全，符合法定形式")
    page.opinion_button.click()
    settle()
    assert page.opinion_edit.toPlainText() == "" and message_boxes.shown == []

    dialog = page.open_decision()
    assert isinstance(dialog, DecisionDialog) and dialog.isVisible()
    assert dialog.decision() == ""  # nothing preselected
    dialog.choose("approve")
    type_chinese(dialog.reason_edit, "材料齐全，符合法定条件")
    dialog.ok_button.click()
    settle()
    assert page.dialog is None and len(message_boxes.texts("question")) == 1  # confirmed, closed (and deleted)
    assert read_case(hall.uow(), case_no).status == "approved"
    assert page.claim is None and page.claim_next_button.isEnabled()
    assert page.model.row_of(case_no) == -1


@sqlite_only
def test_deny_without_reason_keeps_the_dialog_open(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)
    dialog = page.open_decision()
    assert dialog is not None
    dialog.choose("deny")
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.error_label.text() == (
        "不予许可须写明理由（审查意见）；不予许可须写明法律依据（行政许可法第三十八条）")
    type_chinese(dialog.reason_edit, "不符合法定条件")
    dialog.ok_button.click()
    assert dialog.isVisible() and "法律依据" in dialog.error_label.text()
    view = read_case(hall.uow(), case_no)
    assert view.status == "in_review"
    assert page.claim is not None and message_boxes.shown == []
    dialog.reject()
    settle()


def test_stale_claim_is_refused_and_the_page_refreshes(hall: HallDesk, qtbot: QtBot,
                                                       message_boxes: MessageBoxes) -> None:
    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)
    # The chief representative puts it back in the queue behind the reviewer's back.
    claims.release(hall.uow(), log_in(hall, "chief_scj"), case_no)
    dialog = page.open_decision()
    assert dialog is not None
    dialog.choose("approve")
    type_chinese(dialog.reason_edit, "符合条件")
    dialog.ok_button.click()
    settle()
    assert message_boxes.texts("warning") and case_no in message_boxes.texts("warning")[0]
    assert read_case(hall.uow(), case_no).status == "accepted"
    dialog.reject()
    settle()


@sqlite_only
def test_clerk_has_no_back_office(hall: HallDesk, qtbot: QtBot) -> None:
    window = open_window(hall, log_in(hall, "clerk1"), qtbot)
    assert "backoffice" not in window.page_keys() and "chiefrep" not in window.page_keys()
    assert "后台审批" not in window.page_titles()
    window.close()


@sqlite_only
def test_chief_authorises_seal_and_register_shows_it(hall: HallDesk, qtbot: QtBot,
                                                      message_boxes: MessageBoxes) -> None:
    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)

    chief = ChiefRepPage(hall, log_in(hall, "chief_scj"))
    qtbot.addWidget(chief)
    chief.resize(1280, 700)
    chief.show()
    chief.refresh()
    settle()
    assert chief.is_loaded() and chief.settings is not None
    assert "rev_scj" in [w.username for w in chief.workload_model.rows()]
    chief.cases_view.setCurrentIndex(chief.cases_model.index(chief.cases_model.row_of(case_no), 0))
    assert chief.authorise_button.isEnabled() and chief.release_button.isEnabled()
    assert chief.authorise_seal()
    settle()
    assert message_boxes.texts("question")

    dialog = page.open_decision()
    assert dialog is not None
    dialog.choose("approve")
    dialog.seal_check.setChecked(True)
    type_chinese(dialog.reason_edit, "符合条件")
    dialog.ok_button.click()
    settle()
    assert read_case(hall.uow(), case_no).status == "approved"

    chief.refresh()
    settle()
    assert chief.seal_model.rowCount() == 1
    assert [chief.seal_model.index(0, c).data() for c in (1, 3, 5, 6)] == [case_no, "准予许可", "rev_scj", "chief_scj"]

    assert chief.unsaved_work() == ""
    chief.lease_spin.setValue(45)
    assert chief.unsaved_work() == "部门设置有未保存的修改"
    chief.refresh()  # a refresh (F5, a colleague's claim) keeps the edit
    settle()
    assert chief.lease_spin.value() == 45
    chief.save()
    settle()
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").lease_minutes == 45
    chief.load()
    settle()
    assert chief.lease_spin.value() == 45 and chief.unsaved_work() == ""
    assert chief.dept_settings.form_settings() == backoffice.get_dept_settings(hall.uow(), "SCJ")  # symmetric


@sqlite_only
def test_queue_pages_on_scroll(hall: HallDesk, qtbot: QtBot) -> None:
    numbers = _accept_cases(hall, 3)
    rev = log_in(hall, "rev_scj")
    first = backoffice.queue_page(hall.uow(), rev, "SCJ", limit=2)
    model = QueueTableModel()
    asked: list[object] = []
    model.fetch_page = asked.append
    model.set_page(first.rows, first.next_cursor)
    assert model.rowCount() == 2 and model.canFetchMore()
    model.fetchMore()
    assert asked == [first.next_cursor] and not model.canFetchMore()  # one request at a time
    rest = backoffice.queue_page(hall.uow(), rev, "SCJ", after=first.next_cursor, limit=2)
    model.append_page(rest.rows, rest.next_cursor)
    assert [r.case_no for r in model.rows()] == numbers and not model.canFetchMore()


@sqlite_only
def test_models(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    numbers = _accept_cases(hall, 2)
    rev, chief = log_in(hall, "rev_scj"), log_in(hall, "chief_scj")
    claim = claims.claim(hall.uow(), rev, numbers[0])
    own = claims.claim(hall.uow(), chief, numbers[1])
    decisions.decide(hall.uow(), chief, numbers[1], "approve", token=own.token, seal=True, reason="符合条件")
    assert claim.token
    queue = QueueTableModel(backoffice.queue_page(hall.uow(), rev, "SCJ").rows)
    qtmodeltester.check(queue)
    work = WorkloadTableModel(chief_rep.workload(hall.uow(), chief, "SCJ"))
    qtmodeltester.check(work)
    seals = SealUseTableModel(chief_rep.seal_log(hall.uow(), chief, "SCJ"))
    assert seals.rowCount() == 1
    qtmodeltester.check(seals)


@sqlite_only
def test_queue_filters_narrow_the_table(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    numbers = _accept_cases(hall, 3)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)

    def choose(combo: QComboBox, value: str | None) -> list[str]:
        combo.setCurrentIndex(combo.findData(value))
        settle()
        return [page.model.index(r, 1).data() for r in range(page.model.rowCount())]

    assert [page.status_combo.itemText(i) for i in range(page.status_combo.count())] == [
        "全部待办", "待领取", "审批中", "我的在办", "特别程序中"]
    assert choose(page.status_combo, "mine") == [case_no]
    assert choose(page.status_combo, "accepted") == [n for n in numbers if n != case_no]
    assert choose(page.status_combo, None) == numbers
    assert choose(page.channel_combo, "online") == [] and page.count_label.text().startswith("已显示0件")
    assert choose(page.channel_combo, "window") == numbers
    lights = {page.model.row_at(r).light for r in range(page.model.rowCount())}  # type: ignore[union-attr]
    shown = lights.pop()
    assert choose(page.light_combo, shown) == numbers
    other = next(colour for colour in ("red", "yellow", "green") if colour != shown)
    assert choose(page.light_combo, other) == []
    assert page.claim is not None and page.claim.case.case_no == case_no  # filtering never drops the claim
    assert message_boxes.shown == []


def _chief_page(hall: HallDesk, qtbot: QtBot) -> ChiefRepPage:
    chief = ChiefRepPage(hall, log_in(hall, "chief_scj"))
    qtbot.addWidget(chief)
    chief.resize(1280, 760)
    chief.show()
    chief.refresh()
    settle()
    return chief


@sqlite_only
def test_chief_steps_through_weeks_of_workload(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    (case_no,) = _accept_cases(hall, 1)
    claims.claim(hall.uow(), log_in(hall, "rev_scj"), case_no)
    chief = _chief_page(hall, qtbot)

    def claimed() -> int:
        return next(w.claimed for w in chief.workload_model.rows() if w.username == "rev_scj")

    monday = today() - timedelta(days=today().weekday())
    assert chief.week_label.text().startswith(f"{monday:%Y-%m-%d} 至") and "本周" in chief.week_label.text()
    assert claimed() == 1 and not chief.next_week_button.isEnabled()
    chief.previous_week_button.click()
    settle()
    assert chief.week_of == monday - timedelta(days=7) and claimed() == 0
    assert "本周" not in chief.week_label.text() and chief.next_week_button.isEnabled()
    chief.show_week(today() + timedelta(days=30))  # a week to come is not a report: the current one instead
    settle()
    assert chief.week_of == monday and claimed() == 1
    assert message_boxes.shown == []


@sqlite_only
def test_chief_prints_the_seal_register_of_a_period(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    (case_no,) = _accept_cases(hall, 1)
    rev, chief_actor = log_in(hall, "rev_scj"), log_in(hall, "chief_scj")
    claim = claims.claim(hall.uow(), rev, case_no)
    chief_rep.authorise_seal(hall.uow(), chief_actor, case_no)
    decisions.decide(hall.uow(), rev, case_no, "approve", token=claim.token, seal=True, reason="符合条件")
    chief = _chief_page(hall, qtbot)
    assert chief.seal_period() == (today().replace(day=1), today()) and chief.seal_model.rowCount() == 1

    chief.print_register_button.click()
    qtbot.waitUntil(lambda: chief.preview is not None and chief.preview.page_count() == 1, timeout=10000)
    preview = chief.preview
    assert preview is not None and "用章登记簿" in preview.windowTitle()
    preview.close()
    settle()
    assert chief.preview is None and chief.print_register_button.isEnabled()

    yesterday, earlier = today() - timedelta(days=1), today() - timedelta(days=10)
    chief.seal_since_edit.setDate(QDate(earlier.year, earlier.month, earlier.day))
    chief.seal_until_edit.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    settle()
    assert chief.seal_model.rowCount() == 0  # the table follows the period
    chief.seal_since_edit.setDate(QDate(today().year, today().month, today().day))  # past the last day: held back
    settle()
    assert chief.seal_period() == (yesterday, yesterday)
    chief.print_register_button.click()
    qtbot.waitUntil(lambda: chief.preview is not None and chief.preview.page_count() == 1, timeout=10000)
    assert chief.preview is not None and f"至 {yesterday:%Y-%m-%d}" in chief.preview.windowTitle()
    chief.preview.close()
    settle()
    assert message_boxes.shown == []


@sqlite_only
def test_reviewer_opens_the_held_cases_notice_as_issued(hall: HallDesk, qtbot: QtBot,
                                                         message_boxes: MessageBoxes) -> None:
    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    assert not page.notice_button.isEnabled() and page.notice_combo.count() == 0  # nothing held yet
    case_no = _claim_next(page)
    notices = read_case(hall.uow(), case_no).notices
    assert [page.notice_combo.itemData(i) for i in range(page.notice_combo.count())] == [n.kind for n in notices]
    assert notices[0].doc_no in page.notice_combo.currentText() and page.notice_button.isEnabled()
    page.notice_button.click()
    qtbot.waitUntil(lambda: page.preview is not None and page.preview.page_count() >= 1, timeout=10000)
    assert page.preview is not None and case_no in page.preview.windowTitle()
    assert "受理通知书" in page.preview.windowTitle()
    page.preview.close()
    settle()
    assert page.preview is None and message_boxes.shown == []
    page.release_button.click()
    settle()
    assert page.claim is None and page.notice_combo.count() == 0 and not page.notice_button.isEnabled()
