"""The reviewer's viewer (ui/viewer.py) on the real widgets: the held case's 查看电子件, paging, zoom, fit width,
rotation, who may open (the refusal in Chinese), export with a reason, the output window's hand-over check, and
查看留痕.  One engine: the widgets do not depend on it (tests/test_files.py covers the storage on all three)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import catalog, claims, decisions, files, intake
from app.cases import CaseView
from app.context import HallDesk
from db.models import AuditEvent
from tests.conftest import log_in
from tests.intake_support import request
from tests.support import scanned
from tests.ui.helpers import settle
from tests.ui.test_input_limits_walk import unlimited_inputs
from ui.backoffice.page import BackOfficePage
from ui.output.page import OutputPage
from ui.viewer import NOT_UPLOADED, FilesWindow, FileViewer, open_case_files

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def _case_with_files(hall: HallDesk) -> tuple[CaseView, bytes]:
    """An SCJ case taken at counter 1 with a 3-page PDF and a text scan for one material, a 1-page PDF for
    another; returns the case and the 3-page PDF's bytes."""
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ")
                if not i.immediate and sum(1 for m in i.materials if not m.covered_by) >= 2)
    first, second = [m.code for m in item.materials if not m.covered_by][:2]
    three = scanned.pdf(3)
    inputs = (files.prepare(first, "营业执照.pdf", three), files.prepare(first, "副本.png", scanned.text_scan()),
              files.prepare(second, "身份证.pdf", scanned.pdf(1)))
    case = intake.take_application(hall.uow(), log_in(hall, "clerk1"), replace(request(item), files=inputs))
    return case, three


def _audits(hall: HallDesk, action: str) -> list[tuple[str, dict[str, str]]]:
    with hall.uow() as uow:
        return [(actor, json.loads(payload)) for actor, payload in uow.session.execute(
            select(AuditEvent.actor, AuditEvent.payload).where(AuditEvent.action == action)
            .order_by(AuditEvent.at))]


def _position(viewer: FileViewer) -> str:
    return viewer.position_label.text()


