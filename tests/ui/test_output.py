"""统一出件 on the real main window as clerk3 (counter 3, 出件): scanner-typed slips, the 签收单 at a TCP
printer, loud refusal of altered slips, 容缺 supplements, collectors and the window's lists."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import accounts, cases, catalog, claims, decisions, intake, output
from app.cases import CaseView
from app.context import HallDesk
from app.errors import HallDeskError
from app.hall_settings import today
from app.intake import MaterialInput
from app.validators import make_id_number, mask_id_number
from db.models import AuditEvent, Handover
from tests.conftest import log_in, sqlite_only
from tests.intake_support import AGENT, all_received, request
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.output.models import OutputCaseTableModel
from ui.output.page import OutputPage

CTRL = Qt.KeyboardModifier.ControlModifier
OTHER_ID = make_id_number("360112", date(1990, 3, 8), 77)


def decided(hall: HallDesk, decision: str = "approve", *, tolerate: bool = False) -> CaseView:
    """A case taken at counter 1 and decided by the SCJ back office (承诺时限 items, not 即办)."""
    items = [i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate]
    item = next(i for i in items if not tolerate or any(m.tolerable for m in i.materials))
    materials = all_received(item)
    if tolerate:
        code = next(m.code for m in item.materials if m.tolerable)
        materials = {**materials, code: MaterialInput("tolerated")}
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=materials))
    reviewer = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), reviewer, taken.case_no)
    decisions.decide(
        hall.uow(), reviewer, taken.case_no, decision, reason="符合条件" if decision == "approve" else "不符合条件",
        legal_basis="" if decision == "approve" else "《行政许可法》第三十八条"
    )
    # The applicant holds the receipt: the pickup code and slip the taking counter printed.
    return replace(cases.read_case(hall.uow(), taken.case_no), pickup_code=taken.pickup_code, slip=taken.slip)


def count(hall: HallDesk, table: type, *where: object) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def open_output(hall: HallDesk, qtbot: QtBot, username: str = "clerk3") -> tuple[MainWindow, OutputPage]:
    window = create_main_window(hall, log_in(hall, username), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    settle()
    assert window.print_worker is not None
    window.print_worker.stop()  # the page sends its 签收单 itself; no pass at a random moment
    page = window.page("output")
    assert isinstance(page, OutputPage)
    return window, page


def scan(qtbot: QtBot, page: OutputPage, payload: str) -> None:
    """As a keyboard-wedge scanner: the slip typed into the focused field, then Enter."""
    page.scan_edit.setFocus()
    qtbot.keyClicks(page.scan_edit, payload)
    qtbot.keyClick(page.scan_edit, Qt.Key.Key_Return)
    settle()


@sqlite_only
def test_output_counter_starts_at_the_output_page_and_others_have_it_too(
    hall: HallDesk, qtbot: QtBot
) -> None:
    window, page = open_output(hall, qtbot)
    assert window.current_page_key() == "output" and window.page_keys()[0] == "output"
    assert window.page_titles()[:2] == ["统一出件", "综合受理"]
    assert page.is_loaded() and page.scan_edit.hasFocus()
    other = create_main_window(hall, log_in(hall, "clerk1"), calendar_notice=False)
    qtbot.addWidget(other)
    assert other.page_keys() == ["counter", "output", "catalog", "printqueue"]
    assert other.current_page_key() == "counter"
    settle()


@sqlite_only
def test_scanned_slip_hand_over_prints_the_signing_slip(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 3, printer.uri, "")
    case = decided(hall)
    _window, page = open_output(hall, qtbot)  # referenced: a dropped window deletes its pages
    assert page.waiting_case_numbers() == [case.case_no] and page.issued_case_numbers() == []

    scan(qtbot, page, case.slip)
    found = page.current_pickup()
    assert found is not None and found.case.case_no == case.case_no and found.ready
    info = page.case_info.text()
    assert case.item_name in info and "区市场监管局" in info and "准予许可" in info
    assert mask_id_number(AGENT.id_number) in info and AGENT.id_number not in info  # masked on screen
    assert "已验签" in info and page.blockers_text() == ""
    assert page.scan_edit.text() == "" and page.issue_button.isEnabled() and page.issue_button.hasFocus()
    assert mask_id_number(AGENT.id_number) in page.agent_info.text()

    qtbot.keyClick(page.issue_button, Qt.Key.Key_Return, CTRL)  # 出件
    settle()
    done = page.issued_result()
    assert done is not None and done.case.status == "issued" and message_boxes.shown == []
    assert cases.read_case(hall.uow(), case.case_no).status == "issued"
    assert count(hall, Handover) == 1

    [data] = printer.wait_for_jobs(1)
    receipt = decode(data)
    assert "出件签收单" in receipt.text and case.case_no in receipt.text
    assert mask_id_number(AGENT.id_number) in receipt.text and AGENT.id_number not in receipt.text
    settle()
    assert "签收单已打印" in page.result_note.text()
    assert page.waiting_case_numbers() == [] and page.issued_case_numbers() == [case.case_no]
    assert not page.issue_button.isEnabled()  # handed over: nothing more to do until the next scan
    assert page.scan_edit.hasFocus()

    # The same slip again: the case shows, already handed over, in red; no second hand-over.
    scan(qtbot, page, case.slip)
    assert "不能重复出件" in page.blockers_text() and not page.issue_button.isEnabled()
    assert not page.issue() and count(hall, Handover) == 1


@sqlite_only
def test_an_altered_slip_is_refused_loudly_and_hands_nothing_over(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    case = decided(hall)
    _window, page = open_output(hall, qtbot)  # referenced: a dropped window deletes its pages
    prefix, number, code, fingerprint, signature = case.slip.split(":")
    altered = ":".join((prefix, number, f"{(int(code) + 1) % 1_000_000:06d}", fingerprint, signature))
    scan(qtbot, page, altered)
    [(kind, title, text)] = message_boxes.shown
    assert kind == "critical" and title == "取件凭条无效" and "拒绝" in text
    assert page.scan_rejected() and "#c0392b" in page.scan_edit.styleSheet()
    assert page.scan_edit.text() == "" and page.scan_edit.hasFocus()  # ready for the next scan
    assert page.current_pickup() is None and not page.issue_button.isEnabled()
    assert count(hall, Handover) == 0
    assert count(hall, AuditEvent, AuditEvent.action == "slip.rejected") == 1

    # The genuine slip next: the red goes as soon as it is typed, and the case shows.
    scan(qtbot, page, case.slip)
    assert not page.scan_rejected() and page.scan_edit.styleSheet() == ""
    assert page.current_pickup() is not None and page.issue_button.isEnabled()
    assert len(message_boxes.shown) == 1


@sqlite_only
def test_pickup_code_supplement_and_a_proxy_collector(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    case = decided(hall, tolerate=True)
    tolerated = next(m for m in case.materials if m.state == "tolerated")
    _window, page = open_output(hall, qtbot)  # referenced: a dropped window deletes its pages
    # Double-clicking 待出件 fills the case number; the code is the applicant's to give.
    page.waiting_view.setCurrentIndex(page.waiting_model.index(0, 0))
    page._waiting_activated()
    assert page.case_no_edit.text() == case.case_no and page.code_edit.hasFocus()
    wrong = f"{(int(case.pickup_code) + 1) % 1_000_000:06d}"
    qtbot.keyClicks(page.code_edit, wrong)
    qtbot.keyClick(page.code_edit, Qt.Key.Key_Return)
    settle()
    assert message_boxes.texts("warning") == ["取件码不正确（再错4次将锁定该办件）"]
    assert page.current_pickup() is None and page.code_edit.hasFocus()

    page.code_edit.clear()
    qtbot.keyClicks(page.code_edit, case.pickup_code)
    qtbot.keyClick(page.code_edit, Qt.Key.Key_Return)
    settle()
    found = page.current_pickup()
    assert found is not None and found.credential == "code" and not found.ready
    assert "容缺材料尚未补齐" in page.blockers_text() and tolerated.name in page.blockers_text()
    assert not page.issue_button.isEnabled() and page.supplements_box.isVisible()
    assert page.result_note.text() == "暂不能出件：见左侧红字"
    qtbot.mouseClick(page.supplement_buttons[tolerated.code], Qt.MouseButton.LeftButton)
    settle()
    found = page.current_pickup()
    assert found is not None and found.ready and found.outstanding == ()
    assert (
        page.blockers_text() == "" and page.issue_button.isEnabled() and not page.supplements_box.isVisible()
    )
    assert page.result_note.text() == "请核对领取人身份证件后出件"  # no stale 暂不能出件 after 登记补交

    # Another person collects: the ID is checked as typed, and the 委托书 must be ticked.
    page.proxy_radio.click()
    assert page.collector_stack.currentIndex() == 1 and page.proxy_name_edit.hasFocus()
    type_chinese(page.proxy_name_edit, "李娜")
    qtbot.keyClick(page.proxy_name_edit, Qt.Key.Key_Return)
    bad = OTHER_ID[:-1] + ("1" if OTHER_ID[-1] == "0" else "0")
    qtbot.keyClicks(page.proxy_id_edit, bad)
    assert "校验码" in page.proxy_id_field.message_text() or "身份证" in page.proxy_id_field.message_text()
    assert not page.issue()
    assert page.collector_error.isVisible()
    page.proxy_id_edit.clear()
    qtbot.keyClicks(page.proxy_id_edit, OTHER_ID.lower())
    assert page.proxy_id_field.message_text() == "✓ 身份证号码有效"
    assert not page.issue() and "委托书" in page.collector_error.text()
    page.attorney_check.setChecked(True)
    type_chinese(page.proxy_note_edit, "委托书原件已留存")
    assert page.issue()
    settle()
    done = page.issued_result()
    assert done is not None and done.handover.by_proxy and done.handover.collector_id_number == OTHER_ID
    assert done.handover.credential == "code" and done.handover.proxy_note == "委托书原件已留存"
    assert page.agent_radio.isChecked() and page.proxy_name_edit.text() == ""  # the form is clean again
    assert len(message_boxes.shown) == 1


@sqlite_only
def test_ems_mailing_and_a_locked_case(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    mailed, locked = decided(hall), decided(hall, "deny")
    _window, page = open_output(hall, qtbot)  # referenced: a dropped window deletes its pages
    scan(qtbot, page, mailed.slip)
    page.mail_radio.click()
    assert page.collector_stack.currentIndex() == 2 and page.recipient_edit.hasFocus()
    type_chinese(page.recipient_edit, "张伟")
    qtbot.keyClicks(page.mail_phone_edit, "13807910001")
    type_chinese(page.address_edit, "江西省南昌市新建区长堎大道8号")
    qtbot.keyClicks(page.tracking_edit, "123")
    assert page.issue()
    settle()
    assert "EMS单号" in page.collector_error.text() and page.tracking_edit.hasFocus()
    assert count(hall, Handover) == 0
    page.tracking_edit.clear()
    qtbot.keyClicks(page.tracking_edit, "ea123456789cn")
    assert page.issue()
    settle()
    done = page.issued_result()
    assert done is not None and done.handover.method == "mail" and done.print_job is None
    assert done.handover.tracking_no == "EA123456789CN" and "EMS邮寄" in page.result_note.text()

    clerk = log_in(hall, "clerk3")
    wrong = f"{(int(locked.pickup_code) + 3) % 1_000_000:06d}"
    for _ in range(output.PICKUP_MAX_TRIES):  # each counted and refused; the last one locks
        with contextlib.suppress(HallDeskError):
            output.find_for_pickup(hall.uow(), clerk, case_no=locked.case_no, pickup_code=wrong)
    page.next_applicant()
    scan(qtbot, page, locked.slip)
    [(kind, title, text)] = message_boxes.shown
    assert kind == "warning" and title == "办件已锁定" and "主管" in text and "解锁" in text
    assert page.current_pickup() is None and count(hall, Handover) == 1


@sqlite_only
def test_output_list_model(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    case = decided(hall, "deny")
    clerk = log_in(hall, "clerk3")
    model = OutputCaseTableModel()
    model.set_rows(output.awaiting_pickup(hall.uow(), clerk))
    qtmodeltester.check(model)
    assert model.rowCount() == 1 and model.row_of(case.case_no) == 0
    assert model.index(0, 6).data() == "不予许可"
    assert model.index(0, 6).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 5).data() != AGENT.name  # the agent's name masked
    output.issue(hall.uow(), clerk, slip=case.slip)
    issued = OutputCaseTableModel(issued=True)
    issued.set_rows(output.issued_on(hall.uow(), clerk, today()))
    qtmodeltester.check(issued)
    assert [issued.index(0, c).data() for c in (0, 6)] == [case.case_no, "已出件"]


def test_at_a_counter_on_its_own_store_the_output_page_works_on_the_shared_database(
    hall: HallDesk, qtbot: QtBot, tmp_path: Path, message_boxes: MessageBoxes
) -> None:
    from app.demo import DEMO_PASSWORD
    from app.infra.counter_store import CounterStore
    from db.models import Evaluation
    from tests.test_sync import closed_port_url

    case = decided(hall)
    store = CounterStore.open(hall.url, tmp_path / "counter3.sqlite3")
    try:
        clerk = store.login("clerk3", DEMO_PASSWORD)
        window = create_main_window(store.local, clerk, calendar_notice=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        settle()
        page = window.page("output")
        assert isinstance(page, OutputPage) and page.offline_keys is store.local
        assert page.waiting_case_numbers() == [case.case_no]  # decided in the shared back office
        scan(qtbot, page, case.slip)
        assert page.current_pickup() is not None and page.current_pickup().ready  # type: ignore[union-attr]
        # The display's rating after the hand-over goes to the shared database, beside the hand-over.
        display = window.open_display()
        qtbot.keyClick(page.issue_button, Qt.Key.Key_Return, CTRL)  # 出件
        qtbot.waitUntil(lambda: count(hall, Handover) == 1 and display.state() == "rating", timeout=10000)
        display.choose(5)
        qtbot.waitUntil(lambda: count(hall, Evaluation) == 1, timeout=10000)

        # The network goes: a genuine slip is still checked (offline, by signature), an altered one refused.
        other = decided(hall)
        store.reconnect(closed_port_url())
        shared = store.shared_hall()
        assert shared is not None
        page._hall = shared  # the page follows the store's new address, as after a restart
        scan(qtbot, page, other.slip)
        qtbot.waitUntil(lambda: any("离线核验" in t for t in message_boxes.texts()), timeout=15000)
        assert any(other.case_no in t and "真实有效" in t for t in message_boxes.texts())
        altered = other.slip[:-1] + ("A" if other.slip[-1] != "A" else "B")
        scan(qtbot, page, altered)
        qtbot.waitUntil(lambda: page.scan_rejected(), timeout=15000)
        assert count(hall, Handover) == 1
        window.close()
        settle()
    finally:
        store.close()
