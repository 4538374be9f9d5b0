"""SQLite under concurrent writers (issue 13, part A).

A counter PC runs the GUI, its print worker, its sync and sometimes a script on one SQLite file (the embedded
database, or a counter's ``--local`` store).  Writers must take turns: no "database is locked" reported as a
network problem, no failed intake, nothing half-written.  In each of the three big tests another program holds
the file's write lock when the writers start, and lets go ``HOLD`` (``CLI_HOLD``) seconds later — longer than
the 10 s writers used to wait, well within the limit they wait now (``db.engine.SQLITE_BUSY_TIMEOUT``) — so
each of them fails against the code before the fix, however fast the machine is.  Clerks log in once, in the
test: twenty argon2 checks in a row would only add time (the CLI test logs in ten times, as programs do).
"""

from __future__ import annotations

import contextlib
import errno
import json
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select
from sqlalchemy.exc import OperationalError

from app import audit, intake
from app.auth import login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import DatabaseBusy, DatabaseUnavailable
from app.infra.counter_store import CounterStore
from app.infra.sync_errors import describe_error
from app.uow import retry_transient
from db import engine as db_engine
from db.models import Case, Outbox
from tests.intake_support import ENTERPRISE, case_numbers, item_with_tolerable, request, row_counts
from tests.support.sqlite_workers import WorkerReport, WriteLockHolder, process_worker, take_applications

ROOT = Path(__file__).resolve().parent.parent
HOLD = 10.5  # seconds another program keeps the write lock once the writers start (the old limit was 10 s)
CLI_HOLD = 11.0  # a command's first wait starts a little after it has read its application
PROCESSES, PER_PROCESS = 20, 50
THREADS, PER_THREAD = 8, 20
WAIT = 180.0  # a generous limit for anything a worker must do on a busy 2-core machine
NETWORK_WORDS = ("网络", "无法连接", "连接中断")
CASE_NO = re.compile(r"^[A-Z0-9]+?\d{6}-(?P<counter>\d{2})-(?P<seq>\d{4})$")

sqlite_only = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def file_of(url: str) -> Path:
    database = make_url(url).database
    assert database
    return Path(database)


def check_database(url: str, before: list[str], taken: list[str]) -> None:
    """Exactly the cases taken, each number once, each counter's numbers without a gap, the audit trail intact."""
    hall = HallDesk.open(url)
    try:
        with hall.uow() as uow:
            report = audit.verify(uow.session)
            stored = list(uow.session.execute(select(Case.case_no)).scalars())
    finally:
        hall.close()
    assert report.ok, report.problem
    assert len(stored) == len(set(stored)), "two cases with one case number"
    assert sorted(stored) == sorted(before + taken)
    per_counter: dict[str, list[int]] = {}
    for no in taken:
        m = CASE_NO.match(no)
        assert m, no
        per_counter.setdefault(m["counter"], []).append(int(m["seq"]))
    for counter, seqs in per_counter.items():
        assert sorted(seqs) == list(range(min(seqs), min(seqs) + len(seqs))), f"counter {counter}: a gap"


def failures(reports: list[WorkerReport]) -> str:
    errors = Tally(e for r in reports for e in r.errors)
    return f"{sum(errors.values())} errors, most common: {errors.most_common(3)}"


def start_together(ready: Any, go: Any, path: Path) -> WriteLockHolder:
    """Once every writer has logged in, another program takes the write lock, the writers start all at once,
    and the lock is let go ``HOLD`` seconds later: each writer's first intake waits that long for its turn."""
    with contextlib.suppress(threading.BrokenBarrierError):  # a writer could not get ready: its report says why
        ready.wait(WAIT)
    holder = WriteLockHolder(path)
    go.set()
    holder.release_in(HOLD)
    return holder


