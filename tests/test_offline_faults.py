"""Fault tests for offline-first counters (issue 7): processes killed with SIGKILL, servers stopped mid-work.

* kill -9 during intake at 24 chosen points (the N-th case's rows written, before its commit, after it; in a
  worker that pushes after each case: inside the push's shared transaction, between the shared commit and the
  local mark): the counter's store is consistent after every kill — whole cases or nothing, one outbox row
  per case, sequences without gaps or repeats, audit chains intact, nothing committed lost, exactly the one
  case the kill point says may be extra — and so is the shared one.
* Against throw-away PostgreSQL and MariaDB servers of the tests' own (tests/support/clusters.py), which the
  tests really stop and start: 50 cases taken while the server is down, then synced; the sync killed at 20
  chosen points (before the first batch, inside a batch's shared transaction, between a batch's shared commit
  and its local mark, after the N-th batch, in the middle of re-sending the whole outbox) and the whole
  outbox re-sent 3 times; two counters offline at once; the server stopped (immediate shutdown) at three
  points of a push.  Every time: exactly the cases taken, no duplicates, audit chains verify on the shared
  database.

**Kill points are events, never times**: a worker SIGKILLs itself at the event its job names (see
``tests/support/offline_driver.py``), and a server is stopped while the push waits at an event, so a slow
machine tests exactly what a fast one does.  Workers are forked by a zygote, so a kill costs milliseconds,
not a Python start.  Waits are on conditions with generous time limits.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app import audit, backoffice
from app.auth import Actor, login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from app.infra.counter_store import CounterStore
from app.infra.sync import PushResult
from db.models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseMaterial,
    CounterSequence,
    Enterprise,
    MaterialRequirement,
    Notice,
    Outbox,
    PrintJob,
)
from tests.intake_support import ENTERPRISE, item_with_tolerable, request
from tests.support.clusters import Cluster
from tests.support.offline_driver import at_event, intake_requests

ROOT = Path(__file__).resolve().parent.parent
# kill -9 during intake: (the worker pushes after each case, the event, its N-th occurrence).  Events before
# the commit lose the N-th case; after it (the commit returned, or in the push that follows it) they keep it.
INTAKE_EVENTS = (
    (False, "intake_written"),
    (False, "intake_commit"),
    (False, "intake_committed"),
    (True, "intake_commit"),
    (True, "shared_open"),
    (True, "shared_committed"),
)
INTAKE_KILLS = [(push, event, n) for n in (1, 2, 3, 4) for push, event in INTAKE_EVENTS]
BEFORE_COMMIT = frozenset({"intake_written", "intake_commit"})
CASES = 50  # taken at one counter while the server is down
# The sync killed: (event, N, batch size, counted only in the re-send after a whole push).
SYNC_KILLS = [
    ("batch_start", 1, 7, False),  # before the first batch: nothing of it on the server
    ("shared_open", 1, 7, False),  # inside the first batch's shared transaction
    ("shared_committed", 1, 7, False),  # between the first batch's shared commit and its local mark
    ("batch_start", 2, 3, False),  # the first batch done on both sides
    ("shared_open", 2, 3, False),
    ("shared_committed", 2, 3, False),
    ("shared_committed", 3, 1, False),
    ("shared_open", 4, 1, False),
    ("batch_start", 5, 20, False),
    ("shared_committed", 2, 20, False),
    ("resent", 1, 20, False),  # a whole push done, the outbox just marked unsent
    # The same points in the re-send of an outbox that went up whole once (every row already on the server).
    ("batch_start", 1, 20, True),
    ("shared_open", 1, 20, True),
    ("shared_committed", 1, 20, True),
    ("batch_start", 2, 7, True),
    ("shared_open", 2, 7, True),
    ("shared_committed", 2, 7, True),
    ("shared_committed", 3, 20, True),
    ("shared_open", 3, 7, True),
    ("shared_committed", 4, 7, True),
]
RESENDS = 3
TWO_COUNTER_CASES = 20  # per counter
# The server stopped (immediate shutdown) while a push (two cases a batch) waits at: inside the third batch's
# shared transaction; after the second batch's shared commit, before its local mark; before the fourth batch.
MID_PUSH_STOPS = [("shared_open", 3), ("shared_committed", 2), ("batch_start", 4)]
# `sync run --resend-all` killed: inside the shared transaction, before the local mark, after it.
CLI_KILLS = [("shared_open", 1), ("shared_committed", 1), ("batch_start", 2)]
WAIT = 120.0  # seconds: a generous limit for anything a worker must do on a busy 2-core machine

CASE_NO = re.compile(r"^[A-Z0-9]+?(?P<day>\d{6})-(?P<counter>\d{2})-(?P<seq>\d{4})$")
DOC_NO = re.compile(r"〔(?P<year>\d{4})〕(?P<counter>\d{2})(?P<seq>\d{4})号$")
_names = itertools.count()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.005)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Zygote:
    """The forking driver process (see tests/support/offline_driver.py)."""

    def __init__(self, workdir: Path) -> None:
        self.stderr_path = workdir / "zygote.stderr"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.offline_driver"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.workers: list[int] = []

    def start(self, **job: Any) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the driver died:\n{self.errors()}")
        pid = int(json.loads(line)["pid"])
        self.workers.append(pid)
        return pid

    def run_until_killed(self, log_path: Path, event: str, n: int, **job: Any) -> list[str]:
        """Start a worker that SIGKILLs itself at the ``n``-th ``event``; wait until it has; return its log."""
        pid = self.start(log=str(log_path), kill_at={"event": event, "n": n}, **job)
        wait_for(lambda: not alive(pid), f"{job['job']} worker {pid} to reach {event} {n}")
        lines = log_path.read_text(encoding="utf-8").splitlines() if log_path.exists() else []
        assert lines and lines[-1] == f"K {event} {n}", (
            f"{job['job']} worker {pid} did not die at {event} {n}: {lines[-3:]}\n{self.errors()}"
        )
        return lines

    def errors(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def close(self) -> None:
        for pid in self.workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    z = Zygote(tmp_path_factory.mktemp("zygote"))
    yield z
    z.close()


@pytest.fixture(scope="module")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A shared SQLite database with the demo data, and counter 1's local store pulled from it; made once."""
    folder = tmp_path_factory.mktemp("templates")
    shared, local = folder / "shared.sqlite3", folder / "counter1.sqlite3"
    hall = HallDesk.open(f"sqlite:///{shared}", upgrade=True)
    try:
        load_demo(hall.uow(), folder_printers=False)
    finally:
        hall.close()
    store = CounterStore.open(f"sqlite:///{shared}", local)
    try:
        store.login("clerk1", DEMO_PASSWORD)  # binds the store to counter 1
    finally:
        store.close()
    return shared, local


