"""Scanned materials judged by content and normalised (``app.scans``), with real generated files: photos with
EXIF orientation, text scans, multi-page TIFFs, PDFs from reportlab, a renamed program, broken and oversized files."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from app import scans
from app.errors import ValidationError


def _colours(width: int, height: int) -> Image.Image:
    """Noise in three independent channels: thousands of colours, as in a photo."""
    return Image.merge("RGB", [Image.effect_noise((width, height), 64 + 10 * i) for i in range(3)])


def _photo(width: int, height: int, orientation: int | None = None) -> bytes:
    """A noisy colour image (a photo: thousands of colours), marked at its top-left corner in red."""
    image = _colours(width, height)
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _text_scan(width: int, height: int, fmt: str = "PNG") -> bytes:
    """Black text lines on white: two colours, as a scanner gives a printed page."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for y in range(40, height - 40, 60):
        draw.rectangle((40, y, width - 40, y + 20), fill=0)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in range(pages):
        c.drawString(72, 720, f"page {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_a_photo_is_turned_upright_scaled_to_a4_reading_size_and_kept_as_jpeg() -> None:
    # Orientation 6: the camera held sideways; the stored pixels must be turned 90° clockwise to be upright.
    raw = _photo(4000, 3000, orientation=6)
    kept = scans.normalise(raw, "IMG_0001.JPG")
    assert kept.kind == "jpeg" and kept.mime == "image/jpeg" and kept.pages == 1
    assert (kept.width, kept.height) == (1754, 2339)  # upright (portrait), long side = A4 at 200 dpi
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (1754, 2339) and image.getexif().get(0x0112) in (None, 1)
        # The red corner was the stored image's top-left; turned clockwise it is now top-right.
        assert image.getpixel((image.width - 20, 20))[0] > 200 and image.getpixel((20, 20))[0] < 200


def test_a_text_scan_stays_lossless_png_and_a_small_one_is_not_enlarged() -> None:
    kept = scans.normalise(_text_scan(1200, 1600), "scan.png")
    assert kept.kind == "png" and (kept.width, kept.height) == (1200, 1600)
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.getpixel((60, 50)) == 0 and image.getpixel((10, 10)) == 255  # exactly the pixels


def test_a_grainy_greyscale_scan_becomes_a_smaller_greyscale_jpeg() -> None:
    """A 300 dpi greyscale page as a scanner writes it (text with paper grain): kept greyscale, as JPEG, and
    smaller than the scanner's own file — never a PNG several times its size."""
    page = Image.new("L", (2480, 3508), 235)
    draw = ImageDraw.Draw(page)
    for y in range(150, 3300, 90):
        draw.rectangle((150, y, 2300, y + 30), fill=30)
    grain = Image.effect_noise((2480, 3508), 12)
    page = Image.blend(page, grain.point(lambda v: v // 4 + 190), 0.15)
    out = io.BytesIO()
    page.save(out, "JPEG", quality=85)
    kept = scans.normalise(out.getvalue(), "灰度扫描.jpg")
    assert kept.kind == "jpeg" and max(kept.width, kept.height) == scans.MAX_LONG_SIDE
    assert len(kept.data) < len(out.getvalue())
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.mode == "L"


def test_a_black_and_white_scan_stays_one_bit() -> None:
    """A 300 dpi black-and-white page: one bit a pixel, scaled to reading size, tens of KB — not a colour image."""
    page = Image.new("1", (2480, 3508), 1)
    draw = ImageDraw.Draw(page)
    for y in range(150, 3300, 90):
        draw.rectangle((150, y, 2300, y + 30), fill=0)
    out = io.BytesIO()
    page.save(out, "PNG")
    kept = scans.normalise(out.getvalue(), "黑白扫描.png")
    assert kept.kind == "png" and max(kept.width, kept.height) == scans.MAX_LONG_SIDE
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.mode == "1" and image.getpixel((10, 10)) == 255 and image.getpixel((500, 110)) == 0
    assert len(kept.data) <= len(out.getvalue())


def test_a_png_photo_with_transparency_becomes_a_jpeg_on_white() -> None:
    image = _colours(800, 600).convert("RGBA")
    image.putalpha(128)
    out = io.BytesIO()
    image.save(out, "PNG")
    kept = scans.normalise(out.getvalue(), "photo.png")
    assert kept.kind == "jpeg" and (kept.width, kept.height) == (800, 600)


def test_a_multipage_tiff_from_the_feeder_becomes_one_pdf_with_every_page() -> None:
    pages = [Image.open(io.BytesIO(_text_scan(1654, 2339))) for _ in range(3)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:])
    kept = scans.normalise(out.getvalue(), "feeder.tif")
    assert kept.kind == "pdf" and kept.pages == 3
    document = pdfium.PdfDocument(kept.data)
    assert len(document) == 3
    document.close()


def test_a_pdf_is_kept_byte_for_byte_with_its_page_count() -> None:
    data = _pdf(4)
    kept = scans.normalise(data, "营业执照.pdf")
    assert (kept.kind, kept.pages, kept.data) == ("pdf", 4, data)


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"MZ\x90\x00" + b"\x00" * 200, "营业执照.pdf", "不是 PDF、JPEG、PNG 或 TIFF"),  # a renamed program
    (b"PK\x03\x04" + b"\x00" * 200, "申请表.docx", "按文件内容判断"),
    (b"%PDF-1.7\nnot really a pdf", "broken.pdf", "损坏的或加密的 PDF"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "cut.jpg", "已损坏或不完整"),
    (b"", "empty.png", "是空的"),
])
def test_what_cannot_be_read_is_refused_by_content_with_a_chinese_message(data: bytes, name: str,
                                                                        words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        scans.normalise(data, name)
    assert refused.value.field == "file" and words in refused.value.message and name in refused.value.message


def test_a_file_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(ValidationError) as refused:
        scans.normalise(_pdf(1), "big.pdf", max_bytes=100)
    assert "超过每个文件" in refused.value.message and "上限" in refused.value.message


def test_the_kind_is_judged_by_the_first_bytes() -> None:
    assert [scans.sniff(_pdf(1)[:16]), scans.sniff(_photo(10, 10)[:16]), scans.sniff(_text_scan(10, 10)[:16]),
            scans.sniff(_text_scan(10, 10, "TIFF")[:16]), scans.sniff(b"GIF89a")] == [
        "pdf", "jpeg", "png", "tiff", None]
