"""The whole hall in one benchmark (issue 13, part 6): a compressed day on one shared database, beside raw SQL.

One database (PostgreSQL by default, or MariaDB) and, in the same run, a copy of it for the baseline.  Set-up goes
through the services as the admin: the comprehensive counters (two of them on their own SQLite stores), the
output windows, a clerk at each, reviewers spread over the departments by their share of the work (the
departments' own chief representatives authorise seals), a signing key per counter in a temporary key folder,
and TCP capture printers on 127.0.0.1 as the counters' thermal printers.  Then the day runs in rounds ("hours")
in worker processes, each playing many counters, reviewers and windows in turn, in a shuffled order:

* **intake** (综合受理): applicants with items drawn from the default catalog (busy departments and their main
  items more often), valid USCCs, ID numbers and mobiles; accepted, 容缺 accepted, 一次性告知补正 (they come back
  the next hour for 补正后受理), 不予受理 and 即办; the receipt goes to the counter's printer through the print
  queue's worker pass.  The two offline counters take their cases on their stores and push them at the end of
  each hour (the drain is timed); cases the back office returned come back to them with a pull.
* **back office**: each reviewer looks at the first page of the queue, claims the next case, opens it, and
  decides: mostly 准予, some 不予许可 (reason and legal basis), some 退回补正 (once per case; the applicant
  resubmits the next hour); about a third of the decisions are sealed, after the chief representative's
  authorisation.
* **output windows**: the applicant brings the signed slip or the case number and pickup code, both taken from
  the intake result at the taking counter; the window finds the case, records outstanding 容缺 supplements
  where the department requires them, and hands over to the agent, to a proxy with a checked 委托书, or by EMS;
  the 出件签收单 goes to the window's printer.  A few applicants mistype the code first, and a few slips are
  shown at two windows: one of them must refuse (expected refusals, counted apart from errors).

Baseline: after each HallDesk hour, the same workers replay that hour's operations on the copy as raw psycopg /
PyMySQL statements writing the same rows (``bench.common``'s intake and claim baselines, and here the
resubmission, decision, seal, supplement and hand-over), with the same concurrency.  Ratios are HallDesk/raw
times per operation.  Any exception is an error, printed with its type and message; the run ends with an
integrity check (audit chains, unique case numbers, one hand-over row per handed-over case, every case the
counters took present once, the offline outboxes drained, every printed job received by a printer).

Run:  python -m bench.bench_hall [--engine postgresql|mariadb] [--db URL] [--quick | --full] [options]
Default: 200 counters × 20 applicants, 60 reviewers, 3 output windows, 2 offline counters, 6 worker processes,
6 hours (≤ 10 minutes on the 2-core machine, set-up included).  ``--full`` is a busy day: 200 counters × 60
applicants = 12,000 cases, 8 processes, 8 hours.  ``--quick`` is a one-minute smoke run.
"""

from __future__ import annotations

import argparse
import faulthandler
import functools
import math
import multiprocessing
import queue as stdlib_queue
import random
import re
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from app import accounts, audit, backoffice, catalog, chief_rep, claims, decisions, intake, output
from app.accounts import MAX_COUNTER
from app.auth import Actor, login
from app.cases import CaseView
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from app.errors import Conflict, ValidationError
from app.hall_settings import today as hall_today
from app.infra import keys
from app.infra.counter_store import CounterStore
from app.intake import AgentInput, EnterpriseInput, IntakeRequest, MaterialInput
from app.printing import queue
from app.printing.queue import JobView
from app.validators import make_id_number, make_uscc
from bench.common import (
    RAW_PERIODS,
    RawDb,
    RawIntake,
    clone_database,
    drop_database,
    engine_of,
    ms,
    p50,
    p95,
    raw_audit,
    raw_claim,
    raw_event,
    raw_intake,
    raw_notice,
    raw_print_job,
    raw_queue_page,
    raw_retry,
    throwaway_hall,
    utc_naive,
)
from tests.support.fake_printer import FakePrinter

T = TypeVar("T")


# ---- size of the day -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    counters: int  # comprehensive counters, the offline ones among them
    cases: int  # new applicants per counter over the day
    reviewers: int
    windows: int  # output windows
    offline: int  # counters on their own SQLite stores
    workers: int  # processes
    hours: int  # rounds of the day (then closing rounds until everything is settled)
    printers: int  # TCP capture printers shared by the counters
    a4: bool = False  # A4 notices to the capture printers too (PDF rendering costs ~30 ms a notice)


DEFAULT = Size(counters=200, cases=20, reviewers=60, windows=3, offline=2, workers=6, hours=6, printers=4)
FULL = Size(counters=200, cases=60, reviewers=60, windows=3, offline=2, workers=8, hours=8, printers=4)
QUICK = Size(counters=10, cases=5, reviewers=10, windows=3, offline=2, workers=4, hours=3, printers=2)
# The core of the quick run, small enough for a test (tests/test_bench_hall.py).
TINY = Size(counters=4, cases=3, reviewers=2, windows=1, offline=1, workers=2, hours=2, printers=1)
MAX_CLOSING_ROUNDS = 8

# How busy each department is (share of the hall's applicants): market regulation first, as in most halls.
DEPT_WEIGHTS = {"SCJ": 25, "RSJ": 10, "ZJJ": 10, "JTJ": 8, "WJW": 7, "ZRZY": 6, "FGW": 5, "YJJ": 5, "SHJ": 5,
                "CGJ": 4, "SLJ": 3, "NYJ": 3, "XFJY": 3, "GWH": 2, "CZJ": 2, "ZSJ": 1, "YSB": 1, "SFJ": 1, "JRZX": 1}
# Departments that let certificates out before 容缺 supplements arrive (every fourth of the busy order).
LENIENT_EVERY = 4
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "建华", "志强", "桂英", "海燕")
ENTERPRISES = 300
APPROVE_REASON = "符合法定条件、标准"
DENY = ("申请人不符合法定条件、标准", "《中华人民共和国行政许可法》第三十八条第二款")
RETURN_REASON = "申请材料需补充现场核查意见，请补正后重新提交"
REFUSAL_BASIS = "《中华人民共和国行政许可法》第三十二条第一款"


# ---- who plays what ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clerk:
    counter: int
    counter_id: uuid.UUID
    actor: Actor
    offline: bool


@dataclass(frozen=True)
class Reviewer:
    actor: Actor
    dept: str
    dept_id: uuid.UUID
    chief: Actor
    seal_id: uuid.UUID


@dataclass(frozen=True)
class Window:
    counter: int
    counter_id: uuid.UUID
    actor: Actor


@dataclass(frozen=True)
class ItemInfo:
    code: str
    dept: str
    item_id: uuid.UUID
    dept_id: uuid.UUID
    immediate: bool
    materials: tuple[catalog.Material, ...]


@dataclass(frozen=True)
class Cast:
    clerks: tuple[Clerk, ...]
    reviewers: tuple[Reviewer, ...]
    windows: tuple[Window, ...]
    items: dict[str, tuple[ItemInfo, ...]]  # by department, the department's main items first
    enterprise_id: uuid.UUID  # the enterprise the raw baseline's cases carry


@dataclass(frozen=True)
class WorkerConfig:
    index: int
    url: str
    raw_url: str | None
    key_dir: Path
    store_dir: Path
    seed: int
    clerks: tuple[Clerk, ...]
    reviewers: tuple[Reviewer, ...]
    windows: tuple[Window, ...]


# ---- what a round asks of a worker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    counter: int
    dept: str
    request: IntakeRequest
    missing: tuple[str, ...]  # what a 补正 case lacks: brought when the applicant comes back
    raw: RawIntake


@dataclass(frozen=True)
class Resubmission:
    counter: int
    case_no: str
    materials: dict[str, MaterialInput]
    returned: bool  # back from the back office (else a 补正 asked for at intake)


@dataclass(frozen=True)
class Collection:
    window: int
    case_no: str
    pickup_code: str
    slip: str
    by_slip: bool
    collector: str  # self | proxy | mail
    wrong_code_first: bool
    contested: bool  # the same slip is shown at another window too: one of them must refuse
    agent_name: str
    agent_phone: str
    key: int


@dataclass(frozen=True)
class OursPlan:
    applicants: tuple[Applicant, ...]
    resubmissions: tuple[Resubmission, ...]
    turns: dict[str, int]  # reviewer -> claims to try
    collections: tuple[Collection, ...]
    returned_before: frozenset[str]