def test_a_reviewer_reads_every_page_zooms_rotates_and_exports_with_a_reason(
        hall: HallDesk, qtbot: QtBot, tmp_path: Path) -> None:
    case, three = _case_with_files(hall)
    page = BackOfficePage(hall, log_in(hall, "rev_scj"))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    settle()
    assert not page.details.files_button.isEnabled()  # no case in hand yet
    page.claim_next_button.click()
    settle()
    assert page.claim is not None and page.claim.case.case_no == case.case_no
    # Tab reaches 查看电子件 from the materials' table (it sits under the tabs), Alt+Y names it.
    page.activateWindow()
    page.details.material_view.setFocus()
    qtbot.keyClick(page.details.material_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.details.files_button, QApplication.focusWidget().text()
    assert page.details.files_button.isEnabled() and "(&Y)" in page.details.files_button.text()
    window = page.details.view_files()
    assert isinstance(window, FilesWindow)
    viewer = window.viewer
    settle()
    # The list: materials with their files and pages; the first page of the first file on screen.
    items = viewer.file_items()
    assert [i.text(0) for i in items.values()] == ["营业执照.pdf（3页）", "副本.png（1页）", "身份证.pdf（1页）"]
    assert viewer.listing is not None and viewer.listing.allowed
    fitted = viewer.pixmap_size()
    assert fitted[0] > 0 and "第 1 / 3 页" in _position(viewer) and "适合宽度" in _position(viewer)
    # Fitted to the page area's width.
    assert abs(fitted[0] - (viewer.page_area.viewport().width() - 32)) <= 2

    # PgDn from the list (the keys work wherever the focus is in the window), PgUp back, the buttons too.
    window.activateWindow()
    viewer.tree.setFocus()
    with qtbot.waitSignal(viewer.page_shown):
        qtbot.keyClick(viewer.tree, Qt.Key.Key_PageDown)
    assert "第 2 / 3 页" in _position(viewer)
    with qtbot.waitSignal(viewer.page_shown):
        qtbot.keyClick(viewer.tree, Qt.Key.Key_PageUp)
    assert "第 1 / 3 页" in _position(viewer) and not viewer.prev_button.isEnabled()
    with qtbot.waitSignal(viewer.page_shown):
        viewer.next_button.click()
    assert "第 2 / 3 页" in _position(viewer)
    viewer.zoom_in_button.click()
    settle()
    bigger = viewer.pixmap_size()
    assert bigger[0] > fitted[0] and viewer.zoom is not None
    viewer.zoom_out_button.click()
    viewer.zoom_out_button.click()
    settle()
    assert viewer.pixmap_size()[0] < bigger[0]
    viewer.fit_button.click()
    settle()
    assert viewer.pixmap_size() == fitted
    viewer.zoom_out_button.click()  # at a fixed zoom the rotation turns the same image
    settle()
    upright = viewer.pixmap_size()
    viewer.rotate_button.click()
    settle()
    assert viewer.pixmap_size() == (upright[1], upright[0])
    # Paging goes on into the next file at a file's end, and back.
    viewer.next_button.click()
    settle()
    assert "第 3 / 3 页" in _position(viewer)
    viewer.next_button.click()
    settle()
    assert "副本.png" in _position(viewer) and "第 1 / 1 页" in _position(viewer)
    viewer.prev_button.click()
    settle()
    assert "营业执照.pdf" in _position(viewer) and "第 3 / 3 页" in _position(viewer)
    # Each file was opened once (the PDF stays open while the window is): 查看留痕.
    opened = _audits(hall, "case.file.open")
    assert [(actor, p["case_no"]) for actor, p in opened] == [("rev_scj", case.case_no)] * 2

    # Export: the reason is required (nothing written without one), then the bytes exactly as stored.
    viewer.show_file(next(iter(items)))
    settle()
    dialog = viewer.export()
    assert dialog is not None  # it deletes itself when closed
    assert unlimited_inputs(dialog) == []
    assert dialog.reason_edit.maxLength() == 255
    target = tmp_path / "营业执照.pdf"
    dialog.path_edit.setText(str(target))
    dialog.ok_button.click()
    settle()
    assert "导出原因" in dialog.error_label.text() and not target.exists() and dialog.isVisible()
    dialog.reason_edit.setText("报送上级机关复核")
    with qtbot.waitSignal(dialog.exported):
        dialog.ok_button.click()
    settle()
    assert target.read_bytes() == three and viewer.export_dialog is None
    assert [(actor, p["reason"]) for actor, p in _audits(hall, "case.file.export")] == [
        ("rev_scj", "报送上级机关复核")]
    window.close()
    settle()
    assert viewer.docs == {}


def test_another_departments_reviewer_is_refused_in_chinese_and_opens_nothing(hall: HallDesk, qtbot: QtBot) -> None:
    case, _three = _case_with_files(hall)
    other = next(d.code for d in catalog.list_departments(hall.uow()) if d.code != "SCJ")
    host = QWidget()
    qtbot.addWidget(host)
    window = open_case_files(host, hall, log_in(hall, f"rev_{other.lower()}"), case.case_no)
    settle()
    viewer = window.viewer
    assert viewer.listing is not None and not viewer.listing.allowed
    assert viewer.page_view.text() == "电子件只能由承办部门的审批人员和首席代表查看"
    assert viewer.pixmap_size() == (0, 0) and viewer.current is None
    assert not viewer.export_button.isEnabled() and not viewer.next_button.isEnabled()
    viewer.show_file(next(iter(viewer.file_items())))  # even asked directly, nothing opens
    settle()
    assert viewer.pixmap_size() == (0, 0) and _audits(hall, "case.file.open") == []
    window.close()


def test_the_output_window_views_the_files_for_the_hand_over_and_a_missing_upload_says_so(
        hall: HallDesk, qtbot: QtBot) -> None:
    case, _three = _case_with_files(hall)
    reviewer = log_in(hall, "rev_scj")
    claims.claim(hall.uow(), reviewer, case.case_no)
    decisions.decide(hall.uow(), reviewer, case.case_no, "approve", reason="符合条件", legal_basis="")
    page = OutputPage(hall, log_in(hall, "clerk3"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle()
    assert not page.files_button.isEnabled()
    page.case_no_edit.setText(case.case_no)
    page.code_edit.setText(case.pickup_code or "")
    page.find_by_code()
    settle()
    assert page.current_pickup() is not None and page.files_button.isEnabled()
    window = page.view_files()
    assert window is not None
    settle()
    assert window.viewer.pixmap_size()[0] > 0
    assert [actor for actor, _ in _audits(hall, "case.file.open")] == ["clerk3"]
    assert page.view_files() is window  # one window per case
    # A file an offline counter has not uploaded yet is listed as such and cannot be opened.
    listing = window.viewer.listing
    assert listing is not None
    missing = replace(listing, files=tuple(replace(f, available=False) for f in listing.files))
    window.viewer._listed(missing)
    assert all(NOT_UPLOADED in i.text(0) for i in window.viewer.file_items().values())
    assert NOT_UPLOADED in window.viewer.page_view.text()
    window.close()