@sqlite_only
def test_twenty_processes_take_a_thousand_applications_on_one_file(hall: HallDesk) -> None:
    """20 programs × 50 intakes at once, while another program holds the lock at first: all wait their turn."""
    before = case_numbers(hall.url)
    clerks = [login(hall.uow(), f"clerk{n}", DEMO_PASSWORD) for n in (1, 2)]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.support.sqlite_workers"])
    ready, go, results = ctx.Barrier(PROCESSES + 1), ctx.Event(), ctx.Queue()
    # Clerks of counters 1 and 2, several programs each (intake by several clerks of one counter is fine here).
    procs = [
        ctx.Process(
            target=process_worker,
            args=(hall.url, clerks[i % 2], PER_PROCESS, ready, go, results, f"process {i}"),
        )
        for i in range(PROCESSES)
    ]
    holder: WriteLockHolder | None = None
    try:
        for p in procs:
            p.start()
        holder = start_together(ready, go, file_of(hall.url))
        reports: list[WorkerReport] = [results.get(timeout=WAIT) for _ in procs]
        for p in procs:
            p.join(WAIT)
    finally:
        if holder is not None:
            holder.close()
        for p in procs:
            if p.is_alive():
                p.kill()
    assert not any(r.errors for r in reports), failures(reports)
    taken = [no for r in reports for no in r.case_nos]
    assert len(taken) == PROCESSES * PER_PROCESS
    check_database(hall.url, before, taken)


@sqlite_only
def test_threads_of_one_program_take_turns(hall: HallDesk) -> None:
    """The GUI's threads (the clerk's intake, the print worker, the sync) share one HallDesk and its pool."""
    before = case_numbers(hall.url)
    clerks = [login(hall.uow(), f"clerk{n}", DEMO_PASSWORD) for n in (1, 2)]
    ready, go = threading.Barrier(THREADS + 1), threading.Event()
    shared = HallDesk.open(hall.url)
    holder: WriteLockHolder | None = None
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [
                pool.submit(take_applications, shared, clerks[i % 2], PER_THREAD, ready, go, f"thread {i}")
                for i in range(THREADS)
            ]
            holder = start_together(ready, go, file_of(hall.url))
            reports = [f.result(timeout=WAIT) for f in futures]
    finally:
        if holder is not None:
            holder.close()
        shared.close()
    assert not any(r.errors for r in reports), failures(reports)
    taken = [no for r in reports for no in r.case_nos]
    assert len(taken) == THREADS * PER_THREAD
    check_database(hall.url, before, taken)


def case_json(hall: HallDesk) -> str:
    item = item_with_tolerable(hall)
    req = request(item)
    return json.dumps(
        {
            "item": item.code,
            "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
            "agent": {"name": req.agent.name, "id_number": req.agent.id_number, "phone": req.agent.phone},
            "materials": {code: m.state for code, m in req.materials.items()},
        },
        ensure_ascii=False,
    )


def start_app(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HALLDESK_PASSWORD": DEMO_PASSWORD, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hand_over(commands: list[tuple[Path, subprocess.Popen[str]]], doc: str, on_first: Callable[[], None]) -> None:
    """Give each command its application (through its FIFO) the moment it opens it to read: it is started,
    HallDesk imported, and its first database access follows.  ``on_first`` runs once the first has it."""
    waiting = list(commands)
    deadline = time.monotonic() + WAIT
    while waiting:
        for fifo, proc in list(waiting):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
                    raise
                if proc.poll() is not None:
                    raise AssertionError(f"a command ended before reading its input: {proc.communicate()}") from None
                continue
            os.write(fd, doc.encode("utf-8"))
            os.close(fd)
            if len(waiting) == len(commands):
                on_first()
            waiting.remove((fifo, proc))
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(waiting)} commands never read their input")
        time.sleep(0.005)


