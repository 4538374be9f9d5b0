"""Writers for tests/test_sqlite_concurrency.py: processes and threads taking applications on one SQLite file.

The process workers are started by ``multiprocessing``'s forkserver with this module preloaded, so twenty of
them start in a fraction of a second instead of importing HallDesk twenty times.  A worker never raises: it
reports every error it met (type and message) so that the test can say what went wrong, and how often.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import intake
from app.auth import Actor
from app.context import HallDesk
from tests.intake_support import item_with_tolerable, request

BARRIER_WAIT = 120.0  # seconds: a generous limit for twenty workers to get ready on a busy 2-core machine


@dataclass
class WorkerReport:
    """What one writer did: the case numbers it took and the errors it met."""

    name: str
    case_nos: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def describe(exc: BaseException) -> str:
    cause = f" <- {exc.__cause__!r}" if exc.__cause__ is not None else ""
    return f"{type(exc).__name__}: {exc}{cause}"[:400]


def take_applications(hall: HallDesk, actor: Actor, count: int, ready: Any, go: Any, name: str) -> WorkerReport:
    """Say that this writer is ready (``ready``, a barrier), wait for ``go`` (an event), then take ``count``
    applications as ``actor`` (logged in once by the test: twenty argon2 checks in a row would only add time)."""
    report = WorkerReport(name)
    try:
        item = item_with_tolerable(hall)
    except Exception as exc:
        report.errors.append("catalog: " + describe(exc))
        ready.abort()  # the others must not wait for this one
        return report
    try:
        ready.wait(BARRIER_WAIT)
    except threading.BrokenBarrierError as exc:
        report.errors.append("ready: " + describe(exc))
        return report
    if not go.wait(BARRIER_WAIT):
        report.errors.append("never told to start")
        return report
    for _ in range(count):
        try:
            report.case_nos.append(intake.take_application(hall.uow(), actor, request(item)).case_no)
        except Exception as exc:
            report.errors.append(describe(exc))
    return report


def process_worker(url: str, actor: Actor, count: int, ready: Any, go: Any, results: Any, name: str) -> None:
    """A program of its own (a clerk's, a script): opens HallDesk as a program does; the report goes to
    the ``results`` queue."""
    try:
        hall = HallDesk.open(url)
        hall.require_schema()
    except Exception as exc:
        ready.abort()
        results.put(WorkerReport(name, errors=["open: " + describe(exc)]))
        return
    try:
        results.put(take_applications(hall, actor, count, ready, go, name))
    finally:
        hall.close()


class WriteLockHolder:
    """Another program holding the file's write lock — a backup, a VACUUM, a long pull — until ``release_in``
    says when to let go."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("BEGIN IMMEDIATE")
        self._timer: threading.Timer | None = None

    def release_in(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self.release)
        self._timer.start()

    def release(self) -> None:
        with self._lock:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.release()
        self._conn.close()
