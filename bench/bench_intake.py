"""Intake transaction on PostgreSQL: cases/s and p95, beside the same rows written as raw SQL in the same run.

The raw baseline writes what one accepted case writes — the case (with its item, department, enterprise, counter
and clerk), its materials, its status event, the acceptance notice, two print jobs, the two sequence bumps and the
audit row with its chain head — as plain psycopg INSERT/UPDATE statements in one transaction, with no checks, no
ORM, no reference reads and no documents built.
Targets (issue 4): ≥ 0.5× the raw rate, p95 ≤ 10 ms on a local server.  Run: python bench/bench_intake.py [N]
"""

from __future__ import annotations

import sys
import time
import uuid

from app import intake
from app.auth import login
from app.demo import DEMO_PASSWORD
from bench.common import RawDb, RawIntake, ms, p95, postgres_hall, raw_intake
from tests.intake_support import ENTERPRISE, all_received, item_with_tolerable, request

BLOCKS = 10


def main(n: int = 300) -> None:
    with postgres_hall() as hall:
        clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
        item = item_with_tolerable(hall)
        req = request(item, materials=all_received(item))
        for _ in range(10):  # warm up caches and the connection pool
            intake.take_application(hall.uow(), clerk, req)
        db = RawDb(hall.url)
        try:
            db.add_sequences("bench", ("case", "acceptance"))
            ids: dict[str, uuid.UUID] = {}
            cur = db.cursor()
            for key, sql, arg in (
                ("item", "SELECT id FROM service_item WHERE code = %s", item.code),
                ("dept", "SELECT dept_id FROM service_item WHERE code = %s", item.code),
                ("enterprise", "SELECT id FROM enterprise WHERE uscc = %s", ENTERPRISE.uscc),
                ("counter", "SELECT id FROM counter WHERE number = %s", 1),
                ("clerk", "SELECT id FROM hd_user WHERE username = %s", "clerk1"),
            ):
                cur.execute(sql, (arg,))
                found = cur.fetchone()
                assert found is not None, key
                ids[key] = found[0]
            db.commit()  # each raw intake must be its own transaction, not a savepoint inside this one
            spec = RawIntake(item=ids["item"], dept=ids["dept"], counter=ids["counter"], clerk=ids["clerk"],
                             clerk_name="clerk1", enterprise=ids["enterprise"], materials=len(item.materials))
            for _ in range(10):
                raw_intake(db, spec)
            # Interleaved blocks, so that both sides see the same machine (other load, disk flush times).
            ours: list[float] = []
            raw: list[float] = []
            cpu = {"ours": 0.0, "raw": 0.0}
            for _block in range(BLOCKS):
                c = time.process_time()
                for _ in range(n // BLOCKS):
                    t = time.perf_counter()
                    intake.take_application(hall.uow(), clerk, req)
                    ours.append(time.perf_counter() - t)
                cpu["ours"] += time.process_time() - c
                c = time.process_time()
                for _ in range(n // BLOCKS):
                    t = time.perf_counter()
                    raw_intake(db, spec)
                    raw.append(time.perf_counter() - t)
                cpu["raw"] += time.process_time() - c
        finally:
            db.close()
    ours_rate, raw_rate = len(ours) / sum(ours), len(raw) / sum(raw)
    print(f"intake on PostgreSQL, {len(ours)} cases of {item.code} ({len(item.materials)} materials),"
          f" in {BLOCKS} interleaved blocks")
    print(f"{'':26}{'cases/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'client CPU ms':>15}")
    for name, rate, times, key in (("HallDesk take_application", ours_rate, ours, "ours"),
                                   ("raw SQL, same rows", raw_rate, raw, "raw")):
        print(f"{name:26}{rate:10.1f}{ms(sorted(times)[len(times) // 2]):>10}{ms(p95(times)):>10}"
              f"{ms(cpu[key] / len(times)):>15}")
    print(f"ratio (HallDesk / raw rate): {ours_rate / raw_rate:.2f}   target ≥ 0.5;  p95 target ≤ 10 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
