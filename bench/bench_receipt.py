"""How long a 10-material 受理回执 takes to render and to reach a (fake) network printer.

Run: ``.venv/bin/python bench/bench_receipt.py [--runs 200] [--sends 100]``

Render times are compared with a bare python-escpos ``Dummy`` receipt built from the same strings in the
same run, so the ratios hold across machines.  Send latency is from calling ``send`` to the last job byte
arriving at :class:`tests.support.fake_printer.FakePrinter` on 127.0.0.1 (``send()`` itself returns a little
later, once the printer has closed its side).  Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from app.printing.escpos import render_receipt
from app.printing.model import PrinterProfile, Receipt
from app.printing.transport import send
from tests.support.fake_printer import FakePrinter

RECEIPT = Receipt(
    title="受理回执",
    hall_name="杭州市某某区政务服务中心",
    case_no="HD20240612-0017",
    rows=(
        ("申请人", "张**（身份证号：330102********1234）"),
        ("事项名称", "企业设立登记（有限责任公司），“一窗通”综合受理：材料齐全、符合法定形式。"),
        ("受理窗口", "3号窗口、综合受理区"),
        ("受理时间", "2024-06-12 10:30:01"),
        ("承诺时限", "5个工作日（不含法定节假日）"),
    ),
    materials=tuple((f"材料{i}：营业执照（副本）复印件", "复印件1份，已收取；原件已核验") for i in range(1, 11)),
    notes=("请妥善保管本回执，凭回执或短信取件码取件。",),
    qr_payload="https://yichuangtong.example.gov.cn/r/HD20240612-0017?sig=Zm9vYmFy",
    pickup_code="7302",
    footer=("一窗通 · 受审分离",),
)


def dummy_receipt(r: Receipt, *, native_qr: bool) -> bytes:
    """The same strings through python-escpos's own API, as a plain integration would do it."""
    p = Dummy(profile="TM-T20II")  # an 80 mm, 576-dot profile, so python-escpos can centre the image QR
    p.set(align="center", bold=True)
    p.textln(r.hall_name)
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln(r.title)
    p.textln(r.case_no or "")
    p.set(align="left", bold=False, normal_textsize=True)
    p.textln("-" * 48)
    for label, value in r.rows:
        p.textln(f"{label}：{value}")
    p.textln("-" * 48)
    p.set(bold=True)
    p.textln(f"材料清单（共{len(r.materials)}项）")
    p.set(bold=False)
    for i, (name, state) in enumerate(r.materials, 1):
        p.textln(f"{i}. {name}")
        p.textln(f"    {state}")
    for note in r.notes:
        p.textln(note)
    p.set(align="center")  # python-escpos refuses center=True for a native QR; ESC a 1 still applies
    p.qr(r.qr_payload, native=native_qr, size=6, ec=QR_ECLEVEL_M, center=not native_qr)
    p.set(align="center", double_height=True, double_width=True)
    p.textln(r.pickup_code or "")
    p.set(align="left", normal_textsize=True)
    for line in r.footer:
        p.textln(line)
    p.cut(mode="PART")
    return bytes(p.output)


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(min(10, runs)):
        fn()  # warm caches (fonts, codecs) as a long-running counter app would have them
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sends", type=int, default=100)
    args = parser.parse_args()

    native = PrinterProfile()
    image_qr = PrinterProfile(qr_native=False)
    raster = PrinterProfile(raster=True)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("python-escpos Dummy, native QR", lambda: dummy_receipt(RECEIPT, native_qr=True)),
        ("python-escpos Dummy, image QR", lambda: dummy_receipt(RECEIPT, native_qr=False)),
        ("HallDesk text, native QR", lambda: render_receipt(RECEIPT, native)),
        ("HallDesk text, image QR", lambda: render_receipt(RECEIPT, image_qr)),
        ("HallDesk raster (whole slip)", lambda: render_receipt(RECEIPT, raster)),
    ]
    sizes = {
        cases[0][0]: len(dummy_receipt(RECEIPT, native_qr=True)),
        cases[1][0]: len(dummy_receipt(RECEIPT, native_qr=False)),
        cases[2][0]: len(render_receipt(RECEIPT, native)),
        cases[3][0]: len(render_receipt(RECEIPT, image_qr)),
        cases[4][0]: len(render_receipt(RECEIPT, raster)),
    }
    results = {name: timings(fn, args.runs) for name, fn in cases}
    base = statistics.median(results[cases[0][0]])
    base_img = statistics.median(results[cases[1][0]])

    print(f"Render, 10 materials, 80 mm, {args.runs} runs (ms)")
    print(f"{'renderer':34} {'bytes':>7} {'median':>8} {'p95':>8} {'/Dummy native':>14} {'/Dummy image':>13}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:34} {sizes[name]:7d} {ms(med)} {ms(p95(values))} {med / base:14.2f} {med / base_img:13.2f}")

    # The fake printer runs in this process: with the default 5 ms GIL switch interval, hand-offs between
    # its threads and ours, not the transport, would dominate sub-millisecond latencies.
    sys.setswitchinterval(0.0005)
    print()
    print(f"send() to FakePrinter on 127.0.0.1, {args.sends} jobs each (ms; GIL switch interval 0.5 ms)")
    print(f"{'job':34} {'bytes':>7} {'last byte p50':>14} {'p95':>8} {'send() p95':>11}")
    jobs = [("text, native QR", render_receipt(RECEIPT, native)), ("raster", render_receipt(RECEIPT, raster))]
    for status_check in (False, True):
        for label, data in jobs:
            with FakePrinter() as printer:
                latencies, durations = [], []
                for i in range(args.sends):
                    t0 = time.perf_counter()
                    send(printer.uri, data, status_check=status_check)
                    durations.append(time.perf_counter() - t0)
                    printer.wait_for_jobs(i + 1)
                    job = printer.records[i]
                    assert job.last_byte_at is not None and bytes(job.data) == data
                    latencies.append(job.last_byte_at - t0)
            name = f"{label}{', status check' if status_check else ''}"
            print(f"{name:34} {len(data):7d} {ms(statistics.median(latencies)):>14} {ms(p95(latencies))} "
                  f"{ms(p95(durations)):>11}")


if __name__ == "__main__":
    main()
