"""电子件 captured at the real counter (issue 16): files by the dialog's function and by a drop, page operations,
refusals with the Chinese message, the scan folder tray and its key, the 高拍仪 button; 受理 stores the files.

The engine does not matter here (storage is tested in tests/test_files.py on all three): SQLite only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app import files
from app.context import HallDesk
from tests.conftest import log_in
from tests.support import scanned
from tests.support.escpos_decode import decode
from tests.support.fake_printer import FakePrinter
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_counter import (
    CTRL,
    CTRL_SHIFT,
    enter_applicant,
    key_state,
    open_counter,
    point_counter_at,
    start_applicant,
)
from ui.admin.hall_settings import HallSettingsPage
from ui.counter.camera import NO_CAMERA, camera_names
from ui.counter.capture import CapturePanel
from ui.counter.models import IntakeMaterialModel
from ui.counter.page import CounterPage
from ui.counter.scan_tray import SCAN_FOLDER_KEY, USED_FOLDER
from ui.multimedia import NO_CAMERA_PART, camera_part_installed

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def pc_settings(tmp_path: Path) -> Iterator[QSettings]:
    """This PC's settings in a temporary INI file, with a scan folder."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    settings = QSettings()
    settings.clear()
    (tmp_path / "scans").mkdir()
    settings.setValue(SCAN_FOLDER_KEY, str(tmp_path / "scans"))
    settings.sync()
    yield settings
    settings.clear()
    settings.sync()
    QSettings.setDefaultFormat(QSettings.Format.NativeFormat)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def select_material(page: CounterPage, code: str) -> CapturePanel:
    model = page.checklist.model
    page.checklist.view.setCurrentIndex(model.index(model.row_of(code), IntakeMaterialModel.STATE))
    assert page.capture.current_material() == code
    return page.capture


def pages_shown(page: CounterPage, code: str) -> str:
    model = page.checklist.model
    return str(model.index(model.row_of(code), IntakeMaterialModel.ELECTRONIC).data())


