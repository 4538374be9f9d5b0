"""Back-office benchmarks on PostgreSQL (issue 5).

1. Claims per second with 8 worker threads taking cases from a department queue through
   ``backoffice.claim_next``, beside a raw ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`` script doing
   the same claims in the same run.  Target: ≥ 0.5× the raw rate.
2. The first queue page (100 rows) with 1,000,000 cases in the table: p50/p95 of ``queue_page``, beside the
   bare keyset SELECT.  Target: ≤ 50 ms p95.
Run: python -m bench.bench_backoffice [CASES_FOR_CLAIMS] [TOTAL_CASES]
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import sqlalchemy as sa

from app import backoffice
from app.auth import login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from bench.common import ms, p95, postgres_hall
from db.models import Department, ServiceItem


def _fill(url: str, dept_id: uuid.UUID, item_id: uuid.UUID, n: int, status: str = "accepted") -> None:
    """n cases via COPY (a million rows in seconds)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY hd_case (id, case_no, item_id, dept_id, status, channel, received_at, accepted_at,"
                      " promised_due, agent_name, agent_id_number, agent_phone, due_provisional, pickup_code, slip,"
                      " refusal_reason, refusal_basis, deemed_accepted, version, claim_token, decision_reason,"
                      " decision_basis, result_docs, created_at, updated_at) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((uuid.uuid4(), f"B{uuid.uuid4().hex[:16].upper()}", item_id, dept_id, status,
                                "window", now - timedelta(seconds=i), now, date(2026, 12, 1) + timedelta(days=i % 300),
                                "", "", "", False, "", "", "", "", False, 1, 0, "", "", "", now, now))
        conn.commit()
        conn.execute("ANALYZE hd_case")


def _scj(hall: HallDesk) -> tuple[uuid.UUID, uuid.UUID, str]:
    """区市场监管局's id, one of its items, and a plain psycopg URL of the bench database."""
    with hall.uow() as uow:
        dept = uow.session.execute(sa.select(Department).where(Department.code == "SCJ")).scalar_one()
        item = uow.session.execute(sa.select(ServiceItem).where(ServiceItem.dept_id == dept.id)).scalars().first()
        assert item is not None
        dept_id, item_id = dept.id, item.id
    return dept_id, item_id, hall.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def claims_bench(n: int) -> None:
    with postgres_hall() as hall:
        dept_id, item_id, url = _scj(hall)
        _fill(url, dept_id, item_id, n)
        actor = login(hall.uow(), "rev_scj", DEMO_PASSWORD)
        count = [0]
        lock = threading.Lock()

        def ours() -> None:
            while backoffice.claim_next(hall.uow(), actor, "SCJ") is not None:
                with lock:
                    count[0] += 1

        start = time.perf_counter()
        threads = [threading.Thread(target=ours) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ours_rate = count[0] / (time.perf_counter() - start)

        _fill(url, dept_id, item_id, n)
        raw_count = [0]

        def raw() -> None:
            with psycopg.connect(url) as conn:
                while True:
                    with conn.transaction():
                        row = conn.execute(
                            "UPDATE hd_case SET status = 'in_review', holder_id = %s, lease_until = now() + interval"
                            " '30 minutes', claim_token = claim_token + 1 WHERE id = (SELECT id FROM hd_case WHERE"
                            " dept_id = %s AND status = 'accepted' ORDER BY promised_due, received_at, id LIMIT 1"
                            " FOR UPDATE SKIP LOCKED) RETURNING case_no", (actor.user_id, dept_id)).fetchone()
                    if row is None:
                        return
                    with lock:
                        raw_count[0] += 1

        start = time.perf_counter()
        threads = [threading.Thread(target=raw) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        raw_rate = raw_count[0] / (time.perf_counter() - start)
    print(f"claims with 8 workers on PostgreSQL ({n} cases each run)")
    print(f"  HallDesk claim_next: {ours_rate:8.1f} claims/s ({count[0]} claimed)")
    print(f"  raw SKIP LOCKED:     {raw_rate:8.1f} claims/s ({raw_count[0]} claimed)")
    print(f"  ratio {ours_rate / raw_rate:.2f}   target ≥ 0.5")


def queue_bench(total: int, runs: int = 50) -> None:
    with postgres_hall() as hall:
        dept_id, item_id, url = _scj(hall)
        t0 = time.perf_counter()
        _fill(url, dept_id, item_id, total // 10)  # the open queue
        _fill(url, dept_id, item_id, total - total // 10, status="approved")  # history
        filled = time.perf_counter() - t0
        actor = login(hall.uow(), "rev_scj", DEMO_PASSWORD)
        backoffice.queue_page(hall.uow(), actor, "SCJ")  # warm
        ours: list[float] = []
        for _ in range(runs):
            t = time.perf_counter()
            page = backoffice.queue_page(hall.uow(), actor, "SCJ", limit=100)
            ours.append(time.perf_counter() - t)
        assert len(page.rows) == 100
        bare: list[float] = []
        with psycopg.connect(url) as conn:
            for _ in range(runs):
                t = time.perf_counter()
                conn.execute("SELECT id, case_no, promised_due FROM hd_case WHERE dept_id = %s AND status ="
                             " 'accepted' ORDER BY promised_due, received_at, id LIMIT 100", (dept_id,)).fetchall()
                bare.append(time.perf_counter() - t)
    print(f"first queue page (100 rows) with {total:,} cases in the table (filled in {filled:.0f} s)")
    print(f"  HallDesk queue_page: p50 {ms(sorted(ours)[runs // 2])} ms, p95 {ms(p95(ours))} ms   target p95 ≤ 50 ms")
    print(f"  bare keyset SELECT:  p50 {ms(sorted(bare)[runs // 2])} ms, p95 {ms(p95(bare))} ms")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "0":
        claims_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    queue_bench(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