@sqlite_only
def test_simultaneous_case_create_commands(hall: HallDesk, tmp_path: Path) -> None:
    """``python -m app case create`` ten times at once: six on the embedded database (counter 2), four on
    counter 1's new ``--local`` store (created and migrated by all four at once), and two ``db upgrade`` of a
    brand-new file besides.  Another program holds the embedded database's write lock from before the first
    command reads its application until ``CLI_HOLD`` seconds after."""
    before = case_numbers(hall.url)
    doc = case_json(hall)
    store = tmp_path / "counter1.sqlite3"
    fresh = tmp_path / "fresh.sqlite3"
    creates: list[tuple[Path, subprocess.Popen[str]]] = []
    for i in range(10):
        where = ("--db", hall.url) if i < 6 else ("--db", hall.url, "--local", str(store))
        user = "clerk2" if i < 6 else "clerk1"
        fifo = tmp_path / f"case{i}.json"
        os.mkfifo(fifo)
        creates.append((fifo, start_app(*where, "--user", user, "case", "create", "--json", str(fifo))))
    upgrades: list[subprocess.Popen[str]] = []

    def first_has_it() -> None:
        holder.release_in(CLI_HOLD)
        # Started now, they migrate the new file while the commands wait (their imports would only delay these).
        upgrades.extend(start_app("--db", f"sqlite:///{fresh}", "db", "upgrade") for _ in range(2))

    holder = WriteLockHolder(file_of(hall.url))
    try:
        hand_over(creates, doc, first_has_it)
        outputs = [(p, *p.communicate(timeout=WAIT)) for p in [p for _f, p in creates] + upgrades]
    finally:
        holder.close()
        for p in [p for _f, p in creates] + upgrades:
            if p.poll() is None:
                p.kill()
    for p, _out, err in outputs:
        assert p.returncode == 0, err
        assert not any(word in err for word in NETWORK_WORDS), err
    taken = [json.loads(out)["case_no"] for _p, out, _err in outputs[: len(creates)]]
    assert len(set(taken)) == len(taken) == len(creates)

    fresh_hall = HallDesk.open(f"sqlite:///{fresh}")
    try:
        assert fresh_hall.is_up_to_date()
    finally:
        fresh_hall.close()

    counter = CounterStore.open(hall.url, store, pull=False)
    try:
        assert counter.counter == 1
        # Four programs on one store push each other's cases too; what a busy moment left over goes now.
        result = counter.push_now()
        assert result is not None and result.pending == 0 and not result.conflicts
        with counter.local.uow() as uow:
            assert audit.verify(uow.session).ok
            outbox = list(uow.session.execute(select(Outbox.case_id)).scalars())
        assert len(outbox) == len(set(outbox)) == 4
    finally:
        counter.close()
    check_database(hall.url, before, taken)


# ---- the message, and what is retried ----------------------------------------------------------------------


def locked_error() -> OperationalError:
    """What SQLAlchemy raises when SQLite's busy timeout runs out."""
    orig = sqlite3.OperationalError("database is locked")
    orig.sqlite_errorcode = 5
    return OperationalError("BEGIN IMMEDIATE", {}, orig)


@sqlite_only
def test_database_is_locked_is_never_a_network_problem(hall: HallDesk) -> None:
    for make in (locked_error, lambda: OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))):
        with pytest.raises(DatabaseBusy) as caught, hall.uow():
            raise make()
        message = caught.value.message
        assert "本机数据库正被其他程序占用" in message and "未保存任何内容" in message
        assert not any(word in message for word in NETWORK_WORDS), message
    assert "共享数据库无法连接" not in describe_error(locked_error())
    assert db_engine.is_busy(locked_error()) and not db_engine.is_busy(OperationalError("x", {}, OSError("x")))


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """Writers give up after half a second, so that a test can wait out the limit."""
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT", 0.5)
    yield 0.5


@sqlite_only
def test_a_wait_past_the_limit_says_the_local_database_is_busy_and_writes_nothing(
    hall: HallDesk, short_busy_timeout: float
) -> None:
    clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    counts = row_counts(hall)
    busy = HallDesk.open(hall.url)  # made with the short limit
    holder = WriteLockHolder(file_of(hall.url))
    try:
        started = time.monotonic()
        # Opening and reading the schema do not wait for the writer at all.
        check = HallDesk.open(hall.url)
        check.require_schema()
        check.close()
        assert time.monotonic() - started < short_busy_timeout
        with pytest.raises(DatabaseBusy, match="本机数据库正被其他程序占用") as caught:
            intake.take_application(busy.uow(), clerk, request(item))
        assert isinstance(caught.value, DatabaseUnavailable)  # exit code 7, as before
        assert not any(word in caught.value.message for word in NETWORK_WORDS)
    finally:
        holder.close()
        busy.close()
    assert row_counts(hall) == counts


def test_a_file_switches_to_wal_while_another_program_writes(tmp_path: Path) -> None:
    """Switching to WAL is refused at once (no busy timeout) while another program writes: opening retries."""
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()  # a rollback-journal file
    holder = WriteLockHolder(path)
    try:
        holder.release_in(0.5)
        hall = HallDesk.open(f"sqlite:///{path}")
        hall.close()
    finally:
        holder.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_busy_without_waiting_is_retried_as_a_whole() -> None:
    """SQLite says "busy" at once where waiting could deadlock; the use case simply runs again."""
    calls: list[int] = []

    @retry_transient
    def use_case() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise locked_error()
        return "done"

    assert use_case() == "done" and len(calls) == 3
