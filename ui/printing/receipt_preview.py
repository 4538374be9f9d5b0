"""回执预览: a thermal job as the paper would look — its very ESC/POS bytes drawn as an image.

The print queue's 预览 for a receipt, a hand-over slip or a test page: ``app.printing.paper.paper_image`` reads
the bytes the job sends, with the profile of its printer, as a Chinese receipt printer would (the same
renderer as the live sample in 打印机设置), so an admin can check a printer profile without paper.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.printing.model import PRINT_MODES, print_mode
from app.printing.paper import paper_image
from app.printing.queue import JobContent
from ui.widgets import fit_to_screen, hint_label


def receipt_image(content: JobContent) -> QImage:
    """The job's paper as a greyscale QImage, one pixel per printer dot (safe off the GUI thread)."""
    image = paper_image(content.data, content.profile).convert("L")
    return QImage(image.tobytes(), image.width, image.height, image.width, QImage.Format.Format_Grayscale8).copy()


def describe_profile(content: JobContent) -> str:
    profile = content.profile
    what = f"{profile.paper_mm} 毫米纸，{PRINT_MODES[print_mode(profile)]}"
    if not profile.raster:
        what += f"，{profile.encoding}"
    return what


class ReceiptPreviewDialog(QDialog):
    """A receipt as it prints: the image at its printed size (203 dpi dots shown one to one), scrollable."""

    def __init__(self, title: str, image: QImage, content: JobContent, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"预览 — {title}")
        self.image = image
        self.paper = QLabel()
        self.paper.setObjectName("receiptPaper")
        self.paper.setPixmap(QPixmap.fromImage(image))
        self.paper.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.paper.setStyleSheet("background: #ffffff; border: 1px solid #c8ced6;")
        scroll = QScrollArea()
        scroll.setWidget(self.paper)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.note = note = hint_label(f"按打印机设置（{describe_profile(content)}）从打印数据画出的效果，"
                          f"打印机：{content.printer or '未配置'}")
        buttons = QDialogButtonBox(self)
        self.close_button = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        fit_to_screen(self, image.width() + 80, min(image.height() + 140, 900))
