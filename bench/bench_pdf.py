"""How long one A4 受理通知书 with 10 materials takes to render, against a bare reportlab baseline.

    .venv/bin/python bench/bench_pdf.py [--runs 30]

The baseline, measured in the same run: the same text (taken from the rendered notice) drawn line by line
with ``drawString`` on bare A4 canvas pages in the same embedded CJK font, i.e. the cost of reportlab and
font subsetting without layout, tables, QR code or templates.  Prints median and p95 of both and the ratio.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pypdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.printing.chinese_text import FONT
from app.printing.notice_templates import Notice, NoticeMaterial, load_templates
from app.printing.pdf import render_notice

STATES = ("received", "received", "received", "waived", "received", "received", "received", "received",
          "received", "received")


def sample_notice() -> Notice:
    materials = tuple(
        NoticeMaterial(
            code=f"M{i:02}", name=f"申请材料第{i}项：项目建设内容及规模说明（含附图附表）", state=state,
            note="免提交：地震安全性评价" if state == "waived" else "", originals=1, copies=i % 3,
        )
        for i, state in enumerate(STATES, start=1)
    )
    return Notice(
        kind="acceptance", doc_no="新经开受〔2026〕0001号", hall_name="新建经开区政务服务大厅",
        hall_address="南昌市新建区经开区管委会一楼", hall_phone="0791-83712345",
        case_no="XJ01-02-20261127-0007", item_code="FGW001", item_name="企业投资项目备案", dept_name="区发改委",
        applicant="南昌新建示范制造有限公司", uscc="91360112MA35XXXX0X", agent_name_masked="张*",
        agent_id_masked="360***********123X", agent_phone_masked="138****5678",
        received_at="2026年11月27日 10:32", issued_on="2026年11月27日", clerk="李晓雯",
        qr_payload="HD1.XJ01-02-20261127-0007.FGW001.20261127T1032.K7Q2ZP.MEUCIQD1x9fKp3c8w2n0aTqL5yVh4mRzE8uJ",
        pickup_code="583120", promised_due="2026年11月30日", legal_due="2026年12月4日", materials=materials,
        legal_basis="《企业投资项目核准和备案管理条例》第十三条",
    )


def baseline(lines: list[str]) -> bytes:
    """The same text with drawString on bare A4 pages: no layout, no tables, no QR."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=FONT)
    height = A4[1]
    y = height - 60
    canvas.setFont(FONT, 11)
    for line in lines:
        if y < 60:
            canvas.showPage()
            canvas.setFont(FONT, 11)
            y = height - 60
        canvas.drawString(57, y, line)
        y -= 16
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def timed(work: Callable[[], bytes], runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    notice = sample_notice()

    start = time.perf_counter()
    load_templates()
    pdf = render_notice(notice)  # first render: font registration and template parsing
    cold = time.perf_counter() - start
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    lines = [line for page in reader.pages for line in page.extract_text().splitlines() if line.strip()]
    baseline(lines)  # warm up the same way

    notice_times = timed(lambda: render_notice(notice), args.runs)
    base_times = timed(lambda: baseline(lines), args.runs)

    n_med, n_p95 = statistics.median(notice_times), p95(notice_times)
    b_med, b_p95 = statistics.median(base_times), p95(base_times)
    print(f"受理通知书, 10 materials, {len(reader.pages)} page(s), {len(pdf) / 1024:.0f} KiB, {args.runs} runs")
    print(f"  first render (font + templates): {cold * 1000:8.1f} ms")
    print(f"  render_notice      median {n_med * 1000:8.1f} ms   p95 {n_p95 * 1000:8.1f} ms")
    print(f"  baseline drawString median {b_med * 1000:7.1f} ms   p95 {b_p95 * 1000:8.1f} ms"
          f"   ({len(lines)} lines, same text and font)")
    print(f"  ratio              median {n_med / b_med:8.2f} x   p95 {n_p95 / b_p95:8.2f} x")


if __name__ == "__main__":
    main()
