"""综合受理 on the real main window as clerk1: whole intakes from the keyboard, printing at a TCP printer.

Every test runs on SQLite, PostgreSQL and MariaDB (about a second each).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import accounts, cases, files, intake, slips
from app.auth import Actor
from app.context import HallDesk
from app.infra import keys as slip_keys
from app.printing import queue
from app.validators import make_id_number, make_uscc
from db.models import AuditEvent
from tests.conftest import log_in
from tests.intake_support import item_with_tolerable, request, row_counts
from tests.support import scanned
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from ui.counter.dialogs import RefusalDialog, ResubmitDialog
from ui.counter.models import IntakeMaterialModel
from ui.counter.note import MaterialNoteDialog
from ui.counter.page import CounterPage
from ui.main import create_main_window
from ui.mainwindow import MainWindow
from ui.printing.preview import ReprintReasonDialog
from ui.printing.queue import PrintQueuePage

KNOWN_USCC = "91360112MA35XJ017X"  # a demo enterprise
KNOWN_NAME = "南昌新建经开智造科技有限公司"
NEW_USCC = make_uscc(777)  # a valid code no enterprise on record has
NEW_NAME = "南昌新建经开新材料有限公司"
PERMIT = "建筑工程施工许可证核发"  # ZJJ001: 8 materials, M04 tolerable, M08 not required
ID_NUMBER = make_id_number("360112", date(1985, 6, 15), 123)
PHONE = "13807910001"
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def point_counter_at(hall: HallDesk, uri: str, a4: str = "") -> None:
    accounts.set_counter_printers(hall.uow(), log_in(hall, "admin"), 1, uri, a4)


def open_counter(hall: HallDesk, qtbot: QtBot) -> tuple[MainWindow, CounterPage]:
    window = create_main_window(hall, log_in(hall, "clerk1"), calendar_notice=False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    settle()
    assert window.print_worker is not None
    window.print_worker.stop()  # the tests run passes themselves: none at a random moment
    page = window.page("counter")
    assert isinstance(page, CounterPage) and window.current_page_key() == "counter"
    return window, page


def start_applicant(qtbot: QtBot, page: CounterPage, query: str = "sgxk") -> None:
    """F2, then the item by a search typed into the box, picked with Enter."""
    page.item_search.setFocus()
    qtbot.keyClick(page.item_search, Qt.Key.Key_F2)
    assert page.waiting() and page.wait_text().startswith("等候 00:0")
    assert page.item_search.hasFocus()
    qtbot.keyClicks(page.item_search, query)
    if page.hits_model.rowCount() > 1:
        # Down/Up move through the results while the focus stays in the box.
        qtbot.keyClick(page.item_search, Qt.Key.Key_Down)
        assert page.item_list.currentIndex().row() == 1 and page.item_search.hasFocus()
        qtbot.keyClick(page.item_search, Qt.Key.Key_Up)
    assert page.item_list.currentIndex().row() == 0
    qtbot.keyClick(page.item_search, Qt.Key.Key_Return)
    assert page.selected_item() is not None
    assert page.uscc_edit.hasFocus()  # the pick moves on to the applicant


def enter_applicant(qtbot: QtBot, page: CounterPage, *, uscc: str = KNOWN_USCC, id_number: str = ID_NUMBER.lower(),
                    phone: str = PHONE, mark_all: bool = True) -> None:
    """The enterprise's code as a scanner types it (Enter at the end), then the agent field by field; then
    (``mark_all``) every material 已收 with the deliberate Ctrl+Shift+A."""
    qtbot.keyClicks(page.uscc_edit, uscc)
    qtbot.keyClick(page.uscc_edit, Qt.Key.Key_Return)  # moves on, never submits
    settle()
    if page.known_enterprise() is None:  # not registered yet: its details are typed in
        assert page.ent_name_edit.hasFocus() and not page.ent_name_edit.isReadOnly()
        assert "请填写企业名称" in page.enterprise_status.text()
        type_chinese(page.ent_name_edit, NEW_NAME)
        qtbot.keyClick(page.ent_name_edit, Qt.Key.Key_Return)
        type_chinese(page.ent_rep_edit, "刘洋")
        qtbot.keyClick(page.ent_rep_edit, Qt.Key.Key_Return)
        qtbot.keyClick(page.ent_address_edit, Qt.Key.Key_Return)
    assert page.agent_name_edit.hasFocus()
    type_chinese(page.agent_name_edit, "张伟")
    qtbot.keyClick(page.agent_name_edit, Qt.Key.Key_Return)
    assert page.id_edit.hasFocus()
    qtbot.keyClicks(page.id_edit, id_number)
    qtbot.keyClick(page.id_edit, Qt.Key.Key_Return)
    assert page.phone_edit.hasFocus()
    qtbot.keyClicks(page.phone_edit, phone)
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_Return)
    assert page.checklist.view.hasFocus()
    if mark_all:
        qtbot.keyClick(page.checklist.view, Qt.Key.Key_A, CTRL_SHIFT)
        assert not page.checklist.model.pending()


def row_of(page: CounterPage, code: str) -> int:
    row = page.checklist.model.row_of(code)
    assert row >= 0
    return row


def key_state(qtbot: QtBot, page: CounterPage, code: str, key: Qt.Key) -> None:
    view = page.checklist.view
    view.setCurrentIndex(page.checklist.model.index(row_of(page, code), IntakeMaterialModel.STATE))
    view.setFocus()
    qtbot.keyClick(view, key)


def test_accept_from_the_keyboard_prints_the_receipt(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    window, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    assert page.search_results()[0].name == PERMIT  # pinyin initials: shi gong xu ke
    assert page.selected_item() is not None and page.selected_item().name == PERMIT  # type: ignore[union-attr]
    assert "承诺办结日" in page.item_info.text() and "区住建局" in page.item_info.text()
    enter_applicant(qtbot, page)
    # The known enterprise filled itself in, read-only; the lower-case x was accepted and upper-cased.
    assert page.ent_name_edit.text() == KNOWN_NAME and page.ent_name_edit.isReadOnly()
    assert page.known_enterprise() is not None
    assert page.id_edit.text() == ID_NUMBER
    model = page.checklist.model
    assert {r.state for r in model.rows()} == {"received"}
    assert model.index(row_of(page, "M08"), 0).data().endswith("（非必需）")
    assert page.accept_button.isEnabled() and not page.immediate_button.isEnabled()  # not an immediate item
    assert not page.correction_button.isEnabled()

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)  # 受理
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), view.case_no)
    assert (case.status, case.item_name, case.enterprise_name, case.agent_id_number) == (
        "accepted", PERMIT, KNOWN_NAME, ID_NUMBER)
    assert page.result.case_label.text() == case.case_no and page.result.isVisible()
    assert page.result.pickup_value.text() == view.pickup_code and len(view.pickup_code) == 6
    assert page.result.promised_value.text().startswith(str(case.promised_due))
    assert page.result.notice_kinds() == ["acceptance"]
    assert not page.waiting() and page.wait_text().startswith("用时")
    with hall.uow() as uow:
        audit = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "case.create")).scalar_one()
    assert json.loads(audit.payload)["case_no"] == case.case_no

    # The receipt went to the printer at once; the notice waits for the preview (no A4 printer here).
    [data] = printer.wait_for_jobs(1)
    receipt = decode(data)
    assert case.case_no in receipt.text and PERMIT in receipt.text
    assert receipt.qr_codes == [view.slip] and view.pickup_code in receipt.text
    assert slips.verify(receipt.qr_codes[0], slip_keys.public_keys(hall.uow())).case_no == case.case_no
    jobs = {j.kind: j for j in queue.list_jobs(hall.uow(), case_no=case.case_no)}
    assert jobs["receipt"].status == "printed" and jobs["notice"].status == "pending"
    shown = {page.result.jobs_model.kind_text(j): j.status for j in page.result.jobs()}
    assert shown == {"受理回执": "printed", "受理通知书": "pending"}
    assert window.printer_alarm() == ""  # a notice waiting for the preview is no printer trouble

    # The item is now among the clerk's recent ones, marked so; 今日办件 lists the case.
    assert page.hits_model.index(0, 0).data().startswith("［最近］" + PERMIT)
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_F6)
    settle()
    assert page.tabs.currentIndex() == 1 and page.today_model.rowCount() == 1
    assert page.selected_case() is not None and page.selected_case().case_no == case.case_no  # type: ignore[union-attr]
    assert page.today_model.index(0, 6).data() == f"承诺办结 {case.promised_due}"


def test_tolerated_acceptance_with_a_deadline(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page, uscc=NEW_USCC)
    promised = page.promised_due()
    assert promised is not None
    key_state(qtbot, page, "M01", Qt.Key.Key_4)  # not tolerable: refused, nothing changes
    assert page.checklist.model.rows()[row_of(page, "M01")].state == "received"
    key_state(qtbot, page, "M04", Qt.Key.Key_4)  # 容缺
    assert page.checklist.model.rows()[row_of(page, "M04")].state == "tolerated"
    assert page.checklist.due_row.isVisible()
    assert page.checklist.supplement_due() == promised.date  # by default the promised date, and at most it
    assert page.checklist.due_edit.maximumDate().toPython() == promised.date
    assert page.accept_button.text().startswith("容缺受理") and page.accept_button.isEnabled()
    assert "容缺受理承诺书" in page.outcome_hint_text()

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), view.case_no)
    assert case.status == "accepted" and case.tolerated
    assert (case.enterprise_uscc, case.enterprise_name) == (NEW_USCC, NEW_NAME)  # registered with the case
    assert intake.lookup_enterprise(hall.uow(), NEW_USCC) is not None
    assert [n.kind for n in case.notices] == ["acceptance", "tolerated"]
    assert case.supplement_due == promised.date
    assert case.as_json()["commitments"] == [
        {"material": "M04", "name": "施工图设计文件审查合格书", "due": promised.date.isoformat(), "supplemented_at": None}
    ]
    assert page.result.notice_kinds() == ["acceptance", "tolerated"]
    assert page.result.supplement_value.text().startswith(promised.date.isoformat())


def test_correction_then_resubmission_from_todays_cases(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes, tmp_path: Path
) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    key_state(qtbot, page, "M02", Qt.Key.Key_2)  # 缺少
    key_state(qtbot, page, "M03", Qt.Key.Key_3)  # 有误: the note editor opens at once, on screen
    assert not page.accept_button.isEnabled()
    dialog = page.checklist.note_dialog
    assert isinstance(dialog, MaterialNoteDialog) and dialog.isVisible()
    assert page.checklist.model.rows()[row_of(page, "M03")].material.name in dialog.label.text()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.edit)  # typing goes there
    type_chinese(dialog.edit, "施工合同缺少甲方盖章")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    settle()
    assert page.checklist.note_dialog is None
    assert "“建设工程规划许可证”" in page.outcome_hint_text()
    rows = {r.material.code: r for r in page.checklist.model.rows()}
    assert (rows["M02"].state, rows["M03"].state, rows["M03"].note) == ("missing", "defective", "施工合同缺少甲方盖章")
    assert page.correction_button.isEnabled()

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_B, CTRL)  # 一次性告知补正
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), view.case_no)
    assert case.status == "correction_requested"
    assert [n.kind for n in case.notices] == ["correction"]
    assert {m.code: m.state for m in case.materials}["M03"] == "defective"
    assert case.correction_deadline is not None
    assert page.result.correction_value.text().startswith(case.correction_deadline.isoformat())
    assert page.result.resubmit_button.isEnabled()

    # The applicant comes back: next applicant, 今日办件, the case, 补正后受理.
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_F2)
    qtbot.keyClick(page.item_search, Qt.Key.Key_F6)
    settle()
    assert page.select_case(case.case_no)
    settle()
    assert page.today_model.index(page.today_model.row_of(case.case_no), 6).data() == (
        f"补正告知期限 {case.correction_deadline.isoformat()}")
    qtbot.mouseClick(page.today_summary.resubmit_button, Qt.MouseButton.LeftButton)
    settle()
    dialog = page.dialog
    assert isinstance(dialog, ResubmitDialog)
    prefilled = {r.material.code: r for r in dialog.checklist.model.rows()}
    assert (prefilled["M02"].state, prefilled["M03"].state) == ("missing", "defective")
    assert prefilled["M03"].note == "施工合同缺少甲方盖章" and not dialog.ok_button.isEnabled()
    for code in ("M02", "M03"):
        view_ = dialog.checklist.view
        view_.setCurrentIndex(dialog.checklist.model.index(dialog.checklist.model.row_of(code), 1))
        qtbot.keyClick(view_, Qt.Key.Key_1)  # 已收
    assert dialog.ok_button.isEnabled()
    # The corrected contract's scan goes with it, as at the counter (the dialog's own capture list).
    scan = tmp_path / "施工合同.pdf"
    scan.write_bytes(scanned.pdf(2))
    assert dialog.capture.current_material() == "M03"
    assert dialog.capture.add_paths([scan])
    qtbot.waitUntil(lambda: dialog.capture.pages() == {"M03": 2})
    qtbot.keyClick(dialog.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    assert page.dialog is None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), case.case_no)
    assert case.status == "accepted" and [n.kind for n in case.notices] == ["correction", "acceptance"]
    stored = files.list_files(hall.uow(), log_in(hall, "clerk1"), case.case_no).files
    assert [(f.material_code, f.name, f.pages) for f in stored] == [("M03", "施工合同.pdf", 2)]
    assert {m.code: m.electronic for m in case.materials}["M03"]
    assert page.current_case() is not None and page.result.status_label.text() == "已受理（待审批）"
    assert page.tabs.currentIndex() == 0


def test_refusal_with_a_reason_prints_no_receipt(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    page.phone_edit.setFocus()
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_R, CTRL)  # the outcome keys work from any field
    dialog = page.dialog
    assert isinstance(dialog, RefusalDialog)
    assert dialog.save() is None and "必须写明理由" in dialog.error_label.text()  # no reason yet
    dialog.reason_combo.setCurrentIndex(2)  # 申请事项依法不属于本机关职权范围
    type_chinese(dialog.detail_edit, "请向市行政审批局申请")
    assert dialog.save() is not None
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), view.case_no)
    assert case.status == "refused"
    assert case.refusal_reason == "申请事项依法不属于本机关职权范围：请向市行政审批局申请"
    assert case.refusal_basis.startswith("《中华人民共和国行政许可法》")
    assert [n.kind for n in case.notices] == ["refusal"]
    assert [j.kind for j in queue.list_jobs(hall.uow(), case_no=case.case_no)] == ["notice"]  # no receipt
    assert printer.connections == 0
    assert page.result.reason_value.text() == case.refusal_reason
    assert not page.result.reprint_button.isEnabled()


def test_immediate_item_finished_on_the_spot(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page, "scj001")  # by code, any case
    item = page.selected_item()
    assert item is not None and item.immediate and item.name == "企业设立登记"
    assert "即办件" in page.item_info.text()
    enter_applicant(qtbot, page)
    assert page.immediate_button.isEnabled()
    key_state(qtbot, page, "M02", Qt.Key.Key_2)
    assert not page.immediate_button.isEnabled()  # a required material missing
    key_state(qtbot, page, "M02", Qt.Key.Key_Space)  # cycles on: 缺少 → 有误 (opens the note)
    note = page.checklist.note_dialog
    assert note is not None and note.isVisible()
    qtbot.keyClick(note.edit, Qt.Key.Key_Escape)  # no note after all: back to 缺少
    assert page.checklist.note_dialog is None
    assert page.checklist.model.rows()[row_of(page, "M02")].state == "missing"
    key_state(qtbot, page, "M02", Qt.Key.Key_1)
    assert page.immediate_button.isEnabled()
    page.agent_name_edit.setFocus()
    qtbot.keyClick(page.agent_name_edit, Qt.Key.Key_J, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    assert cases.read_case(hall.uow(), view.case_no).status == "completed_immediately"
    assert page.result.status_label.text() == "即办办结"


def test_invalid_id_number_is_explained_and_nothing_is_stored(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    wrong = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    qtbot.keyClicks(page.id_edit, wrong[:10])
    assert page.id_field.message_text() == "已输入10位，共18位"  # half-typed is not an error yet
    qtbot.keyClicks(page.id_edit, wrong[10:])
    assert "校验码" in page.id_field.message_text()  # live, in Chinese, under the field
    qtbot.keyClicks(page.uscc_edit, KNOWN_USCC[:-1] + "Z")
    qtbot.keyClick(page.uscc_edit, Qt.Key.Key_Return)
    assert page.uscc_edit.hasFocus() and "第18位“Z”" in page.uscc_field.message_text()
    page.uscc_edit.clear()
    type_chinese(page.agent_name_edit, "张伟")
    qtbot.keyClicks(page.phone_edit, PHONE)
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_A, CTRL_SHIFT)  # 其余全部已收, from any field
    before = row_counts(hall)

    assert not page.accept_button.isEnabled() and "身份证号码第18位校验码应为" in page.accept_button.toolTip()
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_Return, CTRL)  # 受理 anyway: the form says what is wrong
    settle()
    assert message_boxes.texts("warning") == []  # no dialog: the problem is under its field and in the summary
    message = page.id_field.message_text()
    assert "身份证号码第18位校验码应为" in message and message in page.problem_summary_text()
    assert page.id_edit.hasFocus()
    assert page.current_case() is None  # the form stays, ready to fix
    assert row_counts(hall) == before

    # F2 on a form that was not decided asks first; then everything is cleared.
    qtbot.keyClick(page.id_edit, Qt.Key.Key_F2)
    assert "尚未办结" in message_boxes.texts("question")[0]
    assert page.id_edit.text() == "" and page.selected_item() is None and page.checklist.model.rowCount() == 0
    assert page.item_search.hasFocus() and page.waiting()


def test_printer_down_then_retry_prints_once(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    window, page = open_counter(hall, qtbot)
    printer.set_mode("refuse")
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None
    receipt = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt")
    assert receipt.status == "pending" and "拒绝" in receipt.last_error
    assert window.statusBar().currentMessage().startswith("打印机错误：")
    assert window.printer_alarm().startswith("打印机异常：") and "拒绝" in window.printer_alarm()
    assert "打印机错误" in page.result_note.text()

    printer.set_mode("ok")
    jobs_page = window.show_page("printqueue")
    assert isinstance(jobs_page, PrintQueuePage)
    settle()
    assert jobs_page.select_job(receipt.id)
    assert jobs_page.model.index(jobs_page.model.row_of(receipt.id), 6).data() == receipt.last_error
    qtbot.mouseClick(jobs_page.retry_button, Qt.MouseButton.LeftButton)
    settle()
    assert queue.get_job(hall.uow(), receipt.id).status == "printed"
    [data] = printer.wait_for_jobs(1)
    assert view.case_no in decode(data).text
    assert window.printer_alarm() == ""
    # A pass of the worker finds nothing more to send: printed exactly once.
    assert window.print_worker is not None and window.print_worker.tick()
    settle()
    assert len(printer.jobs) == 1 and message_boxes.shown == []


def test_print_worker_sends_due_jobs_and_clears_the_alarm(
    hall: HallDesk, admin: Actor, qtbot: QtBot, printer: FakePrinter
) -> None:
    point_counter_at(hall, printer.uri)
    window, page = open_counter(hall, qtbot)
    clerk = log_in(hall, "clerk1")
    printer.set_mode("refuse")
    view = intake.take_application(hall.uow(), clerk, request(item_with_tolerable(hall)))
    worker = window.print_worker
    assert worker is not None
    assert worker.tick()
    assert not worker.tick()  # one pass at a time
    settle()
    assert window.printer_alarm().startswith("打印机异常：")
    printer.set_mode("ok")
    receipt = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt")
    queue.retry_job(hall.uow(), clerk, receipt.id)  # due now, instead of after the back-off
    assert worker.tick()
    settle()
    assert queue.get_job(hall.uow(), receipt.id).status == "printed" and len(printer.wait_for_jobs(1)) == 1
    assert window.printer_alarm() == ""
    assert page.is_loaded()


def test_reprint_receipt_with_a_reason(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    printer.wait_for_jobs(1)
    assert page.result.reprint_button.text() == "补打回执(&P)"
    qtbot.mouseClick(page.result.reprint_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ReprintReasonDialog)
    assert dialog.save() is None  # a reprint needs a reason
    line_edit = dialog.reason_combo.lineEdit()
    assert line_edit is not None
    type_chinese(line_edit, "回执遗失")
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)
    settle()
    first, second = printer.wait_for_jobs(2)
    assert decode(second).text.count("补打") > decode(first).text.count("补打")  # the 补打 banner
    view = page.current_case()
    assert view is not None
    reprints = [j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.reprint]
    assert len(reprints) == 1 and reprints[0].reason == "回执遗失" and reprints[0].status == "printed"
    assert "受理回执（补打）" in {page.result.jobs_model.kind_text(j) for j in page.result.jobs()}
    assert message_boxes.shown == []
