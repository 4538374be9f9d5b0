"""PDF pages as images, for the in-app preview and for printing through the OS printer dialog.

pdfium (pypdfium2) renders the same bytes the A4 printer would get, so the preview shows exactly what prints.
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image


def page_images(pdf: bytes, dpi: float = 110) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil() for i in range(len(doc))]
    finally:
        doc.close()


def page_count(pdf: bytes) -> int:
    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()