@dataclass(frozen=True)
class RawPlan:
    resubmit: tuple[uuid.UUID, ...]  # copies' cases to resubmit, one per HallDesk resubmission of this worker
    collect: tuple[str, ...]  # copies' decided cases to hand over, one per HallDesk hand-over of this worker


# ---- what a worker reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    op: str
    kind: str
    message: str
    where: str  # the last lines of the traceback


@dataclass(frozen=True)
class Taken:
    case_no: str
    counter: int
    status: str
    dept: str
    pickup_code: str
    slip: str
    missing: tuple[str, ...]
    agent_name: str
    agent_phone: str


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # this process's CPU s per operation
    errors: list[Problem] = field(default_factory=list)
    expected: list[tuple[str, str]] = field(default_factory=list)
    taken: list[Taken] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    decided: list[tuple[str, str, str]] = field(default_factory=list)  # case number, department, decision
    issued: list[str] = field(default_factory=list)
    printed: int = 0
    raw_taken: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    raw_decided: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)
    raw_misses: Counter[str] = field(default_factory=Counter)
    offline_pending: int = 0
    reconciled: bool = True
    store_printed: int = 0  # jobs printed from the offline counters' stores (they stay there)

    def merge(self, other: Tally) -> None:
        for op, values in other.times.items():
            self.times[op] += values
        for op, seconds in other.cpu.items():
            self.cpu[op] += seconds
        self.errors += other.errors
        self.expected += other.expected
        self.printed += other.printed
        self.raw_misses.update(other.raw_misses)
        self.offline_pending += other.offline_pending
        self.store_printed += other.store_printed
        self.reconciled = self.reconciled and other.reconciled


# ---- service calls that may change shape (the lead is tightening access control): one place each ----------------


# The accounts the bench adds (the demo's published password is refused for new accounts).
BENCH_PASSWORD = "Bench2026hall"
_DEMO_NAME = re.compile(r"^(admin|supervisor|clerk[1239]|(rev|chief)_[a-z]+)$")


def password_for(username: str) -> str:
    return DEMO_PASSWORD if _DEMO_NAME.match(username) else BENCH_PASSWORD


def applicant_credentials(view: CaseView) -> tuple[str, str]:
    """The pickup code and signed slip the applicant takes home, as the taking counter's intake result shows them."""
    return view.pickup_code, view.slip


def print_pass(uow_factory: Callable[[], Any], actor: Actor, counter: int) -> list[JobView]:
    """The counter PC's print worker: one pass over this counter's due jobs, as ``ui.printing.queue`` runs it."""
    del actor  # the pass runs at the clerk's PC; the queue does not take the clerk yet
    return queue.process_due(uow_factory, counter)


def send_print_job(uow_factory: Callable[[], Any], actor: Actor, job_id: str) -> JobView:
    """Send one job now (the 出件签收单 right after a hand-over)."""
    del actor
    return queue.send_job(uow_factory, uuid.UUID(job_id))


def authorise_seal(hall: HallDesk, chief: Actor, case_no: str) -> None:
    chief_rep.authorise_seal(hall.uow(), chief, case_no)


# ---- set-up through the services -------------------------------------------------------------------------------


def counter_numbers(size: Size) -> tuple[list[int], list[int]]:
    """Comprehensive and output counter numbers: demo counters 1–3 kept, 8 and 9 (policy, 办不成事) skipped."""
    outputs = [3] + [MAX_COUNTER - i for i in range(size.windows - 1)]
    free = [n for n in range(1, MAX_COUNTER + 1) if n not in {3, 8, 9, *outputs}]
    if size.counters > len(free):
        raise SystemExit(f"{size.counters} comprehensive counters do not fit: counter numbers are 1–{MAX_COUNTER}, "
                         f"so at most {len(free)} beside {size.windows} output windows")
    return free[:size.counters], outputs


def allocate_reviewers(total: int, depts: list[str]) -> dict[str, int]:
    """Reviewers per department by its share of the work, at least one each (largest remainders)."""
    ranked = sorted(depts, key=lambda d: -DEPT_WEIGHTS.get(d, 1))
    if total <= len(ranked):
        return dict.fromkeys(ranked[:total], 1)
    weight = sum(DEPT_WEIGHTS.get(d, 1) for d in ranked)
    rest = total - len(ranked)
    share = {d: rest * DEPT_WEIGHTS.get(d, 1) / weight for d in ranked}
    alloc = {d: 1 + int(share[d]) for d in ranked}
    for d in sorted(ranked, key=lambda d: int(share[d]) - share[d])[: total - sum(alloc.values())]:
        alloc[d] += 1
    return alloc


def set_up(hall: HallDesk, size: Size, key_dir: Path, thermal: list[str], log: Callable[[str], None]) -> Cast:
    """Counters, clerks, reviewers, keys and department settings through the services, as the admin would."""
    admin = login(hall.uow(), "admin", DEMO_PASSWORD)
    comprehensive, outputs = counter_numbers(size)
    offline = set(comprehensive[len(comprehensive) - size.offline:]) if size.offline else set()

    def printer(n: int) -> str:
        return thermal[n % len(thermal)]

    for n in comprehensive + outputs:
        a4 = printer(n) if size.a4 and n not in outputs else ""
        if n in (1, 2, 3):
            accounts.set_counter_printers(hall.uow(), admin, n, printer(n), a4)
        else:
            kind = "output" if n in outputs else "comprehensive"
            name = f"统一出件{n}号窗口" if n in outputs else f"综合受理{n}号窗口"
            accounts.save_counter(hall.uow(), admin, number=n, name=name, kind=kind, printer_uri=printer(n),
                                  a4_printer_uri=a4)
    for n in comprehensive:
        keys.generate_counter_key(hall.uow(), admin, n, key_dir)

    depts = sorted({i.dept for i in catalog.list_items(hall.uow())})
    per_dept = allocate_reviewers(size.reviewers, depts)
    new_users: list[tuple[str, str, str, str | None, int | None]] = []
    clerk_names = {n: ("clerk1" if n == 1 else "clerk2" if n == 2 else "clerk3" if n == 3 else f"clerk{n}")
                   for n in comprehensive + outputs}
    for n, name in clerk_names.items():
        if n not in (1, 2, 3):
            new_users.append((name, f"窗口人员{n}", "clerk", None, n))
    reviewer_names: list[tuple[str, str]] = []
    for dept, count in per_dept.items():
        for k in range(count):
            name = f"rev_{dept.lower()}" + (str(k + 1) if k else "")
            reviewer_names.append((name, dept))
            if k:
                new_users.append((name, f"{dept}审批员{k + 1}", "reviewer", dept, None))

    def add(user: tuple[str, str, str, str | None, int | None]) -> None:
        name, full, role, dept, counter = user
        accounts.add_user(hall.uow(), admin, username=name, full_name=full, role=role, password=BENCH_PASSWORD,
                          dept=dept, counter=counter)

    # argon2 hashes cost ~0.1 s each and release the GIL: two at a time on two cores.
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(add, new_users))
        everyone = list(clerk_names.values()) + [n for n, _ in reviewer_names] + [f"chief_{d.lower()}" for d in per_dept]
        actors = dict(zip(everyone, pool.map(lambda n: login(hall.uow(), n, password_for(n)), everyone), strict=True))

    for i, dept in enumerate(sorted(per_dept, key=lambda d: -DEPT_WEIGHTS.get(d, 1))):
        chief = actors[f"chief_{dept.lower()}"]
        settings = backoffice.get_dept_settings(hall.uow(), dept)
        # The day keeps its mix of a third of the decisions sealed: no department requires the seal on licences.
        settings = replace(settings, licence_seal=False)
        if i % LENIENT_EVERY == LENIENT_EVERY - 1:
            settings = replace(settings, issue_before_supplement=True)
        backoffice.save_dept_settings(hall.uow(), chief, dept, settings)

    with hall.uow() as uow:
        s = uow.session
        counter_ids: dict[int, Any] = dict(s.execute(sa.text("SELECT number, id FROM counter")).all())
        dept_ids: dict[str, Any] = dict(s.execute(sa.text("SELECT code, id FROM department")).all())
        seal_ids: dict[str, Any] = dict(s.execute(sa.text(
            "SELECT d.code, s.id FROM seal s JOIN department d ON d.id = s.dept_id WHERE s.active")).all())
        item_ids: dict[str, Any] = dict(s.execute(sa.text("SELECT code, id FROM service_item")).all())
        enterprise_id = s.execute(sa.text("SELECT id FROM enterprise ORDER BY uscc LIMIT 1")).scalar_one()

    def as_uuid(value: Any) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    items: dict[str, list[ItemInfo]] = defaultdict(list)
    for item in catalog.list_items(hall.uow()):
        if item.dept in per_dept:
            items[item.dept].append(ItemInfo(item.code, item.dept, as_uuid(item_ids[item.code]),
                                             as_uuid(dept_ids[item.dept]), item.immediate, item.materials))
    log(f"set-up: {len(comprehensive)} comprehensive counters ({len(offline)} offline), {len(outputs)} output windows,"
        f" {len(reviewer_names)} reviewers in {len(per_dept)} departments, {len(new_users)} new users")
    return Cast(
        clerks=tuple(Clerk(n, as_uuid(counter_ids[n]), actors[clerk_names[n]], n in offline) for n in comprehensive),
        reviewers=tuple(Reviewer(actors[name], dept, as_uuid(dept_ids[dept]), actors[f"chief_{dept.lower()}"],
                                 as_uuid(seal_ids[dept])) for name, dept in reviewer_names),
        windows=tuple(Window(n, as_uuid(counter_ids[n]), actors[clerk_names[n]]) for n in outputs),
        items={d: tuple(v) for d, v in items.items()},
        enterprise_id=as_uuid(enterprise_id),
    )


