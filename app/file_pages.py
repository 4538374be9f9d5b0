"""The reviewer's viewer without Qt: a stored 电子件's pages as pixels, one page at a time (issue 16, part 3).

``FilePages(kind, data)`` holds one opened file while the viewer shows it: a PDF is opened once by pdfium
(pypdfium2) and only the page asked for is rendered, never the whole document; a JPEG or PNG is decoded once by
Pillow.  ``render(index, scale, rotation)`` returns a ``PageImage`` (RGBX pixels, 4 bytes each) that the GUI
wraps in a QImage without copying the rule of how a page is drawn.

Sizes are in points (1/72 inch), so that a PDF page and an image of the same sheet show at the same size at the
same zoom: an image counts at the resolution it says it has, else at the counter's ``READING_DPI`` (200).
Rotation is the view's (clockwise, in quarter turns): the stored file never changes.

Threads: pdfium is not thread-safe, so every pdfium call holds ``app.pdfium_lock.PDFIUM_LOCK``; a ``FilePages``
may be used from any one thread at a time (the viewer renders on one worker at a time) and must be ``close``d
(the document is closed under the lock, not by a finalizer on whichever thread drops it).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from types import TracebackType

import pypdfium2 as pdfium
from PIL import Image

from app.errors import ValidationError
from app.pdfium_lock import PDFIUM_LOCK
from app.scans import READING_DPI

ROTATIONS = (0, 90, 180, 270)
# A larger page image is rendered smaller: 400 % of an A3 page on a big screen is about 30 megapixels.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class PageImage:
    """One rendered page: ``width`` × ``height`` pixels, rows of ``stride`` bytes, RGBX (the 4th byte unused)."""

    index: int
    width: int
    height: int
    stride: int
    data: bytes
    scale: float  # pixels per point it was rendered at (after the ``MAX_PIXELS`` cap)
    rotation: int


def _rotation(rotation: int) -> int:
    turned = rotation % 360
    if turned not in ROTATIONS:
        raise ValueError(f"rotation must be a quarter turn, not {rotation}")
    return turned


def capped_scale(width_pt: float, height_pt: float, scale: float) -> float:
    """``scale``, lowered so that the page image stays within ``MAX_PIXELS``."""
    pixels = width_pt * height_pt * scale * scale
    return scale if pixels <= MAX_PIXELS else math.sqrt(MAX_PIXELS / (width_pt * height_pt))


class FilePages:
    """One stored file opened for viewing: its page count, page sizes and pages rendered on demand."""

    def __init__(self, kind: str, data: bytes) -> None:
        self.kind = kind
        self._doc: pdfium.PdfDocument | None = None
        self._image: Image.Image | None = None
        self._sizes: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()  # an image's own state; pdfium's is PDFIUM_LOCK
        if kind == "pdf":
            with PDFIUM_LOCK:
                try:
                    self._doc = pdfium.PdfDocument(data)
                except pdfium.PdfiumError as exc:
                    raise ValidationError("file", "电子件是损坏的 PDF，无法显示") from exc
                self.pages = len(self._doc)
        elif kind in ("jpeg", "png"):
            try:
                image = Image.open(io.BytesIO(data))
                image.load()
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                raise ValidationError("file", "电子件图片已损坏，无法显示") from exc
            dpi = image.info.get("dpi", (READING_DPI, READING_DPI))[0]
            self._dpi = float(dpi) if 50 <= float(dpi) <= 1200 else float(READING_DPI)
            self._image = image.convert("RGBX")
            self.pages = 1
        else:
            raise ValidationError("file", f"电子件类型 {kind} 无法显示")

    # ---- sizes ---------------------------------------------------------------------------------------------

    def size(self, index: int, rotation: int = 0) -> tuple[float, float]:
        """Page ``index``'s (width, height) in points as shown at ``rotation``."""
        self._check(index)
        if index not in self._sizes:
            if self._doc is not None:
                with PDFIUM_LOCK:
                    page = self._doc[index]
                    try:
                        self._sizes[index] = page.get_size()
                    finally:
                        page.close()
            else:
                assert self._image is not None
                factor = 72 / self._dpi
                self._sizes[index] = (self._image.width * factor, self._image.height * factor)
        width, height = self._sizes[index]
        return (height, width) if _rotation(rotation) in (90, 270) else (width, height)

    def _check(self, index: int) -> None:
        if self._doc is None and self._image is None:
            raise ValueError("the file was closed")
        if not 0 <= index < self.pages:
            raise IndexError(f"page {index + 1} of {self.pages}")

    # ---- rendering -----------------------------------------------------------------------------------------

    def render(self, index: int, scale: float, rotation: int = 0) -> PageImage:
        """Page ``index`` (from 0) at ``scale`` pixels per point, turned ``rotation`` degrees clockwise."""
        turned = _rotation(rotation)
        width_pt, height_pt = self.size(index)
        scale = capped_scale(width_pt, height_pt, max(scale, 0.01))
        if self._doc is not None:
            return self._render_pdf(index, scale, turned)
        return self._render_image(scale, turned)

    def _render_pdf(self, index: int, scale: float, rotation: int) -> PageImage:
        assert self._doc is not None
        with PDFIUM_LOCK:
            page = self._doc[index]
            try:
                # RGBX on white: 4-byte pixels in the order a QImage of Format_RGBX8888 reads them.
                bitmap = page.render(scale=scale, rotation=rotation, rev_byteorder=True, prefer_bgrx=True)
                try:
                    return PageImage(index, bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer),
                                     scale, rotation)
                finally:
                    bitmap.close()
            finally:
                page.close()

    def _render_image(self, scale: float, rotation: int) -> PageImage:
        with self._lock:
            image = self._image
            if image is None:
                raise ValueError("the file was closed")
            factor = scale * 72 / self._dpi
            size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
            shown = image if size == image.size else image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
            if rotation:
                # Pillow turns counter-clockwise; the view turns clockwise.
                shown = shown.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                         270: Image.Transpose.ROTATE_90}[rotation])
            return PageImage(0, shown.width, shown.height, shown.width * 4, shown.tobytes(), scale, rotation)

    # ---- closing -------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._doc is not None:
            with PDFIUM_LOCK:
                self._doc.close()
            self._doc = None
        with self._lock:
            self._image = None

    @property
    def closed(self) -> bool:
        return self._doc is None and self._image is None

    def __enter__(self) -> FilePages:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