def copy_sqlite(source: Path, target: Path) -> Path:
    """Copy a closed SQLite store (its -wal is checkpointed on close, but copy one if there is one)."""
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    return target


def committed_in(log: list[str]) -> list[str]:
    """The case numbers an intake worker saw committed (its ``C <i> <case_no>`` lines)."""
    return [line.split()[2] for line in log if line.startswith("C ")]


def pending_case_numbers(hall: HallDesk) -> set[str]:
    """Cases of a counter's store whose outbox row is not marked sent."""
    with hall.uow() as uow:
        return set(
            uow.session.execute(
                select(Case.case_no).join(Outbox, Outbox.case_id == Case.id).where(Outbox.sent_at.is_(None))
            ).scalars()
        )


def sqlite_integrity(path: Path) -> None:
    """``PRAGMA integrity_check`` and ``foreign_key_check`` on a store nobody else has open (WAL recovered)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


EXPECTED_NOTICES = {
    "accepted": {"acceptance"},
    "correction_requested": {"correction"},
    "refused": {"refusal"},
    "completed_immediately": set(),
}


def check_store(
    hall: HallDesk, *, outbox: bool = False, print_jobs: bool = True, complete: bool = True
) -> list[str]:
    """Every case whole, every sequence without gap or repeat, every audit chain intact; returns the case numbers.

    ``outbox``: every case also has exactly one outbox row (a counter's local store).  ``print_jobs``: and its
    receipt and notice print jobs (not on the shared database: they stay at the counter).  ``complete=False``
    (a shared database mid-sync): a counter's audit chain and sequences are pushed in their own order, ahead
    of or behind the cases, so a case's audit row and its numbers' sequence may not be there yet.
    """
    with hall.uow() as uow:
        s = uow.session
        report = audit.verify(s)
        assert report.ok, report.problem
        # Only the columns checked: whole ORM rows (notice payloads, print-job documents) cost ten times more.
        cases = {c.id: c for c in s.execute(select(Case.id, Case.case_no, Case.status, Case.item_id)).all()}
        n_materials = dict(
            s.execute(
                select(MaterialRequirement.item_id, func.count()).group_by(MaterialRequirement.item_id)
            ).all()
        )
        materials: Tally[Any] = Tally()
        tolerated: set[Any] = set()
        for case_id, state in s.execute(select(CaseMaterial.case_id, CaseMaterial.state)).all():
            materials[case_id] += 1
            if state == "tolerated":
                tolerated.add(case_id)
        events = Tally(s.execute(select(CaseEvent.case_id)).scalars())
        notices: dict[Any, dict[str, str]] = {}
        for case_id, kind, doc_no in s.execute(select(Notice.case_id, Notice.kind, Notice.doc_no)).all():
            notices.setdefault(case_id, {})[kind] = doc_no
        jobs: dict[Any, list[str]] = {}
        for job_case, job_kind in s.execute(select(PrintJob.case_id, PrintJob.kind)).all():
            jobs.setdefault(job_case, []).append(job_kind)
        creates: dict[str, list[dict[str, Any]]] = {}
        for entity_id, payload in s.execute(
            select(AuditEvent.entity_id, AuditEvent.payload).where(AuditEvent.action == "case.create")
        ).all():
            creates.setdefault(entity_id, []).append(json.loads(payload))
        numbering = {(q.scope, q.period): q.value for q in s.execute(select(CounterSequence)).scalars()}
        if outbox:
            rows = Tally(s.execute(select(Outbox.case_id)).scalars())
            assert set(rows) == set(cases), "outbox rows without a case, or cases without an outbox row"
            assert all(n == 1 for n in rows.values()), "a case with more than one outbox row"

    assert all(len(rows) == 1 for rows in creates.values()), "a case.create audit row twice"
    if complete:
        assert set(creates) == {str(i) for i in cases}, (
            "case.create audit rows without their case, or cases without"
        )
    used: dict[tuple[str, str], list[int]] = {}
    for case in cases.values():
        where = f"case {case.case_no}"
        assert materials[case.id] == n_materials[case.item_id], f"{where}: materials"
        assert events[case.id] == 1, f"{where}: status history"
        kinds = notices.get(case.id, {})
        expected = set(EXPECTED_NOTICES[case.status])
        if case.id in tolerated:
            expected.add("tolerated")  # 容缺受理: the 容缺受理通知书 with the 承诺书 as well
        assert set(kinds) == expected, f"{where}: notices {sorted(kinds)}"
        job_kinds = sorted(jobs.get(case.id, []))
        if print_jobs:
            assert job_kinds.count("notice") == len(kinds), f"{where}: notice print jobs {job_kinds}"
            assert job_kinds.count("receipt") == (0 if case.status == "refused" else 1), (
                f"{where}: receipt job"
            )
        else:
            assert job_kinds == [], f"{where}: print jobs on the shared database would print twice"
        for made in creates.get(str(case.id), []):
            assert made["case_no"] == case.case_no and sorted(made["notices"]) == sorted(kinds.values()), (
                where
            )
        m = CASE_NO.match(case.case_no)
        assert m, case.case_no
        used.setdefault((f"case:{m['counter']}", m["day"]), []).append(int(m["seq"]))
        for kind, doc_no in kinds.items():
            d = DOC_NO.search(doc_no)
            assert d, doc_no
            used.setdefault((f"doc:{kind}:{d['counter']}", d["year"]), []).append(int(d["seq"]))
    if complete:
        # A killed transaction takes its numbers with it: each sequence is exactly 1..value, no gap, no repeat.
        assert set(used) == {k for k in numbering if k[0].startswith(("case:", "doc:"))}
        for key, numbers in used.items():
            assert sorted(numbers) == list(range(1, numbering[key] + 1)), f"sequence {key}"
    else:
        # Mid-sync the shared sequences may run ahead of the cases, never behind, and numbers never repeat.
        for key, numbers in used.items():
            assert len(numbers) == len(set(numbers)) and max(numbers) <= numbering.get(key, 0), (
                f"sequence {key}"
            )
    return sorted(c.case_no for c in cases.values())


def test_kill_9_during_intake_leaves_whole_cases_or_nothing(
    store_templates: tuple[Path, Path], zygote: Zygote, tmp_path: Path
) -> None:
    shared = copy_sqlite(store_templates[0], tmp_path / "shared.sqlite3")
    path = copy_sqlite(store_templates[1], tmp_path / "counter1.sqlite3")
    url, shared_url = f"sqlite:///{path}", f"sqlite:///{shared}"
    committed: set[str] = set()
    for kill, (push, event, n) in enumerate(INTAKE_KILLS):
        log = zygote.run_until_killed(
            tmp_path / f"intake{kill}.log",
            event,
            n,
            job="intake",
            shared=shared_url,
            local=str(path),
            user="clerk1",
            seed=kill,
            # A worker that pushes after each case, as an online counter does, is killed in its push too.
            push=push,
        )
        seen = committed_in(log)
        assert len(seen) == n - 1, f"kill {kill} at {event} {n}: the worker saw {seen}"
        sqlite_integrity(path)
        hall = HallDesk.open(url)
        try:
            stored = set(check_store(hall, outbox=True))
            pending = pending_case_numbers(hall)
        finally:
            hall.close()
        # Nothing committed is lost; the N-th case is there exactly when the kill came after its commit.
        assert committed | set(seen) <= stored
        extra = stored - committed - set(seen)
        assert len(extra) == (0 if event in BEFORE_COMMIT else 1), f"kill {kill} at {event} {n}: {extra}"
        committed = stored
        sqlite_integrity(shared)
        on_shared = set(check_shared(shared_url, stored, complete=False))
        if event in ("shared_open", "shared_committed"):
            # Killed in the push of that case: on the server only once the shared transaction committed, and
            # not yet marked sent here either way (the next push sends it, again or for the first time).
            assert extra <= pending
            assert (extra <= on_shared) == (event == "shared_committed"), f"kill {kill} at {event} {n}"
    assert len(committed) >= len(INTAKE_KILLS)
    store = CounterStore.open(shared_url, path)
    try:
        result = store.push_now()
        assert result is not None and result.pending == 0
        check_shared(shared_url, committed, complete=True)
        assert reconcile(store, committed) == committed
    finally:
        store.close()


# ---- against the tests' own PostgreSQL and MariaDB servers -------------------------------------------------------

_templates: dict[str, str] = {}


@pytest.fixture
def shared_url(shared_cluster: Cluster) -> Iterator[str]:
    """A fresh shared database with the demo data on the cluster (cloned from a template made once)."""
    kind = shared_cluster.kind
    if kind not in _templates:
        name = f"hd_faults_tmpl_{os.getpid()}"
        hall = HallDesk.open(shared_cluster.create_database(name), upgrade=True)
        try:
            load_demo(hall.uow(), folder_printers=False)
        finally:
            hall.close()
        _templates[kind] = name
    db = f"hd_faults_{os.getpid()}_{next(_names)}"
    url = shared_cluster.clone_database(_templates[kind], db)
    yield url
    shared_cluster.start()  # a failed test may have left it stopped
    shared_cluster.drop_database(db)


def queue_case_numbers(url: str, dept: str) -> list[str]:
    """The department's back-office queue on the shared database, as the supervisor sees it."""
    hall = HallDesk.open(url)
    try:
        actor = login(hall.uow(), "supervisor", DEMO_PASSWORD)
        rows: list[str] = []
        after = None
        while True:
            page = backoffice.queue_page(hall.uow(), actor, dept, after=after, limit=100)
            rows += [r.case_no for r in page.rows]
            if page.next_cursor is None:
                return rows
            after = page.next_cursor
    finally:
        hall.close()


def shared_row_counts(hall: HallDesk) -> dict[str, int]:
    with hall.uow() as uow:
        s = uow.session
        counts = {
            t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Case, CaseMaterial, CaseEvent, Notice, AuditEvent, Enterprise)
        }
        distinct = s.execute(select(func.count(func.distinct(Case.case_no)))).scalar_one()
        assert distinct == counts["hd_case"], "two cases with one case number"
    return counts