# ---- the applicants ------------------------------------------------------------------------------------------------


class Crowd:
    """Applicants and their choices, drawn from seeded generators (the same applicants for the same seed)."""

    def __init__(self, cast: Cast, seed: int) -> None:
        self.rng = random.Random(seed)
        # Hand-overs follow the decisions, whose order depends on timing: their draws come from a generator of
        # their own, so that the applicants are the same in every run with the same seed.
        self.pickup_rng = random.Random(seed + 1)
        self.pickups = 0
        self.cast = cast
        self.depts = list(cast.items)
        self.dept_weights = [DEPT_WEIGHTS.get(d, 1) for d in self.depts]
        self.clerks = {c.counter: c for c in cast.clerks}
        self.keys = 0

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def person(self) -> tuple[str, str, str]:
        self.keys += 1
        k = self.keys
        birth = date(1960 + k % 40, 1 + k % 12, 1 + k % 28)
        phone = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        return self.name(), make_id_number("360112", birth, k % 1000), phone

    def applicant(self, counter: int) -> Applicant:
        rng = self.rng
        dept = rng.choices(self.depts, self.dept_weights)[0]
        items = self.cast.items[dept]
        item = rng.choices(items, [1 / (rank + 1) for rank in range(len(items))])[0]
        received = {m.code: MaterialInput("waived" if m.covered_by else "received") for m in item.materials}
        materials = dict(received)
        tolerable = [m.code for m in item.materials if m.tolerable]
        required = [m.code for m in item.materials if m.required and not m.covered_by]
        roll = rng.random()
        outcome, reason, basis, status = "accept", "", "", "accepted"
        notices: tuple[str, ...] = ("acceptance",)
        missing: tuple[str, ...] = ()
        if item.immediate and roll < 0.85:
            outcome, notices, status = "immediate", (), "completed_immediately"
        elif roll < 0.08:
            outcome, notices, status = "refuse", ("refusal",), "refused"
            reason, basis = rng.choice(intake.REFUSAL_REASONS), REFUSAL_BASIS
        elif roll < 0.22 and required:
            outcome, notices, status = "correction", ("correction",), "correction_requested"
            code = rng.choice(required)
            missing = (code,)
            materials[code] = (MaterialInput("defective", note="复印件不清晰，缺少公章") if rng.random() < 0.5
                               else MaterialInput("missing"))
        elif roll < 0.40 and tolerable:
            materials[rng.choice(tolerable)] = MaterialInput("tolerated")  # 容缺受理
            notices = ("acceptance", "tolerated")
        enterprise = None
        if rng.random() < 0.8:
            k = rng.randrange(ENTERPRISES)
            enterprise = EnterpriseInput(uscc=make_uscc(50_000 + k), name=f"南昌新建经开第{k}号测试有限公司",
                                         legal_rep=self.name(), address=f"新建经开区长堎大道{k + 1}号")
        name, id_number, phone = self.person()
        request = IntakeRequest(item=item.code, agent=AgentInput(name, id_number, phone), materials=materials,
                                outcome=outcome, enterprise=enterprise, reason=reason, legal_basis=basis)
        clerk = self.clerks[counter]
        raw = RawIntake(item=item.item_id, dept=item.dept_id, counter=clerk.counter_id, clerk=clerk.actor.user_id,
                        clerk_name=clerk.actor.username,
                        enterprise=self.cast.enterprise_id if enterprise else None, materials=len(item.materials),
                        status=status, notices=notices, receipt=status != "refused", scope=f"c{counter}")
        return Applicant(counter, dept, request, missing, raw)

    def collection(self, taken: Taken, window: int, contested: bool) -> Collection:
        rng = self.pickup_rng
        by_slip = rng.random() < 0.7
        roll = rng.random()
        collector = "self" if roll < 0.75 else "proxy" if roll < 0.9 else "mail"
        self.pickups += 1
        return Collection(window=window, case_no=taken.case_no, pickup_code=taken.pickup_code, slip=taken.slip,
                          by_slip=by_slip, collector=collector, wrong_code_first=not by_slip and rng.random() < 0.1,
                          contested=contested, agent_name=taken.agent_name, agent_phone=taken.agent_phone,
                          key=self.pickups)


# ---- a worker process: many counters, reviewers and windows, one after another -------------------------------