def drop(page: CounterPage, code: str, path: Path) -> None:
    """Files dragged from the desktop and dropped on a material's row of the checklist."""
    view, model = page.checklist.view, page.checklist.model
    rect = view.visualRect(model.index(model.row_of(code), IntakeMaterialModel.NAME))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(rect.center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)  # Qt delivers the drop only where the drag was let in
    assert enter.isAccepted()
    event = QDropEvent(QPointF(rect.center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)
    assert event.isAccepted()


def test_capture_page_operations_and_acceptance(hall: HallDesk, qtbot: QtBot, tmp_path: Path,
                                                 printer: FakePrinter, message_boxes: MessageBoxes) -> None:
    files.save_limits(hall.uow(), log_in(hall, "admin"), files.FileLimits(max_file_mb=1, max_case_mb=2))
    point_counter_at(hall, printer.uri)
    _, page = open_counter(hall, qtbot)
    assert page.capture.limits().max_file_mb == 1  # the hall's limits, fetched in the background
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page, mark_all=False)
    capture = select_material(page, "M01")
    document = write(tmp_path / "营业执照.pdf", scanned.pdf(3))
    photo = write(tmp_path / "photo.jpg", scanned.photo(400, 300))

    # A material not marked 已收 or 有误 takes no file: the files module's rule, nothing added.
    assert capture.add_paths([document])
    settle()
    assert capture.captured() == [] and "没有标为已收或有误" in capture.message.full_text()
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_A, CTRL_SHIFT)  # 其余全部已收

    assert capture.add_paths([document, photo])  # what the 添加扫描件… dialog hands over
    settle()
    assert [c.file.name for c in capture.captured()] == ["营业执照.pdf", "photo.jpg"]
    assert [c.file.file.kind for c in capture.captured()] == ["pdf", "jpeg"]
    assert capture.list.count() == 2 and not capture.list.item(0).icon().isNull()
    assert pages_shown(page, "M01") == "4页" and "已添加2个文件" in capture.message.full_text()

    # A renamed program, and a file over the hall's per-file limit: refused by content, nothing added.
    assert capture.add_paths([write(tmp_path / "扫描.pdf", scanned.RENAMED_EXE)])
    settle()
    assert "不是 PDF、JPEG、PNG 或 TIFF" in capture.message.full_text() and len(capture.captured()) == 2
    assert capture.add_paths([write(tmp_path / "big.pdf", scanned.pdf(2, scan_px=900))])
    settle()
    assert "超过每个文件1.0 MB的上限" in capture.message.full_text() and len(capture.captured()) == 2

    # A material with files marked 缺少 afterwards: no outcome takes the files, by the same rule (补正 would
    # be possible otherwise), until it is 已收 again.
    key_state(qtbot, page, "M01", Qt.Key.Key_2)
    assert not page.correction_button.isEnabled() and "没有标为已收或有误" in page.correction_button.toolTip()
    key_state(qtbot, page, "M01", Qt.Key.Key_1)
    assert page.accept_button.isEnabled()

    # Dropped on the row of M02: that material's file, whatever is selected.
    drop(page, "M02", write(tmp_path / "scan.png", scanned.text_scan(600, 800)))
    settle()
    assert pages_shown(page, "M02") == "1页" and capture.current_material() == "M01"
    assert [c.file.file.kind for c in capture.captured("M02")] == ["png"]

    # Page operations: the photo first, turned a quarter; the PDF split into its pages, one of them removed.
    capture.list.setCurrentRow(1)
    assert capture.move_file(-1) and [c.file.name for c in capture.captured()] == ["photo.jpg", "营业执照.pdf"]
    capture.list.setCurrentRow(0)
    assert capture.rotate()
    settle()
    turned = capture.captured()[0].file.file
    assert (turned.kind, turned.width, turned.height) == ("jpeg", 300, 400)
    capture.list.setCurrentRow(1)
    assert capture.split_button.isEnabled() and capture.split()
    settle()
    assert [c.file.name for c in capture.captured()] == ["photo.jpg", "营业执照-1.pdf", "营业执照-2.pdf",
                                                         "营业执照-3.pdf"]
    capture.list.setCurrentRow(2)
    assert capture.remove() and pages_shown(page, "M01") == "3页"

    # 受理: the case and its files in one unit; the receipt marks the materials with an electronic copy.
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_Return, CTRL)
    settle()
    view = page.current_case()
    assert view is not None and message_boxes.shown == []
    stored = files.list_files(hall.uow(), log_in(hall, "clerk1"), view.case_no)
    assert [(f.material_code, f.name, f.pages) for f in stored.files] == [
        ("M01", "photo.jpg", 1), ("M01", "营业执照-1.pdf", 1), ("M01", "营业执照-3.pdf", 1), ("M02", "scan.png", 1)]
    [data] = printer.wait_for_jobs(1)
    assert "电子件" in decode(data).text
    qtbot.keyClick(page.next_button, Qt.Key.Key_F2)
    assert page.capture.files() == () and page.capture.list.count() == 0


