"""The counter certifies only what it saw, and no single keystroke decides a case (issue 14, item 6).

On the real widgets: the counter's checklist starts 待核验 and Ctrl+Enter at once is refused naming the
material; Ctrl+Shift+A (其余全部已收) then Ctrl+Enter accepts and the audit row says the key was used; an optional
material not handed in is printed 未提交 on the receipt (decoded ESC/POS) and the notice (PDF text).  The decision
dialog preselects nothing, Enter alone saves nothing, and saving goes through a one-line summary whose default
answer is 否.  On SQLite only: tests/test_intake_materials.py checks the services on every engine.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import cases
from app.context import HallDesk
from app.printing import desk
from db.models import AuditEvent
from tests.conftest import log_in, sqlite_only
from tests.intake_support import row_counts
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.test_escpos import material_blocks
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle, type_chinese
from tests.ui.test_backoffice import _accept_cases, _claim_next, _page
from tests.ui.test_counter import (
    CTRL,
    CTRL_SHIFT,
    enter_applicant,
    key_state,
    open_counter,
    point_counter_at,
    row_of,
    start_applicant,
)
from ui.backoffice.decision import DecisionDialog
from ui.counter.models import IntakeMaterialModel

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

APPLICATION_FORM = "建筑工程施工许可证申请表"  # ZJJ001 M01, required
PROXY = "授权委托书及受托人身份证"  # ZJJ001 M08, optional


def _marked_all(hall: HallDesk, case_no: str) -> bool:
    with hall.uow() as uow:
        payloads = [json.loads(p) for p in uow.session.execute(
            select(AuditEvent.payload).where(AuditEvent.action == "case.create")).scalars()]
    return bool(next(p for p in payloads if p["case_no"] == case_no)["marked_all"])


def test_ctrl_enter_at_once_is_refused_naming_the_material(
    hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes
) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page, mark_all=False)
    model = page.checklist.model
    assert {r.state for r in model.rows()} == {"pending"}
    assert model.index(row_of(page, "M01"), IntakeMaterialModel.STATE).data() == "待核验"
    assert not page.accept_button.isEnabled() and page.checklist.mark_all_button.isEnabled()
    model.set_state(row_of(page, "M01"), "received")  # the cursor goes to the first one still unchecked
    before = row_counts(hall)

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)  # 受理 at once
    settle()
    assert page.current_case() is None and row_counts(hall) == before and message_boxes.shown == []
    hint = page.outcome_hint_text()
    assert "必需材料“建设工程规划许可证”、“中标通知书及施工合同”" in hint and "尚未核验" in hint
    assert APPLICATION_FORM not in hint and PROXY not in hint  # checked, and optional
    assert page.checklist.current_row() == row_of(page, "M02") and page.checklist.view.hasFocus()
    assert "尚未核验" in page.accept_button.toolTip()


def test_mark_all_key_then_accept_is_audited(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page, mark_all=False)
    assert "Ctrl+Shift+A" in page.outcome_hint_text()
    page.phone_edit.setFocus()
    qtbot.keyClick(page.phone_edit, Qt.Key.Key_A, CTRL_SHIFT)  # 其余全部已收, from any field of the page
    model = page.checklist.model
    assert {r.state for r in model.rows()} == {"received"}
    assert page.checklist.marked_all() and not page.checklist.mark_all_button.isEnabled()
    assert page.accept_button.isEnabled()

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    assert cases.read_case(hall.uow(), view.case_no).status == "accepted"
    assert _marked_all(hall, view.case_no)

    # The next applicant starts again from 待核验, and the flag with it.
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_F2)
    start_applicant(qtbot, page)
    assert not page.checklist.marked_all() and {r.state for r in model.rows()} == {"pending"}


def test_an_optional_material_not_handed_in_prints_as_not_submitted(
    hall: HallDesk, qtbot: QtBot, printer: FakePrinter, message_boxes: MessageBoxes
) -> None:
    point_counter_at(hall, printer.uri)
    _, page = open_counter(hall, qtbot)
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page, mark_all=False)
    model = page.checklist.model
    for r in model.rows():
        if r.material.required:
            key_state(qtbot, page, r.material.code, Qt.Key.Key_1)  # 已收, one by one
    assert page.accept_button.isEnabled()
    assert f"非必需材料“{PROXY}”未核验，将记为未提交" in page.outcome_hint_text()
    key_state(qtbot, page, "M08", Qt.Key.Key_2)  # 2 on an optional material: 未提交 (缺少 is for required ones)
    assert model.rows()[row_of(page, "M08")].state == "not_submitted"
    assert model.index(row_of(page, "M08"), IntakeMaterialModel.STATE).data() == "未提交"

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    case = cases.read_case(hall.uow(), view.case_no)
    assert {m.code: m.state for m in case.materials}["M08"] == "not_submitted"
    assert not _marked_all(hall, case.case_no)

    [data] = printer.wait_for_jobs(1)
    receipt = decode(data)
    blocks = {"".join(b)[:len(m.name)]: "".join(b)[len(m.name):]
              for b, m in zip(material_blocks(receipt, indent=3), case.materials, strict=True)}
    assert blocks[PROXY] == "未提交"
    assert all(state.startswith("已收") for name, state in blocks.items() if name != PROXY)

    pdf = desk.notice_pdf(hall.uow(), log_in(hall, "clerk1"), case.case_no, "acceptance")
    lines = [line.strip() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages for line in p.extract_text().splitlines()]
    assert lines[lines.index(PROXY) + 3] == "未提交"  # name, 原件, 复印件, 收取情况
    assert lines[lines.index(APPLICATION_FORM) + 3] == "已收取"


def test_decision_dialog_enter_alone_saves_nothing(hall: HallDesk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                                  message_boxes: MessageBoxes) -> None:
    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)
    asked: list[tuple[str, Any]] = []
    answer: dict[str, Any] = {"with": None}

    def question(parent: Any, title: str, text: str, buttons: Any, default: Any) -> Any:
        asked.append((text, default))
        return default if answer["with"] is None else answer["with"]  # None: Enter on the box takes its default

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = page.open_decision()
    assert isinstance(dialog, DecisionDialog)
    assert dialog.decision() == "" and not any(b.isChecked() for b in dialog.radios.values())
    assert not dialog.seal_check.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter alone
    assert dialog.isVisible() and "请选择决定" in dialog.error_label.text() and asked == []
    qtbot.keyClick(dialog.radios["approve"], Qt.Key.Key_Space)  # 准予, from the keyboard
    assert dialog.decision() == "approve"
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert "须写明理由" in dialog.error_label.text() and asked == []
    type_chinese(dialog.reason_edit, "材料齐全，符合法定条件")
    dialog.radios["approve"].setFocus()

    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # the summary comes up; Enter there answers 否
    assert page.claim is not None
    summary = f"事项：{page.claim.case.item_name}（{case_no}）；决定：准予许可；加盖审批专用章：否。确定保存此决定？"
    assert asked == [(summary, QMessageBox.StandardButton.No)]
    assert dialog.isVisible() and cases.read_case(hall.uow(), case_no).status == "in_review"

    answer["with"] = QMessageBox.StandardButton.Yes
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    settle()
    assert len(asked) == 2 and page.dialog is None
    assert cases.read_case(hall.uow(), case_no).status == "approved"
    assert message_boxes.shown == []


def test_decision_dialog_ticks_the_required_seal_and_lists_materials_to_supply(
        hall: HallDesk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, message_boxes: MessageBoxes) -> None:
    """A department whose 行政许可 decisions must bear the 审批专用章: the dialog ticks it and refuses a decision
    without it, as the service does; a 退回补正 lists the ticked materials on its 补正通知书."""
    from dataclasses import replace

    from app import backoffice, catalog, intake
    from tests.intake_support import all_received, request

    chief = log_in(hall, "chief_scj")
    backoffice.save_dept_settings(hall.uow(), chief, "SCJ",
                                  replace(backoffice.get_dept_settings(hall.uow(), "SCJ"), licence_seal=True))
    item = catalog.get_item(hall.uow(), "SCJ005")  # 食品经营许可 (行政许可)
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    page = _page(hall, qtbot)
    assert _claim_next(page) == taken.case_no and page.claim is not None and page.claim.seal_required
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    dialog = page.open_decision()
    assert isinstance(dialog, DecisionDialog)
    assert not dialog.supply_list.isEnabled() and not dialog.seal_check.isChecked()
    dialog.choose("approve")
    assert dialog.seal_check.isChecked() and "须加盖审批专用章" in dialog.hint.text()
    dialog.seal_check.setChecked(False)
    type_chinese(dialog.reason_edit, "符合法定条件")
    assert not dialog.save() and "须加盖审批专用章" in dialog.error_label.text()
    assert cases.read_case(hall.uow(), taken.case_no).status == "in_review"

    dialog.choose("return")
    assert not dialog.seal_check.isChecked() and not dialog.seal_check.isEnabled()
    assert dialog.supply_list.isEnabled() and dialog.supply_list.count() == len(item.materials)
    first = dialog.supply_list.item(0)
    dialog.supply_list.setCurrentItem(first)
    qtbot.keyClick(dialog.supply_list, Qt.Key.Key_Space)  # ticked from the keyboard
    assert dialog.supply() == (item.materials[0].code,) and "补正材料1项" in dialog.summary()
    assert dialog.save()
    settle()
    view = cases.read_case(hall.uow(), taken.case_no)
    assert view.status == "returned"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        desk.notice_pdf(hall.uow(), chief, taken.case_no, "return"))).pages)
    assert item.materials[0].name in text.replace("\n", "")
    assert message_boxes.shown == []