class Worker:
    def __init__(self, cfg: WorkerConfig) -> None:
        self.cfg = cfg
        self.hall = HallDesk.open(cfg.url)
        self.raw = RawDb(cfg.raw_url) if cfg.raw_url else None
        self.clerks = {c.counter: c for c in cfg.clerks}
        self.reviewers = {r.actor.username: r for r in cfg.reviewers}
        self.windows = {w.counter: w for w in cfg.windows}
        self.stores: dict[int, CounterStore] = {}
        self.store_actors: dict[int, Actor] = {}
        for clerk in cfg.clerks:
            if clerk.offline:
                store = CounterStore.open(cfg.url, cfg.store_dir / f"counter{clerk.counter}.sqlite3")
                self.stores[clerk.counter] = store
                self.store_actors[clerk.counter] = store.login(clerk.actor.username, password_for(clerk.actor.username))
        self.rng = random.Random(cfg.seed * 1009 + cfg.index)
        self.scripts: dict[int, list[tuple[Any, ...]]] = {}

    def close(self) -> None:
        for store in self.stores.values():
            store.close()
        self.hall.close()
        if self.raw is not None:
            self.raw.close()

    # -- running one call -------------------------------------------------------------------------------------

    def timed(self, tally: Tally, op: str, fn: Callable[[], T],
              expect: Callable[[Exception], str | None] | None = None, raw: bool = False) -> T | None:
        """``fn()`` timed under ``op``.  An exception ``expect`` names is an expected business refusal; any other is
        an error, kept with its type, message and place (never swallowed: the report prints it)."""
        if raw and self.raw is not None:
            fn = functools.partial(raw_retry, self.raw, fn)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            result = fn()
        except Exception as exc:
            category = expect(exc) if expect is not None else None
            if category:
                tally.expected.append((op, category))
            else:
                self.error(tally, op, exc, raw)
            return None
        tally.times[op].append(time.perf_counter() - start)
        tally.cpu[op] += time.process_time() - cpu
        return result

    def ran(self, tally: Tally, op: str, fn: Callable[[], object],
            expect: Callable[[Exception], str | None] | None = None, raw: bool = False) -> bool:
        """``timed`` for a call that returns nothing: whether it went through."""

        def call() -> bool:
            fn()
            return True

        return bool(self.timed(tally, op, call, expect, raw))

    def error(self, tally: Tally, op: str, exc: Exception, raw: bool = False) -> None:
        if raw and self.raw is not None:
            self.raw.rollback()
        message = getattr(exc, "message", None) or str(exc)
        where = "".join(traceback.format_exception(exc)[-4:])
        tally.errors.append(Problem(("raw " if raw else "") + op, type(exc).__name__, message, where))

    def problem(self, tally: Tally, op: str, kind: str, message: str) -> None:
        tally.errors.append(Problem(op, kind, message, ""))

    def printed(self, tally: Tally, jobs: list[JobView] | None) -> None:
        for job in jobs or []:
            if job.status == "printed":
                tally.printed += 1
            else:
                self.problem(tally, "print", "NotPrinted", f"{job.kind} of {job.case_no}: {job.status} {job.last_error}")

    # -- a HallDesk hour ----------------------------------------------------------------------------------------

    def ours(self, hour: int, plan: OursPlan) -> Tally:
        tally = Tally()
        script: list[tuple[Any, ...]] = []
        tasks: list[tuple[str, Any]] = [("intake", a) for a in plan.applicants]
        tasks += [("resubmit", r) for r in plan.resubmissions]
        tasks += [("turn", name) for name, n in plan.turns.items() for _ in range(n)]
        tasks += [("collect", c) for c in plan.collections]
        self.rng.shuffle(tasks)
        # Cases the back office returned come back to a counter's store with a pull (every 2 minutes in the GUI).
        for counter in sorted({r.counter for r in plan.resubmissions if r.returned and r.counter in self.stores}):
            store = self.stores[counter]
            if not self.timed(tally, "sync pull", store.pull_now):
                self.problem(tally, "sync pull", "Offline", f"counter {counter}: {store.status().last_error}")
        for kind, task in tasks:
            if kind == "intake":
                self.intake(tally, script, task)
            elif kind == "resubmit":
                self.resubmit(tally, script, task)
            elif kind == "turn":
                self.turn(tally, script, task, plan.returned_before)
            else:
                self.collect(tally, script, task)
        for counter, store in self.stores.items():
            self.push(tally, counter, store)
        self.scripts[hour] = script
        return tally

    def push(self, tally: Tally, counter: int, store: CounterStore) -> None:
        """The offline counter is back online: drain its outbox to the shared database (timed)."""
        pending = store.pending()
        if not pending:
            return
        result = self.timed(tally, "sync drain", store.push_now)
        if result is None:
            self.problem(tally, "sync drain", "Offline", f"counter {counter}: {store.status().last_error}")
        elif result.pending:
            self.problem(tally, "sync drain", "NotDrained", f"counter {counter}: {result.pending} cases still waiting")
        else:
            tally.times["sync drained cases"].append(float(pending))

    def desk(self, counter: int) -> tuple[Actor, Callable[[], Any], CounterStore | None]:
        """Who works at ``counter`` and where it writes: the counter's own store, or the shared database."""
        store = self.stores.get(counter)
        if store is not None:
            return self.store_actors[counter], store.local.uow, store
        return self.clerks[counter].actor, self.hall.uow, None

    def intake(self, tally: Tally, script: list[tuple[Any, ...]], a: Applicant) -> None:
        actor, uow_factory, store = self.desk(a.counter)
        key_dir = self.cfg.key_dir
        view: CaseView | None
        if store is not None:  # kept on the store; pushed at the end of the hour
            found = self.timed(tally, "intake on a store", lambda: store.take_application(
                actor, a.request, key_dir=key_dir, push=False))
            view = found[0] if found else None
        else:
            view = self.timed(tally, "intake", lambda: intake.take_application(
                uow_factory(), actor, a.request, key_dir=key_dir))
        if view is None:
            return
        code, slip = applicant_credentials(view)
        tally.taken.append(Taken(view.case_no, a.counter, view.status, view.dept, code, slip, a.missing,
                                 a.request.agent.name, a.request.agent.phone))
        # The raw copy of a store's intake writes the rows the push brings; not compared with the store's intake.
        script.append(("intake", a.raw, "intake" if store is None else "intake (a store's rows)"))
        self.printed(tally, self.timed(tally, "print pass", lambda: print_pass(uow_factory, actor, a.counter)))

    def resubmit(self, tally: Tally, script: list[tuple[Any, ...]], r: Resubmission) -> None:
        actor, uow_factory, store = self.desk(r.counter)
        key_dir = self.cfg.key_dir
        view: CaseView | None
        if store is not None:
            found = self.timed(tally, "resubmit on a store", lambda: store.resubmit(
                actor, r.case_no, r.materials, key_dir=key_dir, push=False))
            view = found[0] if found else None
        else:
            view = self.timed(tally, "resubmit", lambda: intake.resubmit(
                uow_factory(), actor, r.case_no, r.materials, key_dir=key_dir))
        if view is None:
            return
        tally.resubmitted.append(view.case_no)
        script.append(("resubmit", self.clerks[r.counter], "resubmit" if store is None else "resubmit (a store's rows)"))
        self.printed(tally, self.timed(tally, "print pass", lambda: print_pass(uow_factory, actor, r.counter)))

    def turn(self, tally: Tally, script: list[tuple[Any, ...]], name: str, returned_before: frozenset[str]) -> None:
        rev = self.reviewers[name]
        hall = self.hall
        self.timed(tally, "queue page", lambda: backoffice.queue_page(hall.uow(), rev.actor, rev.dept))
        start, cpu = time.perf_counter(), time.process_time()
        try:
            claim = claims.claim_next(hall.uow(), rev.actor, rev.dept)
        except Exception as exc:
            self.error(tally, "claim", exc)
            return
        op = "claim" if claim else "claim (empty queue)"
        tally.times[op].append(time.perf_counter() - start)
        tally.cpu[op] += time.process_time() - cpu
        if claim is None:
            script.append(("turn", rev, None, False))
            return
        self.timed(tally, "open case", lambda: claims.held(hall.uow(), claim))
        decision, seal = self.crowd_decision(claim.case_no in returned_before)
        if seal and not self.ran(tally, "authorise seal", lambda: authorise_seal(hall, rev.chief, claim.case_no)):
            seal = False  # the error is counted; decide without the seal rather than fail twice
        reason, basis = {"approve": (APPROVE_REASON, ""), "deny": DENY, "return": (RETURN_REASON, "")}[decision]
        view = self.timed(tally, "decide", lambda: decisions.decide(
            hall.uow(), rev.actor, claim.case_no, decision, token=claim.token, reason=reason, legal_basis=basis,
            seal=seal))
        if view is not None:
            tally.decided.append((claim.case_no, rev.dept, decision))
            script.append(("turn", rev, decision, seal))

    def crowd_decision(self, returned_before: bool) -> tuple[str, bool]:
        roll = self.rng.random()
        decision = "approve" if roll < 0.82 else "deny" if roll < 0.90 or returned_before else "return"
        return decision, decision != "return" and self.rng.random() < 0.3

    def collect(self, tally: Tally, script: list[tuple[Any, ...]], c: Collection) -> None:
        window = self.windows[c.window]
        actor, hall = window.actor, self.hall

        def contested(exc: Exception) -> str | None:
            if c.contested and isinstance(exc, Conflict):
                return "the same slip shown at two windows: the second is refused"
            return None

        def wrong_code(exc: Exception) -> str | None:
            if isinstance(exc, ValidationError) and exc.field == "pickup_code":
                return "a mistyped pickup code is refused (and counted), then the right one works"
            return None

        if c.wrong_code_first:
            wrong = f"{(int(c.pickup_code) + 1) % 10**6:06d}"
            if self.timed(tally, "find (wrong code)", lambda: output.find_for_pickup(
                    hall.uow(), actor, case_no=c.case_no, pickup_code=wrong), expect=wrong_code) is not None:
                self.problem(tally, "find (wrong code)", "Accepted", f"{c.case_no}: a wrong pickup code was accepted")
        credentials: dict[str, str] = ({"slip": c.slip} if c.by_slip
                                       else {"case_no": c.case_no, "pickup_code": c.pickup_code})
        cpu = time.process_time()
        pickup = self.timed(tally, "find", lambda: output.find_for_pickup(hall.uow(), actor, **credentials),
                            expect=contested)
        find_cpu = time.process_time() - cpu
        if pickup is None:
            return
        if pickup.handover is not None or pickup.case.status == "issued":
            if c.contested:
                tally.expected.append(("find", "the same slip shown at two windows: the second is refused"))
            else:
                self.problem(tally, "find", "AlreadyIssued", f"{c.case_no} was handed over before")
            return
        supplements = 0
        if pickup.blockers:
            if not (pickup.outstanding and pickup.supplements_block and pickup.case.status == "approved"):
                self.problem(tally, "find", "Blocked", f"{c.case_no}: {pickup.blockers[0]}")
                return
            for material in pickup.outstanding:  # the applicant brings the 容缺 materials now
                supplement = functools.partial(output.record_supplement, hall.uow(), actor, c.case_no, material.code)
                if self.timed(tally, "supplement", supplement, expect=contested) is not None:
                    supplements += 1
        collector, mail = None, None
        if c.collector == "proxy":
            collector = output.Collector(name=f"代{c.agent_name}", by_proxy=True, proxy_note="已核验委托书原件",
                                         id_number=make_id_number("360102", date(1990, 1 + c.key % 12, 1 + c.key % 28),
                                                                  c.key % 1000))
        elif c.collector == "mail":
            mail = output.Mailing(recipient=c.agent_name, phone=c.agent_phone,
                                  address=f"江西省南昌市新建区长堎大道{c.key % 999 + 1}号", tracking_no=f"{c.key:013d}")
        find_time = tally.times["find"][-1]
        cpu = time.process_time()
        issued = self.timed(tally, "issue", lambda: output.issue(hall.uow(), actor, collector=collector, mail=mail,
                                                                 **credentials), expect=contested)
        if issued is None:
            return
        tally.times["hand-over"].append(find_time + tally.times["issue"][-1])
        tally.cpu["hand-over"] += find_cpu + time.process_time() - cpu
        tally.issued.append(c.case_no)
        script.append(("collect", window, supplements, mail is not None))
        if issued.print_job:
            job_id = issued.print_job
            self.printed(tally, [job] if (job := self.timed(tally, "print hand-over", lambda: send_print_job(
                hall.uow, actor, job_id))) else [])

    # -- the same hour as raw SQL on the copy ------------------------------------------------------------------

    def raw_hour(self, hour: int, plan: RawPlan) -> Tally:
        tally = Tally()
        db = self.raw
        assert db is not None
        resubmit, collect = deque(plan.resubmit), deque(plan.collect)
        for step in self.scripts.pop(hour):
            kind = step[0]
            if kind == "intake":
                spec: RawIntake = step[1]
                case_id = self.timed(tally, step[2], functools.partial(raw_intake, db, spec), raw=True)
                if case_id is not None:
                    tally.raw_taken.append((case_id, spec.status))
            elif kind == "resubmit":
                clerk: Clerk = step[1]
                if resubmit:
                    target = resubmit.popleft()
                    self.ran(tally, step[2], functools.partial(raw_resubmit, db, target, clerk), raw=True)
                else:
                    tally.raw_misses[kind] += 1
            elif kind == "turn":
                rev: Reviewer = step[1]
                decision, seal = step[2], step[3]
                self.timed(tally, "queue page", functools.partial(raw_queue_page, db, rev.dept_id), raw=True)
                if decision is None:
                    continue
                row = self.timed(tally, "claim", functools.partial(raw_claim, db, rev.actor.user_id,
                                                                   rev.actor.username, rev.dept_id), raw=True)
                if row is None:
                    tally.raw_misses[kind] += 1
                    continue
                case_id, case_no, token = row
                if seal:
                    self.ran(tally, "authorise seal", functools.partial(raw_authorise, db, case_id, rev), raw=True)
                if self.ran(tally, "decide", functools.partial(raw_decide, db, case_id, token, rev, decision, seal),
                            raw=True):
                    tally.raw_decided.append((uuid.UUID(str(case_id)), case_no, decision))
            else:
                window: Window = step[1]
                supplements, mail = step[2], step[3]
                if not collect:
                    tally.raw_misses[kind] += 1
                    continue
                case_no = collect.popleft()
                for _ in range(supplements):
                    self.ran(tally, "supplement", functools.partial(raw_supplement, db, case_no, window), raw=True)
                self.ran(tally, "hand-over", functools.partial(raw_handover, db, case_no, window, mail), raw=True)
        return tally

    # -- end of the day ------------------------------------------------------------------------------------------

    def finish(self) -> Tally:
        tally = Tally()
        for counter, store in self.stores.items():
            self.push(tally, counter, store)
            tally.offline_pending += store.pending()
            report = self.timed(tally, "sync reconcile", functools.partial(store.reconcile, hall_today()))
            if report is None or not report.ok:
                tally.reconciled = False
                if report is not None:
                    self.problem(tally, "sync reconcile", "Differs", f"counter {counter}: {report.as_json()}")
            with store.local.uow() as uow:
                tally.store_printed += uow.session.execute(
                    sa.text("SELECT count(*) FROM print_job WHERE status = 'printed'")).scalar_one()
        return tally


