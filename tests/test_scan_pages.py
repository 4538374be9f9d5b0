"""Page operations before 受理 (``app.scan_pages``) on real generated files: rotate, pick pages, split, thumbnail."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image

from app import scan_pages, scans
from app.errors import ValidationError
from tests.support import scanned


def _labels(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range().strip() for i in range(len(document))]
    finally:
        document.close()


def _rotations(data: bytes) -> list[int]:
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_rotation() for i in range(len(document))]
    finally:
        document.close()


def test_an_image_turns_and_keeps_its_kind() -> None:
    photo = scans.normalise(scanned.photo(400, 300), "a.jpg")
    text = scans.normalise(scanned.text_scan(300, 400), "b.png")
    assert (photo.kind, text.kind) == ("jpeg", "png")
    turned = scan_pages.rotate(photo, 1)
    assert (turned.kind, turned.width, turned.height, turned.pages) == ("jpeg", 300, 400, 1)
    assert turned.data.startswith(b"\xff\xd8\xff")
    back = scan_pages.rotate(scan_pages.rotate(text, 3), 1)  # a quarter left, a quarter right: as it was
    assert back.kind == "png"
    with Image.open(io.BytesIO(back.data)) as a, Image.open(io.BytesIO(text.data)) as b:
        assert a.size == b.size and a.tobytes() == b.tobytes()  # PNG is lossless
    assert scan_pages.rotate(photo, 4) is photo


def test_pdf_pages_turn_reorder_and_split() -> None:
    pdf = scans.normalise(scanned.pdf(3), "c.pdf")
    assert _labels(pdf.data) == ["page 1", "page 2", "page 3"]
    turned = scan_pages.rotate(pdf, 1, pages=[1])
    assert _rotations(turned.data) == [0, 90, 0] and turned.pages == 3
    assert _rotations(scan_pages.rotate(turned, 3).data) == [270, 0, 270]  # all pages by default
    picked = scan_pages.select_pages(turned, [2, 1])  # reorder and drop the first
    assert picked.pages == 2 and _labels(picked.data) == ["page 3", "page 2"]
    assert _rotations(picked.data) == [0, 90]  # a page keeps its turn
    parts = scan_pages.split(pdf)
    assert [p.pages for p in parts] == [1, 1, 1] and [_labels(p.data) for p in parts] == [["page 1"], ["page 2"],
                                                                                            ["page 3"]]
    assert scans.normalise(parts[0].data, "p.pdf").pages == 1  # a valid PDF again
    with pytest.raises(ValidationError, match="第4页不存在"):
        scan_pages.select_pages(pdf, [3])
    with pytest.raises(ValidationError, match="至少要保留一页"):
        scan_pages.select_pages(pdf, [])


def test_thumbnails_are_small_rgb_of_the_first_page() -> None:
    pdf = scans.normalise(scanned.pdf(2), "d.pdf")
    thumb = scan_pages.thumbnail(pdf)
    assert max(thumb.width, thumb.height) in (159, 160) and thumb.width < thumb.height  # A4 upright
    assert len(thumb.rgb) == thumb.width * thumb.height * 3
    sideways = scan_pages.thumbnail(scan_pages.rotate(pdf, 1))
    assert sideways.width > sideways.height  # the thumbnail shows the turn
    photo = scan_pages.thumbnail(scans.normalise(scanned.photo(800, 600), "e.jpg"), 100)
    assert (photo.width, photo.height) == (100, 75) and len(photo.rgb) == 100 * 75 * 3
