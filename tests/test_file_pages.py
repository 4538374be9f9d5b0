"""The reviewer's viewer without Qt (app/file_pages.py): page counts, sizes, one page rendered at a time, the
view's rotation; generated PDFs and images (no database)."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from app.errors import ValidationError
from app.file_pages import MAX_PIXELS, FilePages, PageImage, capped_scale
from app.scans import normalise
from tests.support import scanned

A4_PT = (595.28, 841.89)


def _near(size: tuple[int, int], expected: tuple[int, int]) -> bool:
    """pdfium rounds a page's pixel size up, Pillow to the nearest: one pixel either way."""
    return all(abs(a - b) <= 1 for a, b in zip(size, expected, strict=True))


def _dark_share(page: PageImage) -> float:
    """The share of pixels that are not paper-white (RGBX: the 4th byte is unused)."""
    image = Image.frombuffer("RGBX", (page.width, page.height), page.data, "raw", "RGBX", page.stride, 1)
    grey = image.convert("L")
    histogram = grey.histogram()
    return sum(histogram[:200]) / (page.width * page.height)


def test_a_pdf_is_opened_once_and_renders_the_page_asked_for() -> None:
    with FilePages("pdf", scanned.pdf(30)) as pages:
        assert pages.pages == 30
        width, height = pages.size(29)
        assert (round(width), round(height)) == (595, 842)
        page = pages.render(29, 1.0)
        assert (page.index, page.rotation) == (29, 0) and _near((page.width, page.height), (595, 842))
        assert page.stride >= page.width * 4 and len(page.data) == page.stride * page.height
        assert 0 < _dark_share(page) < 0.05  # the page's label is drawn: not blank, not black
        double = pages.render(0, 2.0)
        assert _near((double.width, double.height), (1191, 1684))
        with pytest.raises(IndexError):
            pages.render(30, 1.0)
    assert pages.closed


def test_rotation_turns_the_page_a_quarter_at_a_time() -> None:
    data = scanned.pdf(2)
    with FilePages("pdf", data) as pages:
        upright = pages.render(0, 1.0)
        turned = pages.render(0, 1.0, 90)
        assert (turned.width, turned.height) == (upright.height, upright.width)
        assert pages.size(0, 270) == pages.size(0)[::-1]
        assert pages.render(0, 1.0, 180).width == upright.width
        with pytest.raises(ValueError, match="quarter"):
            pages.render(0, 1.0, 45)


def test_an_image_counts_at_its_reading_resolution_and_turns_clockwise() -> None:
    # A text scan as the counter keeps it (PNG, 200 dpi A4): the same size on screen as an A4 PDF page.
    kept = normalise(scanned.text_scan(1654, 2339), "scan.png")
    with FilePages(kept.kind, kept.data) as pages:
        assert pages.pages == 1
        width, height = pages.size(0)
        assert abs(width - A4_PT[0]) < 1 and abs(height - A4_PT[1]) < 1
        page = pages.render(0, 1.0)
        assert _near((page.width, page.height), (595, 842))
        assert 0.2 < _dark_share(page) < 0.6  # the black bars
        turned = pages.render(0, 1.0, 90)
        assert (turned.width, turned.height) == (page.height, page.width)
    # Clockwise: a mark in the top-left corner ends up top-right.
    image = Image.new("RGB", (400, 200), "white")
    image.paste((0, 0, 0), (0, 0, 40, 40))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(72, 72))
    with FilePages("png", out.getvalue()) as pages:
        page = pages.render(0, 1.0, 90)
        shown = Image.frombuffer("RGBX", (page.width, page.height), page.data, "raw", "RGBX", page.stride, 1)
        assert shown.size == (200, 400)
        assert shown.getpixel((190, 10))[:3] == (0, 0, 0) and shown.getpixel((10, 10))[:3] == (255, 255, 255)


def test_a_photo_renders_and_a_huge_zoom_is_capped() -> None:
    kept = normalise(scanned.photo(), "photo.jpg")
    with FilePages(kept.kind, kept.data) as pages:
        page = pages.render(0, 0.5)
        assert page.width > 0 and len(page.data) == page.width * page.height * 4
    assert capped_scale(*A4_PT, 1.0) == 1.0
    big = capped_scale(*A4_PT, 50.0)
    assert big < 50 and A4_PT[0] * A4_PT[1] * big * big <= MAX_PIXELS * 1.0001


def test_broken_files_are_refused_in_chinese() -> None:
    with pytest.raises(ValidationError, match="损坏"):
        FilePages("pdf", b"%PDF-1.4 broken")
    with pytest.raises(ValidationError, match="损坏"):
        FilePages("png", scanned.text_scan()[:200])
    with pytest.raises(ValidationError, match="无法显示"):
        FilePages("tiff", b"II*\x00")


def test_pages_render_from_several_threads_at_once() -> None:
    # pdfium is not thread-safe: the lock makes concurrent renders of two documents safe.
    docs = [FilePages("pdf", scanned.pdf(6, label=f"doc{n}")) for n in range(2)]
    sizes: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def work(pages: FilePages) -> None:
        try:
            for index in range(pages.pages):
                page = pages.render(index, 0.5)
                sizes.append((page.width, page.height))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in docs for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in docs:
        d.close()
    assert errors == [] and len(sizes) == 24 and len(set(sizes)) == 1