def _worker_main(cfg: WorkerConfig, inbox: Any, outbox: Any) -> None:
    faulthandler.enable()  # a crash of the interpreter itself still says where
    try:
        worker = Worker(cfg)
    except BaseException:
        outbox.put((cfg.index, "crash", traceback.format_exc()))
        return
    outbox.put((cfg.index, "ready", None))
    try:
        while True:
            message = inbox.get()
            if message[0] == "ours":
                outbox.put((cfg.index, "tally", worker.ours(message[1], message[2])))
            elif message[0] == "raw":
                outbox.put((cfg.index, "tally", worker.raw_hour(message[1], message[2])))
            else:
                outbox.put((cfg.index, "tally", worker.finish()))
                break
    except BaseException:
        outbox.put((cfg.index, "crash", traceback.format_exc()))
    finally:
        worker.close()


# ---- the raw baselines of this bench (intake, claims and the queue page are bench.common's) ----------------------


def raw_resubmit(db: RawDb, case_id: uuid.UUID, clerk: Clerk) -> None:
    """补正后受理: the case back to accepted with today's dates, its materials received, an event, the acceptance
    notice, receipt and notice jobs, the audit row."""
    now = utc_naive()
    cid = db.id(case_id)
    cur = db.cursor()
    name = clerk.actor.username
    cur.execute("SELECT status FROM hd_case WHERE id = %s FOR UPDATE", (cid,))
    before = cur.fetchone()[0]
    cur.execute("UPDATE case_material SET state = 'received' WHERE case_id = %s AND state IN ('missing', 'defective')",
                (cid,))
    cur.execute("UPDATE hd_case SET status = 'accepted', accepted_at = %s, promised_due = %s, legal_due = %s,"
                " version = version + 1, updated_at = %s WHERE id = %s", (now, now.date(), now.date(), now, cid))
    raw_event(db, cur, cid, now, name, "intake.resubmit", before, "accepted", "申请人补正后受理")
    number = db.next_value(cur, f"c{clerk.counter}", "acceptance")
    notice = raw_notice(db, cur, cid, "acceptance", f"R-c{clerk.counter}-r-{number}", now, name)
    raw_print_job(db, cur, cid, clerk.counter_id, "receipt", None, now, name)
    raw_print_job(db, cur, cid, clerk.counter_id, "notice", notice, now, name)
    raw_audit(db, cur, name, "case.resubmit", str(case_id), now)
    db.commit()


def raw_authorise(db: RawDb, case_id: Any, rev: Reviewer) -> None:
    now = utc_naive()
    cur = db.cursor()
    cur.execute("INSERT INTO seal_authorisation (id, case_id, seal_id, authorised_by, at) VALUES (%s, %s, %s, %s, %s)",
                (db.id(uuid.uuid4()), case_id, db.id(rev.seal_id), rev.chief.username, now))
    raw_audit(db, cur, rev.chief.username, "seal.authorise", str(case_id), now)
    db.commit()


# What the raw decision writes as the case's result (it writes the decision document's row and number too).
RAW_RESULT_DOCS = {"approve": "准予行政许可决定书", "deny": "不予行政许可决定书"}