def check_shared(url: str, local_cases: set[str], *, complete: bool) -> list[str]:
    """The shared database mid-sync or after it: only the counter's cases, each whole, chains intact."""
    hall = HallDesk.open(url)
    try:
        shared_row_counts(hall)
        # Print jobs stay at the counter; sequences are pushed ahead of the cases they number, so only a
        # complete sync has every sequence filled.
        cases = check_store(hall, print_jobs=False, complete=complete)
    finally:
        hall.close()
    assert set(cases) <= local_cases
    assert len(cases) == len(set(cases))
    if complete:
        assert set(cases) == local_cases
    return cases


def take_offline(store: CounterStore, clerk: Actor, n: int, seed: int) -> list[str]:
    make = intake_requests(store.local, seed, accept_only=True)
    taken = [store.take_application(clerk, make(i)) for i in range(n)]
    assert [synced for _, synced in taken] == [False] * n, "the server is down: nothing can be synced"
    return [view.case_no for view, _ in taken]


def test_offline_intake_then_sync_survives_kills_and_resends(
    shared_cluster: Cluster, shared_url: str, zygote: Zygote, tmp_path: Path
) -> None:
    path = tmp_path / "counter1.sqlite3"
    store = CounterStore.open(shared_url, path)
    assert store.online
    clerk = store.login("clerk1", DEMO_PASSWORD)
    dept = item_with_tolerable(store.local).dept

    shared_cluster.stop("fast")
    local_cases = set(take_offline(store, clerk, CASES, seed=1))
    status = store.status()
    assert (status.pending, store.online) == (CASES, False) and status.last_error
    assert len(local_cases) == CASES
    store.close()
    shared_cluster.start()

    # Kill the sync at chosen points: before a batch, inside its shared transaction, between the shared commit
    # and the local mark, in the middle of re-sending the whole outbox.
    local_url = f"sqlite:///{path}"
    on_shared: set[str] = set()  # the server has none of them yet
    for kill, (event, n, batch_size, in_resend) in enumerate(SYNC_KILLS):
        lines = zygote.run_until_killed(
            tmp_path / f"sync{kill}.log",
            event,
            n,
            job="sync",
            shared=shared_url,
            local=str(path),
            batch_size=batch_size,
            arm_after_push=in_resend,
        )
        assert not any(line.startswith("E ") for line in lines), f"sync worker {kill} found the server down"
        sqlite_integrity(path)
        local = HallDesk.open(local_url)
        try:
            assert set(check_store(local, outbox=True)) == local_cases
            pending = pending_case_numbers(local)
        finally:
            local.close()
        now_shared = set(check_shared(shared_url, local_cases, complete=False))
        if n == 1 and event in ("batch_start", "shared_open") and not in_resend:
            assert now_shared == on_shared, f"kill {kill} at {event} {n}: a batch on the server it never committed"
        if event == "shared_committed":
            # The batch is on the server and still pending here: the next push sends it again, harmlessly.
            assert now_shared & pending, f"kill {kill} at {event} {n}"
        on_shared = now_shared
    assert "C " in "".join(p.read_text() for p in tmp_path.glob("sync*.log")), "no push ever finished"

    store = CounterStore.open(shared_url, path)
    try:
        result = store.push_now()
        assert result is not None and result.pending == 0
        check_shared(shared_url, local_cases, complete=True)
        assert sorted(queue_case_numbers(shared_url, dept)) == sorted(local_cases)
        hall = HallDesk.open(shared_url)
        try:
            before = shared_row_counts(hall)
            for _ in range(RESENDS):
                assert store.resend_all() == CASES
                again = store.push_now()
                assert again is not None and (again.cases, again.pending) == (CASES, 0)
                assert shared_row_counts(hall) == before, "a resend wrote something twice"
        finally:
            hall.close()
        check_shared(shared_url, local_cases, complete=True)
        assert reconcile(store, local_cases) == local_cases
    finally:
        store.close()
    assert len(queue_case_numbers(shared_url, dept)) == CASES


