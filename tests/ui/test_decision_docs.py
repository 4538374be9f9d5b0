"""Issue 14 in the GUI: the hall's 复议机关 and 诉讼法院, the department's 决定书编号前缀 and 审批专用章 rule, the
decision document in the reviewer's preview and printed at the output window."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pypdf
from pytestqt.qtbot import QtBot

from app import backoffice, catalog, claims, decisions, hall_settings, intake
from app.auth import Actor
from app.cases import read_case
from app.context import HallDesk
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, request
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import replace_text, settle
from tests.ui.test_output import open_output, scan
from ui.admin.hall_settings import HallSettingsPage
from ui.chief.page import ChiefRepPage
from ui.printing.preview import NoticePreviewDialog

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)


def text_of(path: Path) -> str:
    return "".join("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages).split())


def test_admin_sets_the_review_authority_and_court(hall: HallDesk, admin: Actor, qtbot: QtBot,
                                                   message_boxes: MessageBoxes) -> None:
    hall_settings.save_hall_settings(hall.uow(), admin, replace(hall_settings.get_hall_settings(hall.uow()),
                                                               doc_prefix="新建经开"))
    page = HallSettingsPage(hall, admin)
    qtbot.addWidget(page)
    page.show()
    page.load()
    settle()
    assert page.review_authority_edit.text() == "南昌市新建区人民政府"
    assert page.court_edit.text() == "南昌市新建区人民法院"
    replace_text(page.review_authority_edit, "南昌市人民政府")
    replace_text(page.court_edit, "南昌铁路运输法院")
    page.save()
    settle()
    assert message_boxes.shown == []
    stored = hall_settings.get_hall_settings(hall.uow())
    assert (stored.review_authority, stored.court) == ("南昌市人民政府", "南昌铁路运输法院")
    assert stored.doc_prefix == "新建经开"  # a setting the page does not show is kept


def test_chief_sets_the_prefix_and_the_seal_rule(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    chief = ChiefRepPage(hall, log_in(hall, "chief_scj"))
    qtbot.addWidget(chief)
    chief.resize(1280, 760)
    chief.show()
    chief.refresh()
    settle()
    assert chief.doc_prefix_edit.text() == "" and not chief.licence_seal_check.isChecked()  # the test template's
    replace_text(chief.doc_prefix_edit, "新建市监")
    chief.licence_seal_check.setChecked(True)
    chief.save()
    settle()
    stored = backoffice.get_dept_settings(hall.uow(), "SCJ")
    assert (stored.doc_prefix, stored.licence_seal) == ("新建市监", True)
    replace_text(chief.doc_prefix_edit, "新建（市监）")
    chief.save()
    settle()
    assert "决定书编号前缀" in chief.dept_settings.error_label.text()
    assert backoffice.get_dept_settings(hall.uow(), "SCJ").doc_prefix == "新建市监"
    assert message_boxes.shown == []


def test_output_window_prints_the_decision_with_the_handover(hall: HallDesk, qtbot: QtBot, tmp_path: Path,
                                                             message_boxes: MessageBoxes) -> None:
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    taken = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    rev = log_in(hall, "rev_scj")
    claim = claims.claim(hall.uow(), rev, taken.case_no)
    decisions.decide(hall.uow(), rev, taken.case_no, "deny", token=claim.token, reason="不符合法定条件",
                      legal_basis="《中华人民共和国行政许可法》第三十八条第二款")
    decision = read_case(hall.uow(), taken.case_no).decision
    assert decision is not None and decision.doc_no
    window, page = open_output(hall, qtbot)
    assert not page.decision_button.isEnabled()
    scan(qtbot, page, taken.slip)
    qtbot.waitUntil(lambda: page.current_pickup() is not None, timeout=10000)
    assert f"不予行政许可决定书（{decision.doc_no}）" in page.case_info.text()  # 交付材料, by number
    assert page.decision_button.isEnabled()
    page.decision_button.click()
    qtbot.waitUntil(lambda: isinstance(page.decision_preview, NoticePreviewDialog), timeout=10000)
    preview = page.decision_preview
    assert isinstance(preview, NoticePreviewDialog) and decision.doc_no in preview.windowTitle()
    target = tmp_path / "决定书.pdf"
    assert preview.save_pdf(str(target))
    text = text_of(target)
    assert "不予行政许可决定书" in text and decision.doc_no in text and "六十日" in text and "六个月" in text
    preview.close()
    # After the hand-over the decision can still be printed for the applicant; the next applicant clears it.
    page.issue_button.click()
    qtbot.waitUntil(lambda: page.issued_result() is not None, timeout=10000)
    settle()
    assert page.decision_button.isEnabled()
    page.next_applicant()
    assert not page.decision_button.isEnabled()
    assert message_boxes.texts("critical") == [] and message_boxes.texts("warning") == []
    window.close()


def test_reviewer_sees_the_decision_document_after_deciding(hall: HallDesk, qtbot: QtBot,
                                                           message_boxes: MessageBoxes) -> None:
    from tests.ui.test_backoffice import _accept_cases, _claim_next, _page

    _accept_cases(hall, 1)
    page = _page(hall, qtbot)
    case_no = _claim_next(page)
    dialog = page.open_decision()
    assert dialog is not None
    # The decision as the dialog saves it (its own form is another test's), then its ``decided`` signal.
    view = decisions.decide(hall.uow(), log_in(hall, "rev_scj"), case_no, "approve",
                             token=page.claim.token if page.claim else None, reason="符合条件")
    dialog.decided.emit(view)
    dialog.reject()
    qtbot.waitUntil(lambda: page.preview is not None and page.preview.page_count() >= 1, timeout=10000)
    assert view.decision is not None and view.decision.doc_no
    assert page.preview is not None and view.decision.doc_no in page.preview.windowTitle()
    page.preview.close()
    settle()
    assert message_boxes.texts("critical") == []
