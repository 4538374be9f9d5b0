"""The daily backup of a counter's store while the clerk writes: how long the copy takes, and what it costs a
writer (commit latency with and without a copy running).

Run: ``.venv/bin/python bench/bench_backup.py [--mb 200]``

A SQLite file in WAL mode, set up as HallDesk sets up its files (``db.engine.make_engine``: WAL, synchronous=FULL),
is filled with ``--mb`` megabytes of 256 KB blobs (scans waiting for upload).  A writer commits one small row at a
time in a loop, as intake does; its commit latency (median and p95) is measured alone and then while
``app.backup.backup_sqlite`` copies the file.  Ratios are printed, no verdict: the copy is one read snapshot in WAL
mode, so the writer should not wait for it, only share the disk with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from app import backup
from db.engine import make_engine


def _fill(url: str, mb: int) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE blob (id INTEGER PRIMARY KEY, data BLOB)")
            conn.exec_driver_sql("CREATE TABLE row (id INTEGER PRIMARY KEY, at REAL)")
        chunk = os.urandom(256 * 1024)
        for _ in range(mb * 4):
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO blob (data) VALUES (?)", (chunk,))
    finally:
        engine.dispose()


def _writer(url: str, stop: threading.Event, latencies: list[float]) -> None:
    engine = make_engine(url)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO row (at) VALUES (:at)"), {"at": started})
            latencies.append(time.perf_counter() - started)
    finally:
        engine.dispose()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0, help="writer alone, before the copy")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="halldesk-bench-backup-"))
    source = folder / "local.sqlite3"
    url = f"sqlite:///{source}"
    _fill(url, args.mb)
    alone: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=_writer, args=(url, stop, alone))
    thread.start()
    time.sleep(args.seconds)
    stop.set()
    thread.join()
    during: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=_writer, args=(url, stop, during))
    thread.start()
    time.sleep(0.2)
    started = time.perf_counter()
    result = backup.backup_sqlite(source, folder / "copy.sqlite3")
    copy_seconds = time.perf_counter() - started
    stop.set()
    thread.join()
    size_mb = result.size / 1048576
    print(f"file {size_mb:.0f} MB copied in {copy_seconds:.2f} s ({size_mb / copy_seconds:.0f} MB/s)")
    print(f"writer alone:       {len(alone)} commits, median {statistics.median(alone) * 1000:.2f} ms, "
          f"p95 {_p95(alone) * 1000:.2f} ms")
    print(f"writer during copy: {len(during)} commits, median {statistics.median(during) * 1000:.2f} ms, "
          f"p95 {_p95(during) * 1000:.2f} ms, max {max(during) * 1000:.1f} ms")
    print(f"ratio during/alone: median {statistics.median(during) / statistics.median(alone):.2f}, "
          f"p95 {_p95(during) / _p95(alone):.2f}")


if __name__ == "__main__":
    main()