def test_scan_folder_tray_and_camera(hall: HallDesk, qtbot: QtBot, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, page = open_counter(hall, qtbot)
    capture = page.capture
    folder = tmp_path / "scans"
    assert capture.tray.folder() == folder
    start_applicant(qtbot, page)
    enter_applicant(qtbot, page)
    select_material(page, "M03")

    # The scanner writes for a while: the file joins the tray once its size stays the same.
    data = scanned.pdf(2)
    scan = folder / "scan0001.pdf"
    scan.write_bytes(data[: len(data) // 2])
    with scan.open("ab") as fh:
        fh.write(data[len(data) // 2:])
    write(folder / "scan0002.pdf", scanned.RENAMED_EXE)
    qtbot.waitUntil(lambda: len(capture.tray.files()) == 2, timeout=10_000)
    assert capture.tray.files()[0].name == "scan0001.pdf"  # oldest first

    # E on a material: the 添加扫描件 dialog (here its answer, without a native dialog).
    chosen = write(tmp_path / "id.png", scanned.text_scan(300, 400))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args: ([str(chosen)], ""))
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_E)
    settle()
    assert [c.file.name for c in capture.captured()] == ["id.png"]
    capture.list.setCurrentRow(0)
    assert capture.remove() and pages_shown(page, "M03") == ""

    qtbot.keyClick(page.checklist.view, Qt.Key.Key_S, CTRL_SHIFT)  # the tray key: oldest file to M03
    settle()
    assert [c.file.name for c in capture.captured()] == ["scan0001.pdf"] and pages_shown(page, "M03") == "2页"
    assert not scan.exists() and (folder / USED_FOLDER / "scan0001.pdf").read_bytes() == data  # kept, in 已用
    qtbot.keyClick(page.checklist.view, Qt.Key.Key_S, CTRL_SHIFT)  # a renamed program: refused, left in place
    settle()
    assert "不是 PDF" in capture.message.full_text() and (folder / "scan0002.pdf").exists()
    assert capture.tray.files() == [] and "未采用" in capture.tray.list.item(0).text()
    assert len(capture.captured()) == 1

    # No 高拍仪 on this PC: 拍照 is disabled and says why.  A photo as the dialog hands it over becomes a JPEG.
    if camera_names():
        pytest.skip("this PC has a camera")
    assert not capture.camera_button.isEnabled() and capture.camera_button.toolTip() == NO_CAMERA
    assert capture.open_camera() is None
    image = QImage(1200, 900, QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    for x in range(0, 1200, 7):  # enough detail to be a photo
        image.setPixelColor(x, (x * 13) % 900, QColor(x % 256, (x * 3) % 256, (x * 5) % 256))
    assert capture.add_camera_image(image)
    settle()
    assert [c.file.file.kind for c in capture.captured()][-1] in ("jpeg", "png")
    assert capture.captured()[-1].file.name.startswith("高拍仪") and pages_shown(page, "M03") == "3页"

    # The same materials filled in again keep their files; another item's materials start without.
    page.checklist.set_rows(page.checklist.model.rows(), page.promised_due())
    assert pages_shown(page, "M03") == "3页" and len(capture.files()) == 2
    page.checklist.set_rows([replace(r, material=replace(r.material, name="其他材料")) for r in page.checklist.model.rows()])
    assert capture.files() == () and pages_shown(page, "M03") == ""

    # 扫描文件夹 is this PC's setting, in the counter's 设置 menu.
    other = tmp_path / "other"
    other.mkdir()
    dialog = capture.open_folder_settings()
    assert dialog.folder_edit.text() == str(folder)
    dialog.folder_edit.setText(str(other))
    assert dialog.save() and QSettings().value(SCAN_FOLDER_KEY) == str(other) and capture.tray.folder() == other


def test_without_the_camera_part_photo_says_what_to_install(hall: HallDesk, qtbot: QtBot,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen Linux build without HallDesk-camera (freeze/parts.py): Qt Multimedia cannot be imported."""
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # what a missing module does to an import
    assert not camera_part_installed()
    _, page = open_counter(hall, qtbot)
    capture = page.capture
    assert capture.check_camera() is False
    assert not capture.camera_button.isEnabled() and capture.camera_button.toolTip() == NO_CAMERA_PART
    assert capture.open_camera() is None and capture.camera_dialog is None


def test_file_limits_in_the_hall_settings(hall: HallDesk, qtbot: QtBot, message_boxes: MessageBoxes) -> None:
    page = HallSettingsPage(hall, log_in(hall, "admin"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle()
    limits = page.files_page
    assert limits.form_settings() == files.FileLimits() and page.unsaved_work() == ""
    limits.case_spin.setValue(10)  # below the per-file limit: the rule's own message, nothing stored
    assert page.unsaved_work() == "电子件设置有未保存的修改"
    assert limits.save() is None and limits.error_label.text() == "每件上限不能小于每个文件上限"
    assert files.get_limits(hall.uow()) == files.FileLimits()
    limits.case_spin.setValue(300)
    with qtbot.waitSignal(limits.saved):
        limits.save()
    assert files.get_limits(hall.uow()).max_case_mb == 300 and page.unsaved_work() == ""
