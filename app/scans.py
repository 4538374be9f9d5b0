"""Scanned materials as the counter receives them (issue 16, part 1): judged by content, normalised, limited.

A file the clerk attaches — from the scanner's folder, a dialog, a drop or the 高拍仪 — is judged by its first
bytes, never by its name: a renamed program or a document in a format the back office cannot open is refused
with a Chinese message and nothing is kept.  What is kept is what a reviewer reads on screen:

* a photo (JPEG, or a PNG/TIFF with many colours) turned upright by its EXIF orientation, scaled down to A4
  reading resolution (``READING_DPI``) and stored as JPEG;
* a scan with few colours (text, stamps) kept lossless as PNG, at the same resolution at most;
* a PDF, and a multi-page TIFF turned into one, kept as a PDF (its pages are what the viewer pages through).

Pure functions over bytes: no database, no Qt.  The per-file limit is a parameter (a hall setting later).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ValidationError
from app.pdfium_lock import PDFIUM_LOCK

# A4 at 200 dpi: small print and stamps stay legible on screen and in print, a page stays a few hundred KB.
READING_DPI = 200
A4_LONG_INCHES = 297 / 25.4
MAX_LONG_SIDE = round(A4_LONG_INCHES * READING_DPI)  # 2339 px
JPEG_QUALITY = 85
# More colours than this and an image is a photo (JPEG); fewer, a scan of text (lossless PNG).
# A page with more colours (or grey levels) than this is a photo or a grainy scan, kept as JPEG (a third of the
# PNG or less); printed text, stamps and line art have fewer and stay lossless PNG.
FEW_COLOURS = 32
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
# Pillow refuses images over about 89 megapixels as a "decompression bomb"; a 600 dpi A3 scan is 70.
Image.MAX_IMAGE_PIXELS = 120_000_000

KIND_NAMES = {"pdf": "PDF", "jpeg": "JPEG 图片", "png": "PNG 图片", "tiff": "TIFF 图片"}
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class ScannedFile:
    """A material's file as it will be stored: ``kind`` is ``pdf``, ``jpeg`` or ``png``."""

    kind: str
    data: bytes
    pages: int
    width: int = 0  # pixels, for an image
    height: int = 0

    @property
    def mime(self) -> str:
        return MIME[self.kind]


def sniff(head: bytes) -> str | None:
    """The file's kind by its first bytes (``pdf``, ``jpeg``, ``png``, ``tiff``), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    return None


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def check_size(size: int, name: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
    if size == 0:
        raise ValidationError("file", f"文件“{name}”是空的（0字节），请重新扫描")
    if size > max_bytes:
        raise ValidationError("file", f"文件“{name}”有{_size_text(size)}，超过每个文件{_size_text(max_bytes)}的上限："
                                      "请降低扫描分辨率或分成几个文件")


def normalise(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ScannedFile:
    """The file as it will be stored, or a ``ValidationError`` that says why it cannot be."""
    check_size(len(data), name, max_bytes)
    kind = sniff(data[:16])
    if kind is None:
        raise ValidationError("file", f"文件“{name}”不是 PDF、JPEG、PNG 或 TIFF（按文件内容判断，与扩展名无关），不能作为申请材料")
    if kind == "pdf":
        return _pdf(data, name)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                return _multipage(image, frames)
            return _image(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError("file", f"文件“{name}”已损坏或不完整，无法读取（{KIND_NAMES[kind]}）") from exc


def _pdf(data: bytes, name: str) -> ScannedFile:
    with PDFIUM_LOCK:  # pdfium is not thread-safe (app.pdfium_lock)
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise ValidationError("file", f"文件“{name}”是损坏的或加密的 PDF，无法打开") from exc
        try:
            pages = len(document)
        finally:
            document.close()
    if pages == 0:
        raise ValidationError("file", f"文件“{name}”是没有页面的 PDF")
    return ScannedFile("pdf", data, pages)


def _upright(image: Image.Image) -> Image.Image:
    """Turned by its EXIF orientation, in RGB, L (greyscale) or 1 (black and white), no larger than A4 at
    reading resolution."""
    turned = ImageOps.exif_transpose(image) or image
    if turned.mode == "1":
        # A black-and-white scan stays one bit a pixel (a page is tens of KB); scaled through grey and back.
        if max(turned.size) > MAX_LONG_SIDE:
            scale = MAX_LONG_SIDE / max(turned.size)
            grey = turned.convert("L").resize((max(1, round(turned.width * scale)),
                                               max(1, round(turned.height * scale))), Image.Resampling.LANCZOS)
            turned = grey.point(lambda v: 255 if v > 127 else 0).convert("1", dither=Image.Dither.NONE)
        return turned
    if turned.mode not in ("RGB", "L"):
        turned = turned.convert("RGBA" if "A" in turned.getbands() else "RGB")
        if turned.mode == "RGBA":  # transparency on white paper
            paper = Image.new("RGB", turned.size, "white")
            paper.paste(turned, mask=turned.getchannel("A"))
            turned = paper
    if max(turned.size) > MAX_LONG_SIDE:
        scale = MAX_LONG_SIDE / max(turned.size)
        turned = turned.resize((max(1, round(turned.width * scale)), max(1, round(turned.height * scale))),
                               Image.Resampling.LANCZOS)
    return turned


def _is_photo(image: Image.Image) -> bool:
    """Many colours (a photo), or many grey levels (a greyscale scan: a scanner's grain makes every page so):
    JPEG keeps these small; a page of few colours or levels stays lossless."""
    if image.mode == "1":
        return False
    return image.getcolors(maxcolors=FEW_COLOURS) is None


def _image(image: Image.Image) -> ScannedFile:
    page = _upright(image)
    out = io.BytesIO()
    if _is_photo(page):
        page.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        kind = "jpeg"
    else:
        page.save(out, "PNG", optimize=True)
        kind = "png"
    return ScannedFile(kind, out.getvalue(), 1, page.width, page.height)


def _multipage(image: Image.Image, frames: int) -> ScannedFile:
    """A multi-page TIFF (a scanner's document feeder) as one PDF, each page upright at reading resolution."""
    pages = []
    for index in range(frames):
        image.seek(index)
        pages.append(_upright(image.copy()))
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=READING_DPI)
    return ScannedFile("pdf", out.getvalue(), frames)
