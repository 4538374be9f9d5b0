"""Page operations on a material's file before 受理 (issue 16): rotate, pick pages, split, and a thumbnail.

The clerk sees each file of a material in the counter's capture list and may turn a page that was scanned
sideways, split a multi-page PDF into its pages (to reorder or drop some), or keep only some pages.  Every
operation takes a ``ScannedFile`` (as ``app.scans.normalise`` made it) and returns a new one of the same kind:
an image is re-encoded as it was (JPEG stays JPEG, PNG stays PNG), a PDF page is turned by its /Rotate entry
(nothing is re-rendered, so text and scan quality stay as they were).  Pure functions over bytes: no Qt.
Every pdfium call holds ``PDFIUM_LOCK`` (pdfium is not thread-safe) and closes what it opened before letting go.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

from app.errors import ValidationError
from app.pdfium_lock import PDFIUM_LOCK
from app.scans import JPEG_QUALITY, ScannedFile

THUMBNAIL_PX = 160  # the long side of a capture list's thumbnail
_TURNS = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class Thumbnail:
    """A small picture of a file's first page: ``rgb`` is ``width`` × ``height`` × 3 bytes, row by row."""

    width: int
    height: int
    rgb: bytes


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "jpeg":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _open_pdf(file: ScannedFile) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(file.data)


def _save_pdf(document: pdfium.PdfDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _check_pages(file: ScannedFile, pages: Sequence[int]) -> None:
    for page in pages:
        if not 0 <= page < file.pages:
            raise ValidationError("page", f"第{page + 1}页不存在（该文件共{file.pages}页）")


def rotate(file: ScannedFile, quarter_turns: int, pages: Sequence[int] | None = None) -> ScannedFile:
    """``file`` turned clockwise by ``quarter_turns`` × 90°: an image as a whole, a PDF's ``pages`` (all when
    None)."""
    turns = quarter_turns % 4
    if turns == 0:
        return file
    if file.kind != "pdf":
        with Image.open(io.BytesIO(file.data)) as image:
            turned = image.transpose(_TURNS[turns])
            return ScannedFile(file.kind, _encode(turned, file.kind), 1, turned.width, turned.height)
    chosen = range(file.pages) if pages is None else pages
    _check_pages(file, chosen)
    with PDFIUM_LOCK:
        document = _open_pdf(file)
        try:
            for index in chosen:
                page = document[index]
                page.set_rotation((page.get_rotation() + 90 * turns) % 360)
                page.close()
            return ScannedFile("pdf", _save_pdf(document), file.pages)
        finally:
            document.close()


def select_pages(file: ScannedFile, pages: Sequence[int]) -> ScannedFile:
    """A new PDF of ``file``'s ``pages`` in that order (reorder, remove: pages left out are dropped)."""
    if file.kind != "pdf":
        raise ValidationError("page", "只有 PDF 文件可以选取页面")
    if not pages:
        raise ValidationError("page", "至少要保留一页；要去掉整个文件请删除该文件")
    _check_pages(file, pages)
    with PDFIUM_LOCK:
        source = _open_pdf(file)
        target = pdfium.PdfDocument.new()
        try:
            target.import_pages(source, list(pages))
            return ScannedFile("pdf", _save_pdf(target), len(pages))
        finally:
            target.close()
            source.close()


def split(file: ScannedFile) -> list[ScannedFile]:
    """Each page of a PDF as a file of its own (an image is already one page)."""
    if file.kind != "pdf" or file.pages == 1:
        return [file]
    return [select_pages(file, [index]) for index in range(file.pages)]


def thumbnail(file: ScannedFile, size: int = THUMBNAIL_PX) -> Thumbnail:
    """The first page, at most ``size`` pixels on its long side, as RGB (for the capture list)."""
    if file.kind == "pdf":
        with PDFIUM_LOCK:
            document = _open_pdf(file)
            try:
                page = document[0]
                # get_size is before /Rotate; the rendered bitmap is after it: scale by the long side either way.
                scale = size / max(page.get_size())
                bitmap = page.render(scale=scale, rotation=0)
                image = bitmap.to_pil().copy()  # pixels of our own: the bitmap is closed before the lock goes
                bitmap.close()
                page.close()
            finally:
                document.close()
    else:
        with Image.open(io.BytesIO(file.data)) as opened:
            opened.draft("RGB", (size, size))  # a JPEG decodes at a fraction of its size: fast for a photo
            image = opened.copy()
        image.thumbnail((size, size))
    image = image.convert("RGB")
    return Thumbnail(image.width, image.height, image.tobytes())