def reconcile(store: CounterStore, case_nos: set[str]) -> set[str]:
    """End-of-day reconciliation for every day the cases were taken on (a run may cross midnight)."""
    present: set[str] = set()
    for day in sorted({CASE_NO.match(no)["day"] for no in case_nos}):  # type: ignore[index]
        rec = store.reconcile(datetime.strptime(day, "%y%m%d").date())
        assert rec.ok, rec.as_json()
        present |= set(rec.present)
    return present


def test_two_counters_offline_at_once_then_both_sync(
    shared_cluster: Cluster, shared_url: str, tmp_path: Path
) -> None:
    stores = [CounterStore.open(shared_url, tmp_path / f"counter{n}.sqlite3") for n in (1, 2)]
    try:
        clerks = [st.login(f"clerk{n}", DEMO_PASSWORD) for st, n in zip(stores, (1, 2), strict=True)]
        dept = item_with_tolerable(stores[0].local).dept
        shared_cluster.stop("immediate")
        makes = [
            intake_requests(st.local, seed, accept_only=True)
            for st, seed in zip(stores, (11, 12), strict=True)
        ]
        taken: list[str] = []
        for i in range(TWO_COUNTER_CASES):  # interleaved, as two clerks work side by side
            for st, clerk, make in zip(stores, clerks, makes, strict=True):
                view, synced = st.take_application(clerk, make(i))
                assert not synced
                taken.append(view.case_no)
        assert [st.pending() for st in stores] == [TWO_COUNTER_CASES] * 2
        shared_cluster.start()
        for st in reversed(stores):
            assert st.sync().pending == 0
        assert len(set(taken)) == 2 * TWO_COUNTER_CASES, "two counters made the same case number"
        check_shared(shared_url, set(taken), complete=True)
        assert sorted(queue_case_numbers(shared_url, dept)) == sorted(taken)
        assert reconcile(stores[0], set(taken[0::2])) | reconcile(stores[1], set(taken[1::2])) == set(taken)
    finally:
        for st in stores:
            st.close()


