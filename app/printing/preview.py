"""PDF pages as images, for the in-app preview and for printing through the OS printer dialog.

pdfium (pypdfium2) renders the same bytes the A4 printer would get, so the preview shows exactly what prints.
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image

from app.pdfium_lock import PDFIUM_LOCK


def page_images(pdf: bytes, dpi: float = 110) -> list[Image.Image]:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (app.pdfium_lock)
        doc = pdfium.PdfDocument(pdf)
        try:
            return [doc[i].render(scale=dpi / 72).to_pil() for i in range(len(doc))]
        finally:
            doc.close()


def page_count(pdf: bytes) -> int:
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()
