"""Accept-to-last-byte: from the clerk's 受理 to the receipt's last byte at a TCP printer on 127.0.0.1.

For each case: take_application (one transaction: case, notices, print jobs, audit), then the print worker
sends the receipt job (lease, render ESC/POS with a native QR, send, mark printed).  The clock stops when
the printer has the last byte.  Baseline in the same run: a bare python-escpos ``Dummy`` receipt of the same
text, rendered and sent to the same printer.  Target (issue 3): p95 ≤ 150 ms.
Run: python -m bench.bench_accept_print [N]
"""

from __future__ import annotations

import socket
import sys
import time

from escpos.printer import Dummy

from app import accounts, intake
from app.auth import login
from app.demo import DEMO_PASSWORD
from app.printing import queue
from bench.common import ms, p95, postgres_hall
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support.fake_printer import FakePrinter


def dummy_receipt(lines: list[str], qr: str) -> bytes:
    d = Dummy(profile="TM-T20II")
    d.set(align="center", double_height=True, double_width=True)
    d.text("受理回执\n")
    d.set(align="left", normal_textsize=True)
    for line in lines:
        d.text(line + "\n")
    d.qr(qr, native=True, size=6)
    d.cut()
    return bytes(d.output)


def main(n: int = 100) -> None:
    with postgres_hall() as hall, FakePrinter() as printer:
        admin = login(hall.uow(), "admin", DEMO_PASSWORD)
        accounts.set_counter_printers(hall.uow(), admin, 1, printer.uri, "")
        clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
        item = item_with_tolerable(hall)
        req = request(item, materials=all_received(item))
        ours: list[float] = []
        for i in range(n + 5):
            t = time.perf_counter()
            view = intake.take_application(hall.uow(), clerk, req)
            job = next(j for j in queue.list_jobs(hall.uow(), case_no=view.case_no) if j.kind == "receipt")
            done = queue.send_job(hall.uow, job.id)
            assert done.status == "printed", done.last_error
            record = printer.records[-1]
            assert record.last_byte_at is not None
            if i >= 5:  # warm-up
                ours.append(record.last_byte_at - t)
        lines = [f"{a}：{b}" for a, b in (("办件编号", view.case_no), ("办理事项", view.item_name),
                                         ("承办部门", view.dept_name))] + [m.name for m in view.materials]
        host, port = printer.uri.removeprefix("tcp://").split(":")
        base: list[float] = []
        for _ in range(n):
            before = len(printer.jobs)
            t = time.perf_counter()
            data = dummy_receipt(lines, view.slip)
            with socket.create_connection((host, int(port))) as sock:
                sock.sendall(data)
            printer.wait_for_jobs(before + 1)
            record = printer.records[-1]
            base.append((record.last_byte_at or time.perf_counter()) - t)
    print(f"accept → last byte at the TCP printer, PostgreSQL, {n} cases of {item.code}")
    print(f"{'':34}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'HallDesk accept + print worker':34}{ms(sorted(ours)[n // 2]):>10}{ms(p95(ours)):>10}")
    print(f"{'python-escpos Dummy render + send':34}{ms(sorted(base)[n // 2]):>10}{ms(p95(base)):>10}")
    print(f"ratio p95 (HallDesk / Dummy): {p95(ours) / p95(base):.1f}   target: HallDesk p95 ≤ 150 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
