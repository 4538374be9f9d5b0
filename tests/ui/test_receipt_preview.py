"""The print queue's 预览 of a receipt: the job's ESC/POS bytes drawn as the paper (ui/printing/receipt_preview.py).

Checked against the independent decoder (tests/support/escpos_decode.py): the QR drawn scans to the job's
slip, and the decoded text lines are found, drawn, on the paper.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app import accounts, demo, intake
from app.context import HallDesk
from app.printing import desk, queue
from app.printing.model import PrinterProfile
from app.printing.paper import _draw_line, _State
from tests.conftest import log_in, sqlite_only
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support.escpos_decode import Line, decode, decode_qr_images
from tests.ui.conftest import MessageBoxes
from tests.ui.helpers import settle
from tests.ui.test_counter import open_counter
from ui.printing.queue import PrintQueuePage
from ui.printing.receipt_preview import ReceiptPreviewDialog

pytestmark = sqlite_only


def to_pil(image: QImage) -> Image.Image:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return Image.frombuffer("L", (gray.width(), gray.height()), bytes(gray.constBits()), "raw", "L",
                            gray.bytesPerLine(), 1).convert("1", dither=Image.Dither.NONE)


def drawn_at(paper: Image.Image, line: Line, start: int = 0) -> int | None:
    """The first row from ``start`` where ``line`` is drawn on ``paper`` as the decoder read it (its text, size,
    bold, alignment)."""
    state = _State(bold=line.style.bold, mul=line.style.height)
    strip = _draw_line([(ch, state) for ch in line.text], paper.width)
    x = {"left": 0, "center": (paper.width - strip.width) // 2, "right": paper.width - strip.width}[line.style.align]
    for y in range(start, paper.height - strip.height + 1):
        if ImageChops.logical_xor(paper.crop((x, y, x + strip.width, y + strip.height)), strip).getbbox() is None:
            return y
    return None


def test_receipt_preview_draws_the_job_bytes(
    hall: HallDesk, qtbot: QtBot, tmp_path: Path, message_boxes: MessageBoxes
) -> None:
    demo.demo_printers(hall.uow(), tmp_path)  # a folder printer: the job prints, the preview shows it
    profile = PrinterProfile(paper_mm=58)
    desk.save_profile(hall.uow(), log_in(hall, "admin"), accounts.list_counters(hall.uow())[0].printer_uri, profile)
    item = item_with_tolerable(hall)
    view = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    window, _ = open_counter(hall, qtbot)
    page = window.show_page("printqueue")
    assert isinstance(page, PrintQueuePage)
    page.show_all()
    settle()
    assert str(tmp_path / "打印输出" / "窗口1") in page.folder_note.text()  # the queue says where it prints
    receipt = next(j for j in page.model.rows() if j.kind == "receipt")
    assert page.select_job(receipt.id) and page.preview_button.isEnabled()
    assert page.preview_selected()
    settle()
    dialog = page.dialog
    assert isinstance(dialog, ReceiptPreviewDialog) and "58 毫米" in dialog.note.text()

    paper = to_pil(dialog.image)
    assert paper.width == profile.dots
    assert decode_qr_images([paper]) == [view.slip]
    content = queue.job_content(hall.uow(), log_in(hall, "clerk1"), receipt.id)
    lines = [line for line in decode(content.data).lines if line.text.strip()]
    missing, y = [], 0
    for line in lines:  # each below the one before: top to bottom, in the order printed
        row = drawn_at(paper, line, y)
        if row is None:
            missing.append(line.text)
        else:
            y = row + 1
    assert len(lines) > 8 and not missing
    case_line = next(line for line in lines if line.text.strip() == view.case_no)
    assert case_line.style.height == 2  # the case number double size, drawn so
    dialog.close_button.click()
    assert message_boxes.shown == []


def test_picture_mode_receipt_preview(hall: HallDesk, qtbot: QtBot, tmp_path: Path) -> None:
    """In picture mode the job is one raster: the preview is that raster, and its QR scans."""
    demo.demo_printers(hall.uow(), tmp_path)
    uri = accounts.list_counters(hall.uow())[0].printer_uri
    desk.save_profile(hall.uow(), log_in(hall, "admin"), uri, PrinterProfile(raster=True))
    item = item_with_tolerable(hall)
    view = intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, materials=all_received(item)))
    receipt = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt")
    content = queue.job_content(hall.uow(), log_in(hall, "clerk1"), receipt.id)
    from ui.printing.receipt_preview import receipt_image

    paper = to_pil(receipt_image(content))
    raster = decode(content.data).images
    assert decode_qr_images([paper]) == [view.slip] and len(raster) >= 1
    assert paper.crop((0, 0, raster[0].width, raster[0].height)).tobytes() == raster[0].convert("1").tobytes()
