"""Attaching a scanned file to a case on PostgreSQL (issue 16 part 7): ``files.attach`` beside raw psycopg.

The file is what a document scanner writes for a 10-page A4 material at 300 dpi greyscale: 2480×3508 pages of
Chinese text (slightly blurred, with paper grain), each page a JPEG (quality 75) in one PDF, 10–20 MB.  HallDesk
attaches it to a case taken beforehand (``files.attach``: permission and material checks, the case's limit, the
SHA-256, the 1 MiB chunks, the ``stored_file`` and ``case_file`` rows, the material's 电子件 mark, the audit row,
one transaction).  The raw baseline writes the same bytes in the same 1 MiB chunks with plain psycopg, plus the
``stored_file`` and ``case_file`` rows, in one transaction: no checks, no hash (a made-up key), no audit.  Each
round stores a different file (a few bytes appended), so neither side finds it already stored.  Rounds are
interleaved, so both sides see the same machine.  Normalising the file (``files.prepare``: type by content,
pages counted by pdfium) is timed apart: the raw side does nothing like it.

Target (issue 16): HallDesk ≥ 0.5× the raw speed (time ≤ 2× raw).  Run: python -m bench.bench_attach [ROUNDS]
"""

from __future__ import annotations

import io
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from app import catalog, files, intake
from app.auth import login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from bench.common import RawDb, ms, p50, p95, postgres_hall, utc_naive
from tests.intake_support import all_received, request

A4_300DPI = (2480, 3508)
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
          "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好"
          "应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向"
          "道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特")


def scan_page(n: int, size: tuple[int, int] = A4_300DPI, seed: int = 1) -> Image.Image:
    """One greyscale page as a scanner sees it: lines of text on slightly grey paper, a little soft, with grain."""
    width, height = size
    scale = width / A4_300DPI[0]
    rnd = random.Random(seed * 1000 + n)
    image = Image.new("L", size, 236)
    draw = ImageDraw.Draw(image)
    px = max(8, int(40 * scale))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    font = ImageFont.truetype(str(FONT), px) if FONT.exists() else ImageFont.load_default(size=px)
    y = int(300 * scale)
    while y < height - int(300 * scale):
        line = "".join(rnd.choice(_HANZI) for _ in range(rnd.randint(30, 46)))
        draw.text((int(250 * scale), y), line, fill=rnd.randint(20, 50), font=font)
        y += int(rnd.choice((62, 62, 62, 124)) * scale)  # now and then a blank line between paragraphs
    image = image.filter(ImageFilter.GaussianBlur(0.8 * scale))
    return ImageChops.add(image, Image.effect_noise(size, 6), 1, -128)


def scan_pdf(pages: int = 10, size: tuple[int, int] = A4_300DPI, quality: int = 75, seed: int = 1) -> bytes:
    """A ``pages``-page PDF of ``scan_page`` JPEGs at 300 dpi, as a scanner's "scan to PDF" writes it."""
    images = [scan_page(n, size, seed) for n in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=300, quality=quality)
    return out.getvalue()


@dataclass(frozen=True)
class AttachReport:
    size: int
    pages: int
    ours: list[float]
    raw: list[float]
    prepare: float

    @property
    def ratio(self) -> float:
        """HallDesk's speed against raw psycopg's (raw time / our time, medians)."""
        return p50(self.raw) / p50(self.ours)


def _raw_attach(db: RawDb, case_id: uuid.UUID, code: str, data: bytes, pages: int) -> None:
    key = uuid.uuid4().hex + uuid.uuid4().hex  # 64 characters, like a SHA-256, without computing one
    cur = db.cursor()
    view = memoryview(data)
    n = 0
    for seq, start in enumerate(range(0, len(data), files.CHUNK_BYTES)):
        cur.execute("INSERT INTO stored_file_chunk (sha256, seq, data) VALUES (%s, %s, %s)",
                    (key, seq, bytes(view[start:start + files.CHUNK_BYTES])))
        n += 1
    now = utc_naive()
    cur.execute("INSERT INTO stored_file (sha256, size, kind, pages, chunks, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (key, len(data), "pdf", pages, n, now))
    cur.execute("INSERT INTO case_file (id, case_id, material_code, sha256, name, kind, pages, size, position,"
                " added_by, added_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (db.id(uuid.uuid4()), db.id(case_id), code, key, "扫描件.pdf", "pdf", pages, len(data), 0,
                 "clerk1", now))
    db.commit()


def run(hall: HallDesk, data: bytes, rounds: int, log: Callable[[str], None] = print) -> AttachReport:
    """``rounds`` attachments of ``data`` (made distinct) each way, interleaved, on ``hall``'s database."""
    clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
    item = next(i for i in catalog.list_items(hall.uow()) if not i.immediate
                and any(not m.covered_by for m in i.materials))
    code = next(m.code for m in item.materials if not m.covered_by)
    req = request(item, materials=all_received(item))
    # Cases taken beforehand (not timed): one per attachment, ours and raw, plus a warm-up each.
    ours_cases = [intake.take_application(hall.uow(), clerk, req) for _ in range(rounds + 1)]
    raw_cases = [intake.take_application(hall.uow(), clerk, req) for _ in range(rounds + 1)]
    t = time.perf_counter()
    prepared = files.prepare(code, "扫描件.pdf", data)
    prepare = time.perf_counter() - t
    log(f"file: {prepared.file.pages} pages, {len(data) / files.MB:.1f} MB, "
        f"{-(-len(data) // files.CHUNK_BYTES)} chunks of 1 MiB")
    db = RawDb(hall.url)
    ours: list[float] = []
    raw: list[float] = []
    try:
        for i in range(rounds + 1):
            mine = replace(prepared, file=replace(prepared.file, data=data + f"\n%ours {i}\n".encode()))
            t = time.perf_counter()
            files.attach(hall.uow(), clerk, ours_cases[i].case_no, [mine])
            took = time.perf_counter() - t
            if i:  # the first round of each side warms caches and the connection pool
                ours.append(took)
            theirs = data + f"\n%raw {i}\n".encode()
            t = time.perf_counter()
            _raw_attach(db, raw_cases[i].id, code, theirs, prepared.file.pages)
            took = time.perf_counter() - t
            if i:
                raw.append(took)
    finally:
        db.close()
    return AttachReport(len(data), prepared.file.pages, ours, raw, prepare)


def print_report(report: AttachReport, out: Callable[[str], None] = print) -> None:
    mb = report.size / files.MB
    out(f"attaching a {report.pages}-page scan ({mb:.1f} MB) and committing it on PostgreSQL,"
        f" {len(report.ours)} rounds each, interleaved")
    out(f"{'':34}{'p50 ms':>10}{'p95 ms':>10}{'MB/s':>8}")
    for name, times in (("HallDesk files.attach", report.ours), ("raw psycopg, same chunks", report.raw)):
        out(f"{name:34}{ms(p50(times)):>10}{ms(p95(times)):>10}{mb / p50(times):>8.0f}")
    out(f"normalising it first (files.prepare, not in the ratio): {ms(report.prepare)} ms")
    out(f"ratio (HallDesk speed / raw speed, medians): {report.ratio:.2f}   target ≥ 0.5")


def main(rounds: int = 10) -> None:
    t = time.perf_counter()
    data = scan_pdf()
    print(f"generated a 10-page 300 dpi A4 greyscale scan in {time.perf_counter() - t:.1f} s")
    with postgres_hall() as hall:
        print_report(run(hall, data, rounds))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
