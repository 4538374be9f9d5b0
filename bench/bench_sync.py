"""Offline counter: local intake latency, and draining the outbox to PostgreSQL beside one bulk insert.

1. N cases are taken at counter 1 on its local SQLite store with the shared database out of the way
   (``push=False``): p50 and p95 of the local intake (target p95 ≤ 30 ms).
2. The shared database is cloned (``CREATE DATABASE … TEMPLATE``), so both runs start from the same rows.
3. ``push`` drains the outbox to the shared database, 100 cases per transaction, insert-or-ignore.
4. Baseline, same run: the same rows (cases, materials, events, notices, enterprise, audit rows) read from
   the local store, then written into the clone as one plain bulk INSERT per table in one transaction.
   Ratio = baseline time / drain time (target ≥ 0.2×).

Run: python -m bench.bench_sync [N]   (PostgreSQL at HALLDESK_TEST_PG, default 127.0.0.1:5432 user postgres)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.demo import DEMO_PASSWORD
from app.infra.counter_store import CounterStore
from bench.common import PG_ADMIN, ms, p95, postgres_hall
from db.engine import make_engine
from db.models import AuditEvent, Case, CaseEvent, CaseMaterial, Enterprise, Notice
from tests.intake_support import all_received, item_with_tolerable, request

TABLES = (Enterprise, Case, CaseMaterial, CaseEvent, Notice, AuditEvent)


def local_rows(store: CounterStore) -> dict[str, list[dict[str, Any]]]:
    """Everything a drain sends, read from the local store (print jobs stay local)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with store.local.engine.connect() as conn:
        for model in TABLES:
            table: sa.Table = model.__table__  # type: ignore[assignment]
            out[table.name] = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
    return out


def bulk_insert(url: str, rows: dict[str, list[dict[str, Any]]]) -> float:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))  # connect outside the timing, as the drain's pool is warm
        start = time.perf_counter()
        with engine.begin() as conn:
            for model in TABLES:
                table: sa.Table = model.__table__  # type: ignore[assignment]
                if rows[table.name]:
                    conn.execute(sa.insert(table), rows[table.name])
        return time.perf_counter() - start
    finally:
        engine.dispose()


def main(n: int = 1000) -> None:
    with postgres_hall() as hall, tempfile.TemporaryDirectory() as tmp:
        store = CounterStore.open(hall.url, Path(tmp) / "counter1.sqlite3")
        try:
            clerk = store.login("clerk1", DEMO_PASSWORD)
            item = item_with_tolerable(hall)
            req = request(item, materials=all_received(item))
            times: list[float] = []
            for _ in range(n):
                t = time.perf_counter()
                store.take_application(clerk, req, push=False)
                times.append(time.perf_counter() - t)
            assert store.pending() == n

            # A clone of the shared database as it is now, for the baseline (same catalog ids, same state).
            hall.engine.dispose()
            assert store.shared is not None
            store.shared.dispose()
            admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            clone = f"hd_bench_clone_{uuid.uuid4().hex[:8]}"
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{clone}" TEMPLATE "{hall.engine.url.database}"'))
            try:
                start = time.perf_counter()
                result = store.push_now(batch_size=100)
                drain = time.perf_counter() - start
                assert result is not None and result.pending == 0 and result.cases == n, result
                rows = local_rows(store)
                baseline = bulk_insert(
                    admin.url.set(database=clone).render_as_string(hide_password=False), rows
                )
            finally:
                with admin.connect() as c:
                    c.execute(sa.text(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)'))
                admin.dispose()
        finally:
            store.close()
    total_rows = sum(len(v) for v in rows.values())
    print(
        f"local intake on the counter's SQLite store, {n} cases: p50 {ms(statistics.median(times))} ms, "
        f"p95 {ms(p95(times))} ms (target ≤ 30 ms)"
    )
    print(
        f"drain {n} cases ({total_rows} rows, {result.batches} transactions) to PostgreSQL: {drain:.3f} s, "
        f"{n / drain:.0f} cases/s"
    )
    print(f"baseline: one bulk INSERT of the same rows: {baseline:.3f} s")
    print(f"ratio baseline/drain: {baseline / drain:.2f}× (target ≥ 0.2×)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