def raw_decide(db: RawDb, case_id: Any, token: int, rev: Reviewer, decision: str, seal: bool) -> None:
    """The decision's UPDATE (fenced by holder and token), its event, the seal's use, the audit row."""
    now = utc_naive()
    cur = db.cursor()
    name, user = rev.actor.username, db.id(rev.actor.user_id)
    if decision == "return":
        cur.execute("UPDATE hd_case SET status = 'returned', decision_reason = %s, paused_promised = 3,"
                    " paused_legal = 10, holder_id = NULL, lease_until = NULL, version = version + 1, updated_at = %s"
                    " WHERE id = %s AND holder_id = %s AND claim_token = %s",
                    (RETURN_REASON, now, case_id, user, token))
        status = "returned"
    else:
        status = "approved" if decision == "approve" else "denied"
        reason, basis = DENY if decision == "deny" else (APPROVE_REASON, "")
        cur.execute("UPDATE hd_case SET status = %s, decided_at = %s, finished_at = %s, decided_by_id = %s,"
                    " decision_reason = %s, decision_basis = %s, result_docs = %s, holder_id = NULL, lease_until = NULL,"
                    " version = version + 1, updated_at = %s WHERE id = %s AND holder_id = %s AND claim_token = %s",
                    (status, now, now, user, reason, basis, RAW_RESULT_DOCS[decision], now, case_id, user, token))
    if cur.rowcount != 1:
        raise RuntimeError(f"raw decision on {case_id} matched {cur.rowcount} rows")
    raw_event(db, cur, case_id, now, name, f"decide.{decision}", "in_review", status)
    if decision != "return":  # the written decision: a number of the department's and its notice row
        number = db.next_value(cur, f"d{rev.dept}", decision)
        raw_notice(db, cur, case_id, "licence_grant" if decision == "approve" else "licence_denial",
                   f"R-d{rev.dept}-{decision}-{number}", now, name)
    if seal:
        cur.execute("SELECT id FROM seal_authorisation WHERE case_id = %s AND used_at IS NULL FOR UPDATE", (case_id,))
        grant = cur.fetchone()
        if grant is not None:
            cur.execute("UPDATE seal_authorisation SET used_at = %s WHERE id = %s", (now, grant[0]))
        cur.execute("INSERT INTO seal_usage (id, seal_id, case_id, decision, applied_by, authorised_by, at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (db.id(uuid.uuid4()), db.id(rev.seal_id), case_id, decision, name, rev.chief.username, now))
        raw_audit(db, cur, name, "seal.use", str(case_id), now)
    raw_audit(db, cur, name, f"case.{decision}", str(case_id), now)
    db.commit()


def raw_supplement(db: RawDb, case_no: str, window: Window) -> None:
    now = utc_naive()
    cur = db.cursor()
    cur.execute("SELECT id FROM hd_case WHERE case_no = %s FOR UPDATE", (case_no,))
    case_id = cur.fetchone()[0]
    cur.execute("UPDATE case_material SET supplemented_at = %s WHERE case_id = %s AND code = 'M00'", (now, case_id))
    cur.execute("UPDATE hd_case SET version = version + 1, updated_at = %s WHERE id = %s", (now, case_id))
    raw_event(db, cur, case_id, now, window.actor.username, "supplement", "approved", "approved", "补交容缺材料")
    raw_audit(db, cur, window.actor.username, "case.supplement", str(case_id), now)
    db.commit()


def raw_handover(db: RawDb, case_no: str, window: Window, mail: bool) -> None:
    """Find by case number (locked), the hand-over row, the case UPDATE, its event, the 出件签收单 notice with its
    number, the thermal job (none for a mailing), the audit row."""
    now = utc_naive()
    cur = db.cursor()
    name = window.actor.username
    cur.execute("SELECT id, pickup_code, status FROM hd_case WHERE case_no = %s FOR UPDATE", (case_no,))
    case_id, _code, before = cur.fetchone()
    cur.execute(
        "INSERT INTO handover (id, case_id, at, clerk_id, counter_id, method, credential, collector_name,"
        " collector_id_number, by_proxy, proxy_note, mail_recipient, mail_phone, mail_address, tracking_no,"
        " result_docs) VALUES (%s, %s, %s, %s, %s, %s, 'code', %s, %s, false, '', %s, %s, %s, %s, %s)",
        (db.id(uuid.uuid4()), case_id, now, db.id(window.actor.user_id), db.id(window.counter_id),
         "mail" if mail else "window", "" if mail else "张伟", "" if mail else "11010519491231002X",
         "张伟" if mail else "", "13807910001" if mail else "", "江西省南昌市新建区长堎大道1号" if mail else "",
         "1100000000001" if mail else "", RAW_RESULT_DOCS["approve"]))
    cur.execute("UPDATE hd_case SET status = 'issued', issued_at = %s, version = version + 1, updated_at = %s"
                " WHERE id = %s", (now, now, case_id))
    raw_event(db, cur, case_id, now, name, "issue.mail" if mail else "issue.window", before, "issued")
    number = db.next_value(cur, f"c{window.counter}", "handover")
    notice = raw_notice(db, cur, case_id, "handover", f"R-c{window.counter}-handover-{number}", now, name)
    if not mail:
        raw_print_job(db, cur, case_id, window.counter_id, "handover", notice, now, name)
    raw_audit(db, cur, name, "case.issue", str(case_id), now)
    db.commit()


# ---- the day: rounds planned here, run by the workers ----------------------------------------------------------


@dataclass(frozen=True)
class Integrity:
    audit_ok: bool
    audit_rows: int
    audit_problem: str
    cases: int
    distinct_case_nos: int
    duplicate_handovers: int
    issued_without_handover: int
    handover_not_issued: int
    taken: int
    missing: tuple[str, ...]  # taken at a counter but not in the shared database
    unknown: tuple[str, ...]  # in the shared database but taken by nobody
    offline_pending: int
    reconciled: bool
    printed_jobs: int
    printer_connections: int

    @property
    def ok(self) -> bool:
        return (self.audit_ok and self.cases == self.distinct_case_nos and not self.duplicate_handovers
                and not self.issued_without_handover and not self.handover_not_issued and not self.missing
                and not self.unknown and not self.offline_pending and self.reconciled
                and self.printed_jobs == self.printer_connections)


@dataclass(frozen=True)
class Day:
    """What the rounds gave: the tallies of both sides and the day's totals."""

    server: str
    size: Size
    rounds: int
    ours_wall: float
    raw_wall: float
    ours: Tally
    raw: Tally
    statuses: dict[str, int]
    outcomes: dict[str, int]
    decisions: dict[str, int]
    taken: list[str]  # every case number a counter handed an applicant

    @property
    def errors(self) -> list[Problem]:
        return self.ours.errors + self.raw.errors


@dataclass(frozen=True)
class HallReport(Day):
    engine: str
    setup_seconds: float
    printer_bytes: int
    integrity: Integrity


class Crew:
    """The worker processes: one inbox each, one shared outbox."""

    def __init__(self, configs: list[WorkerConfig]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.outbox = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in configs]
        self.processes = [ctx.Process(target=_worker_main, args=(cfg, self.inboxes[cfg.index], self.outbox),
                                      name=f"hall-worker-{cfg.index}") for cfg in configs]
        for p in self.processes:
            p.start()
        waiting = set(range(len(configs)))
        while waiting:
            waiting.discard(self._receive(waiting)[0])

    def _receive(self, waiting: set[int], timeout: float = 1200) -> tuple[int, Any]:
        """The next answer of one of the ``waiting`` workers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                index, kind, payload = self.outbox.get(timeout=2)
                break
            except stdlib_queue.Empty:
                # A worker that died without a word (killed, or the interpreter crashed) would be waited for forever.
                dead = [f"{p.name} (exit code {p.exitcode})" for i, p in enumerate(self.processes)
                        if i in waiting and p.exitcode is not None]
                if dead:
                    raise RuntimeError(f"worker processes ended unexpectedly: {', '.join(dead)}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no word from the workers for {timeout:.0f} s") from None
        if kind == "crash":
            raise RuntimeError(f"worker {index} crashed:\n{payload}")
        return index, payload

    def round(self, messages: list[tuple[Any, ...]]) -> tuple[list[Tally], float]:
        """Send each worker its message; their tallies in worker order, and the wall time until the last one."""
        start = time.perf_counter()
        for inbox, message in zip(self.inboxes, messages, strict=True):
            inbox.put(message)
        answers: dict[int, Tally] = {}
        while len(answers) < len(messages):
            index, tally = self._receive(set(range(len(messages))) - set(answers))
            answers[index] = tally
        return [answers[i] for i in range(len(messages))], time.perf_counter() - start

    def stop(self) -> None:
        for p in self.processes:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()  # only our own workers, by their Process handle
                p.join(timeout=10)


def deal(cast: Cast, workers: int) -> list[tuple[list[Clerk], list[Reviewer], list[Window]]]:
    """Roles to workers round-robin, the offline counters first so that they land in different processes."""
    hands: list[tuple[list[Clerk], list[Reviewer], list[Window]]] = [([], [], []) for _ in range(workers)]
    clerks = sorted(cast.clerks, key=lambda c: not c.offline)
    i = 0
    for clerk in clerks:
        hands[i % workers][0].append(clerk)
        i += 1
    for rev in cast.reviewers:
        hands[i % workers][1].append(rev)
        i += 1
    for window in cast.windows:
        hands[i % workers][2].append(window)
        i += 1
    return hands


def run_day(hall: HallDesk, size: Size, *, seed: int = 20261127, raw: bool = True,
            log: Callable[[str], None] = print) -> HallReport:
    """Set up, run the day (HallDesk and raw rounds alternating), check integrity; the database stays as it is."""
    engine = engine_of(hall.url)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="halldesk-bench-hall-")))
        key_dir, store_dir = tmp / "keys", tmp / "stores"
        store_dir.mkdir()
        printers = [stack.enter_context(FakePrinter()) for _ in range(size.printers)]
        t0 = time.perf_counter()
        cast = set_up(hall, size, key_dir, [p.uri for p in printers], log)
        raw_url: str | None = None
        if raw:
            hall.engine.dispose()  # PostgreSQL copies a database only while nobody is connected to it
            raw_url = clone_database(hall.url)
            stack.callback(drop_database, raw_url)
            db = RawDb(raw_url)
            try:
                for n in [c.counter for c in cast.clerks] + [w.counter for w in cast.windows]:
                    db.add_sequences(f"c{n}", RAW_PERIODS)
                for dept in sorted({r.dept for r in cast.reviewers}):  # the decision documents' numbers
                    db.add_sequences(f"d{dept}", ("approve", "deny"))
            finally:
                db.close()
        setup_seconds = time.perf_counter() - t0
        log(f"set-up done in {setup_seconds:.1f} s; starting {size.workers} workers")
        hands = deal(cast, size.workers)
        configs = [WorkerConfig(i, hall.url, raw_url, key_dir, store_dir, seed, tuple(c), tuple(r), tuple(w))
                   for i, (c, r, w) in enumerate(hands)]
        crew = Crew(configs)
        stack.callback(crew.stop)
        log(f"workers ready after {time.perf_counter() - t0 - setup_seconds:.1f} s")
        day = _day(hall, size, cast, crew, hands, seed, raw, log)
        records = [job for p in printers for job in p.records]
        return HallReport(**{f.name: getattr(day, f.name) for f in fields(Day)}, engine=engine,
                          setup_seconds=setup_seconds, printer_bytes=sum(len(job.data) for job in records),
                          integrity=integrity(hall, day, len(records)))


def _day(hall: HallDesk, size: Size, cast: Cast, crew: Crew, hands: list[tuple[list[Clerk], list[Reviewer],
         list[Window]]], seed: int, raw: bool, log: Callable[[str], None]) -> Day:
    crowd = Crowd(cast, seed)
    owner: dict[Any, int] = {}
    for i, (clerks, reviewers, windows) in enumerate(hands):
        owner.update({("c", c.counter): i for c in clerks})
        owner.update({("r", r.actor.username): i for r in reviewers})
        owner.update({("w", w.counter): i for w in windows})
    reviewers_of: dict[str, list[str]] = defaultdict(list)
    for rev in cast.reviewers:
        reviewers_of[rev.dept].append(rev.actor.username)
    workers = len(hands)
    ours_total, raw_total = Tally(), Tally()
    pockets: dict[str, Taken] = {}
    all_taken: list[str] = []
    backlog: Counter[str] = Counter()
    to_resubmit: list[Resubmission] = []
    ready: list[str] = []
    returned: set[str] = set()
    raw_resubmit: deque[uuid.UUID] = deque()
    raw_ready: deque[str] = deque()
    outcomes: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    ours_wall = raw_wall = 0.0
    per_hour = [[size.cases // size.hours + (1 if h < size.cases % size.hours else 0) for h in range(size.hours)]
                for _ in cast.clerks]
    rounds = 0
    while True:
        hour = rounds
        opening = hour < size.hours
        if not opening and not (sum(backlog.values()) > 0 or to_resubmit or ready):
            break
        if hour >= size.hours + MAX_CLOSING_ROUNDS:
            log(f"stopping after {MAX_CLOSING_ROUNDS} closing rounds with work left (see the final statuses)")
            break
        applicants: list[list[Applicant]] = [[] for _ in range(workers)]
        arrivals: Counter[str] = Counter()
        if opening:
            for k, clerk in enumerate(cast.clerks):
                for _ in range(per_hour[k][hour]):
                    a = crowd.applicant(clerk.counter)
                    applicants[owner[("c", clerk.counter)]].append(a)
                    if a.request.outcome == "accept":
                        arrivals[a.dept] += 1
        resubmissions: list[list[Resubmission]] = [[] for _ in range(workers)]
        for r in to_resubmit:
            resubmissions[owner[("c", r.counter)]].append(r)
            arrivals[pockets[r.case_no].dept] += 1
        to_resubmit = []
        turns: list[dict[str, int]] = [{} for _ in range(workers)]
        for dept, names in reviewers_of.items():
            need = backlog[dept] + arrivals[dept]
            each = math.ceil(need / len(names)) if need else 0
            for name in names:
                if each:
                    turns[owner[("r", name)]][name] = each
        collections: list[list[Collection]] = [[] for _ in range(workers)]
        for case_no in ready:
            window = crowd.pickup_rng.choice(cast.windows).counter
            contested = crowd.pickup_rng.random() < 0.02
            collections[owner[("w", window)]].append(crowd.collection(pockets[case_no], window, contested))
            if contested:
                other = crowd.pickup_rng.choice(cast.windows).counter
                collections[owner[("w", other)]].append(crowd.collection(pockets[case_no], other, True))
        ready = []
        frozen = frozenset(returned)
        plans = [OursPlan(tuple(applicants[i]), tuple(resubmissions[i]), turns[i], tuple(collections[i]), frozen)
                 for i in range(workers)]
        tallies, wall = crew.round([("ours", hour, plan) for plan in plans])
        ours_wall += wall
        for tally in tallies:  # first what every counter took: another worker's reviewer may have decided it
            ours_total.merge(tally)
            for t in tally.taken:
                pockets[t.case_no] = t
                all_taken.append(t.case_no)
                outcomes[t.status] += 1
                if t.status == "accepted":
                    backlog[t.dept] += 1
                elif t.status == "correction_requested":
                    to_resubmit.append(Resubmission(t.counter, t.case_no,
                                                    {code: MaterialInput("received") for code in t.missing}, False))
        for tally in tallies:
            for case_no in tally.resubmitted:
                backlog[pockets[case_no].dept] += 1
            for case_no, dept, decision in tally.decided:
                backlog[dept] -= 1
                decisions[decision] += 1
                if decision == "return":
                    returned.add(case_no)
                    to_resubmit.append(Resubmission(pockets[case_no].counter, case_no, {}, True))
                else:
                    ready.append(case_no)
        line = (f"round {hour + 1}{'' if opening else ' (closing)'}: HallDesk {wall:.1f} s — taken"
                f" {sum(len(t.taken) for t in tallies)}, decided {sum(len(t.decided) for t in tallies)}, handed over"
                f" {sum(len(t.issued) for t in tallies)}, errors {sum(len(t.errors) for t in tallies)}")
        if raw:
            raw_plans = []
            for tally in tallies:
                targets_r = tuple(raw_resubmit.popleft() for _ in range(min(len(tally.resubmitted), len(raw_resubmit))))
                targets_c = tuple(raw_ready.popleft() for _ in range(min(len(tally.issued), len(raw_ready))))
                raw_plans.append(("raw", hour, RawPlan(targets_r, targets_c)))
            raw_tallies, wall = crew.round(raw_plans)
            raw_wall += wall
            for tally in raw_tallies:
                raw_total.merge(tally)
                raw_resubmit.extend(case_id for case_id, status in tally.raw_taken if status == "correction_requested")
                for case_id, case_no, decision in tally.raw_decided:
                    if decision == "return":
                        raw_resubmit.append(case_id)
                    else:
                        raw_ready.append(case_no)
            line += f"; raw {wall:.1f} s"
        log(line)
        rounds += 1
    final, _ = crew.round([("finish",)] * workers)
    for tally in final:
        ours_total.merge(tally)
    with hall.uow() as uow:
        statuses: dict[str, int] = dict(uow.session.execute(sa.text("SELECT status, count(*) FROM hd_case GROUP BY status")).all())
        server = str(uow.session.execute(sa.text("SELECT version()")).scalar_one())
    return Day(server=server, size=size, rounds=rounds, ours_wall=ours_wall, raw_wall=raw_wall, ours=ours_total,
               raw=raw_total, statuses=statuses, outcomes=dict(outcomes), decisions=dict(decisions), taken=all_taken)


def integrity(hall: HallDesk, report: Day, connections: int) -> Integrity:
    """The end-of-day checks, on the shared database."""
    taken = set(report.taken)
    with hall.uow() as uow:
        s = uow.session
        verified = audit.verify(s)
        cases, distinct = s.execute(sa.text("SELECT count(*), count(DISTINCT case_no) FROM hd_case")).one()
        duplicates = s.execute(sa.text("SELECT count(*) FROM (SELECT case_id FROM handover GROUP BY case_id"
                                       " HAVING count(*) > 1) d")).scalar_one()
        no_row = s.execute(sa.text("SELECT count(*) FROM hd_case c WHERE c.status = 'issued' AND NOT EXISTS"
                                   " (SELECT 1 FROM handover h WHERE h.case_id = c.id)")).scalar_one()
        not_issued = s.execute(sa.text("SELECT count(*) FROM handover h JOIN hd_case c ON c.id = h.case_id"
                                       " WHERE c.status <> 'issued'")).scalar_one()
        present = set(s.execute(sa.text("SELECT case_no FROM hd_case")).scalars())
        printed = s.execute(sa.text("SELECT count(*) FROM print_job WHERE status = 'printed'")).scalar_one()
    problem = verified.problem
    return Integrity(
        audit_ok=verified.ok, audit_rows=verified.rows,
        audit_problem=f"{problem.chain} #{problem.seq}: {problem.reason}" if problem else "",
        cases=int(cases), distinct_case_nos=int(distinct), duplicate_handovers=int(duplicates),
        issued_without_handover=int(no_row), handover_not_issued=int(not_issued), taken=len(taken),
        missing=tuple(sorted(taken - present)), unknown=tuple(sorted(present - taken)),
        offline_pending=report.ours.offline_pending, reconciled=report.ours.reconciled,
        printed_jobs=int(printed) + report.ours.store_printed, printer_connections=connections)


# ---- the report -------------------------------------------------------------------------------------------------

COMPARED = ("intake", "resubmit", "queue page", "claim", "authorise seal", "decide", "supplement", "hand-over")
OURS_ONLY = ("intake on a store", "resubmit on a store", "print pass", "print hand-over", "claim (empty queue)", "open case",
             "find", "find (wrong code)", "issue", "sync pull", "sync drain", "sync reconcile")
EXPLAINED = {
    "a mistyped pickup code is refused (and counted), then the right one works": "applicants who mistyped the code",
    "the same slip shown at two windows: the second is refused": "slips shown at two windows (one window refused)",
}


def print_report(r: HallReport, out: Callable[[str], None] = print) -> None:
    size = r.size
    out("")
    out(f"HallDesk, a day of the whole hall on {r.server.split(' on ')[0].split(',')[0]}")
    out(f"  {size.counters} comprehensive counters ({size.offline} on their own stores) × {size.cases} applicants,"
        f" {size.reviewers} reviewers, {size.windows} output windows, {size.workers} worker processes,"
        f" {size.hours} hours + {r.rounds - size.hours} closing rounds; {size.printers} capture printers"
        f"{', A4 notices printed' if size.a4 else ''}")
    out(f"  set-up {r.setup_seconds:.1f} s; the day: HallDesk {r.ours_wall:.1f} s, raw SQL {r.raw_wall:.1f} s (wall,"
        " rounds alternating)")
    out("  times per call in the worker processes; CPU: the worker's own CPU per call (the rest is the server, the"
        " network and waiting for a core); HallDesk/raw: ratio of the times (1.00 = as fast as the raw statements)")
    out("")
    out(f"  {'operation':22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>8}  │{'raw n':>7}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU ms':>8}  │{'HallDesk/raw p50':>17}{'p95':>7}")

    def cpu(tally: Tally, op: str) -> str:  # the worker's own CPU per call: the client's cost without the waiting
        return ms(tally.cpu[op] / len(tally.times[op]))

    for op in COMPARED:
        ours, raw = r.ours.times.get(op, []), r.raw.times.get(op, [])
        if not ours:
            continue
        line = f"  {op:22}{len(ours):>7}{ms(p50(ours)):>9}{ms(p95(ours)):>9}{cpu(r.ours, op):>8}  │"
        if raw:
            line += (f"{len(raw):>7}{ms(p50(raw)):>9}{ms(p95(raw)):>9}{cpu(r.raw, op):>8}  │"
                     f"{p50(ours) / p50(raw):>16.2f}×{p95(ours) / p95(raw):>6.2f}×")
        out(line)
    for op in OURS_ONLY:
        ours = r.ours.times.get(op, [])
        if ours:
            out(f"  {op:22}{len(ours):>7}{ms(p50(ours)):>9}{ms(p95(ours)):>9}{cpu(r.ours, op):>8}  │ (HallDesk only)")
    drains = r.ours.times.get("sync drain", [])
    if drains:
        cases = int(sum(r.ours.times.get("sync drained cases", [])))
        out(f"  sync drain of the offline counters: {len(drains)} pushes, {cases} cases, {sum(drains):.2f} s in all,"
            f" longest {max(drains):.2f} s")
    out(f"  print jobs sent {r.ours.printed}, bytes received by the printers {r.printer_bytes:,}")
    out(f"  intakes by outcome: {_counts(r.outcomes)}; decisions: {_counts(r.decisions)}")
    out(f"  cases by final status: {_counts(r.statuses)}")
    if r.raw.raw_misses:
        out(f"  raw replay found no case for {sum(r.raw.raw_misses.values())} steps ({_counts(dict(r.raw.raw_misses))}):"
            " its queues drain in another order; not timed")
    expected = Counter(category for _, category in r.ours.expected)
    out(f"  expected refusals: {sum(expected.values())}"
        + "".join(f"; {n} {EXPLAINED.get(c, c)}" for c, n in sorted(expected.items())))
    errors = r.errors
    out(f"  errors: {len(errors)}")
    grouped = Counter((p.op, p.kind, p.message) for p in errors)
    for (op, kind, message), n in grouped.most_common(20):
        out(f"    {n}× {op}: {kind}: {message}")
        where = next(p.where for p in errors if (p.op, p.kind, p.message) == (op, kind, message))
        if where:
            out("      " + where.strip().replace("\n", "\n      "))
    i = r.integrity
    out(f"  integrity: {'ok' if i.ok else 'FAILED'} — audit {'ok' if i.audit_ok else 'BROKEN ' + i.audit_problem}"
        f" ({i.audit_rows:,} rows); {i.cases} cases, {i.distinct_case_nos} distinct numbers; taken {i.taken},"
        f" missing {len(i.missing)}, unknown {len(i.unknown)}; hand-overs: {i.duplicate_handovers} duplicated,"
        f" {i.issued_without_handover} issued without a row, {i.handover_not_issued} rows on cases not issued;"
        f" offline outboxes pending {i.offline_pending}, reconciled {'yes' if i.reconciled else 'NO'};"
        f" printed jobs {i.printed_jobs}, printer connections {i.printer_connections}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


# ---- command line -----------------------------------------------------------------------------------------------


@contextmanager
def _hall_for(args: argparse.Namespace) -> Iterator[HallDesk]:
    if args.db:
        hall = HallDesk.open(args.db, upgrade=True)
        try:
            load_demo(hall.uow(), folder_printers=False)
            yield hall
        finally:
            hall.close()
    else:
        with throwaway_hall(args.engine) as hall:
            yield hall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=("postgresql", "mariadb"), default="postgresql")
    parser.add_argument("--db", help="a database of your own (kept; the baseline's copy is dropped)")
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="a one-minute smoke run")
    preset.add_argument("--full", action="store_true", help="a busy day: 200 counters × 60 applicants")
    for name in ("counters", "cases", "reviewers", "windows", "offline", "workers", "hours", "printers"):
        parser.add_argument(f"--{name}", type=int)
    parser.add_argument("--a4", action="store_true", help="print the A4 notices to the capture printers too")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw-SQL baseline")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    if args.db:
        args.engine = engine_of(args.db)
    size = QUICK if args.quick else FULL if args.full else DEFAULT
    size = replace(size, **{k: getattr(args, k) for k in Size.__dataclass_fields__
                            if k != "a4" and getattr(args, k) is not None}, a4=args.a4 or size.a4)
    if size.offline > size.counters or size.windows < 1 or size.workers < 1 or size.hours < 1:
        parser.error("need ≥ 1 output window, worker and hour, and no more offline counters than counters")
    start = time.perf_counter()
    with _hall_for(args) as hall:
        report = run_day(hall, size, seed=args.seed, raw=not args.no_raw,
                         log=lambda line: print(line, file=sys.stderr, flush=True))
    print_report(report)
    print(f"  whole run {time.perf_counter() - start:.0f} s")
    return 0 if not report.errors and report.integrity.ok else 1


if __name__ == "__main__":
    sys.exit(main())