class Pusher(threading.Thread):
    """Pushes in small batches, re-sending everything once done, until the server goes away under it."""

    def __init__(self, store: CounterStore) -> None:
        super().__init__(name="pusher", daemon=True)
        self.store = store
        self.results: list[PushResult | None] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                result = self.store.push_now(batch_size=2)
                self.results.append(result)
                if result is None:
                    return
                if result.pending == 0:
                    self.store.resend_all()
        except BaseException as exc:
            self.failure = exc


def test_server_stopped_mid_push_then_sync_ends_with_exact_counts(
    shared_cluster: Cluster, shared_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CounterStore.open(shared_url, tmp_path / "counter1.sqlite3")
    try:
        clerk = store.login("clerk1", DEMO_PASSWORD)
        dept = item_with_tolerable(store.local).dept
        make = intake_requests(store.local, 21, accept_only=True)
        local_cases = {store.take_application(clerk, make(i), push=False)[0].case_no for i in range(CASES)}
        for event, n in MID_PUSH_STOPS:
            reached, resume = threading.Event(), threading.Event()

            def pause(reached: threading.Event = reached, resume: threading.Event = resume) -> None:
                reached.set()  # in the pusher's thread: hold still while the server goes
                resume.wait(WAIT)

            with monkeypatch.context() as patch:
                at_event(event, n, pause, patch.setattr)
                pusher = Pusher(store)
                pusher.start()
                assert reached.wait(WAIT), f"the push never reached {event} {n}: {pusher.failure!r}"
                shared_cluster.stop("immediate")
                resume.set()
                pusher.join(WAIT)
            assert not pusher.is_alive() and pusher.failure is None, pusher.failure
            assert pusher.results[-1] is None, "the push did not notice the server go"
            assert store.status().last_error
            shared_cluster.start()
            check_shared(shared_url, local_cases, complete=False)
        result = store.push_now()
        assert result is not None and result.pending == 0
        check_shared(shared_url, local_cases, complete=True)
        assert sorted(queue_case_numbers(shared_url, dept)) == sorted(local_cases)
        assert reconcile(store, local_cases) == local_cases
    finally:
        store.close()


def run_app(*argv: str, timeout: float = WAIT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m app ARGV`` as the clerk runs it, with the demo password."""
    env = {**os.environ, "HALLDESK_PASSWORD": DEMO_PASSWORD, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("shared_cluster", ["postgresql"], indirect=True)
def test_cli_counter_keeps_working_while_the_server_is_down(
    shared_cluster: Cluster, shared_url: str, zygote: Zygote, tmp_path: Path
) -> None:
    """The real command line, as separate processes: case create offline says "synced": false, ``sync run``
    exits 7 while the server is down, survives being killed (inside its shared transaction, between the shared
    commit and the local mark, after the mark), and then brings every case over exactly once."""
    local = str(tmp_path / "counter1.sqlite3")
    hall = HallDesk.open(shared_url)
    try:
        item = item_with_tolerable(hall)
    finally:
        hall.close()
    req = request(item)
    doc = json.dumps(
        {
            "item": item.code,
            "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name},
            "agent": {"name": req.agent.name, "id_number": req.agent.id_number, "phone": req.agent.phone},
            "materials": {code: m.state for code, m in req.materials.items()},
        },
        ensure_ascii=False,
    )
    base = ("--db", shared_url, "--local", local)

    def create() -> dict[str, Any]:
        proc = run_app(*base, "--user", "clerk1", "case", "create", "--json", "-", stdin=doc)
        assert proc.returncode == 0, proc.stderr
        return dict(json.loads(proc.stdout))

    taken = [create()]  # online: the first login binds the store to counter 1
    assert taken[0]["synced"] is True
    shared_cluster.stop("fast")
    taken += [create() for _ in range(3)]
    assert [c["synced"] for c in taken[1:]] == [False] * 3
    status = run_app(*base, "sync", "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["pending"] == 3
    down = run_app(*base, "sync", "run")
    assert down.returncode == 7, down.stderr
    shared_cluster.start()

    for kill, (event, n) in enumerate(CLI_KILLS):
        # The command line (app.__main__.main, forked by the zygote), SIGKILLed at the event.
        zygote.run_until_killed(tmp_path / f"cli{kill}.log", event, n, job="cli",
                                argv=[*base, "sync", "run", "--resend-all"])
        sqlite_integrity(Path(local))
        check_shared(shared_url, {c["case_no"] for c in taken}, complete=False)

    done = run_app(*base, "sync", "run")
    assert done.returncode == 0, done.stderr
    status = run_app(*base, "sync", "status", "--json")
    assert json.loads(status.stdout)["pending"] == 0
    case_nos = {c["case_no"] for c in taken}
    assert len(case_nos) == 4
    check_shared(shared_url, case_nos, complete=True)
    assert sorted(queue_case_numbers(shared_url, item.dept)) == sorted(case_nos)
    for day in sorted({CASE_NO.match(no)["day"] for no in case_nos}):  # type: ignore[index]
        on = datetime.strptime(day, "%y%m%d").date().isoformat()
        rec = run_app(*base, "sync", "reconcile", "--date", on, "--json")
        assert rec.returncode == 0 and json.loads(rec.stdout)["ok"] is True, rec.stdout + rec.stderr
