"""Real files for the 电子件 tests: PDFs drawn by reportlab (optionally with a noisy scan image per page, which
does not compress: a few pages make a file of several 1 MiB chunks), text scans and photos from Pillow."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    rnd = random.Random(seed)
    return Image.frombytes("L", (width, height), rnd.randbytes(width * height)).convert("RGB")


def pdf(pages: int, *, scan_px: int = 0, seed: int = 1, label: str = "page") -> bytes:
    """A ``pages``-page A4 PDF; ``scan_px`` > 0 puts a noisy ``scan_px``² greyscale image on every page."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in range(pages):
        c.drawString(72, 760, f"{label} {n + 1}")
        if scan_px:
            c.drawImage(ImageReader(noise(scan_px, scan_px, seed + n)), 36, 100, 520, 520)
        c.showPage()
    c.save()
    return out.getvalue()


def text_scan(width: int = 1240, height: int = 1754) -> bytes:
    """A text scan as a scanner's "scan to folder" writes it: black bars on white, PNG."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, height - 60, 70):
        draw.rectangle((60, y, width - 60, y + 24), fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo(width: int = 1600, height: int = 1200, seed: int = 2) -> bytes:
    """A 高拍仪 photo: many colours, JPEG."""
    rnd = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


# A Windows program renamed to look like a scan: refused by its first bytes.
RENAMED_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(4096)
